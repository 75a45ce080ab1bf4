// What deleting an IPPool or a Node takes with it, through the CLI and the delete service.
import assert from 'node:assert/strict'
import {after, before, beforeEach, describe, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {ensureTunnelAddress, Ipam, ipipTunnelHandle} from '../../src/ipam/index.js'
import {kindByName} from '../../src/resources/registry.js'
import type {Resource} from '../../src/resources/types.js'
import {runDelete} from '../../src/service/delete.js'
import {readPool} from '../../src/resources/kinds/ippool.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

const RES = '/calico/resources/v3/projectcalico.org/'
let etcd: TestEtcd
let run: ReturnType<typeof cliFor>
let ds: EtcdDatastore
let store: ResourceStore
let ipam: Ipam

async function put(kind: string, name: string, spec: Record<string, unknown>, namespace?: string): Promise<Resource> {
  const def = kindByName(kind)
  assert.ok(def, kind)
  const r: Resource = {apiVersion: 'projectcalico.org/v3', kind, metadata: {name, ...(namespace ? {namespace} : {})}, spec}
  def.defaults?.(r)
  const [res] = await store.createMany([{def, resource: store.prepareCreate(def, r)}])
  assert.ok(res?.ok, `create ${kind} ${name}`)
  return res.resource
}

const keys = async (prefix: string) => Object.keys(await etcd.client.getAll().prefix(prefix).strings()).sort()

before(async () => {
  etcd = await startEtcd()
  run = cliFor(etcd.endpoint)
  ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 5000} as any)
  store = new ResourceStore(ds)
  ipam = new Ipam(ds)
})
after(async () => {
  ds.close()
  await etcd.stop()
})
beforeEach(async () => etcd.wipe())

describe('IPPool delete cascade', () => {
  test('disables the pool, releases its block affinities, then deletes it; other pools keep theirs', async () => {
    const p1 = await put('IPPool', 'pool1', {cidr: '10.1.0.0/24', blockSize: 26, ipipMode: 'Always'})
    const p2 = await put('IPPool', 'pool2', {cidr: '10.2.0.0/24', blockSize: 26, ipipMode: 'Always'})
    // An empty block of pool1 (claimed, nothing assigned), a block of pool1 holding an
    // address, and a block of pool2.
    await ipam.claimBlock('node-a', [readPool(p1)])
    await ipam.autoAssign({node: 'node-b', num: 1, handleId: 'wl-b', attrs: {node: 'node-b'}, pools: [readPool(p1)]})
    await ipam.autoAssign({node: 'node-b', num: 1, handleId: 'wl-b2', attrs: {node: 'node-b'}, pools: [readPool(p2)]})
    assert.equal((await ipam.listAffinities()).length, 3)

    // A dry run changes nothing.
    await runDelete(store, {kind: 'ippool', names: ['pool1'], dryRun: true})
    assert.equal((await ipam.listAffinities()).length, 3)
    assert.notEqual((await store.get(kindByName('IPPool')!, 'pool1'))?.spec.disabled, true)

    const del = await run(['delete', 'ippool', 'pool1'])
    assert.equal(del.code, 0, del.stderr)
    assert.match(del.stdout, /Successfully deleted 1 'IPPool' resource/)
    assert.deepEqual(await keys(`${RES}ippools/`), [`${RES}ippools/pool2`])
    const affs = await ipam.listAffinities()
    assert.deepEqual(
      affs.map((a) => `${a.node} ${a.cidr}`),
      ['node-b 10.2.0.0/26'],
      'no affinity into pool1 is left',
    )
    const blocks = await ipam.listBlocks()
    // pool1's empty block is gone; its block with an address stays, without affinity.
    assert.deepEqual(
      blocks.map((b) => [b.cidr, b.node ?? null, b.inUse]),
      [
        ['10.1.0.64/26', null, 1],
        ['10.2.0.0/26', 'node-b', 1],
      ].sort(),
    )
  })
})

describe('Node delete cascade', () => {
  test('releases its addresses and affinities and deletes its peers, configuration and endpoints', async () => {
    const pool = await put('IPPool', 'pool1', {cidr: '10.3.0.0/24', blockSize: 26, ipipMode: 'Always'})
    const pools = [readPool(pool)]
    const t = await ensureTunnelAddress(ipam, {node: 'node-a', pools})
    await put('Node', 'node-a', {bgp: {ipv4Address: '192.0.2.1/24', ipv4IPIPTunnelAddr: t.address}})
    await put('Node', 'node-b', {bgp: {ipv4Address: '192.0.2.2/24'}})
    const [wa] = (await ipam.autoAssign({node: 'node-a', num: 1, handleId: 'k8s-pod-a', attrs: {node: 'node-a', namespace: 'default', pod: 'a'}, pools})).ips
    const [wb] = (await ipam.autoAssign({node: 'node-b', num: 1, handleId: 'k8s-pod-b', attrs: {node: 'node-b', namespace: 'default', pod: 'b'}, pools})).ips
    await put('WorkloadEndpoint', 'node--a-k8s-a-eth0', {orchestrator: 'k8s', node: 'node-a', workload: 'a', endpoint: 'eth0', ipNetworks: [`${wa}/32`], interfaceName: 'calia'}, 'default')
    await put('WorkloadEndpoint', 'node--b-k8s-b-eth0', {orchestrator: 'k8s', node: 'node-b', workload: 'b', endpoint: 'eth0', ipNetworks: [`${wb}/32`], interfaceName: 'calib'}, 'default')
    await put('BGPPeer', 'peer-a', {node: 'node-a', peerIP: '192.0.2.10', asNumber: 64513})
    await put('BGPPeer', 'peer-b', {node: 'node-b', peerIP: '192.0.2.11', asNumber: 64513})
    await put('BGPPeer', 'peer-global', {peerIP: '192.0.2.12', asNumber: 64513})
    await put('BGPConfiguration', 'node.node-a', {logSeverityScreen: 'Debug'})
    await put('FelixConfiguration', 'node.node-a', {logSeverityScreen: 'Debug'})
    await put('FelixConfiguration', 'node.node-b', {logSeverityScreen: 'Debug'})
    await put('HostEndpoint', 'hep-a', {node: 'node-a', interfaceName: 'eth0'})
    await put('HostEndpoint', 'hep-b', {node: 'node-b', interfaceName: 'eth0'})
    await etcd.client.put('/calico/ipam/v2/host/node-a').value('{}') // the IPAM host entry
    const before = await keys('/calico/')

    // A dry run changes nothing at all.
    const dry = await runDelete(store, {kind: 'node', names: ['node-a'], dryRun: true})
    assert.ok(dry)
    assert.deepEqual(await keys('/calico/'), before)

    const del = await run(['delete', 'node', 'node-a'])
    assert.equal(del.code, 0, del.stderr)
    assert.match(del.stdout, /Successfully deleted 1 'Node' resource/)

    assert.deepEqual(await keys(`${RES}nodes/`), [`${RES}nodes/node-b`])
    assert.deepEqual(await keys(`${RES}bgppeers/`), [`${RES}bgppeers/peer-b`, `${RES}bgppeers/peer-global`])
    assert.deepEqual(await keys(`${RES}bgpconfigurations/`), [])
    assert.deepEqual(await keys(`${RES}felixconfigurations/`), [`${RES}felixconfigurations/node.node-b`])
    assert.deepEqual(await keys(`${RES}hostendpoints/`), [`${RES}hostendpoints/hep-b`])
    assert.deepEqual(await keys(`${RES}workloadendpoints/`), [`${RES}workloadendpoints/default/node--b-k8s-b-eth0`])
    // Addresses: node-a's are free, node-b's are kept.
    assert.equal(await ipam.getAssignmentAttributes(t.address as string), undefined)
    assert.equal(await ipam.getAssignmentAttributes(wa as string), undefined)
    assert.equal(await ipam.getHandle(ipipTunnelHandle('node-a')), undefined)
    assert.equal(await ipam.getHandle('k8s-pod-a'), undefined)
    assert.ok(await ipam.getAssignmentAttributes(wb as string))
    assert.deepEqual(await keys('/calico/ipam/v2/host/node-a'), [])
    assert.deepEqual(
      (await ipam.listAffinities()).map((a) => a.node),
      ['node-b'],
    )
  })
})
