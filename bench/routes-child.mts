// Runs inside a bench namespace (`ip netns exec NS node --import tsx bench/routes-child.mts
// N GATEWAY DEV`): programs N remote-block routes (10.x.y.0/26 via GATEWAY dev DEV onlink) with
// the project's route executor (readOwnedRoutes → planRoutes → applyRouteOps), then runs the
// same pass again (no-op), then removes them the same way. Prints timings as JSON.
import {applyRouteOps, planRoutes, readOwnedRoutes, type Route} from '../src/dataplane/routes/index.js'
import {openNetlink} from '../src/dataplane/netlink.js'
import {requireBenchNetns} from './netns-guard.mjs'

requireBenchNetns('bench/routes-child')

const [n = 10_000, gateway = '', dev = ''] = process.argv.slice(2).map((v, i) => (i === 0 ? Number(v) : v)) as [number, string, string]
const desired: Route[] = Array.from({length: n}, (_, i) => ({
  dst: `10.${Math.floor(i / 1024)}.${Math.floor((i % 1024) / 4)}.${(i % 4) * 64}/26`,
  type: 'unicast' as const,
  gateway,
  dev,
  onlink: true,
  scope: 'universe' as const,
})).sort((a, b) => (a.dst < b.dst ? -1 : 1))

async function pass(want: Route[]): Promise<{ms: number; ops: number; applied: number; failures: number}> {
  const t = performance.now()
  const nl = openNetlink()
  try {
    const ops = planRoutes(want, await readOwnedRoutes(nl))
    const r = ops.length > 0 ? await applyRouteOps(nl, ops) : {applied: 0, failures: []}
    return {ms: performance.now() - t, ops: ops.length, applied: r.applied, failures: r.failures.length}
  } finally {
    nl.close()
  }
}

const first = await pass(desired)
const noop = await pass(desired)
const noop2 = await pass(desired)
const remove = await pass([])
process.stdout.write(JSON.stringify({first, noop: noop.ms <= noop2.ms ? noop : noop2, remove}))
