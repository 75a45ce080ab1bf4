// Applies route ops over netlink and reads our routes back. Only routes carrying our protocol
// number are ever read as ours, written or deleted; everything else in the table is left alone.
import {CalicoError} from '../../resources/errors.js'
import {ensureIpForwarding, ensureWorkloadInterfaceSysctls, type LinkInfo, type Netlink, NetlinkError, OWNED_ROUTE_PROTOCOL, openNetlink} from '../netlink.js'
import {desiredRoutes, type RouteModelInput} from './model.js'
import {planRouteChanges, planRoutes, ROUTE_GRACE_MS, type RouteGrace} from './planner.js'
import {formatRouteOp, type Route, type RouteOp} from './types.js'

/** Our routes as the planner sees them; `links`: a link list just read (saves reading it again). */
export async function readOwnedRoutes(nl: Netlink, links?: readonly LinkInfo[]): Promise<Route[]> {
  const names = new Map((links ?? (await nl.listLinks())).map((l) => [l.index, l.name]))
  const routes = await nl.listRoutes({protocol: OWNED_ROUTE_PROTOCOL})
  // In the kernel's order: the planner sorts the ops it returns, nothing else needs an order.
  return routes.map((k): Route => {
    const route: Route = {
      dst: k.dst,
      // Any other type (unreachable, ...) is not something we write, so it will be replaced.
      type: k.type === 'blackhole' ? 'blackhole' : 'unicast',
      onlink: k.onlink,
      scope: k.scope === 'link' ? 'link' : 'universe',
    }
    if (k.gateway) route.gateway = k.gateway
    const dev = k.ifindex !== undefined ? names.get(k.ifindex) : undefined
    if (dev) route.dev = dev
    return route
  })
}

/**
 * When each network device was first seen, for a long-running caller (Felix keeps the same per
 * interface index), or kept between runs by a one-shot one (saved/restore): a device deleted and
 * made again under its old name is a new device. Fed the link list each routes pass reads;
 * devices gone from it are forgotten.
 */
export class InterfaceAges {
  private readonly byIndex = new Map<number, {name: string; at: number}>()

  constructor(private readonly clock: () => number = Date.now) {}

  /** Records the devices in `links` (first sighting = now); returns first-seen times by name. */
  observe(links: readonly LinkInfo[]): Map<string, number> {
    const now = this.clock()
    const present = new Set<number>()
    const out = new Map<string, number>()
    for (const l of links) {
      present.add(l.index)
      let e = this.byIndex.get(l.index)
      if (!e || e.name !== l.name) {
        e = {name: l.name, at: now}
        this.byIndex.set(l.index, e)
      }
      out.set(l.name, e.at)
    }
    for (const i of this.byIndex.keys()) if (!present.has(i)) this.byIndex.delete(i)
    return out
  }

  /** What it knows, for a one-shot caller to keep until its next run (see `restore`). */
  saved(): SavedInterfaceAge[] {
    return [...this.byIndex].map(([index, e]) => ({index, name: e.name, at: e.at}))
  }

  /** Ages kept by an earlier run; entries that are not well formed are left out (seen anew). */
  static restore(saved: unknown, clock: () => number = Date.now): InterfaceAges {
    const ages = new InterfaceAges(clock)
    for (const e of Array.isArray(saved) ? (saved as Array<Partial<SavedInterfaceAge>>) : []) {
      if (Number.isInteger(e?.index) && typeof e.name === 'string' && Number.isFinite(e.at)) ages.byIndex.set(e.index as number, {name: e.name, at: e.at as number})
    }
    return ages
  }
}

export interface SavedInterfaceAge {
  index: number
  name: string
  at: number
}

export interface RouteFailure {
  op: RouteOp
  error: string
}

export interface ApplyRoutesResult {
  /** Kernel writes that succeeded. */
  applied: number
  failures: RouteFailure[]
}

/** Applies every op it can; a failing op is reported, not fatal to the others. */
export async function applyRouteOps(nl: Netlink, ops: readonly RouteOp[]): Promise<ApplyRoutesResult> {
  const index = new Map((await nl.listLinks()).map((l) => [l.name, l.index]))
  let applied = 0
  const failures: RouteFailure[] = []
  for (const op of ops) {
    const r = op.route
    try {
      if (op.op === 'delete') {
        await nl.deleteRoute(r.dst, OWNED_ROUTE_PROTOCOL)
      } else {
        const ifindex = r.dev !== undefined ? index.get(r.dev) : undefined
        if (r.dev !== undefined && ifindex === undefined) throw new Error(`device ${r.dev} does not exist`)
        await nl.writeRoute(
          {
            dst: r.dst,
            type: r.type,
            ...(r.gateway ? {gateway: r.gateway} : {}),
            ...(ifindex !== undefined ? {ifindex} : {}),
            onlink: r.onlink,
            scope: r.scope,
            protocol: OWNED_ROUTE_PROTOCOL,
          },
          op.op,
        )
      }
      applied++
    } catch (err) {
      if (op.op === 'delete' && err instanceof NetlinkError && (err.code === 'ESRCH' || err.code === 'ENOENT')) continue // already gone
      const text =
        op.op === 'add' && err instanceof NetlinkError && err.code === 'EEXIST'
          ? `a route for ${r.dst} that calicoctl does not own is in the way; left as is`
          : err instanceof Error
            ? err.message
            : String(err)
      failures.push({op, error: text})
    }
  }
  return {applied, failures}
}

export interface SkippedRoute {
  route: Route
  reason: string
}

export interface SyncRoutesResult {
  desired: Route[]
  ops: RouteOp[]
  /** Owned workload routes not desired but kept: their device is newer than the snapshot allows (see RouteGrace). */
  held: Route[]
  /** Route writes plus sysctl writes actually made (0 for a dry run or a no-op pass). */
  applied: number
  /** Desired routes not programmable now (device missing or down); retried on the next pass. */
  skipped: SkippedRoute[]
  /** Workload-interface sysctl values that differed (written unless dryRun). */
  sysctlChanges: number
  /** net.ipv4.ip_forward was 0 and was (or, with dryRun, would be) switched on. */
  ipForwardingEnabled: boolean
}

export class RouteSyncError extends CalicoError {
  constructor(
    readonly result: SyncRoutesResult,
    readonly failures: RouteFailure[],
  ) {
    super(failures.map((f) => `route ${formatRouteOp(f.op)}: ${f.error}`).join('\n'))
    this.name = 'RouteSyncError'
  }
}

export interface SyncRoutesOptions {
  dryRun?: boolean
  netlink?: Netlink
  /** Switch net.ipv4.ip_forward on (Felix IPForwarding, default Enabled); false leaves it alone. */
  ipForwarding?: boolean
  /**
   * A long-running caller's device ages and the time its snapshot was current: an owned workload
   * route not in the snapshot is deleted only once its device is older than the grace period
   * (default ROUTE_GRACE_MS) at the snapshot's time. Without it every such route is deleted.
   */
  grace?: {ages: InterfaceAges; snapshotAt: number; graceMs?: number}
}

/**
 * One reconcile pass for this host's owned routes. Run syncTunnel first: routes via tunl0 are
 * skipped while tunl0 is missing or down. Throws RouteSyncError (after applying what it could)
 * when some op failed.
 */
export async function syncRoutes(input: RouteModelInput, opts: SyncRoutesOptions = {}): Promise<SyncRoutesResult> {
  const nl = opts.netlink ?? openNetlink()
  try {
    // Routed workloads need a forwarding host (Felix IPForwarding, default Enabled); false leaves it alone.
    const ipForwardingEnabled = opts.ipForwarding !== false && (await ensureIpForwarding({dryRun: opts.dryRun ?? false}))
    const linkList = await nl.listLinks()
    const links = new Map(linkList.map((l) => [l.name, l]))
    const grace: RouteGrace | undefined = opts.grace
      ? {snapshotAt: opts.grace.snapshotAt, graceMs: opts.grace.graceMs ?? ROUTE_GRACE_MS, firstSeen: opts.grace.ages.observe(linkList)}
      : undefined
    const desired: Route[] = []
    const skipped: SkippedRoute[] = []
    for (const r of desiredRoutes(input)) {
      const link = r.dev === undefined ? undefined : links.get(r.dev)
      if (r.dev !== undefined && !link) skipped.push({route: r, reason: `device ${r.dev} does not exist`})
      else if (link && !link.up) skipped.push({route: r, reason: `device ${r.dev} is down`})
      else desired.push(r)
    }

    let sysctlChanges = 0
    for (const w of new Set(desired.filter((r) => r.scope === 'link' && r.dev).map((r) => r.dev as string))) {
      sysctlChanges += await ensureWorkloadInterfaceSysctls(w, {dryRun: opts.dryRun ?? false})
    }

    const {ops, held} = planRouteChanges(desired, await readOwnedRoutes(nl, linkList), grace)
    const base = {desired, ops, held, skipped, sysctlChanges, ipForwardingEnabled}
    if (opts.dryRun) return {...base, applied: 0}
    if (ops.length === 0) return {...base, applied: sysctlChanges}
    const {applied, failures} = await applyRouteOps(nl, ops)
    const result = {...base, applied: applied + sysctlChanges}
    if (failures.length) throw new RouteSyncError(result, failures)
    // Read back only after writing: a pass that wrote nothing has just read the kernel.
    const left = planRoutes(desired, await readOwnedRoutes(nl), grace)
    if (left.length) throw new CalicoError(`routes did not converge: ${left.map(formatRouteOp).join('; ')}`)
    return result
  } finally {
    if (!opts.netlink) nl.close()
  }
}
