import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, test} from 'node:test'
import {desiredRoutes, type RouteModelInput} from '../../src/dataplane/routes/model.js'
import {planRoutes} from '../../src/dataplane/routes/planner.js'
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
