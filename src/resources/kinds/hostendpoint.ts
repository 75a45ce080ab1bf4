// HostEndpoint: a host interface (or its expected IPs) that policy can protect.
import {type FieldError, fieldError} from '../errors.js'
import {protocolSupportsPorts, validateProtocol} from '../rules.js'
import {list, obj, str, strList, type FieldType, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'
import {isIP, nameProblem} from '../validate.js'
import {joinAndTruncate, normalizeProtocol} from './policy-common.js'
import {collect, pushing, type RuleRow, type RuleTable, tableValidator} from '../rule-table.js'

// EndpointPort's fields carry no omitempty in Go: all three are always written.
const endpointPortFields: Fields = [
  ['name', {t: 'string', ptr: true} satisfies FieldType],
  ['protocol', {t: 'intOrString', ptr: true} satisfies FieldType],
  ['port', {t: 'int', ptr: true} satisfies FieldType],
]

const specFields: Fields = [
  ['node', str],
  ['interfaceName', str],
  ['expectedIPs', strList],
  ['profiles', strList],
  ['ports', list(obj(endpointPortFields))],
]

const INTERFACE = /^[a-zA-Z0-9_.-]{1,15}$/

/** Kubernetes' IANA service port name rule, which Calico applies to endpoint port names. */
export function portNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'port name must not be empty'
  if (name.length > 15) return 'port name must be no more than 15 characters'
  if (!/^[a-z0-9-]+$/.test(name)) return "port name must contain only lower case alphanumeric characters or '-'"
  if (!/[a-z]/.test(name)) return 'port name must contain at least one letter'
  if (name.includes('--')) return "port name must not contain consecutive '-'"
  if (name.startsWith('-') || name.endsWith('-')) return "port name must not begin or end with '-'"
  return undefined
}

export function checkInterfaceName(v: unknown, field: string, out: FieldError[]): void {
  if (v === undefined || v === '') return
  if (typeof v !== 'string' || (v !== '*' && !INTERFACE.test(v)))
    out.push(fieldError(field, "interface name must be '*' or 1-15 characters from a-z, A-Z, 0-9, '_', '.' and '-'", v))
}

/** Checks an endpoint port's protocol (must have ports) and number; the name per `nameRequired`. */
export function checkEndpointPort(p: Record<string, unknown>, field: string, out: FieldError[], nameRequired: boolean): void {
  if (nameRequired || (p.name !== undefined && p.name !== '')) {
    const np = portNameProblem(p.name)
    if (np) out.push(fieldError(`${field}.name`, np, p.name))
  }
  if (p.protocol === undefined || p.protocol === '') out.push(fieldError(`${field}.protocol`, 'is required'))
  else {
    const perr = validateProtocol(p.protocol, `${field}.protocol`)
    if (perr.length > 0) out.push(...perr)
    else if (!protocolSupportsPorts(p.protocol as string | number)) out.push(fieldError(`${field}.protocol`, 'protocol does not support ports (use TCP, UDP or SCTP)', p.protocol))
  }
  const port = p.port
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) out.push(fieldError(`${field}.port`, 'port must be between 1 and 65535', port))
}

interface HostEndpointSpec {
  node?: string
  interfaceName?: string
  expectedIPs?: string[]
  profiles?: string[]
  ports?: Array<Record<string, unknown>>
}

const V = 'libcalico-go/lib/validator/v3/validator.go'
const API = 'api/pkg/apis/projectcalico/v3/hostendpoint.go'

/** Checks of an endpoint port (HostEndpoint and WorkloadEndpoint). */
export const endpointPortRow = (field: string, nameRequired: boolean, source: string): RuleRow => ({
  field,
  rule: `${nameRequired ? 'a name, ' : ''}protocol TCP, UDP or SCTP, port 1-65535`,
  source,
  check: (p, at) => collect((out) => checkEndpointPort(p as Record<string, unknown>, at.path, out, nameRequired)),
})

/** HostEndpoint's rules: validator.go validateHostEndpointSpec and the tags of hostendpoint.go. */
export const RULES: RuleTable = [
  {field: 'spec.node', rule: 'required', source: `${V} validateHostEndpointSpec`, absent: true, check: (v) => (!v ? [fieldError('spec.node', 'no node has been specified')] : undefined)},
  {field: 'spec.node', rule: 'a node name', source: `${API} node (validate:"omitempty,name")`, check: (v) => (typeof v === 'string' && v ? nameProblem(v) : undefined)},
  {
    field: 'spec.interfaceName',
    rule: 'an interface or expected IPs',
    source: `${V} validateHostEndpointSpec`,
    absent: true,
    check: (v, at) => (!v && !(Array.isArray(at.parent.expectedIPs) && at.parent.expectedIPs.length > 0) ? [fieldError('spec.interfaceName', 'no interface or expected IPs have been specified')] : undefined),
  },
  {field: 'spec.interfaceName', rule: "'*' or an interface name", source: `${API} interfaceName (validate:"omitempty,interface")`, check: pushing(checkInterfaceName)},
  {field: 'spec.expectedIPs[*]', rule: 'IP addresses', source: `${API} expectedIPs (validate:"omitempty,dive,ip")`, check: (v) => (!isIP(v as string) ? 'must be a valid IP address' : undefined)},
  {field: 'spec.profiles[*]', rule: 'profile names', source: `${API} profiles (validate:"omitempty,dive,name")`, check: (v) => (typeof v === 'string' ? nameProblem(v) : 'must be a string')},
  endpointPortRow('spec.ports[*]', true, `${API} ports (EndpointPort), ${V} validateEndpointPort`),
]

export const HostEndpoint: KindDef = {
  kind: 'HostEndpoint',
  plural: 'hostendpoints',
  aliases: ['hostendpoint', 'hostendpoints', 'hep', 'heps'],
  namespaced: false,
  specFields,
  columns: ['NAME', 'NODE'],
  wideColumns: ['NAME', 'NODE', 'INTERFACE', 'IPS', 'PROFILES'],
  cell(r, col) {
    const s = (r.spec ?? {}) as HostEndpointSpec
    switch (col) {
      case 'NAME':
        return r.metadata.name
      case 'NODE':
        return s.node ?? ''
      case 'INTERFACE':
        return s.interfaceName ?? ''
      case 'IPS':
        return joinAndTruncate(s.expectedIPs, ',')
      case 'PROFILES':
        return joinAndTruncate(s.profiles, ',')
      default:
        return ''
    }
  },
  defaults(r) {
    for (const p of ((r.spec ?? {}) as HostEndpointSpec).ports ?? []) if ('protocol' in p) p.protocol = normalizeProtocol(p.protocol)
  },
  rules: RULES,
  validate: tableValidator(RULES),
}
