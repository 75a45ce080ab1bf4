import {fieldError} from '../errors.js'
import {intOrStr, type Fields} from '../schema.js'
import {fieldsFromUpstream, normalizeGoValues, upstreamSchema} from '../upstream.js'
import {validateSelector} from '../selector.js'
import type {KindDef, Resource} from '../types.js'
import {ipFamily} from '../../lib/ip.js'
import {checkAsNumber, isIP, nameProblem, parseAsNumber} from '../validate.js'
import {type At, type Check, type Finding, oneOf, pushing, type RuleRow, required, tableValidator} from '../rule-table.js'

export interface BGPPeerSpec {
  node?: string
  peerIP?: string
  asNumber?: string | number
  nodeSelector?: string
  peerSelector?: string
  keepOriginalNextHop?: boolean
  nextHopMode?: string
  password?: {secretKeyRef?: {name: string; key: string}}
  sourceAddress?: string
  localWorkloadSelector?: string
  reversePeering?: string
  [k: string]: unknown
}

const upstream = upstreamSchema('BGPPeer')!.spec!
// numorstring.ASNumber decodes numbers and strings ("64512", "1.10"); the CRD says integer.
const specFields: Fields = fieldsFromUpstream(upstream, {asNumber: intOrStr, localASNumber: {t: 'intOrString', ptr: true}})

/** validator.go validateReachableBy: an address of the peer's family, only with a peerIP. */
function reachableByProblem(reachableBy: string | undefined, peerIP: string | undefined): string | undefined {
  if (!reachableBy) return undefined
  if (!peerIP) return 'must be empty when peerIP is empty'
  if (!isIP(reachableBy)) return 'is not a valid IP address'
  const peer = splitPeerIP(peerIP)
  if (!peer) return undefined // reported on peerIP
  if (ipFamily(reachableBy) !== ipFamily(peer.ip)) return 'reachableBy and peerIP address families differ'
  return undefined
}

/** `IP` or `IP:port`, IPv6 with a port as `[v6]:port`. */
export function splitPeerIP(v: string): {ip: string; port?: number} | undefined {
  if (isIP(v)) return {ip: v}
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v)
  if (!m || !isIP(m[1]!)) return undefined
  const port = Number(m[2])
  return port >= 1 && port <= 65535 ? {ip: m[1]!, port} : undefined
}

const V = 'libcalico-go/lib/validator/v3/validator.go'
const API = 'api/pkg/apis/projectcalico/v3/bgppeer.go'
const spec = (at: At) => at.parent as BGPPeerSpec
const asSet = (s: BGPPeerSpec) => s.asNumber !== undefined && s.asNumber !== null && parseAsNumber(s.asNumber) !== 0
const set = (v: unknown) => v !== undefined && v !== null && v !== ''
const selector: Check = (v, at) => (typeof v === 'string' && v ? validateSelector(v, at.path, {allowGlobal: false}) : undefined)

/**
 * BGPPeer's rules: validator.go validateBGPPeerSpec and the field tags of bgppeer.go; neither
 * peerIP nor asNumber is required.
 */
export const RULES: readonly RuleRow[] = [
  {field: 'spec.node', rule: 'a node name', source: `${API} node (validate:"name")`, check: (v) => (typeof v === 'string' && v ? nameProblem(v) : undefined)},
  {field: 'spec.node', rule: 'not with nodeSelector', source: `${V} validateBGPPeerSpec`, check: (v, at) => (v && set(spec(at).nodeSelector) ? 'Node field must be empty when NodeSelector is specified' : undefined)},
  {field: 'spec.peerIP', rule: 'not with peerSelector', source: `${V} validateBGPPeerSpec`, check: (v, at) => (v && set(spec(at).peerSelector) ? 'PeerIP field must be empty when PeerSelector is specified' : undefined)},
  {field: 'spec.asNumber', rule: 'not with peerSelector', source: `${V} validateBGPPeerSpec`, check: (_v, at) => (asSet(spec(at)) && set(spec(at).peerSelector) ? 'ASNumber field must be empty when PeerSelector is specified' : undefined)},
  {
    field: 'spec.asNumber',
    rule: 'required with localWorkloadSelector',
    source: `${V} validateBGPPeerSpec`,
    absent: true,
    check: (_v, at) => (set(spec(at).localWorkloadSelector) && !asSet(spec(at)) ? [fieldError(at.path, 'ASNumber field must NOT be empty when LocalWorkloadSelector is specified')] : undefined),
  },
  {field: 'spec.peerIP', rule: 'not with localWorkloadSelector', source: `${V} validateBGPPeerSpec`, check: (v, at) => (v && set(spec(at).localWorkloadSelector) ? 'PeerIP field must be empty when LocalWorkloadSelector is specified' : undefined)},
  {field: 'spec.peerSelector', rule: 'not with localWorkloadSelector', source: `${V} validateBGPPeerSpec`, check: (v, at) => (v && set(spec(at).localWorkloadSelector) ? 'PeerSelector field must be empty when LocalWorkloadSelector is specified' : undefined)},
  {field: 'spec.peerIP', rule: 'IP, IPv4:port or [IPv6]:port', source: `${API} peerIP (validate:"IP:port")`, check: (v) => (typeof v === 'string' && v && !splitPeerIP(v) ? 'must be an IP address, IPv4:port, or [IPv6]:port' : undefined)},
  {field: 'spec.reachableBy', rule: 'an IP of the peer family, only with peerIP', source: `${V} validateReachableBy`, check: (v, at) => reachableByProblem(v as string | undefined, spec(at).peerIP)},
  {field: 'spec.asNumber', rule: 'an AS number', source: `${API} asNumber (numorstring.ASNumber)`, check: pushing(checkAsNumber)},
  {field: 'spec.localASNumber', rule: 'an AS number', source: `${API} localASNumber (numorstring.ASNumber)`, check: pushing(checkAsNumber)},
  {field: 'spec.{nodeSelector,peerSelector,localWorkloadSelector}', rule: 'a selector', source: `${API} (validate:"selector")`, check: selector},
  {field: 'spec.nextHopMode', rule: 'Auto, Self or Keep', source: `${API} nextHopMode (validate:"oneof=Auto Self Keep")`, check: oneOf('Auto', 'Self', 'Keep')},
  {
    field: 'spec.keepOriginalNextHop',
    rule: 'not with nextHopMode',
    source: `${V} validateBGPPeerSpec`,
    check: (v, at) => (v === true && set(spec(at).nextHopMode) ? [fieldError(at.path, 'is deprecated and must not be true when nextHopMode is set')] : undefined),
  },
  {field: 'spec.sourceAddress', rule: 'UseNodeIP or None', source: `${API} sourceAddress (validate:"sourceAddress")`, check: oneOf('UseNodeIP', 'None')},
  {field: 'spec.reversePeering', rule: 'Auto or Manual', source: `${API} reversePeering (validate:"oneof=Auto Manual")`, check: oneOf('Auto', 'Manual')},
  {field: 'spec.ttlSecurity', rule: '0 to 255', source: `${API} ttlSecurity (*uint8)`, check: (v) => (typeof v === 'number' && (v < 0 || v > 255) ? 'must be between 0 and 255 (a uint8)' : undefined)},
  {field: 'spec.filters[*]', rule: 'a BGPFilter name', source: `${API} filters (validate:"dive,name")`, check: (v) => (typeof v === 'string' ? nameProblem(v) : undefined)},
  {field: 'spec.filters[*]', rule: 'the BGPFilter exists', source: 'libcalico-go/lib/clientv3/bgppeer.go validateFilters', check: filterExists},
  {field: 'spec.password.secretKeyRef.key', rule: 'required', source: 'api/config/crd/projectcalico.org_bgppeers.yaml secretKeyRef required: key', absent: true, check: required},
]

/** The client's check that named filters exist, where the caller knows what exists (create, apply, import). */
function filterExists(v: unknown, at: At): Finding {
  return typeof v === 'string' && v && at.ctx.exists && !at.ctx.exists('BGPFilter', v) ? `BGPFilter(${v}) does not exist` : undefined
}

export const BGPPeer: KindDef = {
  kind: 'BGPPeer',
  plural: 'bgppeers',
  aliases: ['bgppeer', 'bgppeers', 'bgpp', 'bgpps', 'bp', 'bps'],
  namespaced: false,
  specFields,
  columns: ['NAME', 'PEERIP', 'NODE', 'ASN'],
  wideColumns: ['NAME', 'PEERIP', 'NODE', 'ASN'],
  cell(r, col) {
    const s = (r.spec ?? {}) as BGPPeerSpec
    switch (col) {
      case 'NAME':
        return r.metadata.name
      case 'PEERIP':
        return s.peerIP ?? ''
      case 'NODE':
        return s.nodeSelector || s.node || '(global)'
      case 'ASN':
        return s.asNumber === undefined ? '' : String(s.asNumber)
      default:
        return ''
    }
  },
  defaults(r: Resource) {
    normalizeGoValues(r.spec, upstream)
  },
  rules: RULES,
  validate: tableValidator(RULES),
  references(r: Resource) {
    const filters = ((r.spec as BGPPeerSpec | undefined)?.filters ?? []) as unknown[]
    return filters.flatMap((f, i) => (typeof f === 'string' && f ? [{kind: 'BGPFilter', plural: 'bgpfilters', name: f, field: `spec.filters[${i}]`}] : []))
  },
}
