// `datastore migrate lock|unlock|export` through the built CLI against a real etcd.
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {Ipam} from '../../src/ipam/index.js'
import {kindByName} from '../../src/resources/registry.js'
import type {Resource} from '../../src/resources/types.js'
import {readPool} from '../../src/resources/kinds/ippool.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

const CI_KEY = '/calico/resources/v3/projectcalico.org/clusterinformations/default'
let etcd: TestEtcd
let run: ReturnType<typeof cliFor>
let ds: EtcdDatastore
let store: ResourceStore
const dir = mkdtempSync(join(tmpdir(), 'ctl-ds-'))

async function put(kind: string, name: string, spec: Record<string, unknown>, namespace?: string): Promise<Resource> {
  const def = kindByName(kind)
  assert.ok(def, kind)
  const r: Resource = {apiVersion: 'projectcalico.org/v3', kind, metadata: {name, ...(namespace ? {namespace} : {})}, spec}
  def.defaults?.(r)
  const [res] = await store.createMany([{def, resource: store.prepareCreate(def, r)}])
  assert.ok(res?.ok, `create ${kind} ${name}`)
  return res.resource
}

const ready = async () => JSON.parse((await etcd.client.get(CI_KEY).string()) ?? 'null')?.spec?.datastoreReady

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

describe('datastore migrate', () => {
  test('lock, export (refused while unlocked), restore the resources with apply, unlock', async () => {
    const pool = await put('IPPool', 'pool1', {cidr: '10.5.0.0/24', blockSize: 26, ipipMode: 'Always', natOutgoing: true})
    await put('BGPPeer', 'peer1', {peerIP: '192.0.2.10', asNumber: 64513})
    await put('WorkloadEndpoint', 'n1-k8s-w-eth0', {orchestrator: 'k8s', node: 'n1', workload: 'w', endpoint: 'eth0', ipNetworks: ['10.5.0.1/32'], interfaceName: 'cali1'}, 'default')
    const [ip] = (await new Ipam(ds).autoAssign({node: 'n1', num: 1, handleId: 'h1', attrs: {node: 'n1'}, pools: [readPool(pool)]})).ips

    const unlocked = await run(['datastore', 'migrate', 'export'])
    assert.equal(unlocked.code, 1)
    assert.match(unlocked.stderr, /datastore is not locked/)

    const lock = await run(['datastore', 'migrate', 'lock'])
    assert.equal(lock.code, 0, lock.stderr)
    assert.equal(lock.stdout, 'Datastore locked.\n')
    assert.equal(await ready(), false)

    const exp = await run(['datastore', 'migrate', 'export'])
    assert.equal(exp.code, 0, exp.stderr)
    const [resources = '', ci = '', ipamJson = '', ...rest] = exp.stdout.split(/^===\n/m)
    assert.equal(rest.length, 0)
    assert.match(resources, /kind: IPPoolList/)
    assert.match(resources, /name: pool1/)
    assert.match(resources, /peerIP: 192\.0\.2\.10/)
    assert.doesNotMatch(resources, /WorkloadEndpoint|uid:|creationTimestamp:/)
    assert.equal(JSON.parse(ci).spec.datastoreReady, false)
    const state = JSON.parse(ipamJson) as {ipam: Array<{key: string; value: string}>}
    const block = state.ipam.find((kv) => kv.key === '/calico/ipam/v2/assignment/ipv4/block/10.5.0.0-26')
    assert.ok(block, 'the block is exported')
    assert.equal(JSON.parse(block.value).cidr, '10.5.0.0/26')
    assert.ok(state.ipam.some((kv) => kv.key === '/calico/ipam/v2/handle/h1'))
    assert.ok(ip)

    // The resource part restores into an empty datastore.
    await etcd.wipe()
    const file = join(dir, 'resources.yaml')
    writeFileSync(file, resources)
    const apply = await run(['apply', '-f', file])
    assert.equal(apply.code, 0, apply.stderr)
    const restored = await store.get(kindByName('IPPool')!, 'pool1')
    assert.equal(restored?.spec.cidr, '10.5.0.0/24')
    assert.equal(restored?.spec.natOutgoing, true)
    assert.ok(await store.get(kindByName('BGPPeer')!, 'peer1'))

    const unlock = await run(['datastore', 'migrate', 'unlock'])
    assert.equal(unlock.code, 0, unlock.stderr)
    assert.equal(unlock.stdout, 'Datastore unlocked.\n')
    assert.equal(await ready(), true)
  })
})
