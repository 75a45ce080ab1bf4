// Diff of desired owned routes against the owned routes read back from the kernel (pure).
// Deletes come first so a destination that changes device never briefly has two routes.
import {type Route, type RouteOp, sameRoute, sortByCidr} from './types.js'

export function planRoutes(desired: readonly Route[], actual: readonly Route[]): RouteOp[] {
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
  for (const r of have.values()) deletes.push({op: 'delete', route: r})
  const dst = (op: RouteOp) => op.route.dst
  return [...sortByCidr(deletes, dst), ...sortByCidr(writes, dst)]
}
