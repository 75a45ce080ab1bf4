// The datastore's watch (src/datastore/watch.ts) on a three-member etcd cluster on loopback: the
// member the watch is on is killed (SIGKILL) or stopped (SIGSTOP: a black hole that sends no
// error) while a writer keeps writing; the watch moves to another member and resumes, and the
// events it delivered are exactly etcd's history (compared with a fresh watch from the same start
// revision afterwards): none lost, none twice, in revision order. A resume revision that was
// compacted while the watch was away is reported as lost (kind `compacted`) and a resync from a
// fresh list sees everything. Random choices (the kill point) come from TEST_SEED.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {after, before, describe, it} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import type {EtcdError} from '../../src/datastore/transport.js'
import type {Watch, WatchEvent} from '../../src/datastore/watch.js'
import {startEtcdCluster, type TestEtcdCluster, type TestEtcdMember} from '../helpers/etcd.js'
import {haveCommand} from '../helpers/netns.js'
import {rng} from '../helpers/random.js'
import {hangGuard} from '../helpers/time.js'

const skip = haveCommand('etcd') ? undefined : 'needs etcd'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function waitFor(what: string, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const done = hangGuard(what, timeoutMs)
  while (!probe()) await sleep(50)
  done()
}

function datastore(endpoints: string[], timeoutMs: number): Promise<EtcdDatastore> {
  return EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints, timeoutMs})
}

/** Events as lines in revision order (etcd orders each prefix's events; a catching-up watch may send one prefix's ahead of another's). */
const byRevision = (es: WatchEvent[]) => [...es].sort((a, b) => (BigInt(a.revision) < BigInt(b.revision) ? -1 : BigInt(a.revision) > BigInt(b.revision) ? 1 : a.key.localeCompare(b.key))).map(line)

const line = (e: WatchEvent) => `${e.revision} ${e.type} ${e.key}${e.value === undefined ? '' : `=${e.value}`}`

/** etcd's history under the prefixes from `after`+1 to `until`, read by a fresh watch on one member. */
async function history(endpoint: string, prefixes: string[], after: string, until: string): Promise<string[]> {
  const ds = await datastore([endpoint], 5000)
  const seen: WatchEvent[] = []
  const w = await ds.watch(prefixes, after, {onEvent: (e) => seen.push(e), onLost: (e) => assert.fail(`reference watch lost: ${e.message}`)})
  try {
    await waitFor('the reference watch to reach the last write (hang guard)', () => BigInt(w.lastRevision) >= BigInt(until))
    return byRevision(seen)
  } finally {
    w.close()
    ds.close()
  }
}

describe('the watch fails over between etcd members', {skip, timeout: 400_000}, () => {
  let cluster: TestEtcdCluster
  /** Each test its own keys, so that one test's writes never meet another's. */
  const prefixes = (test: string) => [`/wf/${test}/a/`, `/wf/${test}/b/`]

  before(async () => {
    cluster = await startEtcdCluster(3)
  })
  after(async () => {
    for (const m of cluster?.members ?? []) if (m.running) process.kill(m.pid, 'SIGCONT')
    await cluster?.stop()
  })

  for (const how of ['killed', 'stopped'] as const) {
    it(`the member the watch is on is ${how} mid-stream: every event arrives once, in order`, async () => {
      const random = rng(`watch failover ${how}`)
      const PREFIXES = prefixes(how)
      const endpoints = cluster.members.map((m) => m.endpoint)
      const ds = await datastore(endpoints, 2000)
      let writer: EtcdDatastore | undefined
      const start = await ds.revision()
      const events: WatchEvent[] = []
      const disconnects: EtcdError[] = []
      const reconnects: string[] = []
      let w: Watch | undefined
      let victim: TestEtcdMember | undefined
      try {
        w = await ds.watch(PREFIXES, start, {
          onEvent: (e) => events.push(e),
          onDisconnected: (e) => disconnects.push(e),
          onConnected: (ep) => reconnects.push(ep),
          onLost: (e) => assert.fail(`lost: ${e.message}`),
        })
        const on = w.endpoint
        victim = cluster.members.find((m) => m.endpoint === on)
        assert.ok(victim, `the watch is on one of the members (${on})`)
        // The writer writes through the other members (writes failing over is etcd-cluster.test.ts's
        // subject), one client per command as the CLI does: after a failed write (the killed
        // member led, and the others hold writes until they elect another), a new one.
        const others = endpoints.filter((e) => e !== on)
        writer = await datastore(others, 5000)
        const total = 240
        const killAt = random.between(40, 160)
        console.log(`# ${how}: member ${victim.name} (the watch's) after write ${killAt} of ${total}`)
        for (let i = 0; i < total; i++) {
          if (i === killAt) {
            if (how === 'killed') await victim.kill()
            else process.kill(victim.pid, 'SIGSTOP')
          }
          const prefix = PREFIXES[i % 2]!
          // Every fifth write deletes a key written before; the rest create new keys.
          const op = i % 5 === 4 ? ({type: 'delete', key: `${prefix}k-${i - 4}`} as const) : ({type: 'create', key: `${prefix}k-${i}`, value: `v${i}`} as const)
          // A write that fails while the cluster elects a leader is left as it is: the reference
          // history below shows whether it landed.
          await writer.write(op).catch(async () => {
            writer?.close()
            writer = await datastore(others, 5000)
          })
        }
        const last = await writer.revision()
        await waitFor(`the watch to deliver up to revision ${last} (hang guard)`, () => BigInt(w!.lastRevision) >= BigInt(last))
        assert.ok(disconnects.length >= 1, 'the watch saw its member go')
        assert.ok(reconnects.length >= 1 && reconnects.every((ep) => ep !== victim!.endpoint), `resumed on another member: ${reconnects}`)
        const survivor = cluster.members.find((m) => m !== victim && m.running)!
        const expected = await history(survivor.endpoint, PREFIXES, start, last)
        // Every write before the kill landed (one event each); some after it may not have.
        assert.ok(expected.length >= killAt, `the history has the writes before the kill (${expected.length} events, kill after ${killAt})`)
        assert.deepEqual(byRevision(events), expected)
        // Each prefix's events came in increasing revision order, one per revision (one key per write here).
        for (const p of PREFIXES) {
          const revs = events.filter((e) => e.key.startsWith(p)).map((e) => BigInt(e.revision))
          assert.ok(
            revs.every((r, k) => k === 0 || r > revs[k - 1]!),
            `${p}: increasing revisions`,
          )
        }
      } finally {
        w?.close()
        ds.close()
        writer?.close()
        if (victim && how === 'stopped') process.kill(victim.pid, 'SIGCONT')
        await victim?.restart()
      }
      // Back to three members before the next test.
      await cluster.leader()
      await sleep(500)
    })
  }

  it('a resume revision compacted while the watch was away: reported as lost, and a resync from a fresh list sees every write', async () => {
    const leader = await cluster.leader()
    // The watch starts on a follower, so that stopping it leaves the leader writing at once.
    const follower = cluster.members.findIndex((m, i) => i !== leader && m.running)
    const order = [follower, ...cluster.members.map((_, i) => i).filter((i) => i !== follower)]
    const ds = await datastore(
      order.map((i) => cluster.members[i]!.endpoint),
      4000,
    )
    const writer = await datastore([cluster.members[leader]!.endpoint], 5000)
    const lost: EtcdError[] = []
    const victim = cluster.members[follower]!
    const PREFIXES = prefixes('compaction')
    let w: Watch | undefined
    try {
      w = await ds.watch(PREFIXES, await ds.revision(), {onEvent: () => {}, onLost: (e) => lost.push(e)})
      assert.equal(w.endpoint, victim.endpoint)
      process.kill(victim.pid, 'SIGSTOP')
      // While the watch waits for its member's answer: writes, then a compaction past them.
      for (let i = 0; i < 5; i++) await writer.write({type: 'put', key: `${PREFIXES[0]}gone-${i}`, value: `${i}`})
      const now = await writer.revision()
      execFileSync('etcdctl', ['--endpoints', cluster.members[leader]!.endpoint, 'compaction', '--physical', now], {env: {...process.env, ETCDCTL_API: '3'}, stdio: 'pipe'})
      await waitFor('the watch to report the compaction (hang guard)', () => lost.length > 0)
      assert.equal(lost.length, 1)
      assert.equal(lost[0]!.kind, 'compacted')
      w.close()
      // The resync: a fresh list, and a watch from its revision.
      const listed = await ds.list(`${PREFIXES[0]}gone-`)
      assert.deepEqual(
        listed.kvs.map((kv) => kv.value),
        ['0', '1', '2', '3', '4'],
      )
      const events: WatchEvent[] = []
      w = await ds.watch(PREFIXES, listed.revision, {onEvent: (e) => events.push(e), onLost: (e) => assert.fail(`lost again: ${e.message}`)})
      await writer.write({type: 'put', key: `${PREFIXES[0]}after-resync`, value: 'x'})
      await waitFor('the write after the resync (hang guard)', () => events.length === 1)
      assert.equal(events[0]!.key, `${PREFIXES[0]}after-resync`)
      // A progress request: etcd says every watcher has seen up to (at least) that write.
      assert.ok(BigInt(await w.progress()) >= BigInt(events[0]!.revision))
    } finally {
      w?.close()
      ds.close()
      writer.close()
      process.kill(victim.pid, 'SIGCONT')
    }
  })

  it('a closed watch does not hold the process (a command that waited with one exits at once)', async () => {
    // Resources that keep the event loop alive (sockets: TCPSocketWrap): the datastore's own connection is
    // unref'd while no call is in flight, an open watch holds the process (an agent), and a
    // closed one must not, though etcd ends the stream up to a second later.
    const holding = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length
    const ds = await datastore([cluster.members[0]!.endpoint], 5000)
    try {
      await ds.revision()
      const before = holding()
      const w = await ds.watch(['/wf/closed/'], await ds.revision(), {onEvent: () => {}, onLost: () => {}})
      assert.equal(holding(), before + 1, 'an open watch holds the process')
      w.close()
      assert.equal(holding(), before, 'the closed watch still holds the process')
    } finally {
      ds.close()
    }
  })
})
