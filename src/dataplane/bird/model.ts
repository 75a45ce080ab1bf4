// Desired BIRD state for one node, computed from plain data (no datastore access here).
// Peer selection follows calico/node's confd rules: node-to-node mesh, global peers,
// node-specific peers, peerSelector peers (with automatic reverse peering) and route reflectors.
import ipaddr from 'ipaddr.js'
import {CalicoError} from '../../resources/errors.js'

export const DEFAULT_AS = '64512'

export interface BirdNodeInput {
  name: string
  /** CIDR, e.g. 198.51.100.96/24. */
  ipv4Address?: string
  asNumber?: string
  routeReflectorClusterID?: string
  labels: Record<string, string>
}

export interface BirdPeerInput {
  name: string
  node?: string
  nodeSelector?: string
  /** `IP` or `IP:port`. */
  peerIP?: string
  asNumber?: string
  peerSelector?: string
  password?: string
  keepOriginalNextHop?: boolean
  /** `UseNodeIP` (default) or `None`. */
  sourceAddress?: string
  /** Maximum hops for TTL security (`ttl security on; multihop N;`). */
  ttlSecurity?: number
  /** `Auto` (default): nodes selected by peerSelector peer back automatically. */
  reversePeering?: 'Auto' | 'Manual'
}

export interface BirdPoolInput {
  cidr: string
  ipipMode: string
  vxlanMode: string
  disabled: boolean
  natOutgoing: boolean
  disableBGPExport: boolean
}

export interface BirdModelInput {
  nodeName: string
  /** This node's IPv4 address as a CIDR; empty/undefined disables IPv4 BGP. */
  nodeIPv4?: string
  asNumber?: string
  routeReflectorClusterID?: string
  global: {
    asNumber?: string
    nodeToNodeMeshEnabled?: boolean
    listenPort?: number
    logSeverityScreen?: string
    nodeMeshPassword?: string
  }
  nodes: BirdNodeInput[]
  peers: BirdPeerInput[]
  pools: BirdPoolInput[]
  /** CIDRs of IPAM blocks affine to this node. */
  ownBlocks: string[]
  selects: (selector: string, labels: Record<string, string>) => boolean
}

export type PeerKind = 'Mesh' | 'Global' | 'Node'

export interface BirdPeer {
  /** BIRD protocol name: `Mesh_198_51_100_96`, `Global_...`, `Node_..._port_1790`. */
  protocol: string
  kind: PeerKind
  ip: string
  port?: number
  asNumber: string
  /** Why this peer exists (a resource or node name), for the config comment. */
  origin: string
  /** Address used as the TCP source; undefined lets the kernel choose. */
  sourceAddress?: string
  passive: boolean
  password?: string
  /** `ttl security on; multihop N;` when set, else `ttl security off; multihop;`. */
  ttlSecurity?: number
  /** Set when this node reflects routes to the peer: `rr client; rr cluster id X;`. */
  rrClusterID?: string
  keepNextHop: boolean
  internal: boolean
}

export type PoolMode = 'ipip' | 'vxlan' | 'bgp'

export interface BirdPool {
  cidr: string
  /** Who installs the routes of this pool: the route planner (ipip/vxlan) or BIRD (bgp). */
  mode: PoolMode
  disableBGPExport: boolean
}

export interface BirdModel {
  nodeName: string
  /** Undefined when the node has no IPv4 address: no BGP at all. */
  nodeIP?: string
  routerID?: string
  localAS: string
  listenPort?: number
  logSeverity: string
  /** Set when this node is a route reflector. */
  rrClusterID?: string
  /** Why there is no mesh, when there is none. */
  meshNote?: string
  peers: BirdPeer[]
  pools: BirdPool[]
  ownBlocks: string[]
}

/** `64512` or dotted `1.10` → plain decimal string. Throws on anything else. */
export function normalizeAS(as: string, what = 'AS number'): string {
  const s = as.trim()
  let n: number
  const dotted = /^(\d+)\.(\d+)$/.exec(s)
  if (dotted) {
    const hi = Number(dotted[1])
    const lo = Number(dotted[2])
    if (hi > 0xffff || lo > 0xffff) throw new CalicoError(`invalid ${what} '${as}'`)
    n = hi * 65536 + lo
  } else if (/^\d+$/.test(s)) {
    n = Number(s)
  } else {
    throw new CalicoError(`invalid ${what} '${as}'`)
  }
  if (!Number.isSafeInteger(n) || n < 1 || n > 0xffffffff) throw new CalicoError(`invalid ${what} '${as}'`)
  return String(n)
}

/** Address part of `a.b.c.d/len` (or a bare address); undefined if not IPv4. */
export function ipv4Of(cidrOrIP: string | undefined): string | undefined {
  if (!cidrOrIP) return undefined
  const addr = cidrOrIP.split('/')[0] ?? ''
  return ipaddr.IPv4.isValidFourPartDecimal(addr) ? ipaddr.IPv4.parse(addr).toString() : undefined
}

/** Splits a BGPPeer peerIP: `1.2.3.4`, `1.2.3.4:1790`, `[v6]:port` or `v6`. */
export function splitPeerIP(peerIP: string): {ip: string; port?: number} {
  const s = peerIP.trim()
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s)
  if (v6) return v6[2] ? {ip: v6[1] ?? '', port: Number(v6[2])} : {ip: v6[1] ?? ''}
  const v4 = /^([0-9.]+):(\d+)$/.exec(s)
  if (v4) return {ip: v4[1] ?? '', port: Number(v4[2])}
  return {ip: s}
}

export function protocolName(kind: PeerKind, ip: string, port?: number): string {
  const base = `${kind}_${ip.replace(/[.:]/g, '_')}`
  return port !== undefined ? `${base}_port_${port}` : base
}

function poolMode(p: BirdPoolInput): PoolMode {
  if (p.vxlanMode && p.vxlanMode !== 'Never') return 'vxlan'
  if (p.ipipMode && p.ipipMode !== 'Never') return 'ipip'
  return 'bgp'
}

function ipKey(ip: string): number {
  return ipaddr.IPv4.parse(ip).toByteArray().reduce((a, b) => a * 256 + b, 0)
}

function checkPassword(pw: string | undefined, where: string): string | undefined {
  if (pw === undefined || pw === '') return undefined
  // BIRD's string literals have no escapes: a quote or line break cannot be written.
  if (/["\n\r\\]/.test(pw)) throw new CalicoError(`${where}: a BGP password cannot contain quotes, backslashes or line breaks`)
  return pw
}

export function buildBirdModel(input: BirdModelInput): BirdModel {
  const globalAS = normalizeAS(input.global.asNumber || DEFAULT_AS, 'global AS number')
  const localAS = input.asNumber ? normalizeAS(input.asNumber, `AS number of node ${input.nodeName}`) : globalAS
  const nodeIP = ipv4Of(input.nodeIPv4)
  const rrClusterID = input.routeReflectorClusterID || undefined
  const listenPort = input.global.listenPort && input.global.listenPort !== 179 ? input.global.listenPort : undefined
  const pools: BirdPool[] = input.pools
    .filter((p) => p.cidr.includes('.'))
    .map((p) => ({cidr: p.cidr, mode: poolMode(p), disableBGPExport: p.disableBGPExport}))
    .sort((a, b) => a.cidr.localeCompare(b.cidr))
  const ownBlocks = [...new Set(input.ownBlocks.filter((b) => b.includes('.')))].sort(compareCIDR)
  const base: BirdModel = {
    nodeName: input.nodeName,
    localAS,
    logSeverity: input.global.logSeverityScreen || 'Info',
    peers: [],
    pools,
    ownBlocks,
  }
  if (listenPort !== undefined) base.listenPort = listenPort
  if (!nodeIP) return base
  base.nodeIP = nodeIP
  base.routerID = nodeIP
  if (rrClusterID) base.rrClusterID = rrClusterID

  const me: BirdNodeInput = input.nodes.find((n) => n.name === input.nodeName) ?? {name: input.nodeName, labels: {}}
  const nodeAS = (n: BirdNodeInput) => (n.asNumber ? normalizeAS(n.asNumber, `AS number of node ${n.name}`) : globalAS)
  const others = input.nodes
    .filter((n) => n.name !== input.nodeName)
    .map((n) => ({node: n, ip: ipv4Of(n.ipv4Address)}))
    .filter((x): x is {node: BirdNodeInput; ip: string} => x.ip !== undefined && x.ip !== nodeIP)
  const clusterOfIP = new Map<string, string>()
  for (const o of others) if (o.node.routeReflectorClusterID) clusterOfIP.set(o.ip, o.node.routeReflectorClusterID)

  const byName = new Map<string, BirdPeer>()
  const add = (p: Omit<BirdPeer, 'protocol' | 'internal' | 'rrClusterID'>, peerCluster: string | undefined): void => {
    const protocol = protocolName(p.kind, p.ip, p.port)
    if (byName.has(protocol)) return
    const internal = p.asNumber === localAS
    const peer: BirdPeer = {...p, protocol, internal}
    if (rrClusterID && internal && peerCluster !== rrClusterID) peer.rrClusterID = rrClusterID
    // Keeping the original next hop only means something towards an external peer.
    if (internal) peer.keepNextHop = false
    byName.set(protocol, peer)
  }
  // Calico compares the addresses as strings; do the same so mixed clusters agree on who dials.
  const passiveTowards = (ip: string) => ip > nodeIP

  // Node-to-node mesh.
  const meshOn = input.global.nodeToNodeMeshEnabled !== false
  if (!meshOn) base.meshNote = 'Node-to-node mesh disabled'
  else if (rrClusterID) base.meshNote = `This node is a route reflector with cluster ID ${rrClusterID}; the node-to-node mesh is not used`
  else {
    const meshPassword = checkPassword(input.global.nodeMeshPassword, 'BGPConfiguration nodeMeshPassword')
    for (const o of others) {
      if (o.node.routeReflectorClusterID) continue
      const peer: Omit<BirdPeer, 'protocol' | 'internal' | 'rrClusterID'> = {
        kind: 'Mesh',
        ip: o.ip,
        asNumber: nodeAS(o.node),
        origin: `node ${o.node.name}`,
        sourceAddress: nodeIP,
        passive: passiveTowards(o.ip),
        keepNextHop: false,
      }
      if (listenPort !== undefined) peer.port = listenPort
      if (meshPassword) peer.password = meshPassword
      add(peer, undefined)
    }
  }

  // Explicit peers and peerSelector peers.
  const inScope = (p: BirdPeerInput, n: BirdNodeInput): boolean => {
    if (p.node) return p.node === n.name
    if (p.nodeSelector) return input.selects(p.nodeSelector, n.labels)
    return true
  }
  for (const p of [...input.peers].sort((a, b) => a.name.localeCompare(b.name))) {
    const where = `BGPPeer ${p.name}`
    const password = checkPassword(p.password, where)
    const common = {
      origin: `BGPPeer ${p.name}`,
      keepNextHop: p.keepOriginalNextHop === true,
      ...(password ? {password} : {}),
      ...(p.ttlSecurity ? {ttlSecurity: p.ttlSecurity} : {}),
    }
    const source = p.sourceAddress === 'None' ? {} : {sourceAddress: nodeIP}
    if (p.peerSelector) {
      const targets: {node: BirdNodeInput; ip: string}[] = []
      if (inScope(p, me)) for (const o of others) if (input.selects(p.peerSelector, o.node.labels)) targets.push(o)
      if (p.reversePeering !== 'Manual' && input.selects(p.peerSelector, me.labels)) {
        for (const o of others) if (inScope(p, o.node)) targets.push(o)
      }
      for (const o of targets) {
        const peer = {
          ...common,
          ...source,
          kind: 'Node' as const,
          ip: o.ip,
          asNumber: nodeAS(o.node),
          passive: passiveTowards(o.ip),
        }
        if (listenPort !== undefined) Object.assign(peer, {port: listenPort})
        add(peer, o.node.routeReflectorClusterID)
      }
      continue
    }
    if (!p.peerIP) continue
    if (!inScope(p, me)) continue
    const {ip: rawIP, port} = splitPeerIP(p.peerIP)
    const ip = ipv4Of(rawIP)
    if (!ip || ip === nodeIP) continue // IPv6 peers are not rendered; never peer with ourselves.
    const peer = {
      ...common,
      ...source,
      kind: (p.node || p.nodeSelector ? 'Node' : 'Global') as PeerKind,
      ip,
      asNumber: normalizeAS(p.asNumber || localAS, `${where} asNumber`),
      passive: false,
      ...(port !== undefined ? {port} : {}),
    }
    add(peer, clusterOfIP.get(ip))
  }

  // One session per neighbour address: node-specific beats global beats mesh.
  const rank: Record<PeerKind, number> = {Node: 0, Global: 1, Mesh: 2}
  const chosen = new Map<string, BirdPeer>()
  for (const p of [...byName.values()].sort((a, b) => rank[a.kind] - rank[b.kind] || a.protocol.localeCompare(b.protocol))) {
    const key = `${p.ip}:${p.port ?? 179}`
    if (!chosen.has(key)) chosen.set(key, p)
  }
  base.peers = [...chosen.values()].sort((a, b) => a.protocol.localeCompare(b.protocol))
  return base
}

export function compareCIDR(a: string, b: string): number {
  const [aa, al] = a.split('/')
  const [ba, bl] = b.split('/')
  const ka = ipaddr.IPv4.isValidFourPartDecimal(aa ?? '') ? ipKey(aa ?? '') : 0
  const kb = ipaddr.IPv4.isValidFourPartDecimal(ba ?? '') ? ipKey(ba ?? '') : 0
  return ka - kb || Number(al) - Number(bl) || a.localeCompare(b)
}
