import {type FieldError, fieldError} from '../errors.js'
import {intOrStr, list, obj, str, strList, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'
import {checkAsNumber, checkCidr, checkIP, checkOneOf, isMAC, isWireguardKey, nameProblem, parseAsNumber, parseNet} from '../validate.js'

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
  ipv6VXLANTunnelAddr?: string
  vxlanTunnelMACAddrV6?: string
  wireguard?: {interfaceIPv4Address?: string; interfaceIPv6Address?: string}
  interfaces?: Array<{name?: string; addresses?: string[]}>
  [k: string]: unknown
}

/** The AS shown for a node without one: the cluster default in parentheses. */
export const DEFAULT_AS = '64512'

const specFields: Fields = [
  [
    'bgp',
    obj(
      [
        ['asNumber', {t: 'intOrString', ptr: true}],
        ['ipv4Address', str],
        ['ipv6Address', str],
        ['ipv4IPIPTunnelAddr', str],
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
  ['interfaces', list(obj([['name', str], ['addresses', strList]]))],
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
  defaults(r) {
    // numorstring.ASNumber reads "64512" and "1.10" and writes a plain number, as Go does.
    const b = (r.spec as NodeSpec | undefined)?.bgp
    if (b && typeof b.asNumber === 'string') {
      const n = parseAsNumber(b.asNumber)
      if (n !== undefined) b.asNumber = n
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
    // libcalico-go/lib/apis/internalapi/node.go field tags.
    checkIP(s.ipv4VXLANTunnelAddr, 'spec.ipv4VXLANTunnelAddr', out, 4)
    checkIP(s.ipv6VXLANTunnelAddr, 'spec.ipv6VXLANTunnelAddr', out, 6)
    for (const f of ['vxlanTunnelMACAddr', 'vxlanTunnelMACAddrV6'] as const) {
      const v = s[f]
      if (typeof v === 'string' && v !== '' && !isMAC(v)) out.push(fieldError(`spec.${f}`, 'must be a MAC address such as 66:0c:1f:34:9a:01', v))
    }
    checkIP(s.wireguard?.interfaceIPv4Address, 'spec.wireguard.interfaceIPv4Address', out, 4)
    checkIP(s.wireguard?.interfaceIPv6Address, 'spec.wireguard.interfaceIPv6Address', out, 6)
    ;(s.addresses ?? []).forEach((a, i) => {
      const p = typeof a?.address === 'string' ? parseNet(a.address) : undefined
      if (!p) out.push(fieldError(`spec.addresses[${i}].address`, 'must be an IP address or CIDR', a?.address))
      else if (!p.masked) out.push(fieldError(`spec.addresses[${i}].address`, `has host bits set (did you mean ${p.text}?)`, a.address))
      checkOneOf(a?.type, ['CalicoNodeIP', 'InternalIP', 'ExternalIP'], `spec.addresses[${i}].type`, out)
    })
    ;(s.interfaces ?? []).forEach((n, i) => {
      const p = n?.name ? nameProblem(n.name) : undefined
      if (p) out.push(fieldError(`spec.interfaces[${i}].name`, p, n.name))
    })
    ;(s.orchRefs ?? []).forEach((o, i) => {
      if (!o.orchestrator) out.push(fieldError(`spec.orchRefs[${i}].orchestrator`, 'is required'))
    })
    const st = (r.status ?? {}) as {wireguardPublicKey?: unknown; wireguardPublicKeyV6?: unknown}
    for (const f of ['wireguardPublicKey', 'wireguardPublicKeyV6'] as const) {
      const v = st[f]
      if (typeof v === 'string' && v !== '' && !isWireguardKey(v)) out.push(fieldError(`status.${f}`, 'must be a WireGuard key (32 bytes in base64)', v))
    }
    return out
  },
}
