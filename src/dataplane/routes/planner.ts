// Diff of desired owned routes against the owned routes read back from the kernel (pure).
// Deletes come first so a destination that changes device never briefly has two routes.
import {type Route, type RouteOp, sameRoute, sortByCidr} from './types.js'

/**
 * When a workload route that is not desired may be deleted (as Felix's route table does for
 * routes on newly seen interfaces). `workload add` writes a pod's /32 route before its
 * WorkloadEndpoint reaches the datastore, so a pass can see the route without the endpoint. Such
 * a route (scope link on a device) is deleted only when the snapshot the pass plans from was
 * taken at least `graceMs` after its device was first seen; a device that has a desired route of
 * its own is known to the datastore and gets no grace. Times are milliseconds on one clock.
 */
export interface RouteGrace {
  /** When the snapshot behind `desired` was current. */
  snapshotAt: number
  graceMs: number
  /** Device name → when it was first seen; a device missing here was seen just now (held). */
  firstSeen: ReadonlyMap<string, number>
}

/** Felix's RouteCleanupGracePeriod default. */
export const ROUTE_GRACE_MS = 10_000

export interface RoutePlan {
  ops: RouteOp[]
  /** Owned routes not desired but kept for now: their device is too new for the snapshot. */
  held: Route[]
}

/** True when `r` (owned, not desired) must not be deleted yet under `grace`. */
function inGrace(r: Route, grace: RouteGrace | undefined, desiredDevs: ReadonlySet<string>): boolean {
  if (!grace || r.scope !== 'link' || r.dev === undefined || desiredDevs.has(r.dev)) return false
  const seen = grace.firstSeen.get(r.dev)
  return seen === undefined || grace.snapshotAt - seen < grace.graceMs
}

export function planRouteChanges(desired: readonly Route[], actual: readonly Route[], grace?: RouteGrace): RoutePlan {
  // One map, of what the kernel has; each desired route takes its match out of it, and what is
  // left over is deleted. (A desired destination listed twice: the last one wins.)
  const want = new Map<string, Route>()
  for (const r of desired) want.set(r.dst, r)
  const have = new Map<string, Route>()
  const deletes: RouteOp[] = []
  for (const r of actual) {
    // Two owned routes for one destination (e.g. left by another run): keep one, drop the rest.
    if (have.has(r.dst)) deletes.push({op: 'delete', route: r})
    else have.set(r.dst, r)
  }

  const writes: RouteOp[] = []
  for (const r of want.values()) {
    const prev = have.get(r.dst)
    if (!prev) writes.push({op: 'add', route: r})
    else {
      have.delete(r.dst)
      if (!sameRoute(prev, r)) writes.push({op: 'replace', route: r, previous: prev})
    }
  }
  const desiredDevs = new Set<string>()
  if (grace) for (const r of want.values()) if (r.dev !== undefined) desiredDevs.add(r.dev)
  const held: Route[] = []
  for (const r of have.values()) {
    if (inGrace(r, grace, desiredDevs)) held.push(r)
    else deletes.push({op: 'delete', route: r})
  }
  const dst = (op: RouteOp) => op.route.dst
  return {ops: [...sortByCidr(deletes, dst), ...sortByCidr(writes, dst)], held: sortByCidr(held, (r) => r.dst)}
}

export function planRoutes(desired: readonly Route[], actual: readonly Route[], grace?: RouteGrace): RouteOp[] {
  return planRouteChanges(desired, actual, grace).ops
}
