// The watch's liveness pings stay within etcd's keepalive policy: etcd (--grpc-keepalive-min-time,
// 5 s by default) ends a connection whose pings come closer than that three times running
// (GOAWAY, ENHANCE_YOUR_CALM). The watch pinged every --timeout, so a short --timeout had an idle
// watch cut every few seconds, and the 5 s default sat on the edge (an idle agent resumed its
// watch now and then, with a pass each time). Pings are now at least PING_EVERY_MIN_MS apart.
import assert from 'node:assert/strict'
import {after, before, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {PING_EVERY_MIN_MS, type WatchEvent} from '../../src/datastore/watch.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {haveCommand} from '../helpers/netns.js'
import {hangGuard} from '../helpers/time.js'

const skip = haveCommand('etcd') ? false : 'needs etcd'
let etcd: TestEtcd | undefined
before(async () => {
  if (!skip) etcd = await startEtcd()
})
after(async () => {
  await etcd?.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('an idle watch with a 1 s --timeout stays connected past a ping, and still delivers', {skip, timeout: 120_000}, async () => {
  const ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd!.endpoint], timeoutMs: 1000})
  const disconnects: string[] = []
  const events: WatchEvent[] = []
  const w = await ds.watch(['/keepalive/'], await ds.revision(), {
    onEvent: (e) => events.push(e),
    onLost: (e) => disconnects.push(`lost: ${e.message}`),
    onDisconnected: (e) => disconnects.push(e.message),
  })
  try {
    // Past the first ping and its answer; pinging every second, etcd ended the stream at about 4 s.
    await sleep(PING_EVERY_MIN_MS + 2000)
    assert.deepEqual(disconnects, [])
    await ds.write({type: 'put', key: '/keepalive/k', value: 'v'})
    const done = hangGuard('the event after the idle time', 30_000)
    while (events.length === 0) await sleep(20)
    done()
    assert.equal(events[0]?.key, '/keepalive/k')
    assert.deepEqual(disconnects, [])
  } finally {
    w.close()
    ds.close()
  }
})
