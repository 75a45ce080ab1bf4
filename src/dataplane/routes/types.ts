// A route as the routes model/planner see it: plain data, devices by name, IPv4 only.
import {cidr4SortKey} from '../../lib/ip.js'

export interface Route {
  /** Destination CIDR in canonical form, e.g. `192.168.1.0/26` or `192.168.1.5/32`. */
  dst: string
  type: 'unicast' | 'blackhole'
  gateway?: string
  dev?: string
  onlink: boolean
  scope: 'universe' | 'link'
}

export type RouteOp = {op: 'add'; route: Route} | {op: 'replace'; route: Route; previous: Route} | {op: 'delete'; route: Route}

/** `ip route` style text, e.g. `192.168.2.0/26 via 198.51.100.96 dev tunl0 onlink`. */
export function formatRoute(r: Route): string {
  if (r.type === 'blackhole') return `blackhole ${r.dst}`
  const parts = [r.dst]
  if (r.gateway) parts.push('via', r.gateway)
  if (r.dev) parts.push('dev', r.dev)
  if (r.scope === 'link') parts.push('scope', 'link')
  if (r.onlink) parts.push('onlink')
  return parts.join(' ')
}

export function formatRouteOp(op: RouteOp): string {
  return `${op.op} ${formatRoute(op.route)}`
}

export function sameRoute(a: Route, b: Route): boolean {
  return (
    a.dst === b.dst &&
    a.type === b.type &&
    (a.gateway ?? '') === (b.gateway ?? '') &&
    (a.dev ?? '') === (b.dev ?? '') &&
    a.onlink === b.onlink &&
    a.scope === b.scope
  )
}

/** Sorts in place by `dst(item)` in CIDR order (address, then prefix length); each key is computed once, not per comparison. */
export function sortByCidr<T>(items: T[], dst: (item: T) => string): T[] {
  const keys = new Map<T, number>()
  for (const it of items) keys.set(it, cidr4SortKey(dst(it)))
  return items.sort((a, b) => (keys.get(a) as number) - (keys.get(b) as number))
}
