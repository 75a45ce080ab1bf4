import {type FieldError, fieldError} from '../errors.js'
import {intOrStr, list, obj, str, strList, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'
import {checkAsNumber, checkCidr, checkIP} from '../validate.js'

export interface NodeBGPSpec {
  ipv4Address?: string
  ipv6Address?: string
  ipv4IPIPTunnelAddr?: string
  asNumber?: string | number
  routeReflectorClusterID?: string
}

export interface NodeSpec {
  bgp?: NodeBGPSpec
  ipv4VXLANTunnelAddr?: string
  vxlanTunnelMACAddr?: string
  orchRefs?: Array<{nodeName?: string; orchestrator: string}>
  addresses?: Array<{address: string; type?: string}>
  [k: string]: unknown
}

/** The AS shown for a node without one: the cluster default in parentheses. */
export const DEFAULT_AS = '64512'

const specFields: Fields = [
  [
    'bgp',
    obj(
      [
        ['ipv4Address', str],
        ['ipv6Address', str],
        ['ipv4IPIPTunnelAddr', str],
        ['asNumber', {t: 'intOrString', ptr: true}],
        ['routeReflectorClusterID', str],
      ],
      true,
    ),
  ],
  ['ipv4VXLANTunnelAddr', str],
  ['vxlanTunnelMACAddr', str],
  ['ipv6VXLANTunnelAddr', str],
  ['vxlanTunnelMACAddrV6', str],
  ['orchRefs', list(obj([['nodeName', str], ['orchestrator', str]]))],
  ['wireguard', obj([['interfaceIPv4Address', str], ['interfaceIPv6Address', str]], true)],
  ['addresses', list(obj([['address', str], ['type', str]]))],
]
void intOrStr

const statusFields: Fields = [
  ['wireguardPublicKey', str],
  ['wireguardPublicKeyV6', str],
  ['podCIDRs', strList],
]

function ip(cidr: string | undefined): string {
  return cidr ?? ''
}

export const Node: KindDef = {
  kind: 'Node',
  plural: 'nodes',
  aliases: ['node', 'nodes', 'no', 'nos'],
  namespaced: false,
  specFields,
  statusFields,
  columns: ['NAME'],
  wideColumns: ['NAME', 'ASN', 'IPV4', 'IPV6'],
  cell(r, col, ctx) {
    const s = (r.spec ?? {}) as NodeSpec
    switch (col) {
      case 'NAME':
        return r.metadata.name
      case 'ASN':
        // As calicoctl: a node without its own AS number shows the inherited one in brackets.
        return s.bgp ? (s.bgp.asNumber !== undefined ? String(s.bgp.asNumber) : `(${ctx?.asNumber ?? DEFAULT_AS})`) : ''
      case 'IPV4':
        return ip(s.bgp?.ipv4Address)
      case 'IPV6':
        return ip(s.bgp?.ipv6Address)
      default:
        return ''
    }
  },
  validate(r) {
    const s = (r.spec ?? {}) as NodeSpec
    const out: FieldError[] = []
    const b = s.bgp
    if (b) {
      if (Object.keys(b).length === 0) out.push(fieldError('spec.bgp', 'Spec.BGP should not be empty'))
      checkCidr(b.ipv4Address, 'spec.bgp.ipv4Address', out, 4)
      checkCidr(b.ipv6Address, 'spec.bgp.ipv6Address', out, 6)
      checkIP(b.ipv4IPIPTunnelAddr, 'spec.bgp.ipv4IPIPTunnelAddr', out, 4)
      checkAsNumber(b.asNumber, 'spec.bgp.asNumber', out)
      checkIP(b.routeReflectorClusterID, 'spec.bgp.routeReflectorClusterID', out, 4)
    }
    checkIP(s.ipv4VXLANTunnelAddr, 'spec.ipv4VXLANTunnelAddr', out, 4)
    ;(s.orchRefs ?? []).forEach((o, i) => {
      if (!o.orchestrator) out.push(fieldError(`spec.orchRefs[${i}].orchestrator`, 'is required'))
    })
    return out
  },
}
