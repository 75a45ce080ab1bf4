// The watch-fed snapshot cache of `node run` against a real etcd: a list at one revision equals a
// plain snapshot read; watch events (puts with values, deletes) update only the keys they name,
// and the next snapshot rebuilds only the kinds that changed (the others are the same arrays);
// a re-read of the pass's own writes wins over the watch's older copies of them. Built from the
// cache, the iptables input keeps the objects of what did not change (so the incremental model
// skips them by identity) and still equals a build from a fresh read.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {compileSelector} from '../../src/dataplane/iptables/index.js'
import {buildDesiredState, IncrementalModel} from '../../src/dataplane/iptables/model.js'
import {encodeResource} from '../../src/datastore/codec.js'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {listPrefix} from '../../src/datastore/keys.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {newBlock} from '../../src/ipam/block.js'
import {encodeBlock} from '../../src/ipam/codec.js'
import {Ipam} from '../../src/ipam/index.js'
import {affinityKey, BLOCK_PREFIX_V4, blockKey} from '../../src/ipam/keys.js'
import {readSnapshot, SnapshotCache} from '../../src/node/cache.js'
import type {PartName} from '../../src/node/pass.js'
import {cacheSource} from '../../src/node/run.js'
import {buildIptablesInput, type Snapshot} from '../../src/node/snapshot.js'
import {DatastoreWatch, type WatchEvent} from '../../src/node/watch.js'
import {kindByName} from '../../src/resources/registry.js'
import type {Resource} from '../../src/resources/types.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {waitFor} from '../helpers/netns.js'

const v3 = 'projectcalico.org/v3'

describe('node run snapshot cache', () => {
  let etcd: TestEtcd
  let ds: EtcdDatastore
  let store: ResourceStore
  let ipam: Ipam

  const put = async (kind: string, r: Omit<Resource, 'apiVersion' | 'kind'>): Promise<string> => {
    const def = kindByName(kind)!
    const res = store.prepareCreate(def, {apiVersion: v3, kind, ...r} as Resource)
    const [w] = await ds.writeBatch([{type: 'put', key: store.keyOf(def, res.metadata.name, res.metadata.namespace), value: encodeResource(def, res)}])
    return w!.revision
  }
  const del = async (kind: string, name: string) => {
    const def = kindByName(kind)!
    await ds.writeBatch([{type: 'delete', key: store.keyOf(def, name)}])
  }
  const gnp = (name: string, order: number) => ({metadata: {name}, spec: {order, selector: 'all()', ingress: [{action: 'Allow'}]}})
  const names = (rs: Resource[]) => rs.map((r) => r.metadata.name)

  before(async () => {
    etcd = await startEtcd()
    ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 10_000})
    store = new ResourceStore(ds)
    ipam = new Ipam(ds)
    await put('IPPool', {metadata: {name: 'pool'}, spec: {cidr: '10.0.0.0/16', blockSize: 26, ipipMode: 'Always'}})
    await put('Node', {metadata: {name: 'host-a'}, spec: {bgp: {ipv4Address: '192.0.2.1/24'}}})
    await put('GlobalNetworkPolicy', gnp('gnp-0', 0))
    await put('GlobalNetworkPolicy', gnp('gnp-1', 1))
    await ds.writeBatch([{type: 'put', key: blockKey('10.0.0.0/26'), value: encodeBlock(newBlock('10.0.0.0/26', 'host-a', new Date()))}])
  })
  after(async () => {
    ds?.close()
    await etcd?.stop()
  })

  it('lists at one revision what a plain read returns, then follows events key by key', async () => {
    const cache = new SnapshotCache(store, ipam)
    await cache.load()
    const first = cache.snapshot()
    assert.equal(first.changes.all, true)
    assert.deepEqual(first.snapshot, await readSnapshot(store, ipam))
    assert.deepEqual(names(first.snapshot.globalNetworkPolicies), ['gnp-0', 'gnp-1'])
    assert.deepEqual(first.snapshot.blocks.map((b) => [b.cidr, b.node]), [['10.0.0.0/26', 'host-a']])

    // An event at or below the listed revision is already in the list.
    assert.equal(cache.apply({type: 'delete', key: store.keyOf(kindByName('GlobalNetworkPolicy')!, 'gnp-0'), revision: cache.loadedRevision.toString()}), false)

    const seen: WatchEvent[] = []
    const watch = await DatastoreWatch.open(ds, cache.loadedRevision.toString(), {
      onEvent: (e) => {
        seen.push(e)
        cache.apply(e)
      },
      onLost: (why) => assert.fail(why),
    })
    try {
      await put('GlobalNetworkPolicy', gnp('gnp-1', 7))
      await del('GlobalNetworkPolicy', 'gnp-0')
      await put('GlobalNetworkPolicy', gnp('gnp-2', 2))
      const last = await put('Node', {metadata: {name: 'host-b'}, spec: {bgp: {ipv4Address: '192.0.2.2/24'}}})
      await waitFor('the four events', () => seen.some((e) => e.revision === last) || undefined, 20_000)

      const second = cache.snapshot()
      assert.equal(second.changes.all, false)
      assert.deepEqual([...second.changes.fields].sort(), ['globalNetworkPolicies', 'nodes'])
      assert.deepEqual([...second.changes.nodes], ['host-b'])
      assert.equal(second.changes.ipamNodes.size, 0)
      // Unchanged kinds are the very same arrays; changed ones are rebuilt in key order.
      for (const f of Object.keys(first.snapshot) as Array<keyof Snapshot>) {
        if (f === 'globalNetworkPolicies' || f === 'nodes') assert.notEqual(second.snapshot[f], first.snapshot[f], f)
        else assert.equal(second.snapshot[f], first.snapshot[f], f)
      }
      assert.deepEqual(names(second.snapshot.globalNetworkPolicies), ['gnp-1', 'gnp-2'])
      assert.equal((second.snapshot.globalNetworkPolicies[0]!.spec as {order: number}).order, 7)
      assert.deepEqual(names(second.snapshot.nodes), ['host-a', 'host-b'])
      assert.deepEqual(second.snapshot, await readSnapshot(store, ipam))

      // Nothing new: nothing changed, nothing rebuilt.
      const third = cache.snapshot()
      assert.equal(third.changes.fields.size, 0)
      for (const f of Object.keys(first.snapshot) as Array<keyof Snapshot>) assert.equal(third.snapshot[f], second.snapshot[f], f)
    } finally {
      await watch.close()
    }
  })

  it('a re-read of the own writes is not undone by the watch copies of older revisions', async () => {
    const cache = new SnapshotCache(store, ipam)
    await cache.load()
    cache.snapshot()
    const nodeKey = store.keyOf(kindByName('Node')!, 'host-b')
    const older = await put('Node', {metadata: {name: 'host-b'}, spec: {bgp: {ipv4Address: '192.0.2.3/24'}}})
    await put('Node', {metadata: {name: 'host-b'}, spec: {bgp: {ipv4Address: '192.0.2.4/24'}}})
    await ds.writeBatch([{type: 'put', key: blockKey('10.0.0.64/26'), value: encodeBlock(newBlock('10.0.0.64/26', 'host-b', new Date()))}])

    await cache.reread([nodeKey, BLOCK_PREFIX_V4])
    const s = cache.snapshot()
    assert.deepEqual([...s.changes.fields].sort(), ['blocks', 'nodes'])
    assert.deepEqual([...s.changes.ipamNodes], ['host-b'])
    assert.equal((s.snapshot.nodes.find((n) => n.metadata.name === 'host-b')!.spec as {bgp: {ipv4Address: string}}).bgp.ipv4Address, '192.0.2.4/24')
    assert.deepEqual(s.snapshot.blocks.map((b) => b.cidr), ['10.0.0.0/26', '10.0.0.64/26'])

    // The watch delivering the older put afterwards changes nothing.
    const def = kindByName('Node')!
    const stale = encodeResource(def, store.prepareCreate(def, {apiVersion: v3, kind: 'Node', metadata: {name: 'host-b'}, spec: {bgp: {ipv4Address: '192.0.2.3/24'}}}))
    assert.equal(cache.apply({type: 'put', key: nodeKey, value: stale, revision: older}), false)
    // A key gone from a re-read prefix is deleted; an older put of it does not bring it back.
    await ds.writeBatch([{type: 'delete', key: blockKey('10.0.0.64/26')}])
    await cache.reread([BLOCK_PREFIX_V4])
    assert.equal(cache.apply({type: 'put', key: blockKey('10.0.0.64/26'), value: encodeBlock(newBlock('10.0.0.64/26', 'host-b', new Date())), revision: older}), false)
    const after2 = cache.snapshot()
    assert.deepEqual([...after2.changes.fields], ['blocks'])
    // A deleted block frees space any node may claim.
    assert.deepEqual([...after2.changes.ipamNodes].sort(), ['', 'host-b'])
    assert.deepEqual(after2.snapshot.blocks.map((b) => b.cidr), ['10.0.0.0/26'])
    assert.deepEqual(after2.snapshot, await readSnapshot(store, ipam))
  })

  it("records whose IPAM data changed (an affinity: its host; a handle: anyone's), and ignores keys outside the snapshot", async () => {
    const cache = new SnapshotCache(store, ipam)
    await cache.load()
    cache.snapshot()
    const rev = (cache.loadedRevision + 1n).toString()
    assert.equal(cache.apply({type: 'put', key: '/calico/ipam/v2/handle/ipip-tunnel-addr-host-a', value: '{}', revision: rev}), true)
    assert.equal(cache.apply({type: 'put', key: affinityKey('host-z', '10.0.1.0/26'), value: '{}', revision: rev}), true)
    assert.equal(cache.apply({type: 'put', key: '/calico/resources/v3/projectcalico.org/clusterinformations/default', value: '{}', revision: rev}), false)
    const s = cache.snapshot()
    assert.deepEqual([...s.changes.ipamNodes].sort(), ['', 'host-z'])
    assert.equal(s.changes.fields.size, 0)
  })

  it('as a pass source: an incremental read names the parts to run; a re-read of own writes carries node and ipam to the next pass', async () => {
    const cache = new SnapshotCache(store, ipam)
    await cache.load()
    const carry = new Set<PartName>()
    assert.equal((await cacheSource(cache, {full: true, reload: false, carry}).read('host-a')).parts, undefined)
    const def = kindByName('GlobalNetworkPolicy')!
    const r = store.prepareCreate(def, {apiVersion: v3, kind: 'GlobalNetworkPolicy', ...gnp('gnp-9', 9)} as Resource)
    const key = store.keyOf(def, 'gnp-9')
    const [w] = await ds.writeBatch([{type: 'put', key, value: encodeResource(def, r)}])
    cache.apply({type: 'put', key, value: encodeResource(def, r), revision: w!.revision})
    const src = cacheSource(cache, {full: false, reload: false, carry})
    assert.deepEqual([...((await src.read('host-a')).parts ?? [])], ['iptables'])

    // The pass wrote host-a's Node: the re-read shows it, and node/ipam are owed a run.
    await put('Node', {metadata: {name: 'host-a'}, spec: {bgp: {ipv4Address: '192.0.2.9/24'}}})
    const snap = await src.reread('host-a')
    assert.equal((snap.nodes.find((n) => n.metadata.name === 'host-a')!.spec as {bgp: {ipv4Address: string}}).bgp.ipv4Address, '192.0.2.9/24')
    assert.deepEqual([...carry], ['node', 'ipam'])
    assert.deepEqual([...((await cacheSource(cache, {full: false, reload: false, carry}).read('host-a')).parts ?? [])], ['node', 'ipam'])
    assert.equal(carry.size, 0)
  })

  it('the iptables input from the cache reuses the objects of unchanged resources and equals a fresh build', async () => {
    const host = {nodeName: 'host-a', nodeIPv4: '192.0.2.1/24', hostInterface: 'eth0'}
    await put('WorkloadEndpoint', {
      metadata: {name: 'host--a-k8s-pod1-eth0', namespace: 'default', labels: {app: 'one'}},
      spec: {orchestrator: 'k8s', node: 'host-a', pod: 'pod1', endpoint: 'eth0', interfaceName: 'cali0000000001', ipNetworks: ['10.0.0.2/32']},
    })
    for (const i of [20, 21, 22]) await put('GlobalNetworkPolicy', gnp(`gnp-${i}`, i))
    const cache = new SnapshotCache(store, ipam)
    await cache.load()
    const before = buildIptablesInput(cache.snapshot().snapshot, host, compileSelector)
    const model = new IncrementalModel()
    model.build(before)
    const byName = (i: typeof before) => new Map(i.policies.map((p) => [p.name, p]))

    // Nothing changed: the very same input parts.
    const same = buildIptablesInput(cache.snapshot().snapshot, host, compileSelector)
    for (const f of ['tiers', 'policies', 'profiles', 'workloadEndpoints', 'hostEndpoints', 'networkSets', 'pools', 'allHostIPs'] as const) assert.equal(same[f], before[f], f)

    // One policy changed, one added, one deleted, one node added.
    await put('GlobalNetworkPolicy', gnp('gnp-21', 121))
    await put('GlobalNetworkPolicy', gnp('gnp-23', 23))
    await del('GlobalNetworkPolicy', 'gnp-22')
    await put('Node', {metadata: {name: 'host-c'}, spec: {bgp: {ipv4Address: '192.0.2.30/24'}}})
    await cache.reread([listPrefix(kindByName('GlobalNetworkPolicy')!), listPrefix(kindByName('Node')!)])
    const after = buildIptablesInput(cache.snapshot().snapshot, host, compileSelector)
    const was = byName(before)
    const now = byName(after)
    assert.equal(now.get('gnp-20'), was.get('gnp-20'))
    assert.notEqual(now.get('gnp-21'), was.get('gnp-21'))
    assert.equal(now.get('gnp-21')?.spec.order, 121)
    assert.ok(now.has('gnp-23') && !now.has('gnp-22'))
    // Kinds that did not change keep their lists; the node's address is in the all-hosts list.
    assert.equal(after.workloadEndpoints, before.workloadEndpoints)
    assert.equal(after.profiles, before.profiles)
    assert.ok(after.allHostIPs.includes('192.0.2.30'))

    const fresh = buildIptablesInput(await readSnapshot(store, ipam), host, compileSelector)
    assert.deepEqual(after, fresh)
    assert.deepEqual(model.build(after), buildDesiredState(fresh))
  })

  it('a re-list (resync) that finds what the cache holds says so and keeps every object; one that finds a change says that', async () => {
    const cache = new SnapshotCache(store, ipam)
    assert.equal(await cache.load(), true) // from empty
    const first = cache.snapshot().snapshot
    assert.equal(await cache.load(), false)
    const {snapshot: again, changes} = cache.snapshot()
    assert.equal(changes.all, false)
    assert.equal(changes.fields.size, 0)
    for (const f of Object.keys(first) as Array<keyof Snapshot>) assert.equal(again[f], first[f], f)
    // A write the cache did not see (no watch here): the re-list finds it.
    await put('GlobalNetworkPolicy', gnp('gnp-resync', 7))
    assert.equal(await cache.load(), true)
    const {snapshot: after, changes: c2} = cache.snapshot()
    assert.equal(c2.all, true)
    assert.ok(names(after.globalNetworkPolicies).includes('gnp-resync'))
    // Unchanged resources are still the objects the first list decoded.
    const byName = (s: Snapshot, n: string) => s.globalNetworkPolicies.find((r) => r.metadata.name === n)
    assert.equal(byName(after, 'gnp-0'), byName(first, 'gnp-0'))
    await del('GlobalNetworkPolicy', 'gnp-resync')
    assert.equal(await cache.load(), true)
    assert.ok(!names(cache.snapshot().snapshot.globalNetworkPolicies).includes('gnp-resync'))
  })
})
