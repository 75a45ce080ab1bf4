// Desired routes owned by this host (pure). Mirrors what Felix programs when it handles IPIP
// pools: tunnel routes to remote blocks, same-subnet routes for CrossSubnet, blackholes for our
// own blocks and /32 routes to local workloads. Never pools are left to BIRD.
import {type Cidr4, cidr4Contains, cidr4Covers, formatCidr4, formatIPv4, parseIPv4, parseNet4} from '../../lib/ip.js'
import {IPIP_DEVICE} from '../tunnel/model.js'
import {type Route, sortByCidr} from './types.js'

export type IpipMode = 'Always' | 'CrossSubnet' | 'Never'

export interface PoolInput {
  name: string
  cidr: string
  ipipMode: IpipMode
  vxlanMode: string
  disabled: boolean
  blockSize: number
}

export interface BlockInput {
  cidr: string
  affinityNode: string | undefined
}

export interface NodeInput {
  name: string
  /** CIDR, e.g. `198.51.100.96/24`. */
  ipv4Address?: string
}

export interface WorkloadInput {
  /** a.b.c.d */
  ip: string
  /** Host end of the workload's veth, `cali...`. */
  interfaceName: string
}

export interface RouteModelInput {
  nodeName: string
  /** Parent interface carrying the node IP (used for CrossSubnet same-subnet routes). */
  hostInterface: string
  /** This node's IPv4 as a CIDR, e.g. `198.51.100.95/24`: its prefix defines "our subnet". */
  nodeIPv4: string
  pools: PoolInput[]
  blocks: BlockInput[]
  nodes: NodeInput[]
  workloads: WorkloadInput[]
}

// Lower wins when two sources want the same destination (Felix's route class order).
const RouteClass = {LocalWorkload: 0, SameSubnet: 1, Tunnel: 2, Blackhole: 3} as const
type RouteClass = (typeof RouteClass)[keyof typeof RouteClass]

const IFACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/

/** The most specific pool that contains the whole block. */
function poolOf(block: Cidr4, pools: Array<{pool: PoolInput; cidr: Cidr4}>): PoolInput | undefined {
  let best: {pool: PoolInput; cidr: Cidr4} | undefined
  for (const p of pools) {
    if (!cidr4Covers(p.cidr, block)) continue
    if (!best || p.cidr.prefix > best.cidr.prefix) best = p
  }
  return best?.pool
}

/** Pools, blocks and node addresses are CIDRs with a slash; anything else is not ours to route. */
const parseCidr = (text: string) => (text.includes('/') ? parseNet4(text) : undefined)

export function desiredRoutes(input: RouteModelInput): Route[] {
  const ourNet = parseCidr(input.nodeIPv4)?.cidr
  if (!ourNet) throw new Error(`node ${input.nodeName}: invalid IPv4 address '${input.nodeIPv4}' (want a CIDR such as 198.51.100.95/24)`)
  if (!IFACE_NAME.test(input.hostInterface)) throw new Error(`invalid host interface name '${input.hostInterface}'`)

  // Blocks of disabled pools still carry running workloads, so they keep their routes.
  const pools = input.pools.flatMap((pool) => {
    const cidr = parseCidr(pool.cidr)?.cidr
    return cidr ? [{pool, cidr}] : []
  })
  const nodeIPs = new Map<string, number>()
  for (const n of input.nodes) {
    const c = n.ipv4Address ? parseCidr(n.ipv4Address) : undefined
    if (c) nodeIPs.set(n.name, c.ip)
  }

  const candidates: Array<{route: Route; cls: RouteClass}> = []
  for (const b of input.blocks) {
    const cidr = parseCidr(b.cidr)?.cidr
    if (!cidr || !b.affinityNode) continue
    const pool = poolOf(cidr, pools)
    if (!pool) continue
    const dst = formatCidr4(cidr)
    if (b.affinityNode === input.nodeName) {
      // A /32 block would shadow the workload's own /32 route.
      if (cidr.prefix < 32) candidates.push({route: {dst, type: 'blackhole', onlink: false, scope: 'universe'}, cls: RouteClass.Blackhole})
      continue
    }
    if (pool.ipipMode === 'Never') continue
    const gwIp = nodeIPs.get(b.affinityNode)
    if (gwIp === undefined) continue // Remote node's address not known yet: no route until it is.
    const gw = formatIPv4(gwIp)
    const sameSubnet = pool.ipipMode === 'CrossSubnet' && cidr4Contains(ourNet, gwIp)
    candidates.push(
      sameSubnet
        ? {route: {dst, type: 'unicast', gateway: gw, dev: input.hostInterface, onlink: true, scope: 'universe'}, cls: RouteClass.SameSubnet}
        : {route: {dst, type: 'unicast', gateway: gw, dev: IPIP_DEVICE, onlink: true, scope: 'universe'}, cls: RouteClass.Tunnel},
    )
  }
  for (const w of input.workloads) {
    const ip = parseIPv4(w.ip)
    if (ip === undefined) continue // IPv6 workloads are not programmed here.
    if (!IFACE_NAME.test(w.interfaceName)) throw new Error(`workload ${w.ip}: invalid interface name '${w.interfaceName}'`)
    candidates.push({route: {dst: `${formatIPv4(ip)}/32`, type: 'unicast', dev: w.interfaceName, onlink: false, scope: 'link'}, cls: RouteClass.LocalWorkload})
  }

  const chosen = new Map<string, {route: Route; cls: RouteClass}>()
  for (const c of candidates) {
    const prev = chosen.get(c.route.dst)
    if (!prev || c.cls < prev.cls || (c.cls === prev.cls && JSON.stringify(c.route) < JSON.stringify(prev.route))) chosen.set(c.route.dst, c)
  }
  return sortByCidr(
    [...chosen.values()].map((c) => c.route),
    (r) => r.dst,
  )
}
