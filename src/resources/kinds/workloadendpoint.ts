// WorkloadEndpoint: a workload's interface. Its name is derived from the spec's identifiers:
// <node>-<orchestrator>-<workload>-<endpoint>, each segment with '-' written as '--'.
import {type FieldError, fieldError} from '../errors.js'
import {list, obj, str, strList, type FieldType, type Fields} from '../schema.js'
import type {KindDef, Resource} from '../types.js'
import {familyBits, ipFamily, netContains} from '../../lib/ip.js'
import {isIP, isMAC, nameProblem, parseCidr, parseNet} from '../validate.js'
import {checkInterfaceName, endpointPortRow} from './hostendpoint.js'
import {joinAndTruncate, normalizeProtocol} from './policy-common.js'
import {type Check, pushing, type RuleTable, required, tableValidator} from '../rule-table.js'

const always = <T extends FieldType>(t: T): T => ({...t, ptr: true})
const i64: FieldType = {t: 'int'}

// WorkloadEndpointPort and IPNAT fields have no omitempty: Go always writes them.
const portFields: Fields = [
  ['name', always(str)],
  ['protocol', {t: 'intOrString', ptr: true}],
  ['port', {t: 'int', ptr: true}],
  ['hostPort', {t: 'int', ptr: true}],
  ['hostIP', always(str)],
]
const ipNatFields: Fields = [
  ['internalIP', always(str)],
  ['externalIP', always(str)],
]
const qosFields: Fields = [
  ['ingressBandwidth', i64],
  ['ingressBurst', i64],
  ['ingressPeakrate', i64],
  ['ingressMinburst', i64],
  ['egressBandwidth', i64],
  ['egressBurst', i64],
  ['egressPeakrate', i64],
  ['egressMinburst', i64],
  ['ingressPacketRate', i64],
  ['ingressPacketBurst', i64],
  ['egressPacketRate', i64],
  ['egressPacketBurst', i64],
  ['ingressMaxConnections', i64],
  ['egressMaxConnections', i64],
  ['dscp', {t: 'intOrString', ptr: true}],
]

const specFields: Fields = [
  ['orchestrator', str],
  ['workload', str],
  ['node', str],
  ['containerID', str],
  ['pod', str],
  ['endpoint', str],
  ['serviceAccountName', str],
  ['ipNetworks', strList],
  ['ipNATs', list(obj(ipNatFields))],
  ['ipv4Gateway', str],
  ['ipv6Gateway', str],
  ['profiles', strList],
  ['interfaceName', str],
  ['mac', str],
  ['ports', list(obj(portFields))],
  ['allowSpoofedSourcePrefixes', strList],
  ['qosControls', obj(qosFields, true)],
]

export interface WorkloadEndpointSpec {
  orchestrator?: string
  workload?: string
  node?: string
  containerID?: string
  pod?: string
  endpoint?: string
  serviceAccountName?: string
  ipNetworks?: string[]
  ipNATs?: Array<{internalIP?: string; externalIP?: string}>
  ipv4Gateway?: string
  ipv6Gateway?: string
  profiles?: string[]
  interfaceName?: string
  mac?: string
  ports?: Array<Record<string, unknown>>
  allowSpoofedSourcePrefixes?: string[]
  qosControls?: Record<string, unknown>
}

export const LABEL_NAMESPACE = 'projectcalico.org/namespace'
export const LABEL_ORCHESTRATOR = 'projectcalico.org/orchestrator'

/** The spec fields that make up the name, by orchestrator (Calico's names package). */
function segmentFields(orchestrator: string | undefined): Array<keyof WorkloadEndpointSpec> {
  switch (orchestrator) {
    case 'k8s':
      return ['node', 'orchestrator', 'pod', 'endpoint']
    case 'cni':
      return ['node', 'orchestrator', 'containerID', 'endpoint']
    case 'libnetwork':
      return ['node', 'orchestrator', 'orchestrator', 'endpoint']
    default:
      return ['node', 'orchestrator', 'workload', 'endpoint']
  }
}

/** The name Calico expects for a WorkloadEndpoint, or the field errors that prevent one. */
export function workloadEndpointName(spec: WorkloadEndpointSpec): {name: string} | {errors: FieldError[]} {
  if (!spec.node) return {errors: [fieldError('spec.node', 'field should be assigned')]}
  const parts: string[] = []
  for (const f of segmentFields(spec.orchestrator)) {
    const v = spec[f]
    if (typeof v !== 'string' || v === '') return {errors: [fieldError(`spec.${f}`, 'field should be assigned')]}
    if (v.startsWith('-')) return {errors: [fieldError(`spec.${f}`, "field must not begin with a '-'", v)]}
    if (v.endsWith('-')) return {errors: [fieldError(`spec.${f}`, "field must not end with a '-'", v)]}
    parts.push(v.replaceAll('-', '--'))
  }
  return {name: parts.join('-')}
}

const CONTAINER_ID = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/

const V = 'libcalico-go/lib/validator/v3/validator.go'
const API = 'libcalico-go/lib/apis/internalapi/workloadendpoint.go'

/** The endpoint's networks that parse, in canonical form. */
function networksOf(s: WorkloadEndpointSpec): string[] {
  return (s.ipNetworks ?? []).flatMap((n) => {
    const p = typeof n === 'string' ? parseNet(n) : undefined
    return p ? [p.text] : []
  })
}

const gateway = (family: 4 | 6): Check => (v) => {
  if (!v) return undefined
  const p = parseNet(v as string)
  return !p ? 'invalid CIDR' : p.family !== family ? `invalid IPv${family} gateway address specified` : undefined
}

/** WorkloadEndpoint's rules: validator.go validateWorkloadEndpointSpec, names.go and the tags of internalapi/workloadendpoint.go. */
export const RULES: RuleTable = [
  {
    field: 'metadata.name',
    rule: 'as the spec identifiers make it',
    source: 'libcalico-go/lib/names/workloadendpoint.go (clientv3/workloadendpoint.go assignOrValidateName)',
    check: (v, at) => {
      const expected = workloadEndpointName(at.resource.spec as WorkloadEndpointSpec)
      if ('errors' in expected) return expected.errors
      return v && v !== expected.name ? `the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name ${expected.name}` : undefined
    },
  },
  {field: 'spec.{orchestrator,workload,node,pod,endpoint,serviceAccountName}', rule: 'names', source: `${API} (validate:"omitempty,name")`, check: (v) => (typeof v === 'string' && v ? nameProblem(v) : undefined)},
  {field: 'spec.containerID', rule: 'alphanumerics and inner dashes', source: `${API} containerID (validate:"omitempty,containerID")`, check: (v) => (typeof v === 'string' && v && !CONTAINER_ID.test(v) ? "must consist of alphanumeric characters or '-'" : undefined)},
  {field: 'spec.ipNetworks[*]', rule: 'a CIDR', source: `${API} ipNetworks (validate:"omitempty,dive,cidr")`, check: (v) => (!parseNet(v as string) ? 'invalid CIDR' : undefined)},
  {field: 'spec.ipNetworks[*]', rule: 'a single address', source: `${V} validateWorkloadEndpointSpec`, check: (v) => {
    const p = parseNet(v as string)
    return p && p.prefix !== familyBits(p.family) ? 'IP network contains multiple addresses' : undefined
  }},
  {field: 'spec.ipv4Gateway', rule: 'an IPv4 address', source: `${API} ipv4Gateway (validate:"omitempty,ipv4")`, check: gateway(4)},
  {field: 'spec.ipv6Gateway', rule: 'an IPv6 address', source: `${API} ipv6Gateway (validate:"omitempty,ipv6")`, check: gateway(6)},
  {field: 'spec.ipNATs[*].internalIP', rule: 'an IP address', source: `${API} IPNAT.InternalIP (validate:"omitempty,ip")`, absent: true, check: (v) => (!v || !isIP(v as string) ? 'must be a valid IP address' : undefined)},
  {
    field: 'spec.ipNATs[*].internalIP',
    rule: 'within the endpoint networks',
    source: `${V} validateWorkloadEndpointSpec`,
    check: (v, at) => {
      if (typeof v !== 'string' || !isIP(v)) return undefined
      return networksOf(at.resource.spec as WorkloadEndpointSpec).some((net) => netContains(net, v)) ? undefined : 'NAT is not in the endpoint networks'
    },
  },
  {field: 'spec.ipNATs[*].externalIP', rule: 'an IP address', source: `${API} IPNAT.ExternalIP (validate:"omitempty,ip")`, absent: true, check: (v) => (!v || !isIP(v as string) ? 'must be a valid IP address' : undefined)},
  {
    field: 'spec.ipNATs[*].externalIP',
    rule: 'the family of internalIP',
    source: `${V} validateIPNAT`,
    check: (v, at) => {
      const internal = at.parent.internalIP
      return typeof v === 'string' && isIP(v) && typeof internal === 'string' && isIP(internal) && ipFamily(internal) !== ipFamily(v)
        ? 'mismatched IP versions (internalIP and externalIP must be of one family)'
        : undefined
    },
  },
  {field: 'spec.profiles[*]', rule: 'profile names', source: `${API} profiles (validate:"omitempty,dive,name")`, check: (v) => (typeof v === 'string' ? nameProblem(v) : 'must be a string')},
  // internalapi/workloadendpoint.go: interfaceName is tagged `interface` without omitempty.
  {field: 'spec.interfaceName', rule: 'required', source: `${API} interfaceName (validate:"interface")`, absent: true, check: required},
  {field: 'spec.interfaceName', rule: "'*' or an interface name", source: `${API} interfaceName (validate:"interface")`, check: pushing(checkInterfaceName)},
  {field: 'spec.mac', rule: 'a MAC address', source: `${API} mac (validate:"omitempty,mac")`, check: (v) => (v && !isMAC(v as string) ? 'must be a valid MAC address' : undefined)},
  endpointPortRow('spec.ports[*]', false, `${API} ports (WorkloadEndpointPort), ${V} validateWorkloadEndpointPort`),
  {field: 'spec.ports[*].name', rule: 'required without hostPort', source: `${V} validateWorkloadEndpointPort`, absent: true, check: (v, at) => (!v && !at.parent.hostPort ? [fieldError(at.path, 'port name must not be empty if no hostPort is specified')] : undefined)},
  {field: 'spec.ports[*].hostPort', rule: '0-65535', source: `${API} WorkloadEndpointPort.HostPort (uint16)`, check: (v) => (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535 ? 'must be between 0 and 65535' : undefined)},
  {field: 'spec.ports[*].hostIP', rule: 'an IP address', source: `${API} WorkloadEndpointPort.HostIP (validate:"omitempty,ip")`, check: (v) => (v && (typeof v !== 'string' || !parseNet(v)) ? 'must be a valid IP address' : undefined)},
  {field: 'spec.allowSpoofedSourcePrefixes[*]', rule: 'CIDRs', source: `${API} allowSpoofedSourcePrefixes (validate:"omitempty,dive,cidr")`, check: (v) => (!parseCidr(v as string) && !parseNet(v as string) ? 'must be a valid CIDR' : undefined)},
]

function spec(r: Resource): WorkloadEndpointSpec {
  r.spec ??= {}
  return r.spec as WorkloadEndpointSpec
}

export const WorkloadEndpoint: KindDef = {
  kind: 'WorkloadEndpoint',
  plural: 'workloadendpoints',
  aliases: ['workloadendpoint', 'workloadendpoints', 'wep', 'weps'],
  namespaced: true,
  specFields,
  columns: ['WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE'],
  wideColumns: ['NAME', 'WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE', 'PROFILES', 'NATS'],
  cell(r, col) {
    const s = spec(r)
    switch (col) {
      case 'NAME':
        return r.metadata.name
      case 'WORKLOAD':
        return s.workload || s.pod || ''
      case 'NODE':
        return s.node ?? ''
      case 'ORCHESTRATOR':
        return s.orchestrator ?? ''
      case 'NETWORKS':
        return joinAndTruncate(s.ipNetworks, ',')
      case 'INTERFACE':
        return s.interfaceName ?? ''
      case 'PROFILES':
        return joinAndTruncate(s.profiles, ',')
      case 'NATS':
        // calicoctl prints Go's rendering of the IPNAT struct.
        return joinAndTruncate((s.ipNATs ?? []).map((n) => `{${n.internalIP ?? ''} ${n.externalIP ?? ''}}`), ',')
      default:
        return ''
    }
  },
  defaults(r) {
    const s = spec(r)
    // An omitted name is computed from the identifiers (Calico's assignOrValidateName).
    if (!r.metadata.name) {
      const n = workloadEndpointName(s)
      if ('name' in n) r.metadata.name = n.name
    }
    // Calico stores the namespace and orchestrator as labels; they are not user-settable.
    const labels: Record<string, string> = {...r.metadata.labels}
    if (r.metadata.namespace) labels[LABEL_NAMESPACE] = r.metadata.namespace
    labels[LABEL_ORCHESTRATOR] = s.orchestrator ?? ''
    r.metadata.labels = labels
    for (const p of s.ports ?? []) {
      if ('protocol' in p) p.protocol = normalizeProtocol(p.protocol)
      p.name ??= ''
      p.hostPort ??= 0
      p.hostIP ??= ''
    }
    for (const n of s.ipNATs ?? []) {
      n.internalIP ??= ''
      n.externalIP ??= ''
    }
  },
  rules: RULES,
  validate: tableValidator(RULES),
}
