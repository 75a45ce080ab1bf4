import {type FieldError, fieldError} from '../errors.js'
import {bool, boolPtr, int, intOrStr, intPtr, list, obj, str, strList, type Fields} from '../schema.js'
import {validateSelector} from '../selector.js'
import type {KindDef, Resource} from '../types.js'
import {checkAsNumber, checkOneOf, isIP} from '../validate.js'

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

const specFields: Fields = [
  ['node', str],
  ['peerIP', str],
  ['asNumber', intOrStr],
  ['nodeSelector', str],
  ['peerSelector', str],
  ['keepOriginalNextHop', bool],
  ['nextHopMode', str],
  ['password', obj([['secretKeyRef', obj([['name', str], ['key', str], ['optional', boolPtr]], true)]], true)],
  ['sourceAddress', str],
  ['failureDetectionMode', str],
  ['restartMode', str],
  ['maxRestartTime', str],
  ['birdGatewayMode', str],
  ['numAllowedLocalASNumbers', intPtr],
  ['ttlSecurity', intPtr],
  ['keepaliveTime', str],
  ['reachableBy', str],
  ['filters', strList],
  ['localWorkloadSelector', str],
  ['reversePeering', str],
  ['localASNumber', intOrStr],
]
void int
void list

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
  validate(r: Resource) {
    const s = (r.spec ?? {}) as BGPPeerSpec
    const out: FieldError[] = []
    if (s.node && s.nodeSelector) out.push(fieldError('spec.node', 'Node field must be empty when NodeSelector is specified', s.node))
    if (s.peerSelector) {
      if (s.peerIP) out.push(fieldError('spec.peerIP', 'PeerIP field must be empty when PeerSelector is specified', s.peerIP))
      if (s.asNumber !== undefined) out.push(fieldError('spec.asNumber', 'ASNumber field must be empty when PeerSelector is specified', s.asNumber))
    }
    if (s.localWorkloadSelector) {
      if (s.asNumber === undefined) out.push(fieldError('spec.asNumber', 'is required with localWorkloadSelector'))
      if (s.peerIP || s.peerSelector) out.push(fieldError('spec.localWorkloadSelector', 'cannot be combined with peerIP or peerSelector'))
    }
    if (s.peerIP && !splitPeerIP(s.peerIP)) out.push(fieldError('spec.peerIP', 'must be an IP address, IP:port, or [IPv6]:port', s.peerIP))
    if (!s.peerIP && !s.peerSelector && !s.localWorkloadSelector) out.push(fieldError('spec.peerIP', 'one of peerIP, peerSelector or localWorkloadSelector is required'))
    if (s.peerIP && s.asNumber === undefined) out.push(fieldError('spec.asNumber', 'is required with peerIP'))
    checkAsNumber(s.asNumber, 'spec.asNumber', out)
    checkAsNumber(s.localASNumber, 'spec.localASNumber', out)
    for (const f of ['nodeSelector', 'peerSelector', 'localWorkloadSelector'] as const) {
      const v = s[f]
      if (typeof v === 'string' && v) out.push(...validateSelector(v, `spec.${f}`, {allowGlobal: false}))
    }
    checkOneOf(s.nextHopMode, ['Auto', 'Self', 'Keep'], 'spec.nextHopMode', out)
    if (s.keepOriginalNextHop && s.nextHopMode) out.push(fieldError('spec.keepOriginalNextHop', 'cannot be true while nextHopMode is set'))
    checkOneOf(s.sourceAddress, ['UseNodeIP', 'None'], 'spec.sourceAddress', out)
    checkOneOf(s.reversePeering, ['Auto', 'Manual'], 'spec.reversePeering', out)
    checkOneOf(s.failureDetectionMode as string, ['None', 'BFDIfDirectlyConnected'], 'spec.failureDetectionMode', out)
    checkOneOf(s.restartMode as string, ['GracefulRestart', 'LongLivedGracefulRestart'], 'spec.restartMode', out)
    checkOneOf(s.birdGatewayMode as string, ['Recursive', 'DirectIfDirectlyConnected'], 'spec.birdGatewayMode', out)
    const pw = s.password?.secretKeyRef
    if (s.password && (!pw?.name || !pw?.key)) out.push(fieldError('spec.password.secretKeyRef', 'needs both name and key'))
    return out
  },
}
