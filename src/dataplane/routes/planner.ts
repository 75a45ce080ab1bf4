// Diff of desired owned routes against the owned routes read back from the kernel (pure).
// Deletes come first so a destination that changes device never briefly has two routes.
import {type Route, type RouteOp, sameRoute, sortByCidr} from './types.js'

export function planRoutes(desired: readonly Route[], actual: readonly Route[]): RouteOp[] {
  const want = new Map(desired.map((r) => [r.dst, r]))
  const have = new Map<string, Route>()
  const deletes: RouteOp[] = []
  for (const r of actual) {
    // Two owned routes for one destination (e.g. left by another run): keep one, drop the rest.
    if (have.has(r.dst)) deletes.push({op: 'delete', route: r})
    else have.set(r.dst, r)
  }
  for (const [dst, r] of have) if (!want.has(dst)) deletes.push({op: 'delete', route: r})

  const writes: RouteOp[] = []
  for (const [dst, r] of want) {
    const prev = have.get(dst)
    if (!prev) writes.push({op: 'add', route: r})
    else if (!sameRoute(prev, r)) writes.push({op: 'replace', route: r, previous: prev})
  }
  const dst = (op: RouteOp) => op.route.dst
  return [...sortByCidr(deletes, dst), ...sortByCidr(writes, dst)]
}
