import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, test} from 'node:test'
import {InterfaceAges} from '../../src/dataplane/routes/executor.js'
import {desiredRoutes, type RouteModelInput} from '../../src/dataplane/routes/model.js'
import {planRouteChanges, planRoutes, ROUTE_GRACE_MS, type RouteGrace} from '../../src/dataplane/routes/planner.js'
import {formatRouteOp, type Route, type RouteOp} from '../../src/dataplane/routes/types.js'

const fixture = (name: string): RouteModelInput => JSON.parse(readFileSync(new URL(`../fixtures/routes/${name}`, import.meta.url), 'utf8'))

const blackhole = (dst: string): Route => ({dst, type: 'blackhole', onlink: false, scope: 'universe'})
const via = (dst: string, gateway: string, dev: string): Route => ({dst, type: 'unicast', gateway, dev, onlink: true, scope: 'universe'})
const local = (dst: string, dev: string): Route => ({dst, type: 'unicast', dev, onlink: false, scope: 'link'})

/** What the kernel's owned routes look like after the ops are applied. */
function applyOps(actual: Route[], ops: RouteOp[]): Route[] {
  let state = [...actual]
  for (const op of ops) {
    if (op.op === 'delete') {
      const i = state.findIndex((r) => r.dst === op.route.dst)
      assert.ok(i >= 0, `delete of a route not present: ${op.route.dst}`)
      state.splice(i, 1)
    } else if (op.op === 'add') {
      assert.ok(!state.some((r) => r.dst === op.route.dst), `add over an existing route: ${op.route.dst}`)
      state.push(op.route)
    } else {
      state = state.map((r) => (r.dst === op.route.dst ? op.route : r))
    }
  }
  return state
}

describe('routes planner', () => {
  test('equal desired and actual: no ops', () => {
    const routes = [blackhole('192.168.1.0/26'), via('192.168.2.0/26', '198.51.100.96', 'tunl0')]
    assert.deepEqual(planRoutes(routes, [...routes].reverse()), [])
  })

  test('adds, replaces and deletes; deletes first, each group in address order', () => {
    const desired = [
      via('192.168.10.0/26', '198.51.100.96', 'tunl0'),
      blackhole('192.168.1.0/26'),
      via('192.168.9.0/26', '198.51.100.97', 'eth0'),
      local('192.168.1.5/32', 'cali1'),
    ]
    const actual = [
      via('192.168.9.0/26', '198.51.100.97', 'tunl0'),
      local('192.168.1.9/32', 'cali2'),
      blackhole('192.168.1.0/26'),
      via('10.0.0.0/26', '198.51.100.96', 'tunl0'),
    ]
    assert.deepEqual(planRoutes(desired, actual).map(formatRouteOp), [
      'delete 10.0.0.0/26 via 198.51.100.96 dev tunl0 onlink',
      'delete 192.168.1.9/32 dev cali2 scope link',
      'add 192.168.1.5/32 dev cali1 scope link',
      'replace 192.168.9.0/26 via 198.51.100.97 dev eth0 onlink',
      'add 192.168.10.0/26 via 198.51.100.96 dev tunl0 onlink',
    ])
  })

  test('a changed gateway, onlink flag or scope is a replace', () => {
    const base = via('192.168.2.0/26', '198.51.100.96', 'tunl0')
    for (const changed of [{...base, gateway: '198.51.100.97'}, {...base, onlink: false}, {...base, scope: 'link' as const}]) {
      const ops = planRoutes([base], [changed])
      assert.equal(ops.length, 1)
      assert.equal(ops[0]?.op, 'replace')
    }
  })

  test('a second owned route for one destination is deleted', () => {
    const r = blackhole('192.168.1.0/26')
    assert.deepEqual(planRoutes([r], [r, r]).map(formatRouteOp), ['delete blackhole 192.168.1.0/26'])
  })

  test('idempotent: planning against the post-apply state yields nothing', () => {
    const desired = desiredRoutes(fixture('seed-master.json'))
    const before = [via('192.168.9.0/26', '198.51.100.1', 'eth0'), blackhole('172.16.0.0/26')]
    const ops = planRoutes(desired, before)
    assert.ok(ops.length > 0)
    const after = applyOps(before, ops)
    assert.deepEqual(planRoutes(desired, after), [])
  })

  // No stale route after a mode switch. Proven once by breaking it (issue #24): with the planner's
  // deletes of leftover owned routes commented out (planner.ts), this test went red.
  test('switching the pool from Always to Never removes exactly the tunl0 routes', () => {
    const input = fixture('seed-master.json')
    const always = desiredRoutes(input)
    const never = desiredRoutes({...input, pools: input.pools.map((p) => ({...p, ipipMode: 'Never' as const}))})
    const ops = planRoutes(never, always)
    assert.deepEqual(ops.map(formatRouteOp), [
      'delete 192.168.9.0/26 via 198.51.100.96 dev tunl0 onlink',
      'delete 192.168.20.0/26 via 203.0.113.7 dev tunl0 onlink',
    ])
    const after = applyOps(always, ops)
    assert.ok(!after.some((r) => r.dev === 'tunl0'))
    assert.deepEqual(planRoutes(never, after), [])
  })

  test('switching from Never back to CrossSubnet adds the same-subnet and tunnel routes', () => {
    const input = fixture('seed-master.json')
    const never = desiredRoutes({...input, pools: input.pools.map((p) => ({...p, ipipMode: 'Never' as const}))})
    const cross = desiredRoutes({...input, pools: input.pools.map((p) => ({...p, ipipMode: 'CrossSubnet' as const}))})
    assert.deepEqual(planRoutes(cross, never).map(formatRouteOp), [
      'add 192.168.9.0/26 via 198.51.100.96 dev eth0 onlink',
      'add 192.168.20.0/26 via 203.0.113.7 dev tunl0 onlink',
    ])
  })
})

// Felix's route table keeps a grace period (RouteCleanupGracePeriod, 10 s) before it deletes a
// route of ours on a newly seen interface that it has no endpoint for (upstream
// felix/routetable/route_table.go, ifaceInGracePeriod). Here the age is judged at the time the
// pass's snapshot was current, so a pass planning from a snapshot older than the device never
// deletes its route.
describe('routes planner: grace for routes on new devices', () => {
  const T = 1_000_000
  const grace = (snapshotAt: number, seen: Record<string, number>): RouteGrace => ({snapshotAt, graceMs: ROUTE_GRACE_MS, firstSeen: new Map(Object.entries(seen))})
  const pod = local('192.168.1.7/32', 'cali0123456789a')
  const lines = (p: {ops: RouteOp[]}) => p.ops.map(formatRouteOp)

  test('a workload route on a device seen less than the grace period before the snapshot is kept', () => {
    const p = planRouteChanges([], [pod], grace(T, {cali0123456789a: T - 3000}))
    assert.deepEqual(lines(p), [])
    assert.deepEqual(p.held, [pod])
  })

  test('a snapshot taken before the device was first seen never deletes its route', () => {
    const p = planRouteChanges([], [pod], grace(T, {cali0123456789a: T + 20_000}))
    assert.deepEqual(p.held, [pod])
  })

  test('a device not seen yet counts as new', () => {
    assert.deepEqual(planRouteChanges([], [pod], grace(T, {})).held, [pod])
  })

  test('once the device is older than the grace period at the snapshot, the route goes', () => {
    const p = planRouteChanges([], [pod], grace(T, {cali0123456789a: T - ROUTE_GRACE_MS}))
    assert.deepEqual(lines(p), ['delete 192.168.1.7/32 dev cali0123456789a scope link'])
    assert.deepEqual(p.held, [])
  })

  test('a device the snapshot has a route for gets no grace: its other owned routes go at once', () => {
    const desired = [local('192.168.1.8/32', 'cali0123456789a')]
    const p = planRouteChanges(desired, [pod], grace(T, {cali0123456789a: T}))
    assert.deepEqual(lines(p), ['delete 192.168.1.7/32 dev cali0123456789a scope link', 'add 192.168.1.8/32 dev cali0123456789a scope link'])
  })

  test('tunnel routes and blackholes never get grace; desired routes are written on a new device', () => {
    const actual = [via('192.168.9.0/26', '198.51.100.96', 'tunl0'), blackhole('192.168.50.0/26'), pod]
    const desired = [local('192.168.1.9/32', 'calinew')]
    const p = planRouteChanges(desired, actual, grace(T, {tunl0: T, calinew: T, cali0123456789a: T}))
    assert.deepEqual(lines(p), ['delete 192.168.9.0/26 via 198.51.100.96 dev tunl0 onlink', 'delete blackhole 192.168.50.0/26', 'add 192.168.1.9/32 dev calinew scope link'])
    assert.deepEqual(p.held, [pod])
  })

  test('without grace (one-shot node apply) every route not desired is deleted, as before', () => {
    assert.deepEqual(planRoutes([], [pod]).map(formatRouteOp), ['delete 192.168.1.7/32 dev cali0123456789a scope link'])
  })

  test('InterfaceAges: first sight per device index; a device made again under its name is new; gone ones are forgotten', () => {
    let now = 100
    const ages = new InterfaceAges(() => now)
    const link = (name: string, index: number) => ({name, index, mtu: 1500, up: true})
    assert.deepEqual([...ages.observe([link('eth0', 2), link('caliA', 7)])], [['eth0', 100], ['caliA', 100]])
    now = 200
    assert.deepEqual([...ages.observe([link('eth0', 2), link('caliA', 7), link('caliB', 8)])], [['eth0', 100], ['caliA', 100], ['caliB', 200]])
    now = 300
    // caliA deleted and made again: a new index.
    assert.deepEqual([...ages.observe([link('eth0', 2), link('caliA', 9)])], [['eth0', 100], ['caliA', 300]])
    now = 400
    // caliB vanished at 300 and index 8 reappears with another name: new.
    assert.deepEqual([...ages.observe([link('eth0', 2), link('caliA', 9), link('caliC', 8)])], [['eth0', 100], ['caliA', 300], ['caliC', 400]])
  })

  test('InterfaceAges kept between one-shot runs: restored ages stand, bad entries are seen anew', () => {
    let now = 100
    const link = (name: string, index: number) => ({name, index, mtu: 1500, up: true})
    const first = new InterfaceAges(() => now)
    first.observe([link('eth0', 2), link('caliA', 7)])
    const kept = JSON.parse(JSON.stringify([...first.saved(), {index: 'x', name: 'caliZ', at: 1}, null]))
    now = 5000
    const second = InterfaceAges.restore(kept, () => now)
    assert.deepEqual([...second.observe([link('eth0', 2), link('caliA', 7), link('caliZ', 11)])], [['eth0', 100], ['caliA', 100], ['caliZ', 5000]])
    assert.deepEqual([...InterfaceAges.restore('not a list', () => now).observe([link('eth0', 2)])], [['eth0', 5000]])
  })
})
