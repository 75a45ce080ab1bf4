// The operator shortcuts end to end: the built CLI against a real etcd, results read back
// through the resource layer; --wait against statuses published as `node run` publishes them.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {publishNodeStatus, readNodeStatuses} from '../../src/node/node-status-key.js'
import {type Clock, waitForNodes} from '../../src/service/wait.js'
import {kindByName} from '../../src/resources/registry.js'
import type {Resource} from '../../src/resources/types.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {waitFor} from '../helpers/netns.js'
import {hangGuard} from '../helpers/time.js'

let etcd: TestEtcd
let run: ReturnType<typeof cliFor>
let ds: EtcdDatastore
let store: ResourceStore

const def = (k: string) => kindByName(k)!
const get = (k: string, name: string) => store.get(def(k), name)
const spec = (r: Resource | undefined) => (r?.spec ?? {}) as Record<string, any>

async function put(kind: string, name: string, s: Record<string, unknown>, labels?: Record<string, string>): Promise<Resource> {
  const r: Resource = {apiVersion: 'projectcalico.org/v3', kind, metadata: {name, ...(labels ? {labels} : {})}, spec: s}
  def(kind).defaults?.(r)
  const [res] = await store.createMany([{def: def(kind), resource: store.prepareCreate(def(kind), r)}])
  assert.ok(res?.ok, `create ${kind} ${name}`)
  return res.resource
}

const status = (node: string, revision: string, extra: Partial<{result: 'ok' | 'failed'; errors: string[]; state: 'running' | 'stopped'}> = {}) =>
  publishNodeStatus(ds, {node, state: extra.state ?? 'running', revision, time: new Date().toISOString(), result: extra.result ?? 'ok', errors: extra.errors ?? [], changed: true, passes: 3})

before(async () => {
  etcd = await startEtcd()
  run = cliFor(etcd.endpoint)
  ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 5000} as any)
  store = new ResourceStore(ds)
})
after(async () => {
  ds.close()
  await etcd.stop()
})
beforeEach(async () => etcd.wipe())

describe('ippool shortcuts', () => {
  test('create, mode, disable/enable, list', async () => {
    const c = await run(['ippool', 'create', 'p1', '--cidr', '10.50.0.0/16', '--ipip-mode', 'Always', '--nat-outgoing', '--block-size', '24', '--node-selector', "rack == 'a'"])
    assert.equal(c.code, 0, c.stderr)
    assert.match(c.stdout, /Successfully created 1 'IPPool' resource/)
    let p = spec(await get('IPPool', 'p1'))
    assert.equal(p.cidr, '10.50.0.0/16')
    assert.equal(p.ipipMode, 'Always')
    assert.equal(p.natOutgoing, true)
    assert.equal(p.blockSize, 24)
    assert.equal(p.nodeSelector, "rack == 'a'")

    // Validated like create -f: an overlapping pool and a duplicate name are refused.
    const overlap = await run(['ippool', 'create', 'p2', '--cidr', '10.50.1.0/24'])
    assert.equal(overlap.code, 1)
    assert.match(overlap.stderr, /overlap/i)
    assert.equal(await get('IPPool', 'p2'), undefined)
    const dup = await run(['ippool', 'create', 'p1', '--cidr', '10.60.0.0/16'])
    assert.equal(dup.code, 1)
    assert.match(dup.stderr, /already exists/)

    const bgp = await run(['ippool', 'mode', 'p1', 'bgp'])
    assert.equal(bgp.code, 0, bgp.stderr)
    p = spec(await get('IPPool', 'p1'))
    assert.equal(p.ipipMode, 'Never')
    assert.equal(p.vxlanMode, 'Never')
    assert.equal(p.natOutgoing, true, 'other fields kept')
    const again = await run(['ippool', 'mode', 'p1', 'bgp'])
    assert.match(again.stdout, /no change/)

    const cs = await run(['ippool', 'mode', 'p1', 'cross-subnet'])
    assert.equal(cs.code, 0, cs.stderr)
    assert.equal(spec(await get('IPPool', 'p1')).ipipMode, 'CrossSubnet')

    const bad = await run(['ippool', 'mode', 'p1', 'tunnel'])
    assert.equal(bad.code, 2)
    const missing = await run(['ippool', 'mode', 'nope', 'ipip'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /resource does not exist: IPPool\(nope\)/)

    assert.equal((await run(['ippool', 'disable', 'p1'])).code, 0)
    assert.equal(spec(await get('IPPool', 'p1')).disabled, true)
    const list = await run(['ippool', 'list'])
    const wide = await run(['get', 'ippools', '-o', 'wide'])
    assert.equal(list.code, 0, list.stderr)
    assert.equal(list.stdout, wide.stdout)
    assert.match(list.stdout, /p1\s+10\.50\.0\.0\/16\s+true\s+CrossSubnet\s+Never\s+true/)
    assert.equal((await run(['ippool', 'enable', 'p1'])).code, 0)
    assert.notEqual(spec(await get('IPPool', 'p1')).disabled, true)
  })
})

describe('bgp shortcuts', () => {
  test('mesh and AS create the default BGPConfiguration, then patch it', async () => {
    const off = await run(['bgp', 'mesh', 'off'])
    assert.equal(off.code, 0, off.stderr)
    assert.equal(spec(await get('BGPConfiguration', 'default')).nodeToNodeMeshEnabled, false)
    const as = await run(['bgp', 'as', '64513'])
    assert.equal(as.code, 0, as.stderr)
    let cfg = spec(await get('BGPConfiguration', 'default'))
    assert.equal(cfg.asNumber, 64513)
    assert.equal(cfg.nodeToNodeMeshEnabled, false, 'mesh setting kept')
    assert.equal((await run(['bgp', 'mesh', 'on'])).code, 0)
    cfg = spec(await get('BGPConfiguration', 'default'))
    assert.equal(cfg.nodeToNodeMeshEnabled, true)
    assert.equal(cfg.asNumber, 64513)
    const badAs = await run(['bgp', 'as', 'sixty'])
    assert.equal(badAs.code, 1)
    assert.match(badAs.stderr, /invalid AS number/)
  })

  test('per-node AS and route reflector', async () => {
    await put('Node', 'node1', {bgp: {ipv4Address: '198.51.100.95/24'}})
    await put('Node', 'bare', {})
    const as = await run(['bgp', 'as', '1.10', '--node', 'node1'])
    assert.equal(as.code, 0, as.stderr)
    assert.equal(spec(await get('Node', 'node1')).bgp.asNumber, 65546)
    assert.equal(spec(await get('Node', 'node1')).bgp.ipv4Address, '198.51.100.95/24')
    const noBgp = await run(['bgp', 'as', '64512', '--node', 'bare'])
    assert.equal(noBgp.code, 1)
    assert.match(noBgp.stderr, /no BGP configuration/)

    const rr = await run(['bgp', 'route-reflector', 'node1', '--cluster-id', '224.0.0.1'])
    assert.equal(rr.code, 0, rr.stderr)
    let n = await get('Node', 'node1')
    assert.equal(spec(n).bgp.routeReflectorClusterID, '224.0.0.1')
    assert.equal(n?.metadata.labels?.['route-reflector'], 'true')
    const badId = await run(['bgp', 'route-reflector', 'node1', '--cluster-id', 'not-an-ip'])
    assert.equal(badId.code, 1)
    const neither = await run(['bgp', 'route-reflector', 'node1'])
    assert.equal(neither.code, 2)
    assert.equal((await run(['bgp', 'route-reflector', 'node1', '--off'])).code, 0)
    n = await get('Node', 'node1')
    assert.equal(spec(n).bgp.routeReflectorClusterID, undefined)
    assert.equal(n?.metadata.labels?.['route-reflector'], undefined)
    assert.equal(spec(n).bgp.asNumber, 65546)
  })

  test('peer add, list, remove', async () => {
    const g = await run(['bgp', 'peer', 'add', '198.51.100.1', '--as', '64567'])
    assert.equal(g.code, 0, g.stderr)
    const n = await run(['bgp', 'peer', 'add', '198.51.100.2', '--as', '64568', '--node', 'node1'])
    assert.equal(n.code, 0, n.stderr)
    const s = await run(['bgp', 'peer', 'add', '198.51.100.3', '--as', '64569', '--node-selector', "rack == 'a'", '--name', 'tor-a'])
    assert.equal(s.code, 0, s.stderr)
    assert.deepEqual(spec(await get('BGPPeer', 'peer-198-51-100-1')), {peerIP: '198.51.100.1', asNumber: 64567})
    assert.equal(spec(await get('BGPPeer', 'node1.peer-198-51-100-2')).node, 'node1')
    assert.equal(spec(await get('BGPPeer', 'tor-a')).nodeSelector, "rack == 'a'")
    const both = await run(['bgp', 'peer', 'add', '198.51.100.4', '--as', '1', '--node', 'a', '--node-selector', 'all()'])
    assert.equal(both.code, 2)
    const badIp = await run(['bgp', 'peer', 'add', 'not-an-ip', '--as', '64567'])
    assert.equal(badIp.code, 1)

    const list = await run(['bgp', 'peer', 'list'])
    assert.equal(list.code, 0, list.stderr)
    assert.equal(list.stdout, (await run(['get', 'bgppeers', '-o', 'wide'])).stdout)
    assert.match(list.stdout, /peer-198-51-100-1\s+198\.51\.100\.1\s+\(global\)\s+64567/)
    assert.match(list.stdout, /tor-a\s+198\.51\.100\.3\s+rack == 'a'\s+64569/)

    const byIp = await run(['bgp', 'peer', 'remove', '198.51.100.2', '--node', 'node1'])
    assert.equal(byIp.code, 0, byIp.stderr)
    assert.equal(await get('BGPPeer', 'node1.peer-198-51-100-2'), undefined)
    const byName = await run(['bgp', 'peer', 'remove', 'tor-a'])
    assert.equal(byName.code, 0, byName.stderr)
    assert.equal(await get('BGPPeer', 'tor-a'), undefined)
    const none = await run(['bgp', 'peer', 'remove', '198.51.100.9'])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /no BGPPeer named or with peer IP '198\.51\.100\.9'/)
    assert.ok(await get('BGPPeer', 'peer-198-51-100-1'), 'the other peer stays')
  })
})

describe('--wait and node list', () => {
  test('waits until every running node has applied the write, then succeeds', async () => {
    await put('IPPool', 'p1', {cidr: '10.70.0.0/16', ipipMode: 'Always'})
    await status('master', '1')
    await status('node', '1')
    await status('old', '1', {state: 'stopped'})
    // The nodes publish in step with the CLI's progress lines (events, not sleeps): each status
    // only after the CLI reported the state before it.
    let progress = ''
    const pending = run(['ippool', 'mode', 'p1', 'bgp', '--wait=60s'], {onStderr: (t) => (progress += t)})
    await waitFor('the CLI waiting for both nodes', () => (/0\/2 nodes applied/.test(progress) ? true : undefined), 60_000, 20)
    const p = await get('IPPool', 'p1')
    assert.equal(spec(p).ipipMode, 'Never', 'the write happened before the wait')
    const rv = p!.metadata.resourceVersion as string
    await status('master', rv)
    await waitFor('the CLI seeing master converge', () => (/1\/2 nodes applied/.test(progress) ? true : undefined), 60_000, 20)
    await status('node', String(BigInt(rv) + 5n))
    const r = await pending
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /ipipMode Never/)
    assert.match(r.stderr, new RegExp(`waiting for revision ${rv}: 0/2 nodes applied \\(pending: master, node\\)`))
    assert.match(r.stderr, /1\/2 nodes applied \(pending: node\)/)
    assert.match(r.stderr, new RegExp(`2 node\\(s\\) applied revision ${rv}`))
  })

  test('times out naming the nodes that did not converge or failed; node list shows them', async () => {
    await put('Node', 'master', {bgp: {ipv4Address: '198.51.100.95/24'}})
    await put('Node', 'quiet', {})
    await status('master', '1')
    await status('node', '1')
    const done = hangGuard('a --wait=1500ms that times out', 15_000)
    const r = await run(['bgp', 'mesh', 'off', '--wait=1500ms'])
    done()
    assert.equal(r.code, 1)
    assert.match(r.stdout, /mesh disabled/)
    assert.equal(spec(await get('BGPConfiguration', 'default')).nodeToNodeMeshEnabled, false, 'the write itself stands')
    // That it waits the whole --wait before giving up is proven with a clock below; here, that
    // the CLI reports its own wait (at least 1.5 s) and names the nodes.
    const within = /2 of 2 node\(s\) did not apply revision \d+ within (\d+\.\d)s/.exec(r.stderr)
    assert.ok(within && Number(within[1]) >= 1.5, r.stderr)
    assert.match(r.stderr, /master: still at revision 1/)

    // A node that applied the revision but whose pass failed does not count as converged.
    const rev = (await readNodeStatuses(ds)).revision
    await status('master', rev, {result: 'failed', errors: ['routes: device tunl0 missing']})
    await status('node', rev)
    const f = await run(['ippool', 'create', 'p9', '--cidr', '10.90.0.0/16', '--wait=10s'])
    // p9's create is newer than the statuses: still pending until the timeout, unless they catch up.
    assert.equal(f.code, 1)
    assert.equal(spec(await get('IPPool', 'p9')).cidr, '10.90.0.0/16')

    const rev2 = (await readNodeStatuses(ds)).revision
    await status('master', rev2, {result: 'failed', errors: ['routes: device tunl0 missing']})
    await status('node', rev2)
    const d = await run(['ippool', 'disable', 'p9', '--wait=2s'])
    assert.equal(d.code, 1)
    assert.match(d.stderr, /master: (still at revision|pass failed)/)

    const list = await run(['node', 'list', '-o', 'wide'])
    assert.equal(list.code, 0, list.stderr)
    const lines = list.stdout.trim().split('\n')
    assert.match(lines[0]!, /^NAME\s+AGENT\s+APPLIED REVISION\s+TIME\s+RESULT\s+ERRORS/)
    assert.match(list.stdout, new RegExp(`master\\s+running\\s+${rev2}\\s+\\S+\\s+failed\\s+routes: device tunl0 missing`))
    assert.match(list.stdout, new RegExp(`node\\s+running\\s+${rev2}\\s+\\S+\\s+ok`))
    assert.match(list.stdout, /quiet\s+none\s+-\s+-\s+-/)
    const json = JSON.parse((await run(['node', 'list', '-o', 'json'])).stdout)
    assert.equal(json.nodes.length, 3)
  })

  test('a node that failed applying the awaited revision is reported as failed', async () => {
    await put('IPPool', 'p1', {cidr: '10.70.0.0/16', ipipMode: 'Always'})
    await status('master', '1')
    const pending = run(['ippool', 'mode', 'p1', 'bgp', '--wait=10s'])
    let rv: string | undefined
    for (let i = 0; i < 200 && !rv; i++) {
      const p = await get('IPPool', 'p1')
      if (spec(p).ipipMode === 'Never') rv = p!.metadata.resourceVersion
      else await new Promise((r) => setTimeout(r, 50))
    }
    assert.ok(rv)
    await status('master', rv, {result: 'failed', errors: ['bird: config rejected']})
    const r = await pending
    assert.equal(r.code, 1)
    assert.match(r.stderr, /master: pass failed: bird: config rejected/)
  })

  // The wait's timing through an injected clock (no real time passes): it polls until the clock
  // reaches the --wait, never giving up earlier, and returns as soon as the nodes catch up.
  test('waits the whole timeout by its clock, and ends at the poll that sees the nodes converge', async () => {
    await status('master', '1')
    await status('node', '1')
    const target = String(BigInt((await readNodeStatuses(ds)).revision) + 1000n)
    let now = 0
    const polls: number[] = []
    const clock: Clock = {
      now: () => now,
      sleep: async (ms) => {
        now += ms
      },
    }
    const late = await waitForNodes(store, {revision: target, timeoutMs: 1500, pollMs: 250, clock, onProgress: () => polls.push(now)})
    assert.equal(late.ok, false)
    assert.equal(late.elapsedMs, 1500, 'gave up exactly at the timeout by its clock')
    assert.deepEqual(late.nodes.map((n) => n.state), ['pending', 'pending'])
    assert.deepEqual(polls, [0], 'one progress line while nothing changes')

    // The nodes converge while it waits: at the 3rd poll (clock 500 ms) master, at the 5th node.
    now = 0
    let reads = 0
    const stepping: Clock = {
      now: () => now,
      sleep: async (ms) => {
        now += ms
        reads++
        if (reads === 2) await status('master', target)
        if (reads === 4) await status('node', target)
      },
    }
    const lines: string[] = []
    const ok = await waitForNodes(store, {revision: target, timeoutMs: 60_000, pollMs: 250, clock: stepping, onProgress: (l) => lines.push(`${now} ${l}`)})
    assert.equal(ok.ok, true)
    assert.equal(ok.elapsedMs, 1000)
    assert.deepEqual(lines, [
      `0 waiting for revision ${target}: 0/2 nodes applied (pending: master, node)`,
      `500 waiting for revision ${target}: 1/2 nodes applied (pending: node)`,
      `1000 waiting for revision ${target}: 2/2 nodes applied`,
    ])
  })
})

describe('--wait on apply, replace, patch and delete', () => {
  const dir = mkdtempSync(join(tmpdir(), 'calico-wait-'))
  after(() => rmSync(dir, {recursive: true, force: true}))
  const manifest = join(dir, 'm.yaml')
  writeFileSync(
    manifest,
    `apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: wp}
spec: {cidr: 10.80.0.0/16, ipipMode: Always}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-all}
spec: {selector: all(), types: [Ingress]}
`,
  )
  const until = async <T>(f: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 400; i++) {
      const v = await f()
      if (v !== undefined) return v
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error('condition never held')
  }

  test('each waits for the revision of its own write; nothing written means nothing to wait for', async () => {
    await status('master', '1')
    const applying = run(['apply', '-f', manifest, '--wait=20s'])
    const rv = await until(async () => {
      const [p, g] = [await get('IPPool', 'wp'), await get('GlobalNetworkPolicy', 'deny-all')]
      return p && g ? String([BigInt(p.metadata.resourceVersion!), BigInt(g.metadata.resourceVersion!)].reduce((a, b) => (a > b ? a : b))) : undefined
    })
    await new Promise((r) => setTimeout(r, 500))
    await status('master', String(BigInt(rv) - 1n))
    await new Promise((r) => setTimeout(r, 500))
    await status('master', rv)
    const a = await applying
    assert.equal(a.code, 0, a.stderr)
    assert.match(a.stdout, /Successfully applied 2 resource\(s\)/)
    assert.match(a.stderr, new RegExp(`waiting for revision ${rv}: 0/1 nodes applied \\(pending: master\\)`))
    assert.match(a.stderr, new RegExp(`1 node\\(s\\) applied revision ${rv}`))

    // Nothing written (every resource exists already): no new revision, so no wait at all. (An
    // unchanged apply does write: calicoctl's updates always make a new revision.)
    const again = await run(['create', '-f', manifest, '--skip-exists', '--wait=20s'])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stderr, /nothing was written/)
    const dry = await run(['replace', '-f', manifest, '--dry-run', '--wait=1s'])
    assert.equal(dry.code, 0, dry.stderr)
    assert.doesNotMatch(dry.stderr, /waiting/)

    // A patch whose revision master never reaches: exit 1 naming master, the write stands.
    const p = await run(['patch', 'ippool', 'wp', '-p', '{"spec":{"ipipMode":"Never"}}', '--wait=1500ms'])
    assert.equal(p.code, 1)
    assert.match(p.stdout, /Successfully patched 1 'IPPool' resource/)
    assert.match(p.stderr, new RegExp(`master: still at revision ${rv}`))
    assert.equal(spec(await get('IPPool', 'wp')).ipipMode, 'Never')

    // --wait with no value (the default timeout) on delete; converges once master catches up.
    const deleting = run(['delete', 'globalnetworkpolicy', 'deny-all', '--wait'])
    await until(async () => ((await get('GlobalNetworkPolicy', 'deny-all')) ? undefined : true))
    await status('master', (await readNodeStatuses(ds)).revision)
    const d = await deleting
    assert.equal(d.code, 0, d.stderr)
    assert.match(d.stderr, /1 node\(s\) applied revision \d+/)
  })
})
