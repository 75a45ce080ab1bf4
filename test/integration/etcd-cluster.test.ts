// A three-member etcd cluster on loopback, the CLI given all three endpoints: with the leader
// killed (SIGKILL) the CLI still creates, reads, patches and deletes resources through the other
// two, whichever order the endpoints are listed in, and nothing written before is lost. With a
// second member gone (no quorum) a write fails with one line naming the endpoints, within the
// timeout, instead of hanging.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {BIN, cliFor} from '../helpers/cli.js'
import {startEtcdCluster, type TestEtcdCluster} from '../helpers/etcd.js'
import {startFaultProxy} from '../helpers/faultproxy.js'
import {haveCommand} from '../helpers/netns.js'
import {rng} from '../helpers/random.js'

const skip = haveCommand('etcd') ? undefined : 'needs etcd'

const policies = (prefix: string, n: number) =>
  Array.from(
    {length: n},
    (_, i) => `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: ${prefix}-${i}
spec:
  order: ${i}
  selector: app == 'web'
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: [${1000 + i}]
`,
  ).join('---\n')

const names = (out: string) =>
  (JSON.parse(out) as {items: Array<{metadata: {name: string}}>}).items.map((x) => x.metadata.name).sort()

describe('CLI against a three-member etcd cluster with a member killed', {skip, timeout: 300_000}, () => {
  let cluster: TestEtcdCluster
  let leaderIdx = -1
  const figures = {membersKilled: 0, written: 0, lost: 0}

  before(async () => {
    cluster = await startEtcdCluster(3)
  })
  after(async () => {
    await cluster?.stop()
    console.log(`# figures: ${JSON.stringify(figures)}`)
  })

  it('writes and reads through all three endpoints', async () => {
    const cli = cliFor(cluster.endpoints)
    const r = await cli(['apply', '-f', '-'], {input: policies('before', 40)})
    assert.equal(r.code, 0, r.stderr)
    figures.written += 40
    // Every member has the data (the client may have written through any of them).
    for (const m of cluster.members) {
      const g = await cliFor(m.endpoint)(['get', 'globalnetworkpolicies', '-o', 'json'])
      assert.equal(g.code, 0, g.stderr)
      assert.equal(names(g.stdout).length, 40)
    }
  })

  it('the leader killed: apply, get, patch and delete still work, dead endpoint listed first or last', async () => {
    leaderIdx = await cluster.leader()
    const dead = cluster.members[leaderIdx]
    assert.ok(dead)
    await dead.kill()
    figures.membersKilled++
    const alive = cluster.members.filter((m) => m !== dead).map((m) => m.endpoint)
    // Right after the kill (an election may be under way), with the dead member first.
    for (const order of [[dead.endpoint, ...alive], [...alive, dead.endpoint]]) {
      const cli = cliFor(order.join(','))
      const tag: string = order[0] === dead.endpoint ? 'first' : 'last'
      const a = await cli(['apply', '-f', '-'], {input: policies(`dead-${tag}`, 10)})
      assert.equal(a.code, 0, `${tag}: ${a.stderr}`)
      figures.written += 10
      const p = await cli(['patch', 'globalnetworkpolicy', `dead-${tag}-0`, '-p', '{"spec":{"order":500}}'])
      assert.equal(p.code, 0, `${tag}: ${p.stderr}`)
      const g = await cli(['get', 'globalnetworkpolicy', `dead-${tag}-0`, '-o', 'json'])
      assert.equal(g.code, 0, `${tag}: ${g.stderr}`)
      assert.equal((JSON.parse(g.stdout) as {spec: {order: number}}).spec.order, 500)
      const d = await cli(['delete', 'globalnetworkpolicy', `dead-${tag}-9`])
      assert.equal(d.code, 0, `${tag}: ${d.stderr}`)
      figures.written -= 1
    }
    const all = await cliFor(cluster.endpoints)(['get', 'globalnetworkpolicies', '-o', 'json'])
    assert.equal(all.code, 0, all.stderr)
    const got = names(all.stdout)
    const want = [
      ...Array.from({length: 40}, (_, i) => `before-${i}`),
      ...Array.from({length: 9}, (_, i) => `dead-first-${i}`),
      ...Array.from({length: 9}, (_, i) => `dead-last-${i}`),
    ].sort()
    figures.lost = want.filter((n) => !got.includes(n)).length
    assert.deepEqual(got, want)
  })

  it('a second member killed (no quorum): a write fails with one line within the timeout', async () => {
    const second = cluster.members.find((m, i) => i !== leaderIdx && m.running)
    assert.ok(second)
    await second.kill()
    figures.membersKilled++
    const r = await cliFor(cluster.endpoints)(['apply', '-f', '-', '--timeout', '3s'], {input: policies('no-quorum', 1), timeoutMs: 60_000})
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /cannot reach etcd at http:\/\/127\.0\.0\.1:\d+,http:\/\/127\.0\.0\.1:\d+,http:\/\/127\.0\.0\.1:\d+: /)
    assert.doesNotMatch(r.stderr, /\n\s+at /)
  })
})

// The faults of issue #22 on a fresh cluster: one time budget per command, failover for bulk
// writes, and a truthful count after a failure part-way.
const SETS = '/calico/resources/v3/projectcalico.org/globalnetworksets/'

const sets = (prefix: string, n: number, gen = 1) =>
  Array.from(
    {length: n},
    (_, i) =>
      `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: ${prefix}-${i}\n  labels: {gen: "g${gen}"}\nspec:\n  nets: [10.${(i >> 8) & 255}.${i & 255}.0/24, 172.16.${gen}.${i % 250}/32]\n`,
  ).join('---\n')

describe('etcd faults on a three-member cluster: failover, one deadline, truthful counts', {skip, timeout: 600_000}, () => {
  let cluster: TestEtcdCluster
  const dir = mkdtempSync(join(tmpdir(), 'ctl-etcd-faults-'))
  const figures: Record<string, number | string> = {}

  before(async () => {
    cluster = await startEtcdCluster(3)
  })
  after(async () => {
    await cluster?.stop()
    rmSync(dir, {recursive: true, force: true})
    console.log(`# figures: ${JSON.stringify(figures)}`)
  })

  /** Stored sets with this name prefix: name to parsed value (a torn value would throw). */
  async function stored(prefix: string): Promise<Map<string, {metadata: {labels: Record<string, string>}}>> {
    const all = await cluster.client.getAll().prefix(`${SETS}${prefix}-`).strings()
    return new Map(Object.entries(all).map(([k, v]) => [k.slice(SETS.length), JSON.parse(v)]))
  }

  const file = (name: string, text: string) => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  }

  it('a black hole first in the list: a 1,000-resource apply succeeds through the next member', async () => {
    const first = cluster.members[0]!
    // Accepts the connection and then swallows every byte, both ways.
    const hole = await startFaultProxy(Number(new URL(first.endpoint).port), 0)
    try {
      const endpoints = [hole.endpoint, ...cluster.members.slice(1).map((m) => m.endpoint)].join(',')
      const started = Date.now()
      const r = await cliFor(endpoints)(['apply', '-f', file('hole.yaml', sets('hole', 1000)), '--timeout', '3s'], {timeoutMs: 120_000})
      figures.blackHoleApplyMs = Date.now() - started
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, "Successfully applied 1000 'GlobalNetworkSet' resource(s)\n")
      assert.ok(hole.fired, 'the black hole was tried')
      assert.equal((await stored('hole')).size, 1000)
    } finally {
      await hole.close()
    }
  })

  it('the leader killed mid-apply: nothing lost, the count is what landed, the rerun completes', async () => {
    const n = 3000
    const f = file('leader.yaml', sets('leader', n))
    const leader = await cluster.leader()
    const run = cliFor(cluster.endpoints)
    const pending = run(['apply', '-f', f, '-o', 'json'], {timeoutMs: 120_000})
    // Kill the leader once part of the apply has landed.
    for (let seen = 0; seen < 300; ) {
      await new Promise((r) => setTimeout(r, 50))
      seen = await cluster.client.getAll().prefix(`${SETS}leader-`).count()
    }
    await cluster.members[leader]!.kill()
    const r = await pending
    const now = await stored('leader')
    figures.leaderKillMessage = r.stderr.trim().slice(0, 300)
    figures.leaderKillExit = r.code
    figures.landedAtLeaderKill = now.size
    if (r.code !== 0) {
      // Failed part-way: the count is exact, and -o json names every resource either way.
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, new RegExp(`read back after the failure, ${now.size} of ${n} resource write\\(s\\) landed`))
      const report = JSON.parse(r.stdout) as {written: Array<{name: string}>; notWritten: Array<{name: string}>}
      assert.deepEqual(report.written.map((x) => x.name).sort(), [...now.keys()].sort())
      assert.equal(report.written.length + report.notWritten.length, n)
    }
    for (const v of now.values()) assert.equal(v.metadata.labels.gen, 'g1')
    const again = await run(['apply', '-f', f], {timeoutMs: 120_000})
    assert.equal(again.code, 0, again.stderr)
    assert.equal((await stored('leader')).size, n)
    await cluster.members[leader]!.restart()
    await cluster.leader()
  })

  it('quorum lost: every write command fails within --timeout + 3 s naming each member; restored quorum works with no repair', async () => {
    const run = cliFor(cluster.endpoints)
    const base = file('base.yaml', sets('q', 1))
    assert.equal((await run(['apply', '-f', base])).code, 0)
    const changed = file('changed.yaml', sets('q', 1, 2))
    const fresh = file('fresh.yaml', sets('qnew', 1))
    const commands: string[][] = [
      ['create', '-f', fresh],
      ['apply', '-f', changed],
      ['replace', '-f', changed],
      ['patch', 'globalnetworkset', 'q-0', '-p', '{"metadata":{"labels":{"patched":"yes"}}}'],
      ['label', 'globalnetworksets', 'q-0', 'labelled=yes'],
      ['delete', 'globalnetworkset', 'q-0'],
    ]
    const leader = await cluster.leader()
    const down = [leader, (leader + 1) % 3]
    for (const i of down) await cluster.members[i]!.kill()
    const timeoutS = 2
    let slowest = 0
    for (const args of commands) {
      const started = Date.now()
      const r = await run([...args, '--timeout', `${timeoutS}s`], {timeoutMs: 60_000})
      const elapsed = Date.now() - started
      slowest = Math.max(slowest, elapsed)
      assert.equal(r.code, 1, `${args[0]}: ${r.stdout}${r.stderr}`)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      // Each member named with what it did.
      for (const m of cluster.members) assert.match(r.stderr, new RegExp(`${m.endpoint} (connection refused|no answer within [\\d.]+s|no leader)`), `${args[0]}: ${r.stderr}`)
      // Hang guard (not a timing measurement): --timeout plus 3 s.
      assert.ok(elapsed < (timeoutS + 3) * 1000, `${args[0]} took ${elapsed} ms: ${r.stderr}`)
    }
    figures.slowestNoQuorumMs = slowest
    for (const i of down) await cluster.members[i]!.restart()
    await cluster.leader()
    // Nothing was written.
    assert.equal((await stored('qnew')).size, 0)
    assert.equal((await stored('q')).get('q-0')?.metadata.labels.gen, 'g1')
    for (const args of commands) {
      const r = await run(args, {timeoutMs: 60_000})
      assert.equal(r.code, 0, `${args[0]} after quorum came back: ${r.stderr}`)
    }
    assert.equal((await stored('q')).size, 0)
    assert.equal((await stored('qnew')).size, 1)
  })

  it('the CLI SIGKILLed at seeded random points: no partial value, the rerun is exact', async () => {
    const random = rng('etcd-cluster sigkill points')
    const n = 2000
    const run = cliFor(cluster.endpoints)
    assert.equal((await run(['apply', '-f', file('kill-1.yaml', sets('kill', n, 1))], {timeoutMs: 120_000})).code, 0)
    const kills: number[] = []
    for (let gen = 2; gen <= 5; gen++) {
      const f = file(`kill-${gen}.yaml`, sets('kill', n, gen))
      const delay = Math.floor(200 + random() * 2500)
      kills.push(delay)
      const child = spawn(process.execPath, [BIN, 'apply', '-f', f], {
        env: {...process.env, ETCD_ENDPOINTS: cluster.endpoints, DATASTORE_TYPE: 'etcdv3', CALICOCTL_CONFIG: '/nonexistent-default'},
        stdio: 'ignore',
      })
      const exited = new Promise((r) => child.once('exit', r))
      const timer = setTimeout(() => child.kill('SIGKILL'), delay)
      await exited
      clearTimeout(timer)
      // Every value whole: this generation or the one before.
      const now = await stored('kill')
      assert.equal(now.size, n)
      for (const [name, v] of now) assert.ok([`g${gen - 1}`, `g${gen}`].includes(String(v.metadata.labels.gen)), `${name}: ${JSON.stringify(v)}`)
      const again = await run(['apply', '-f', f], {timeoutMs: 120_000})
      assert.equal(again.code, 0, again.stderr)
      const done = await stored('kill')
      assert.equal(done.size, n)
      for (const v of done.values()) assert.equal(v.metadata.labels.gen, `g${gen}`)
    }
    figures.killDelaysMs = kills.join(',')
  })
})
