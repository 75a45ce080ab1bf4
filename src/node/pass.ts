// One reconcile pass for this host (`calicoctl node apply`; `node run` calls it in a loop):
// identity → Node resource → IPAM (blocks, tunnel address) → tunl0 → routes → BIRD → iptables.
// The parts are data (PARTS: a name, what it reads, how it runs), run one after another by one
// loop, so each part's time is its own. Each part reports what it changed (or would change); a
// failing part is reported under its name and the parts after it still run (IPAM is skipped when
// the Node could not be registered). Why `node run` makes a pass is a typed PassReason.
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {type BgpTimers, syncBird} from '../dataplane/bird/index.js'
import {compileSelector, type IptablesBackend, type IptablesSyncer, syncIptables} from '../dataplane/iptables/index.js'
import {formatRoute, formatRouteOp, InterfaceAges, RouteSyncError, syncRoutes} from '../dataplane/routes/index.js'
import {formatTunnelOp, syncTunnel, TunnelUnavailableError} from '../dataplane/tunnel/index.js'
import type {ResourceStore} from '../datastore/store.js'
import {cidrContains, ensureTunnelAddress, Ipam, ipipTunnelPools, parseCidr4, parseIp4} from '../ipam/index.js'
import {reservedIPv4Cidrs} from '../resources/kinds/ipreservation.js'
import type {Resource} from '../resources/types.js'
import {type CacheChanges, readSnapshot, type SnapshotField} from './cache.js'
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

/**
 * Why `node run` makes a pass, and what each reason asks of it. `changed`: only the parts that
 * read what changed in the datastore (partsForChanges); `all`: every part. `verify`: iptables is
 * re-read from the kernel rather than planned from memory (a drift check hands the syncer its own
 * read instead). `reload`: the datastore is listed again first.
 */
export const PASS_REASONS = {
  start: {parts: 'all'},
  'datastore change': {parts: 'changed'},
  /** Reasons that came in during the previous pass, or parts it could not re-run. */
  pending: {parts: 'changed'},
  resync: {parts: 'all', verify: true, reload: true},
  retry: {parts: 'all', verify: true},
  'drift check': {parts: 'all'},
  'route deleted': {parts: 'all'},
  'BIRD restarted': {parts: 'all'},
  'watch reconnected': {parts: 'all'},
  'watch lost': {parts: 'all'},
} as const satisfies Record<string, {parts: 'all' | 'changed'; verify?: true; reload?: true}>
export type PassReason = keyof typeof PASS_REASONS

/** What a set of reasons asks of one pass. */
export function passMode(reasons: Iterable<PassReason>): {full: boolean; verify: boolean; reload: boolean} {
  const specs = [...reasons].map((r): {parts: 'all' | 'changed'; verify?: true; reload?: true} => PASS_REASONS[r])
  return {full: specs.some((s) => s.parts === 'all'), verify: specs.some((s) => s.verify === true), reload: specs.some((s) => s.reload === true)}
}

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
  /** How long the part took: its own time (parts run one after another, so these add up). */
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
   * Without it (one-shot `node apply`) the record is kept beside the lock file between runs
   * (KeptInterfaceAges); with neither, such routes are deleted at once.
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

/**
 * What a part reads. Every part reads the pools and this node's own Node resource (a change to
 * either runs every part); besides those, a change to one of `fields` runs it, and with `ownIpam`
 * a change to this node's IPAM data (its blocks and affinities, or what no single node holds).
 */
interface PartInputs {
  fields: readonly SnapshotField[]
  ownIpam?: true
}

/** What one pass carries from part to part. */
interface PassState {
  readonly opts: NodePassOptions
  readonly dryRun: boolean
  readonly store: ResourceStore
  readonly ipam: Ipam
  readonly id: NodeIdentity
  readonly host: HostContext
  snap: Snapshot
  /** When `snap` was current: taken before its read, so never later than the truth. */
  snapshotAt: number
  /** This node's Node resource as the node part left it (with dryRun: as it would be). */
  node: Resource | undefined
  /** False when the node part failed: IPAM is skipped then. */
  nodeOk: boolean
}

/** A deferred tail of a part, run once every part has run; its time counts as the part's own. */
type Tail = () => Promise<void>

interface PartSpec {
  name: PartName
  inputs: PartInputs
  /** Writes the datastore (the Node, IPAM): the parts after the last of these see those writes. */
  writes?: true
  /** Does the part's work, recorded in `p`; a throw marks the part failed (see `failure`). `defer`: work left for the end of the pass. */
  run(s: PassState, p: PartResult, defer: (tail: Tail) => void): Promise<void>
  /** How a thrown error is reported (default: its message). */
  failure?(err: unknown, p: PartResult): void
}

const POLICY_FIELDS = ['networkPolicies', 'globalNetworkPolicies', 'profiles', 'tiers', 'hostEndpoints', 'networkSets', 'globalNetworkSets'] as const

/** The parts of a pass, in the order they run (the same as PART_NAMES). */
const PARTS: readonly PartSpec[] = [
  {
    name: 'node',
    inputs: {fields: []},
    writes: true,
    async run(s, p) {
      s.nodeOk = false
      const reg = await registerNode(s.store, s.id, {dryRun: s.dryRun, ...(s.node ? {existing: s.node} : {})})
      if (reg.action !== 'unchanged') p.changes.push(`${s.dryRun ? (reg.action === 'created' ? 'create' : 'update') : reg.action} Node ${s.id.name}`, ...reg.changes.map((c) => `  ${c}`))
      s.node = reg.node
      s.nodeOk = true
      p.detail = {action: reg.action}
    },
  },
  {
    // Blocks and the tunnel address (needs the Node). Another node's block or affinity cannot
    // change what this node holds or can claim (it only takes space); its own, a freed block,
    // handles and the IPAM config can.
    name: 'ipam',
    inputs: {fields: ['reservations'], ownIpam: true},
    writes: true,
    async run(s, p, defer) {
      if (!s.nodeOk) {
        p.status = 'skipped'
        p.notes.push('skipped: the Node resource could not be registered')
        return
      }
      const node = s.node
      if (!(await reconcileIpam(s.store, s.ipam, s.snap, s.id, node, s.dryRun, p))) return
      // With no IPIP pool left the tunnel address goes back to IPAM only at the end of the pass,
      // so that on a switch to ipipMode Never the routes and BIRD do not wait for these etcd
      // writes (tunl0 lost the address in the tunnel part already; the Node update wakes one
      // more pass, for iptables).
      defer(() => reconcileTunnelAddress(s.store, s.ipam, s.snap, s.id, node, s.dryRun, p))
    },
  },
  {
    // ipipMTU (FelixConfiguration) feeds the tunnel.
    name: 'tunnel',
    inputs: {fields: ['felixConfigurations']},
    async run(s, p) {
      const r = await syncTunnel(buildTunnelInput(s.snap, {...s.host, hostInterface: s.host.hostInterface || 'eth0'}), {dryRun: s.dryRun})
      p.changes.push(...r.ops.map(formatTunnelOp))
      p.detail = {desired: r.desired, ops: r.ops}
    },
    failure(err, p) {
      p.error = err instanceof TunnelUnavailableError ? `${err.message}; routes via tunl0 are not programmed` : message(err)
    },
  },
  {
    // Tunnel routes wait for tunl0; the rest apply regardless. Other nodes' blocks and addresses
    // and the local workloads (a route each) feed it. Before BIRD and iptables, so that a changed
    // route export (an IPIP/BGP switch) does not wait for the iptables restores.
    name: 'routes',
    inputs: {fields: ['nodes', 'blocks', 'workloadEndpoints']},
    async run(s, p) {
      const {host, opts, dryRun} = s
      // The uplink only matters for CrossSubnet same-subnet routes.
      if (!host.hostInterface && poolViews(s.snap).some((pool) => pool.ipipMode === 'CrossSubnet')) {
        p.status = 'failed'
        p.error = `${noInterface(s)}: CrossSubnet routes need it`
        return
      }
      if (!host.hostInterface) p.notes.push(noInterface(s))
      const kept = opts.interfaceAges ? undefined : await KeptInterfaceAges.load(opts.lockFile)
      const ages = opts.interfaceAges ?? kept?.ages
      const grace = ages ? {grace: {ages, snapshotAt: s.snapshotAt}} : {}
      const r = await syncRoutes(buildRouteInput(s.snap, {...host, hostInterface: host.hostInterface || 'lo'}), {dryRun, ipForwarding: opts.ipForwarding !== false, ...grace}).finally(
        () => (dryRun ? undefined : kept?.save()),
      )
      if (r.ipForwardingEnabled) p.changes.push(`${dryRun ? 'enable' : 'enabled'} net.ipv4.ip_forward`)
      p.changes.push(...r.ops.map(formatRouteOp))
      if (r.sysctlChanges > 0) p.changes.push(`set ${r.sysctlChanges} workload interface sysctl${r.sysctlChanges === 1 ? '' : 's'}`)
      p.notes.push(...r.skipped.map((x) => `not programmed: ${formatRoute(x.route)} (${x.reason})`))
      p.notes.push(...r.held.map((h) => `kept for now: ${formatRoute(h)} (no endpoint for it in the datastore yet; its device is new)`))
      p.detail = {ops: r.ops, applied: r.applied, desired: r.desired, skipped: r.skipped, held: r.held}
    },
    failure(err, p) {
      p.error = message(err)
      // What was applied before the failure is still a change.
      if (err instanceof RouteSyncError) p.changes.push(...err.result.ops.filter((o) => !err.failures.some((f) => f.op === o)).map(formatRouteOp))
    },
  },
  {
    name: 'bird',
    inputs: {fields: ['nodes', 'blocks', 'bgpConfigurations', 'bgpPeers', 'bgpFilters']},
    async run(s, p) {
      const bird = s.opts.bird
      if (!bird?.enabled) {
        p.status = 'skipped'
        p.notes.push('skipped (--no-bird)')
        return
      }
      if (!s.dryRun) await mkdir(bird.configDir, {recursive: true})
      const r = await syncBird(buildBirdInput(s.snap, s.host), {
        configDir: bird.configDir,
        socketPath: bird.socketPath,
        dryRun: s.dryRun,
        ...(bird.timers ? {timers: bird.timers} : {}),
        ...(bird.log ? {log: bird.log} : {}),
      })
      if (r.changed) p.changes.push(r.message)
      if (r.status === 'written-not-running') p.notes.push(`start BIRD with: bird -c ${r.configPath} -s ${bird.socketPath}`)
      p.detail = {status: r.status, configPath: r.configPath, reloaded: r.reloaded, ...(s.dryRun && r.changed ? {config: r.text} : {})}
    },
  },
  {
    // Other nodes' addresses (allHostIPs), defaultEndpointToHostAction, the local endpoints and the policy side.
    name: 'iptables',
    inputs: {fields: ['nodes', 'felixConfigurations', 'workloadEndpoints', ...POLICY_FIELDS]},
    async run(s, p) {
      const ipt = s.opts.iptables
      if (ipt && !ipt.enabled) {
        p.status = 'skipped'
        p.notes.push('skipped (--no-iptables)')
        return
      }
      const input = buildIptablesInput(s.snap, s.host, compileSelector)
      const iptOpts = {dryRun: s.dryRun, ...(ipt?.backend ? {backend: ipt.backend} : {}), ...(ipt?.verify ? {verify: true} : {})}
      const r = ipt?.syncer ? await ipt.syncer.sync(input, iptOpts) : await syncIptables(input, iptOpts)
      const verb = (done: string, todo: string) => (s.dryRun ? todo : done)
      for (const t of r.changedTables) p.changes.push(`${verb('updated', 'update')} table ${t}`)
      for (const x of r.ipsetChanges.created) p.changes.push(`${verb('created', 'create')} ipset ${x}`)
      for (const x of r.ipsetChanges.updated) p.changes.push(`${verb('updated', 'update')} ipset ${x}`)
      for (const x of r.ipsetChanges.destroyed) p.changes.push(`${verb('destroyed', 'destroy')} ipset ${x}`)
      p.detail = {script: r.script, restoreCalls: r.restoreCalls, ipsetCalls: r.ipsetCalls, readKernel: r.readKernel}
    },
  },
]

/**
 * Device ages for one-shot passes (`node apply`), kept in a file beside the lock file and written
 * under the lock: without them a one-shot pass could not tell a workload being added (its route
 * is written before its WorkloadEndpoint) from a stale one, and would delete its route. So a
 * device no pass has seen before gets the same grace as in `node run`: its route is kept (a note
 * says so) and a pass once the device is older than the grace period deletes it if still
 * unexplained. An unreadable file counts as no history (every device seen anew: nothing is
 * deleted early). Without a lock file (dry runs) nothing is written.
 */
class KeptInterfaceAges {
  private constructor(
    readonly ages: InterfaceAges,
    private readonly file: string,
  ) {}

  static async load(lockFile: string | undefined): Promise<KeptInterfaceAges | undefined> {
    if (!lockFile) return undefined
    const file = join(dirname(lockFile), `${basename(lockFile)}.interfaces.json`)
    const saved: unknown = await readFile(file, 'utf8').then((text) => JSON.parse(text) as unknown).catch(() => [])
    return new KeptInterfaceAges(InterfaceAges.restore(saved), file)
  }

  /** Best effort: a record not written only means more routes kept a while, never one deleted early. */
  async save(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`
    await writeFile(tmp, `${JSON.stringify(this.ages.saved())}\n`)
      .then(() => rename(tmp, this.file))
      .catch(() => {})
  }
}

/** What changed in the datastore, as the parts that read it (in PART_NAMES order). */
export function partsForChanges(c: CacheChanges, nodeName: string): Set<PartName> {
  // From PARTS, not PART_NAMES: the unit test holds the two to one order.
  if (c.all || c.fields.has('pools') || c.nodes.has(nodeName)) return new Set(PARTS.map((p) => p.name))
  const ownIpam = c.ipamNodes.has(nodeName) || c.ipamNodes.has('')
  return new Set(PARTS.filter(({inputs}) => inputs.fields.some((f) => c.fields.has(f)) || (inputs.ownIpam && ownIpam)).map((p) => p.name))
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

const noInterface = (s: PassState) => `the node address ${s.id.ipv4Address} is not on any interface of this host`

/** A part with something done: `changed` (or `would-change`) unless it says otherwise. */
function settle(p: PartResult, dryRun: boolean): void {
  if (p.status === 'unchanged' && p.changes.length > 0) p.status = dryRun ? 'would-change' : 'changed'
}

/** Runs one part, timed; a throw is the part's failure. A tail it leaves is added to `tails`. */
async function runPart(spec: PartSpec, s: PassState, tails: Array<[PartResult, Tail]>): Promise<PartResult> {
  const p: PartResult = {part: spec.name, status: 'unchanged', changes: [], notes: []}
  const t0 = Date.now()
  try {
    await spec.run(s, p, (tail) => tails.push([p, tail]))
  } catch (err) {
    p.status = 'failed'
    if (spec.failure) spec.failure(err, p)
    else p.error = message(err)
  }
  p.ms = Date.now() - t0
  settle(p, s.dryRun)
  return p
}

const reservedCidrs = (snap: Snapshot) => reservedIPv4Cidrs(snap.reservations)

const tunnelPoolsFor = (ipam: Ipam, snap: Snapshot, id: NodeIdentity, node: Resource | undefined) =>
  ipipTunnelPools(ipam, {node: id.name, nodeLabels: node?.metadata.labels ?? {}, pools: poolViews(snap)})

/**
 * Claims a block in every enabled pool selecting this node where it has none, and allocates the
 * tunnel address when an IPIP pool wants one. Returns true when the tunnel address is instead to
 * be released: that waits for the end of the pass (the ipam part's tail).
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
  let snapshotMs = Date.now() - t
  const id = await resolveIdentity(opts.identity, findNode(input.snapshot, name), opts.interfaces ? {interfaces: opts.interfaces} : {})
  const s: PassState = {
    opts,
    dryRun,
    store,
    ipam,
    id,
    host: {nodeName: name, nodeIPv4: id.ipv4Address, hostInterface: id.interface ?? ''},
    snap: input.snapshot,
    snapshotAt: t,
    node: findNode(input.snapshot, name),
    nodeOk: true,
  }
  // After the pass's own Node/IPAM writes every later part runs (they read what was written).
  let wrote = false
  const runs = (p: PartName) => wrote || !input.parts || input.parts.has(p)
  const lastWriter = PARTS.findLastIndex((p) => p.writes)
  const parts: PartResult[] = []
  const tails: Array<[PartResult, Tail]> = []
  for (const [i, spec] of PARTS.entries()) {
    parts.push(runs(spec.name) ? await runPart(spec, s, tails) : notRun(spec.name))
    if (i !== lastWriter) continue
    // Read again what the writing parts wrote; with dryRun, use the would-be Node.
    if (!dryRun && parts.some((p) => PARTS.find((x) => x.name === p.part)?.writes && p.changes.length > 0)) {
      t = Date.now()
      s.snap = await source.reread(name)
      s.snapshotAt = t
      snapshotMs += Date.now() - t
      wrote = true
    } else if (dryRun && s.node) {
      const node = s.node
      s.snap = {...s.snap, nodes: [...s.snap.nodes.filter((n) => n.metadata.name !== name), node]}
    }
  }
  for (const [p, tail] of tails) {
    const t0 = Date.now()
    try {
      await tail()
    } catch (err) {
      p.status = 'failed'
      p.error = message(err)
    }
    p.ms = (p.ms ?? 0) + Date.now() - t0
    settle(p, dryRun)
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

/** A part this pass leaves alone: reported unchanged, no work done. */
function notRun(name: PartName): PartResult {
  return {part: name, status: 'unchanged', changes: [], notes: [], ms: 0, notRun: true}
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

