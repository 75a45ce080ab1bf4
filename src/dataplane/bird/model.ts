// Desired BIRD state for one node, computed from plain data (no datastore access here).
// Peer selection follows calico/node's confd rules: node-to-node mesh, global peers,
// node-specific peers, peerSelector peers (with automatic reverse peering) and route reflectors.
import {createHash} from 'node:crypto'
import {cidr4SortKey, formatIPv4, ipv4Of, netFamily, parseNet4} from '../../lib/ip.js'
import {CalicoError} from '../../resources/errors.js'
import type {BGPFilterRule} from '../../resources/kinds/bgpfilter.js'
import {splitPeerIP} from '../../resources/kinds/bgppeer.js'

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
  /** BGPFilter names, applied in this order (spec.filters). */
  filters?: string[]
}

/** One BGPFilter rule as stored (the kind's own type: api/pkg/apis/projectcalico/v3/bgpfilter.go BGPFilterRuleV4). */
export type BirdFilterRuleInput = BGPFilterRule

export interface BirdFilterInput {
  name: string
  importV4?: BirdFilterRuleInput[]
  exportV4?: BirdFilterRuleInput[]
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
  /** Every BGPFilter (those the peers name are looked up here). */
  filters?: BirdFilterInput[]
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
  /** BGPFilter functions to call on import and on export, in the peer's order (IPv4 rules only). */
  importFilters: string[]
  exportFilters: string[]
}

export type FilterMatch =
  | {t: 'net'; op: '=' | '!=' | '~' | '!~'; cidr: string; len?: [number, number]}
  | {t: 'fromPeers'}
  | {t: 'ifname'; pattern: string}
  | {t: 'community'; value: number[]}
  | {t: 'asPathPrefix'; asns: string[]}
  | {t: 'priority'; value: number}

export type FilterOperation = {t: 'addCommunity'; value: number[]} | {t: 'prependAS'; asns: string[]} | {t: 'setPriority'; value: number}

/** One rule, checked and reduced to what BIRD needs; rules run in order, the first match decides. */
export interface FilterRule {
  match: FilterMatch[]
  /** Only towards/from peers of this kind: `iBGP` (same AS) or `eBGP`. */
  peerType?: 'iBGP' | 'eBGP'
  operations: FilterOperation[]
  action: 'accept' | 'reject'
}

/** A BGPFilter's BIRD function for one direction. */
export interface FilterFunction {
  /** BIRD symbol, e.g. `bgp_f1_exportFilterV4` (written quoted). */
  fn: string
  filter: string
  direction: 'import' | 'export'
  /** The function takes `is_same_as` when a rule names a peer type. */
  takesPeerType: boolean
  rules: FilterRule[]
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
  /** BGPFilter functions (every filter with IPv4 rules, by name), called by the peers that name them. */
  filterFunctions: FilterFunction[]
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

export function protocolName(kind: PeerKind, ip: string, port?: number): string {
  const base = `${kind}_${ip.replace(/[.:]/g, '_')}`
  return port !== undefined ? `${base}_port_${port}` : base
}

function poolMode(p: BirdPoolInput): PoolMode {
  if (p.vxlanMode && p.vxlanMode !== 'Never') return 'vxlan'
  if (p.ipipMode && p.ipipMode !== 'Never') return 'ipip'
  return 'bgp'
}

function checkPassword(pw: string | undefined, where: string): string | undefined {
  if (pw === undefined || pw === '') return undefined
  // BIRD's string literals have no escapes: a quote or line break cannot be written.
  if (/["\n\r\\]/.test(pw)) throw new CalicoError(`${where}: a BGP password cannot contain quotes, backslashes or line breaks`)
  return pw
}

// ---------------------------------------------------------------------------------------------
// BGPFilters. Semantics as calico/node renders them (confd/pkg/resource/template/template_funcs.go
// and confd/pkg/backends/calico/bgp_processor.go, v3.32.1): one BIRD function per filter and
// direction; a peer's import and export filters call its filters' functions in spec.filters
// order. Inside a function the rules run in order and the first that matches accepts or rejects
// the route for good; a route no rule matches falls through to the next filter, then to the
// default (import: accept; export: Calico's own export rules).

const BIRD_SYMBOL_MAX = 64
const MATCH_OPERATORS: Record<string, '=' | '!=' | '~' | '!~'> = {Equal: '=', NotEqual: '!=', In: '~', NotIn: '!~'}
const FILTER_INTERFACE = /^[a-zA-Z0-9_.*-]{1,15}$/

/** The BIRD symbol for a filter's function: names that would pass 64 characters are cut and a hash added, as confd does. */
export function filterFunctionName(filter: string, direction: 'import' | 'export'): string {
  const room = BIRD_SYMBOL_MAX - `bgp__${direction}FilterV4`.length
  let name = filter
  if (name.length > room) name = `${name.slice(0, room - 17)}_${createHash('sha256').update(name).digest('hex').toUpperCase().slice(0, 16)}`
  return `bgp_${name}_${direction}FilterV4`
}

function community(value: unknown, where: string): number[] {
  const parts = typeof value === 'string' ? value.split(':') : []
  const nums = parts.map((p) => (/^\d{1,10}$/.test(p) ? Number(p) : Number.NaN))
  if ((nums.length !== 2 && nums.length !== 3) || nums.some((n) => !(n <= 0xffffffff)) || (nums.length === 2 && nums.some((n) => n > 0xffff)))
    throw new CalicoError(`${where}: '${String(value)}' is not a BGP community (aa:nn or aa:nn:mm)`)
  return nums
}

function priorityValue(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 2147483646) throw new CalicoError(`${where}: priority must be an integer from 1 to 2147483646`)
  return v
}

function filterRule(r: BirdFilterRuleInput, where: string): FilterRule {
  const match: FilterMatch[] = []
  if (r.cidr) {
    const op = MATCH_OPERATORS[r.matchOperator ?? '']
    if (!op) throw new CalicoError(`${where}: matchOperator must be Equal, NotEqual, In or NotIn with a cidr`)
    const net = r.cidr.includes('/') ? parseNet4(r.cidr) : undefined
    if (!net) throw new CalicoError(`${where}: cidr '${r.cidr}' is not an IPv4 network`)
    const bits = net.cidr.prefix
    const m: FilterMatch = {t: 'net', op, cidr: `${formatIPv4(net.ip)}/${bits}`}
    if (r.prefixLength) {
      const lo = Math.max(bits, r.prefixLength.min ?? 0)
      const hi = Math.min(32, r.prefixLength.max ?? 32)
      if (lo > hi) throw new CalicoError(`${where}: prefixLength selects no length of ${r.cidr} (/${lo} to /${hi})`)
      m.len = [lo, hi]
    }
    match.push(m)
  }
  if (r.source === 'RemotePeers') match.push({t: 'fromPeers'})
  else if (r.source) throw new CalicoError(`${where}: source must be RemotePeers`)
  if (r.interface) {
    if (!FILTER_INTERFACE.test(r.interface)) throw new CalicoError(`${where}: interface '${r.interface}' is not an interface name or pattern`)
    match.push({t: 'ifname', pattern: r.interface})
  }
  const c = r.communities?.values?.[0]
  if (c !== undefined) match.push({t: 'community', value: community(c, where)})
  if (r.asPathPrefix && r.asPathPrefix.length > 0) match.push({t: 'asPathPrefix', asns: r.asPathPrefix.map((a) => normalizeAS(String(a), `${where} asPathPrefix`))})
  if (r.priority !== undefined && r.priority !== null) match.push({t: 'priority', value: priorityValue(r.priority, where)})
  if (r.action !== 'Accept' && r.action !== 'Reject') throw new CalicoError(`${where}: action must be Accept or Reject`)
  const operations: FilterOperation[] = (r.operations ?? []).map((op, i) => {
    const at = `${where} operations[${i}]`
    if (op.addCommunity) return {t: 'addCommunity', value: community(op.addCommunity.value, at)}
    if (op.prependASPath) return {t: 'prependAS', asns: (op.prependASPath.prefix ?? []).map((a) => normalizeAS(String(a), `${at} prefix`))}
    if (op.setPriority) return {t: 'setPriority', value: priorityValue(op.setPriority.value, at)}
    throw new CalicoError(`${at}: no operation set`)
  })
  const rule: FilterRule = {match, operations, action: r.action === 'Accept' ? 'accept' : 'reject'}
  if (r.peerType === 'iBGP' || r.peerType === 'eBGP') rule.peerType = r.peerType
  else if (r.peerType) throw new CalicoError(`${where}: peerType must be iBGP or eBGP`)
  return rule
}

/** The functions of every filter with IPv4 rules, by filter name then direction (import first). */
export function buildFilterFunctions(filters: readonly BirdFilterInput[]): FilterFunction[] {
  const out: FilterFunction[] = []
  for (const f of [...filters].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(f.name)) throw new CalicoError(`BGPFilter '${f.name}': name cannot be a BIRD symbol`)
    for (const direction of ['import', 'export'] as const) {
      const rules = (direction === 'import' ? f.importV4 : f.exportV4) ?? []
      if (rules.length === 0) continue
      const built = rules.map((r, i) => filterRule(r, `BGPFilter ${f.name} ${direction}V4[${i}]`))
      out.push({fn: filterFunctionName(f.name, direction), filter: f.name, direction, takesPeerType: built.some((r) => r.peerType !== undefined), rules: built})
    }
  }
  return out
}

/** The functions a peer calls, in its spec.filters order; names without IPv4 rules (or missing) call nothing. */
function peerFilterCalls(names: readonly string[] | undefined, fns: readonly FilterFunction[], direction: 'import' | 'export'): string[] {
  return (names ?? []).flatMap((n) => fns.filter((f) => f.filter === n && f.direction === direction).map((f) => f.fn))
}

export function buildBirdModel(input: BirdModelInput): BirdModel {
  const globalAS = normalizeAS(input.global.asNumber || DEFAULT_AS, 'global AS number')
  const localAS = input.asNumber ? normalizeAS(input.asNumber, `AS number of node ${input.nodeName}`) : globalAS
  const nodeIP = ipv4Of(input.nodeIPv4)
  const rrClusterID = input.routeReflectorClusterID || undefined
  const listenPort = input.global.listenPort && input.global.listenPort !== 179 ? input.global.listenPort : undefined
  const pools: BirdPool[] = input.pools
    .filter((p) => netFamily(p.cidr) === 4)
    .map((p) => ({cidr: p.cidr, mode: poolMode(p), disableBGPExport: p.disableBGPExport}))
    .sort((a, b) => a.cidr.localeCompare(b.cidr))
  const ownBlocks = [...new Set(input.ownBlocks.filter((b) => netFamily(b) === 4))].sort(compareCIDR)
  const base: BirdModel = {
    nodeName: input.nodeName,
    localAS,
    logSeverity: input.global.logSeverityScreen || 'Info',
    peers: [],
    pools,
    ownBlocks,
    filterFunctions: buildFilterFunctions(input.filters ?? []),
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
  type NewPeer = Omit<BirdPeer, 'protocol' | 'internal' | 'rrClusterID' | 'importFilters' | 'exportFilters'> & {filters?: string[] | undefined}
  const add = ({filters, ...p}: NewPeer, peerCluster: string | undefined): void => {
    const protocol = protocolName(p.kind, p.ip, p.port)
    if (byName.has(protocol)) return
    const internal = p.asNumber === localAS
    const importFilters = peerFilterCalls(filters, base.filterFunctions, 'import')
    const exportFilters = peerFilterCalls(filters, base.filterFunctions, 'export')
    const peer: BirdPeer = {...p, protocol, internal, importFilters, exportFilters}
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
      const peer: NewPeer = {
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
      filters: p.filters,
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
    // A peerIP the validator would refuse is skipped, as Felix skips a resource that fails validation.
    const {ip: rawIP, port} = splitPeerIP(p.peerIP) ?? {ip: ''}
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
  return cidr4SortKey(a) - cidr4SortKey(b) || a.localeCompare(b)
}
