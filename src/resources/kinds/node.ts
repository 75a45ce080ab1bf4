import {fieldError} from '../errors.js'
import {intOrStr, list, obj, str, strList, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'
import {checkAsNumber, checkCidr, checkIP, isMAC, isWireguardKey, nameProblem, parseAsNumber, parseNet} from '../validate.js'
import {type Check, oneOf, pushing, type RuleRow, required, tableValidator} from '../rule-table.js'

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

const V = 'libcalico-go/lib/validator/v3/validator.go'
const API = 'libcalico-go/lib/apis/internalapi/node.go'
const ipOf = (family: 4 | 6): Check => pushing((v, f, out) => checkIP(v, f, out, family))
const cidrOf = (family: 4 | 6): Check => pushing((v, f, out) => checkCidr(v, f, out, family))
const mac: Check = (v) => (typeof v === 'string' && v !== '' && !isMAC(v) ? 'must be a MAC address such as 66:0c:1f:34:9a:01' : undefined)
const wgKey: Check = (v) => (typeof v === 'string' && v !== '' && !isWireguardKey(v) ? 'must be a WireGuard key (32 bytes in base64)' : undefined)

/** Node's rules: the field tags of internalapi/node.go and validator.go validateNodeSpec. */
export const RULES: readonly RuleRow[] = [
  {field: 'spec.bgp', rule: 'not empty when given', source: `${V} validateNodeSpec`, check: (v) => (v && typeof v === 'object' && Object.keys(v).length === 0 ? [fieldError('spec.bgp', 'Spec.BGP should not be empty')] : undefined)},
  {field: 'spec.bgp.ipv4Address', rule: 'an IPv4 CIDR', source: `${API} NodeBGPSpec.IPv4Address (validate:"cidrv4")`, check: cidrOf(4)},
  {field: 'spec.bgp.ipv6Address', rule: 'an IPv6 CIDR', source: `${API} NodeBGPSpec.IPv6Address (validate:"cidrv6")`, check: cidrOf(6)},
  {field: 'spec.bgp.ipv4IPIPTunnelAddr', rule: 'an IPv4 address', source: `${API} NodeBGPSpec.IPv4IPIPTunnelAddr (validate:"ipv4")`, check: ipOf(4)},
  {field: 'spec.bgp.asNumber', rule: 'an AS number', source: `${API} NodeBGPSpec.ASNumber (numorstring.ASNumber)`, check: pushing(checkAsNumber)},
  {field: 'spec.bgp.routeReflectorClusterID', rule: 'an IPv4 address', source: `${API} NodeBGPSpec.RouteReflectorClusterID (validate:"ipv4")`, check: ipOf(4)},
  {field: 'spec.ipv4VXLANTunnelAddr', rule: 'an IPv4 address', source: `${API} IPv4VXLANTunnelAddr (validate:"ipv4")`, check: ipOf(4)},
  {field: 'spec.ipv6VXLANTunnelAddr', rule: 'an IPv6 address', source: `${API} IPv6VXLANTunnelAddr (validate:"ipv6")`, check: ipOf(6)},
  {field: 'spec.{vxlanTunnelMACAddr,vxlanTunnelMACAddrV6}', rule: 'a MAC address', source: `${API} VXLANTunnelMACAddr(V6) (validate:"mac")`, check: mac},
  {field: 'spec.wireguard.interfaceIPv4Address', rule: 'an IPv4 address', source: `${API} NodeWireguardSpec.InterfaceIPv4Address (validate:"ipv4")`, check: ipOf(4)},
  {field: 'spec.wireguard.interfaceIPv6Address', rule: 'an IPv6 address', source: `${API} NodeWireguardSpec.InterfaceIPv6Address (validate:"ipv6")`, check: ipOf(6)},
  {
    field: 'spec.addresses[*].address',
    rule: 'an IP or CIDR without host bits',
    source: `${API} NodeAddress.Address (validate:"net")`,
    absent: true,
    check: (v) => {
      const p = typeof v === 'string' ? parseNet(v) : undefined
      return !p ? 'must be an IP address or CIDR' : !p.masked ? `has host bits set (did you mean ${p.text}?)` : undefined
    },
  },
  {field: 'spec.addresses[*].type', rule: 'CalicoNodeIP, InternalIP or ExternalIP', source: `${API} NodeAddress.Type (validate:"omitempty,oneof=CalicoNodeIP InternalIP ExternalIP")`, check: oneOf('CalicoNodeIP', 'InternalIP', 'ExternalIP')},
  {field: 'spec.interfaces[*].name', rule: 'a name', source: `${API} NodeInterface.Name (validate:"name")`, check: (v) => (typeof v === 'string' && v ? nameProblem(v) : undefined)},
  {field: 'spec.orchRefs[*].orchestrator', rule: 'required', source: `${API} OrchRef.Orchestrator (validate:"required")`, absent: true, check: required},
  {field: 'status.{wireguardPublicKey,wireguardPublicKeyV6}', rule: 'a WireGuard key', source: `${V} validateNodeStatus (wgtypes.ParseKey)`, check: wgKey},
]

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
  rules: RULES,
  validate: tableValidator(RULES),
}
