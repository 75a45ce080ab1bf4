// One reconcile pass for this host (`calicoctl node apply`; `node run` calls it in a loop):
// identity → Node resource → IPAM (blocks, tunnel address) → tunl0 → routes → BIRD → iptables.
// Each part reports what it changed (or would change); a failing part is reported under its name
// and the parts after it still run when that is safe.
import {mkdir} from 'node:fs/promises'
import {type BgpTimers, syncBird} from '../dataplane/bird/index.js'
import {compileSelector, type IptablesBackend, type IptablesSyncer, syncIptables} from '../dataplane/iptables/index.js'
import {formatRoute, formatRouteOp, type InterfaceAges, RouteSyncError, syncRoutes} from '../dataplane/routes/index.js'
import {formatTunnelOp, syncTunnel, TunnelUnavailableError} from '../dataplane/tunnel/index.js'
import type {ResourceStore} from '../datastore/store.js'
import {cidrContains, ensureTunnelAddress, Ipam, ipipTunnelPools, parseCidr4, parseIp4} from '../ipam/index.js'
import type {Resource} from '../resources/types.js'
import {type CacheChanges, readSnapshot} from './cache.js'
import {type HostInterface, type IdentityOptions, type NodeIdentity, registerNode, resolveIdentity, resolveNodeName, updateNodeBgp} from './identity.js'
import {acquireLock} from './lock.js'
import {
  buildBirdInput,
  buildIptablesInput,
  buildRouteInput,
  buildTunnelInput,
  findNode,
  type HostContext,
  poolsForNode,
  poolViews,
  type Snapshot,
} from './snapshot.js'

export const PART_NAMES = ['node', 'ipam', 'tunnel', 'routes', 'bird', 'iptables'] as const
export type PartName = (typeof PART_NAMES)[number]

export type PartStatus = 'unchanged' | 'changed' | 'would-change' | 'skipped' | 'failed'

export interface PartResult {
  part: PartName
  status: PartStatus
  /** What was (or, with dryRun, would be) changed, one line each. */
  changes: string[]
  /** Remarks that are not changes (e.g. routes waiting for a device). */
  notes: string[]
  error?: string
  /** Part-specific details for -o json (ops, scripts, config text). */
  detail?: Record<string, unknown>
  /** How long the part took (parts run one after another, so these add up). */
  ms?: number
  /** The part was not run: nothing it reads changed (an incremental `node run` pass). */
  notRun?: true
}

export interface NodePassResult {
  node: string
  ipv4Address?: string
  interface?: string
  dryRun: boolean
  parts: PartResult[]
  /** True when any part changed (or would change) something. */
  changed: boolean
  /** True when any part failed. */
  failed: boolean
  /** Time spent reading the datastore snapshot(s). */
  snapshotMs?: number
}

export interface NodePassOptions {
  store: ResourceStore
  identity: IdentityOptions
  dryRun?: boolean
  /** Lock file serialising passes on one host; undefined = no lock. Never taken with dryRun. */
  lockFile?: string
  lockWaitMs?: number
  /**
   * syncer: a long-running caller's IptablesSyncer (plans from what it last wrote); without it
   * every pass reads the kernel. verify: make the syncer re-read the kernel this pass (drift checks).
   */
  iptables?: {enabled: boolean; backend?: IptablesBackend; syncer?: IptablesSyncer; verify?: boolean}
  bird?: {enabled: boolean; configDir: string; socketPath: string; timers?: BgpTimers; log?: string}
  /** Switch on net.ipv4.ip_forward (Felix IPForwarding, default Enabled); false leaves it alone. */
  ipForwarding?: boolean
  /** Injected host interfaces (tests); default: read over netlink. */
  interfaces?: HostInterface[]
  /** Where the pass gets its snapshot (`node run`: the watch-fed cache); default: read etcd. */
  source?: SnapshotSource
  /**
   * A long-running caller's record of when each device was first seen: an owned workload route
   * that the snapshot does not explain is then kept until its device is older than the grace
   * period at the snapshot's time (`workload add` writes the route before its endpoint).
   * Without it (one-shot `node apply`) such routes are deleted at once.
   */
  interfaceAges?: InterfaceAges
}

/** The snapshot a pass starts from and which parts to run (undefined = every part). */
export interface PassInput {
  snapshot: Snapshot
  parts?: ReadonlySet<PartName>
}

export interface SnapshotSource {
  read(nodeName: string): Promise<PassInput>
  /** The snapshot again after the pass wrote its Node resource or IPAM: it must show those writes. */
  reread(nodeName: string): Promise<Snapshot>
}

/** A plain datastore read for each call (`node apply`). */
export function datastoreSource(store: ResourceStore, ipam: Ipam): SnapshotSource {
  return {
    read: async () => ({snapshot: await readSnapshot(store, ipam)}),
    reread: () => readSnapshot(store, ipam),
  }
}

/** What changed in the datastore, as the parts that read it (in PART_NAMES order). */
export function partsForChanges(c: CacheChanges, nodeName: string): Set<PartName> {
  if (c.all || c.fields.has('pools')) return new Set(PART_NAMES)
  const parts = new Set<PartName>()
  const add = (...ps: PartName[]) => {
    for (const p of ps) parts.add(p)
  }
  // This node's own resource feeds every part; another node's only routes, BIRD and iptables (allHostIPs).
  if (c.nodes.has(nodeName)) add(...PART_NAMES)
  else if (c.fields.has('nodes')) add('routes', 'bird', 'iptables')
  if (c.fields.has('blocks')) add('routes', 'bird')
  // Another node's block or affinity cannot change what this node holds or can claim (it only
  // takes space); its own, a freed block, handles and the IPAM config can.
  if (c.ipamNodes.has(nodeName) || c.ipamNodes.has('') || c.fields.has('reservations')) add('ipam')
  if (c.fields.has('bgpConfigurations') || c.fields.has('bgpPeers') || c.fields.has('bgpFilters')) add('bird')
  // ipipMTU feeds the tunnel; defaultEndpointToHostAction iptables.
  if (c.fields.has('felixConfigurations')) add('tunnel', 'iptables')
  // Local workloads get a route each.
  if (c.fields.has('workloadEndpoints')) add('routes', 'iptables')
  for (const f of ['networkPolicies', 'globalNetworkPolicies', 'profiles', 'tiers', 'hostEndpoints', 'networkSets', 'globalNetworkSets'] as const) {
    if (c.fields.has(f)) add('iptables')
  }
  return new Set(PART_NAMES.filter((p) => parts.has(p)))
}

const started = new WeakMap<PartResult, number>()

function part(name: PartName): PartResult {
  const p: PartResult = {part: name, status: 'unchanged', changes: [], notes: []}
  started.set(p, Date.now())
  return p
}

/** Starts (again) the clock of a part made before its turn. */
function begin(p: PartResult): void {
  if (!p.notRun) started.set(p, Date.now())
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A part this pass leaves alone: reported unchanged, no work done. */
function notRun(name: PartName): PartResult {
  return {part: name, status: 'unchanged', changes: [], notes: [], ms: 0, notRun: true}
}

function settle(p: PartResult, dryRun: boolean): PartResult {
  if (p.notRun) return p
  p.ms = Date.now() - (started.get(p) ?? Date.now())
  if (p.status === 'unchanged' && p.changes.length > 0) p.status = dryRun ? 'would-change' : 'changed'
  return p
}

const reservedCidrs = (snap: Snapshot) =>
  snap.reservations.flatMap((r) => ((r.spec as {reservedCIDRs?: string[]} | undefined)?.reservedCIDRs ?? []).filter((c) => !c.includes(':')))

const tunnelPoolsFor = (ipam: Ipam, snap: Snapshot, id: NodeIdentity, node: Resource | undefined) =>
  ipipTunnelPools(ipam, {node: id.name, nodeLabels: node?.metadata.labels ?? {}, pools: poolViews(snap)})

/**
 * Claims a block in every enabled pool selecting this node where it has none, and allocates the
 * tunnel address when an IPIP pool wants one. Returns true when the tunnel address is instead to
 * be released: that waits for the end of the pass (see releaseTunnelAddress).
 */
async function reconcileIpam(store: ResourceStore, ipam: Ipam, snap: Snapshot, id: NodeIdentity, node: Resource | undefined, dryRun: boolean, p: PartResult): Promise<boolean> {
  const labels = node?.metadata.labels ?? {}
  const reservations = reservedCidrs(snap)
  const eligible = ipam.eligiblePools({pools: poolsForNode(snap, labels), node: id.name, nodeLabels: labels, use: 'Workload'})
  const ours = snap.blocks.filter((b) => b.node === id.name)
  for (const pool of eligible) {
    const net = parseCidr4(pool.cidr)
    if (ours.some((b) => cidrContains(net, parseCidr4(b.cidr).base))) continue
    if (dryRun) {
      p.changes.push(`claim a /${pool.blockSize} block in pool ${pool.name} (${pool.cidr})`)
      continue
    }
    const claimed = await ipam.claimBlock(id.name, [pool], {reservations})
    if (claimed) p.changes.push(`claimed block ${claimed} in pool ${pool.name}`)
    else p.notes.push(`pool ${pool.name} (${pool.cidr}) has no free block for this node`)
  }

  if (tunnelPoolsFor(ipam, snap, id, node).length === 0) return true
  await reconcileTunnelAddress(store, ipam, snap, id, node, dryRun, p)
  return false
}

/** Allocates, swaps or releases the IPIP tunnel address to match the pools. */
async function reconcileTunnelAddress(store: ResourceStore, ipam: Ipam, snap: Snapshot, id: NodeIdentity, node: Resource | undefined, dryRun: boolean, p: PartResult) {
  const labels = node?.metadata.labels ?? {}
  const pools = poolViews(snap)
  const current = ((node?.spec as {bgp?: {ipv4IPIPTunnelAddr?: string}} | undefined)?.bgp?.ipv4IPIPTunnelAddr ?? '').split('/')[0] || undefined
  const tunnelPools = tunnelPoolsFor(ipam, snap, id, node)
  const inTunnelPool = (ip: string) => tunnelPools.some((tp) => cidrContains(parseCidr4(tp.cidr), parseIp4(ip)))
  if (dryRun) {
    if (tunnelPools.length > 0 && (!current || !inTunnelPool(current))) p.changes.push('allocate an IPIP tunnel address')
    if (current && (tunnelPools.length === 0 || !inTunnelPool(current))) p.changes.push(`release IPIP tunnel address ${current}`)
    return
  }
  if (tunnelPools.length === 0 && !current) {
    // Nothing to hold; clean up a handle a crashed pass may have left.
    const stale = await ipam.ipsByHandle(`ipip-tunnel-addr-${id.name}`)
    if (stale.length === 0) return
  }
  const res = await ensureTunnelAddress(ipam, {node: id.name, nodeLabels: labels, pools, reservations: reservedCidrs(snap), current})
  for (const ip of res.released) p.changes.push(`released IPIP tunnel address ${ip}`)
  if (res.address !== current) {
    await updateNodeBgp(store, id.name, (bgp) => ({...bgp, ipv4IPIPTunnelAddr: res.address}))
    if (res.address) p.changes.push(`allocated IPIP tunnel address ${res.address} (Node.spec.bgp.ipv4IPIPTunnelAddr)`)
    else if (!res.released.includes(current ?? '')) p.changes.push(`cleared Node.spec.bgp.ipv4IPIPTunnelAddr (was ${current})`)
  }
}

/** Runs one pass. Never throws for a failing part (see `failed`); throws only when nothing could run. */
export async function runNodePass(opts: NodePassOptions): Promise<NodePassResult> {
  const dryRun = opts.dryRun ?? false
  const lock = !dryRun && opts.lockFile ? await acquireLock(opts.lockFile, {waitMs: opts.lockWaitMs ?? 60_000}) : undefined
  try {
    return await pass(opts, dryRun)
  } finally {
    await lock?.release()
  }
}

async function pass(opts: NodePassOptions, dryRun: boolean): Promise<NodePassResult> {
  const {store} = opts
  const ipam = new Ipam(store.ds)
  const name = resolveNodeName(opts.identity)
  const source = opts.source ?? datastoreSource(store, ipam)
  let t = Date.now()
  const input = await source.read(name)
  let snap = input.snapshot
  // When the snapshot was current: taken before the read, so never later than the truth.
  let snapshotAt = t
  let snapshotMs = Date.now() - t
  // After the pass's own Node/IPAM writes every later part runs (they read what was written).
  let wrote = false
  const runs = (p: PartName) => wrote || !input.parts || input.parts.has(p)
  const id = await resolveIdentity(opts.identity, findNode(snap, name), opts.interfaces ? {interfaces: opts.interfaces} : {})
  const parts: PartResult[] = []

  // 1. The Node resource.
  let node = findNode(snap, name)
  let nodeOk = true
  const nodePart = runs('node') ? part('node') : notRun('node')
  parts.push(nodePart)
  if (nodePart.notRun) {
    // nothing it reads changed
  } else {
    try {
      const reg = await registerNode(store, id, {dryRun, ...(node ? {existing: node} : {})})
      if (reg.action !== 'unchanged') nodePart.changes.push(`${dryRun ? (reg.action === 'created' ? 'create' : 'update') : reg.action} Node ${name}`, ...reg.changes.map((c) => `  ${c}`))
      node = reg.node
      nodePart.detail = {action: reg.action}
    } catch (err) {
      nodeOk = false
      nodePart.status = 'failed'
      nodePart.error = message(err)
    }
  }
  settle(nodePart, dryRun)

  // 2. IPAM: blocks and the tunnel address (needs the Node).
  let releaseDue = false
  const ipamNode = node
  const ipamPart = runs('ipam') ? part('ipam') : notRun('ipam')
  parts.push(ipamPart)
  if (ipamPart.notRun) {
    // nothing it reads changed
  } else if (!nodeOk) {
    ipamPart.status = 'skipped'
    ipamPart.notes.push('skipped: the Node resource could not be registered')
  } else {
    try {
      releaseDue = await reconcileIpam(store, ipam, snap, id, node, dryRun, ipamPart)
    } catch (err) {
      ipamPart.status = 'failed'
      ipamPart.error = message(err)
    }
  }
  settle(ipamPart, dryRun)

  // Re-read what the first two parts may have written; with dryRun, use the would-be Node.
  if (!dryRun && (nodePart.changes.length > 0 || ipamPart.changes.length > 0)) {
    t = Date.now()
    snap = await source.reread(name)
    snapshotAt = t
    snapshotMs += Date.now() - t
    wrote = true
  }
  else if (dryRun && node) snap = {...snap, nodes: [...snap.nodes.filter((n) => n.metadata.name !== name), node]}

  const host: HostContext = {nodeName: name, nodeIPv4: id.ipv4Address, hostInterface: id.interface ?? ''}
  const noInterface = `the node address ${id.ipv4Address} is not on any interface of this host`

  // 3. tunl0.
  const tunnelPart = runs('tunnel') ? part('tunnel') : notRun('tunnel')
  parts.push(tunnelPart)
  if (tunnelPart.notRun) {
    // nothing it reads changed
  } else {
    try {
      const r = await syncTunnel(buildTunnelInput(snap, {...host, hostInterface: host.hostInterface || 'eth0'}), {dryRun})
      tunnelPart.changes.push(...r.ops.map(formatTunnelOp))
      tunnelPart.detail = {desired: r.desired, ops: r.ops}
    } catch (err) {
      tunnelPart.status = 'failed'
      tunnelPart.error = err instanceof TunnelUnavailableError ? `${err.message}; routes via tunl0 are not programmed` : message(err)
    }
  }
  settle(tunnelPart, dryRun)

  // 4-6. Routes, BIRD and iptables read nothing the others write. They run one after another,
  // so that each part's time is its own (on one event loop, side by side they would all report
  // the slowest one's time); routes and BIRD first, so a changed route export (an IPIP/BGP
  // switch) does not wait for the iptables restores. Each part stays whole or failed on its own.
  const routesPart = runs('routes') ? part('routes') : notRun('routes')
  const birdPart = runs('bird') ? part('bird') : notRun('bird')
  const iptPart = runs('iptables') ? part('iptables') : notRun('iptables')
  parts.push(routesPart, birdPart, iptPart)

  // 4. Routes (tunnel routes wait for tunl0; the rest apply regardless).
  const routesStep = async () => {
    begin(routesPart)
    // The uplink only matters for CrossSubnet same-subnet routes.
    const needsUplink = poolViews(snap).some((p) => p.ipipMode === 'CrossSubnet')
    if (routesPart.notRun) {
      // nothing it reads changed
    } else if (!host.hostInterface && needsUplink) {
      routesPart.status = 'failed'
      routesPart.error = `${noInterface}: CrossSubnet routes need it`
    } else {
      if (!host.hostInterface) routesPart.notes.push(noInterface)
      try {
        const grace = opts.interfaceAges ? {grace: {ages: opts.interfaceAges, snapshotAt}} : {}
        const r = await syncRoutes(buildRouteInput(snap, {...host, hostInterface: host.hostInterface || 'lo'}), {dryRun, ipForwarding: opts.ipForwarding !== false, ...grace})
        if (r.ipForwardingEnabled) routesPart.changes.push(`${dryRun ? 'enable' : 'enabled'} net.ipv4.ip_forward`)
        routesPart.changes.push(...r.ops.map(formatRouteOp))
        if (r.sysctlChanges > 0) routesPart.changes.push(`set ${r.sysctlChanges} workload interface sysctl${r.sysctlChanges === 1 ? '' : 's'}`)
        routesPart.notes.push(...r.skipped.map((s) => `not programmed: ${formatRoute(s.route)} (${s.reason})`))
        routesPart.notes.push(...r.held.map((h) => `kept for now: ${formatRoute(h)} (no endpoint for it in the datastore yet; its device is new)`))
        routesPart.detail = {ops: r.ops, applied: r.applied, desired: r.desired, skipped: r.skipped, held: r.held}
      } catch (err) {
        routesPart.status = 'failed'
        routesPart.error = message(err)
        if (err instanceof RouteSyncError) routesPart.changes.push(...err.result.ops.filter((o) => !err.failures.some((f) => f.op === o)).map(formatRouteOp))
      }
    }
    settle(routesPart, dryRun)
  }

  // 5. BIRD.
  const birdStep = async () => {
    begin(birdPart)
    if (birdPart.notRun) {
      // nothing it reads changed
    } else if (!opts.bird?.enabled) {
      birdPart.status = 'skipped'
      birdPart.notes.push('skipped (--no-bird)')
    } else {
      try {
        if (!dryRun) await mkdir(opts.bird.configDir, {recursive: true})
        const r = await syncBird(buildBirdInput(snap, host), {
          configDir: opts.bird.configDir,
          socketPath: opts.bird.socketPath,
          dryRun,
          ...(opts.bird.timers ? {timers: opts.bird.timers} : {}),
          ...(opts.bird.log ? {log: opts.bird.log} : {}),
        })
        if (r.changed) birdPart.changes.push(r.message)
        if (r.status === 'written-not-running') birdPart.notes.push(`start BIRD with: bird -c ${r.configPath} -s ${opts.bird.socketPath}`)
        birdPart.detail = {status: r.status, configPath: r.configPath, reloaded: r.reloaded, ...(dryRun && r.changed ? {config: r.text} : {})}
      } catch (err) {
        birdPart.status = 'failed'
        birdPart.error = message(err)
      }
    }
    settle(birdPart, dryRun)
  }

  // 6. iptables.
  const iptablesStep = async () => {
    begin(iptPart)
    if (iptPart.notRun) {
      // nothing it reads changed
    } else if (opts.iptables && !opts.iptables.enabled) {
      iptPart.status = 'skipped'
      iptPart.notes.push('skipped (--no-iptables)')
    } else {
      try {
        const iptInput = buildIptablesInput(snap, host, compileSelector)
        const iptOpts = {dryRun, ...(opts.iptables?.backend ? {backend: opts.iptables.backend} : {}), ...(opts.iptables?.verify ? {verify: true} : {})}
        const r = opts.iptables?.syncer ? await opts.iptables.syncer.sync(iptInput, iptOpts) : await syncIptables(iptInput, iptOpts)
        for (const t of r.changedTables) iptPart.changes.push(`${dryRun ? 'update' : 'updated'} table ${t}`)
        for (const s of r.ipsetChanges.created) iptPart.changes.push(`${dryRun ? 'create' : 'created'} ipset ${s}`)
        for (const s of r.ipsetChanges.updated) iptPart.changes.push(`${dryRun ? 'update' : 'updated'} ipset ${s}`)
        for (const s of r.ipsetChanges.destroyed) iptPart.changes.push(`${dryRun ? 'destroy' : 'destroyed'} ipset ${s}`)
        iptPart.detail = {script: r.script, restoreCalls: r.restoreCalls, ipsetCalls: r.ipsetCalls, readKernel: r.readKernel}
      } catch (err) {
        iptPart.status = 'failed'
        iptPart.error = message(err)
      }
    }
    settle(iptPart, dryRun)
  }

  // Each step records its own failure in its part; anything else that throws is rethrown only
  // once all three have run, so a later step is not skipped for an earlier one's bug.
  const thrown: unknown[] = []
  for (const step of [routesStep, birdStep, iptablesStep]) await step().catch((err: unknown) => thrown.push(err))
  if (thrown.length > 0) throw thrown[0]

  // 7. The IPAM part's deferred tail: with no IPIP pool left the tunnel address goes back to IPAM
  // only now, so that on a switch to ipipMode Never the routes and BIRD do not wait for these
  // etcd writes (tunl0 lost the address in the tunnel part already; the Node update wakes one
  // more pass, for iptables).
  if (releaseDue) {
    const t0 = Date.now()
    try {
      await reconcileTunnelAddress(store, ipam, snap, id, ipamNode, dryRun, ipamPart)
    } catch (err) {
      ipamPart.status = 'failed'
      ipamPart.error = message(err)
    }
    ipamPart.ms = (ipamPart.ms ?? 0) + Date.now() - t0
    if (ipamPart.status === 'unchanged' && ipamPart.changes.length > 0) ipamPart.status = dryRun ? 'would-change' : 'changed'
  }

  return {
    node: name,
    ipv4Address: id.ipv4Address,
    ...(id.interface ? {interface: id.interface} : {}),
    dryRun,
    parts,
    changed: parts.some((p) => p.changes.length > 0),
    failed: parts.some((p) => p.status === 'failed'),
    snapshotMs,
  }
}

/** Where a pass's time went, e.g. `snapshot 12 ms, node 3 ms, ipam not run, ...`. */
export function formatPassTimes(r: NodePassResult): string {
  return [`snapshot ${r.snapshotMs ?? 0} ms`, ...r.parts.map((p) => (p.notRun ? `${p.part} not run` : `${p.part} ${p.ms ?? 0} ms`))].join(', ')
}

/** Text report: the changes part by part, `no changes` when there were none, failures by part. */
export function formatNodePass(r: NodePassResult): {stdout: string; stderr: string} {
  const out: string[] = []
  const err: string[] = []
  if (r.dryRun) out.push(`Dry run for node ${r.node} (${r.ipv4Address ?? 'no address'}${r.interface ? ` on ${r.interface}` : ''}): nothing is changed.`)
  for (const p of r.parts) {
    if (p.changes.length > 0) {
      out.push(`${p.part}:${r.dryRun ? ' would' : ''}`)
      for (const c of p.changes) out.push(`  ${c}`)
    }
    for (const n of p.notes) if (p.status !== 'skipped') out.push(`${p.part}: ${n}`)
    if (p.status === 'failed') err.push(`${p.part}: ${p.error ?? 'failed'}`)
  }
  if (!r.changed) out.push('no changes')
  return {stdout: out.length ? `${out.join('\n')}\n` : '', stderr: err.length ? `${err.join('\n')}\n` : ''}
}

