import {type FieldError, fieldError} from '../errors.js'
import {intOrStr, type Fields} from '../schema.js'
import {fieldsFromUpstream, normalizeGoValues, upstreamSchema} from '../upstream.js'
import {validateSelector} from '../selector.js'
import type {KindDef, Resource} from '../types.js'
import {ipFamily} from '../../lib/ip.js'
import {checkAsNumber, checkOneOf, isIP, nameProblem, parseAsNumber} from '../validate.js'

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
  // libcalico-go/lib/validator/v3/validator.go validateBGPPeerSpec and the field tags of
  // api/pkg/apis/projectcalico/v3/bgppeer.go; neither peerIP nor asNumber is required.
  validate(r: Resource) {
    const s = (r.spec ?? {}) as BGPPeerSpec
    const out: FieldError[] = []
    const asSet = s.asNumber !== undefined && parseAsNumber(s.asNumber) !== 0
    if (s.node) {
      const p = nameProblem(s.node)
      if (p) out.push(fieldError('spec.node', p, s.node))
    }
    if (s.node && s.nodeSelector) out.push(fieldError('spec.node', 'Node field must be empty when NodeSelector is specified', s.node))
    if (s.peerIP && s.peerSelector) out.push(fieldError('spec.peerIP', 'PeerIP field must be empty when PeerSelector is specified', s.peerIP))
    if (asSet && s.peerSelector) out.push(fieldError('spec.asNumber', 'ASNumber field must be empty when PeerSelector is specified', s.asNumber))
    if (s.localWorkloadSelector) {
      if (!asSet) out.push(fieldError('spec.asNumber', 'ASNumber field must NOT be empty when LocalWorkloadSelector is specified'))
      if (s.peerIP) out.push(fieldError('spec.peerIP', 'PeerIP field must be empty when LocalWorkloadSelector is specified', s.peerIP))
      if (s.peerSelector) out.push(fieldError('spec.peerSelector', 'PeerSelector field must be empty when LocalWorkloadSelector is specified', s.peerSelector))
    }
    if (s.peerIP && !splitPeerIP(s.peerIP)) out.push(fieldError('spec.peerIP', 'must be an IP address, IPv4:port, or [IPv6]:port', s.peerIP))
    const reach = reachableByProblem(s.reachableBy as string | undefined, s.peerIP)
    if (reach) out.push(fieldError('spec.reachableBy', reach, s.reachableBy))
    checkAsNumber(s.asNumber, 'spec.asNumber', out)
    checkAsNumber(s.localASNumber, 'spec.localASNumber', out)
    for (const f of ['nodeSelector', 'peerSelector', 'localWorkloadSelector'] as const) {
      const v = s[f]
      if (typeof v === 'string' && v) out.push(...validateSelector(v, `spec.${f}`, {allowGlobal: false}))
    }
    checkOneOf(s.nextHopMode, ['Auto', 'Self', 'Keep'], 'spec.nextHopMode', out)
    if (s.keepOriginalNextHop && s.nextHopMode !== undefined)
      out.push(fieldError('spec.keepOriginalNextHop', 'is deprecated and must not be true when nextHopMode is set'))
    checkOneOf(s.sourceAddress, ['UseNodeIP', 'None'], 'spec.sourceAddress', out)
    checkOneOf(s.reversePeering, ['Auto', 'Manual'], 'spec.reversePeering', out)
    const ttl = s.ttlSecurity as unknown
    if (typeof ttl === 'number' && (ttl < 0 || ttl > 255)) out.push(fieldError('spec.ttlSecurity', 'must be between 0 and 255 (a uint8)', ttl))
    ;((s.filters ?? []) as unknown[]).forEach((f, i) => {
      const p = typeof f === 'string' ? nameProblem(f) : undefined
      if (p) out.push(fieldError(`spec.filters[${i}]`, p, f))
    })
    const pw = s.password?.secretKeyRef
    if (s.password && pw && !pw.key) out.push(fieldError('spec.password.secretKeyRef.key', 'is required'))
    return out
  },
  references(r: Resource) {
    const filters = ((r.spec as BGPPeerSpec | undefined)?.filters ?? []) as unknown[]
    return filters.flatMap((f, i) => (typeof f === 'string' && f ? [{kind: 'BGPFilter', plural: 'bgpfilters', name: f, field: `spec.filters[${i}]`}] : []))
  },
}
