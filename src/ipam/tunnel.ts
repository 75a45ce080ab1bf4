// The node's IPIP tunnel address (calico-node's allocate-tunnel-addrs): one address from the
// node's own block, held by the handle `ipip-tunnel-addr-<node>`. The caller stores the result
// in Node.spec.bgp.ipv4IPIPTunnelAddr (and clears it when undefined comes back).
import {selects} from '../resources/selector.js'
import type {Ipam} from './allocator.js'
import {cidr4Contains, ipv4Of} from '../lib/ip.js'
import {parseCidr4, parseIp4} from './net.js'
import type {IpamPool} from './types.js'

export const IPIP_TUNNEL_ATTR_TYPE = 'ipipTunnelAddress'

export function ipipTunnelHandle(node: string): string {
  return `ipip-tunnel-addr-${node}`
}

export interface TunnelArgs {
  node: string
  nodeLabels?: Record<string, string> | undefined
  pools: readonly IpamPool[]
  reservations?: readonly string[] | undefined
  /** The address currently in Node.spec.bgp.ipv4IPIPTunnelAddr, if any. */
  current?: string | undefined
}

export interface TunnelResult {
  /** The tunnel address, or undefined when no pool of this node uses IPIP. */
  address: string | undefined
  /** True when the address differs from `current`. */
  changed: boolean
  /** Addresses of the handle that were released (stale or surplus). */
  released: string[]
}

/** IPv4 pools that give this node a tunnel address: enabled, IPIP on, selecting the node, Tunnel allowed. */
export function ipipTunnelPools(ipam: Ipam, args: Pick<TunnelArgs, 'node' | 'nodeLabels' | 'pools'>): IpamPool[] {
  // A pool whose node selector does not parse is skipped here, not an error: calico-node's tunnel
  // address allocation logs and skips it (upstream v3.32.1 node/pkg/allocateip/allocateip.go),
  // where an assignment fails on it (Ipam's poolNodeSelects).
  const ipip = args.pools.filter((p) => (p.ipipMode === 'Always' || p.ipipMode === 'CrossSubnet') && selects(p.nodeSelector, args.nodeLabels ?? {}))
  return ipam.eligiblePools({pools: ipip, node: args.node, nodeLabels: args.nodeLabels, use: 'Tunnel'})
}

/**
 * Makes sure the node holds exactly one IPIP tunnel address inside an eligible pool, and
 * returns it. Idempotent: an address the handle already holds (preferring `current`) is kept;
 * addresses outside eligible pools are released; with no eligible pool, everything is released.
 */
export async function ensureTunnelAddress(ipam: Ipam, args: TunnelArgs): Promise<TunnelResult> {
  const handleId = ipipTunnelHandle(args.node)
  const pools = ipipTunnelPools(ipam, args)
  const current = ipv4Of(args.current)
  if (pools.length === 0) {
    const released = await ipam.releaseByHandle(handleId)
    return {address: undefined, changed: current !== undefined, released}
  }
  const inPools = (ip: string) => pools.some((p) => cidr4Contains(parseCidr4(p.cidr), parseIp4(ip)))
  const held = await ipam.ipsByHandle(handleId)
  const keep = held.find((ip) => ip === current && inPools(ip)) ?? held.find(inPools)
  const surplus = held.filter((ip) => ip !== keep)
  const released = surplus.length > 0 ? (await ipam.releaseIPs(surplus)).released : []
  if (keep) return {address: keep, changed: keep !== current, released}
  const res = await ipam.autoAssign({
    node: args.node,
    nodeLabels: args.nodeLabels,
    num: 1,
    handleId,
    attrs: {node: args.node, type: IPIP_TUNNEL_ATTR_TYPE},
    pools,
    reservations: args.reservations,
    use: 'Tunnel',
    maxPerHandle: 1,
  })
  const address = res.ips[0]
  return {address, changed: address !== current, released}
}

/** Releases the node's tunnel address(es). Returns what was freed. */
export async function releaseTunnelAddress(ipam: Ipam, node: string): Promise<string[]> {
  return ipam.releaseByHandle(ipipTunnelHandle(node))
}
