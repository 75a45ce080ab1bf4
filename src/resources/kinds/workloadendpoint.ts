// WorkloadEndpoint: a workload's interface. Its name is derived from the spec's identifiers:
// <node>-<orchestrator>-<workload>-<endpoint>, each segment with '-' written as '--'.
import {type FieldError, fieldError} from '../errors.js'
import {list, obj, str, strList, type FieldType, type Fields} from '../schema.js'
import type {KindDef, Resource} from '../types.js'
import {familyBits, ipFamily, netContains} from '../../lib/ip.js'
import {isIP, isMAC, nameProblem, parseCidr, parseNet} from '../validate.js'
import {checkEndpointPort, checkInterfaceName, checkNames} from './hostendpoint.js'
import {joinAndTruncate, normalizeProtocol} from './policy-common.js'

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
  validate(r) {
    const s = spec(r)
    const out: FieldError[] = []
    const expected = workloadEndpointName(s)
    if ('errors' in expected) out.push(...expected.errors)
    else if (r.metadata.name && r.metadata.name !== expected.name)
      out.push(
        fieldError('metadata.name', `the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name ${expected.name}`, r.metadata.name),
      )
    for (const f of ['orchestrator', 'workload', 'node', 'pod', 'endpoint', 'serviceAccountName'] as const) {
      const v = s[f]
      if (v) {
        const p = nameProblem(v)
        if (p) out.push(fieldError(`spec.${f}`, p, v))
      }
    }
    if (s.containerID && !CONTAINER_ID.test(s.containerID)) out.push(fieldError('spec.containerID', 'must consist of alphanumeric characters or \'-\'', s.containerID))
    const parsedNets: string[] = []
    ;(s.ipNetworks ?? []).forEach((n, i) => {
      const p = parseNet(n)
      if (!p) out.push(fieldError(`spec.ipNetworks[${i}]`, 'invalid CIDR', n))
      else {
        if (p.prefix !== familyBits(p.family)) out.push(fieldError(`spec.ipNetworks[${i}]`, 'IP network contains multiple addresses', n))
        parsedNets.push(p.text)
      }
    })
    const gw = (v: string | undefined, family: 4 | 6, field: string) => {
      if (!v) return
      const p = parseNet(v)
      if (!p) out.push(fieldError(field, 'invalid CIDR', v))
      else if (p.family !== family) out.push(fieldError(field, `invalid IPv${family} gateway address specified`, v))
    }
    gw(s.ipv4Gateway, 4, 'spec.ipv4Gateway')
    gw(s.ipv6Gateway, 6, 'spec.ipv6Gateway')
    ;(s.ipNATs ?? []).forEach((n, i) => {
      const field = `spec.ipNATs[${i}]`
      if (!n.internalIP || !isIP(n.internalIP)) out.push(fieldError(`${field}.internalIP`, 'must be a valid IP address', n.internalIP))
      else {
        const ip = n.internalIP
        if (!parsedNets.some((net) => netContains(net, ip)))
          out.push(fieldError(`${field}.internalIP`, 'NAT is not in the endpoint networks', n.internalIP))
      }
      // validator.go validateIPNAT: both addresses, of one family.
      if (!n.externalIP || !isIP(n.externalIP)) out.push(fieldError(`${field}.externalIP`, 'must be a valid IP address', n.externalIP))
      else if (n.internalIP && isIP(n.internalIP) && ipFamily(n.internalIP) !== ipFamily(n.externalIP))
        out.push(fieldError(`${field}.externalIP`, 'mismatched IP versions (internalIP and externalIP must be of one family)', n.externalIP))
    })
    checkNames(s.profiles, 'spec.profiles', out)
    // internalapi/workloadendpoint.go: interfaceName is tagged `interface` without omitempty.
    if (!s.interfaceName) out.push(fieldError('spec.interfaceName', 'is required'))
    else checkInterfaceName(s.interfaceName, 'spec.interfaceName', out)
    if (s.mac && !isMAC(s.mac)) out.push(fieldError('spec.mac', 'must be a valid MAC address', s.mac))
    ;(s.ports ?? []).forEach((p, i) => {
      const field = `spec.ports[${i}]`
      checkEndpointPort(p, field, out, false)
      if (!p.name && !p.hostPort) out.push(fieldError(`${field}.name`, 'port name must not be empty if no hostPort is specified'))
      const hp = p.hostPort
      if (hp !== undefined && (typeof hp !== 'number' || !Number.isInteger(hp) || hp < 0 || hp > 65535)) out.push(fieldError(`${field}.hostPort`, 'must be between 0 and 65535', hp))
      if (p.hostIP && (typeof p.hostIP !== 'string' || !parseNet(p.hostIP))) out.push(fieldError(`${field}.hostIP`, 'must be a valid IP address', p.hostIP))
    })
    ;(s.allowSpoofedSourcePrefixes ?? []).forEach((c, i) => {
      if (!parseCidr(c) && !parseNet(c)) out.push(fieldError(`spec.allowSpoofedSourcePrefixes[${i}]`, 'must be a valid CIDR', c))
    })
    return out
  },
}
