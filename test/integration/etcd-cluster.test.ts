// A three-member etcd cluster on loopback, the CLI given all three endpoints: with the leader
// killed (SIGKILL) the CLI still creates, reads, patches and deletes resources through the other
// two, whichever order the endpoints are listed in, and nothing written before is lost. With a
// second member gone (no quorum) a write fails with one line naming the endpoints, within the
// timeout, instead of hanging.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {cliFor} from '../helpers/cli.js'
import {startEtcdCluster, type TestEtcdCluster} from '../helpers/etcd.js'
import {haveCommand} from '../helpers/netns.js'

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
    assert.match(r.stderr, /cannot reach etcd at http:\/\/127\.0\.0\.1:\d+,http:\/\/127\.0\.0\.1:\d+,http:\/\/127\.0\.0\.1:\d+/)
    assert.doesNotMatch(r.stderr, /\n\s+at /)
  })
})
