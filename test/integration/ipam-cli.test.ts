// The ipam commands end to end: addresses allocated with the IPAM library, then the built CLI
// against the same etcd.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {Ipam, ipipTunnelHandle} from '../../src/ipam/index.js'
import {kindByName} from '../../src/resources/registry.js'
import type {Resource} from '../../src/resources/types.js'
import {readPool} from '../../src/resources/kinds/ippool.js'
import {goG5, goRound0} from '../../src/service/ipam.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

let etcd: TestEtcd
let run: ReturnType<typeof cliFor>
let ds: EtcdDatastore
let store: ResourceStore
let ipam: Ipam
const dir = mkdtempSync(join(tmpdir(), 'ctl-ipam-'))

async function put(kind: string, name: string, spec: Record<string, unknown>, namespace?: string): Promise<Resource> {
  const def = kindByName(kind)
  assert.ok(def, kind)
  const r: Resource = {apiVersion: 'projectcalico.org/v3', kind, metadata: {name, ...(namespace ? {namespace} : {})}, spec}
  def.defaults?.(r)
  const [res] = await store.createMany([{def, resource: store.prepareCreate(def, r)}])
  assert.ok(res?.ok, `create ${kind} ${name}`)
  return res.resource
}

async function seedPool(cidr = '10.10.0.0/24'): Promise<Resource> {
  return put('IPPool', 'pool1', {cidr, blockSize: 26, ipipMode: 'Always', natOutgoing: true})
}

const assign = async (node: string, handle: string, pool: Resource, num = 1) =>
  (await ipam.autoAssign({node, num, handleId: handle, attrs: {node, namespace: 'default', workload: handle, type: 'workload'}, pools: [readPool(pool)]})).ips

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

describe('ipam show', () => {
  test("numbers print as Go's %.5g and %.f do", () => {
    assert.deepEqual([0, 64, 65536, 99999, 100000, 1048576, 16777216].map(goG5), ['0', '64', '65536', '99999', '1e+05', '1.0486e+06', '1.6777e+07'])
    assert.deepEqual([0.4, 0.5, 1.5, 2.5, 93.75, 98.4375].map(goRound0), ['0', '0', '2', '2', '94', '98'])
  })

  test('pool and block utilisation, one address, borrowed addresses, configuration', async () => {
    const pool = await seedPool()
    const aIps = await assign('node-a', 'wl-a', pool, 3)
    assert.deepEqual(aIps, ['10.10.0.0', '10.10.0.1', '10.10.0.2'])
    // node-b takes an address inside node-a's block: a borrowed address.
    await ipam.assignIP({ip: '10.10.0.9', node: 'node-b', handleId: 'wl-b', attrs: {node: 'node-b', namespace: 'ns1', pod: 'pod-b'}, pools: [readPool(pool)]})

    const usage = await run(['ipam', 'show'])
    assert.equal(usage.code, 0, usage.stderr)
    assert.equal(
      usage.stdout,
      [
        '+----------+--------------+-----------+------------+-----------+',
        '| GROUPING |     CIDR     | IPS TOTAL | IPS IN USE | IPS FREE  |',
        '+----------+--------------+-----------+------------+-----------+',
        // tablewriter right-aligns numbers only: `4 (2%)` is text (calicoctl ipam show.go).
        '| IP Pool  | 10.10.0.0/24 |       256 | 4 (2%)     | 252 (98%) |',
        '+----------+--------------+-----------+------------+-----------+',
        '',
      ].join('\n'),
    )

    const blocks = await run(['ipam', 'show', '--show-blocks'])
    assert.equal(blocks.code, 0, blocks.stderr)
    const lines = blocks.stdout.split('\n')
    assert.equal(lines[3], '| IP Pool  | 10.10.0.0/24 |       256 | 4 (2%)     | 252 (98%) |')
    assert.equal(lines[4], '| Block    | 10.10.0.0/26 |        64 | 4 (6%)     | 60 (94%)  |')
    assert.equal(lines.length, 7) // top, head, rule, pool, block, bottom, ''

    const ip = await run(['ipam', 'show', '--ip=10.10.0.1'])
    assert.equal(ip.code, 0, ip.stderr)
    assert.equal(
      ip.stdout,
      'IP 10.10.0.1 is in use\nHandle ID: wl-a\nActive Owner Attributes:\n  namespace: default\n  node: node-a\n  type: workload\n  workload: wl-a\n',
    )
    const free = await run(['ipam', 'show', '--ip', '10.10.0.200'])
    assert.equal(free.stdout, '10.10.0.200 is not assigned\n')

    const borrowed = await run(['ipam', 'show', '--show-borrowed'])
    assert.equal(borrowed.code, 0, borrowed.stderr)
    assert.match(borrowed.stdout, /\| +IP +\| BORROWING-NODE \|/)
    assert.match(borrowed.stdout, /\| 10\.10\.0\.9 \| node-b +\| 10\.10\.0\.0\/26 \| node-a +\| pod +\| ns1\/pod-b +\|/)
    assert.doesNotMatch(borrowed.stdout, /10\.10\.0\.1 /)

    const config = await run(['ipam', 'show', '--show-configuration'])
    assert.equal(config.code, 0, config.stderr)
    assert.match(config.stdout, /\| StrictAffinity +\| false +\|/)
    assert.match(config.stdout, /\| AutoAllocateBlocks +\| true +\|/)
    assert.match(config.stdout, /\| MaxBlocksPerHost +\| +0 \|/)
  })
})

describe('ipam check and release', () => {
  test('finds a leaked address, refuses an unlocked release, releases it from the report', async () => {
    await put('ClusterInformation', 'default', {clusterGUID: 'guid-1', clusterType: 'etcd,bgp', datastoreReady: true})
    const pool = await seedPool()
    // node-a: a tunnel address recorded on the Node, a workload with an endpoint, and a leak.
    const [tunnel] = (await ipam.autoAssign({node: 'node-a', num: 1, handleId: ipipTunnelHandle('node-a'), attrs: {node: 'node-a', type: 'ipipTunnelAddress'}, pools: [readPool(pool)], use: 'Tunnel'})).ips
    await put('Node', 'node-a', {bgp: {ipv4Address: '192.0.2.1/24', ipv4IPIPTunnelAddr: tunnel}})
    const [wl] = await assign('node-a', 'wl-live', pool)
    await put('WorkloadEndpoint', 'node--a-k8s-live-eth0', {orchestrator: 'k8s', node: 'node-a', workload: 'live', endpoint: 'eth0', ipNetworks: [`${wl}/32`], interfaceName: 'cali1'}, 'default')
    const [leak] = await assign('node-a', 'wl-gone', pool)

    const report = join(dir, 'report.json')
    const check = await run(['ipam', 'check', '--show-problem-ips', '-o', report])
    assert.equal(check.code, 0, check.stderr)
    assert.match(check.stdout, /^Found 1 IPAM blocks\.$/m)
    assert.match(check.stdout, /^IPAM blocks record 3 allocations\.$/m)
    assert.match(check.stdout, /^Found 1 node tunnel IPs\.$/m)
    assert.match(check.stdout, /^Found 1 workload IPs\.$/m)
    assert.match(check.stdout, new RegExp(`^  ${leak?.replaceAll('.', '\\.')} leaked; attrs Main:wl-gone Extra:namespace=default,node=node-a,type=workload,workload=wl-gone$`, 'm'))
    assert.match(check.stdout, /^Found 1 IPs that are allocated in IPAM but not actually in use\.$/m)
    assert.match(check.stdout, /^Check complete; found 1 problems\.$/m)
    const written = JSON.parse(readFileSync(report, 'utf8'))
    assert.equal(written.allocations[leak as string][0].inUse, false)
    assert.equal(written.allocations[wl as string][0].inUse, true)
    assert.deepEqual(written.allocations[tunnel as string][0].owners, ['Node(node-a)'])
    assert.equal(written.datastoreLocked, false)
    assert.equal(written.clusterGUID, 'guid-1')

    const unlocked = await run(['ipam', 'release', `--from-report=${report}`])
    assert.equal(unlocked.code, 1)
    assert.match(unlocked.stderr, /data store is not locked/)
    assert.ok(await ipam.getAssignmentAttributes(leak as string), 'nothing released while unlocked')

    assert.equal((await run(['datastore', 'migrate', 'lock'])).code, 0)
    // The report above is now stale (ClusterInformation changed): a fresh one is needed.
    const stale = await run(['ipam', 'release', `--from-report=${report}`])
    assert.equal(stale.code, 1)
    assert.match(stale.stderr, /reports are all stale/)
    assert.equal((await run(['ipam', 'check', '-o', report])).code, 0)
    const rel = await run(['ipam', 'release', `--from-report=${report}`])
    assert.equal(rel.code, 0, rel.stderr)
    assert.match(rel.stdout, /^Released 1 IPs successfully$/m)
    assert.match(rel.stdout, /^You may now unlock the data store\.$/m)
    assert.equal(await ipam.getAssignmentAttributes(leak as string), undefined)
    assert.ok(await ipam.getAssignmentAttributes(wl as string), 'the live workload keeps its address')
    assert.ok(await ipam.getAssignmentAttributes(tunnel as string), 'the tunnel address is kept')

    const clean = await run(['ipam', 'check'])
    assert.match(clean.stdout, /^Check complete; found 0 problems\.$/m)
  })

  test('release --ip frees an assigned address once', async () => {
    const pool = await seedPool()
    const [ip] = await assign('node-a', 'wl-x', pool)
    const ok = await run(['ipam', 'release', `--ip=${ip}`])
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(ok.stdout, `Successfully released IP address ${ip}\n`)
    assert.equal(await ipam.getAssignmentAttributes(ip as string), undefined)
    const again = await run(['ipam', 'release', `--ip=${ip}`])
    assert.equal(again.code, 1)
    assert.equal(again.stderr, `IP address ${ip} is not assigned\n`)
  })
})

describe('ipam configure', () => {
  test('needs an option, refuses disabling both StrictAffinity and AutoAllocateBlocks, stores settings', async () => {
    const none = await run(['ipam', 'configure'])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /at least one of --strictaffinity/)

    await ipam.setConfig({strictAffinity: true, autoAllocateBlocks: false})
    const both = await run(['ipam', 'configure', '--strictaffinity=false'])
    assert.equal(both.code, 1)
    assert.match(both.stderr, /Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time/)
    assert.equal((await ipam.getConfig()).strictAffinity, true)

    await ipam.setConfig({autoAllocateBlocks: true, strictAffinity: false})
    const set = await run(['ipam', 'configure', '--strictaffinity=true', '--max-blocks-per-host=4'])
    assert.equal(set.code, 0, set.stderr)
    const c = await ipam.getConfig()
    assert.equal(c.strictAffinity, true)
    assert.equal(c.maxBlocksPerHost, 4)
  })
})

describe('ipam split', () => {
  test('splits a locked pool into power-of-2 parts and keeps the allocations', async () => {
    const pool = await seedPool('10.20.0.0/24')
    const [ip] = await assign('node-a', 'wl-s', pool)
    const notPow = await run(['ipam', 'split', '3', '--name=pool1'])
    assert.equal(notPow.code, 1)
    assert.match(notPow.stderr, /power of 2/)
    await put('ClusterInformation', 'default', {clusterGUID: 'g1', clusterType: 'etcd,bgp', datastoreReady: false})
    const split = await run(['ipam', 'split', '2', '--cidr=10.20.0.0/24'])
    assert.equal(split.code, 0, split.stderr)
    const pools = (await store.list(kindByName('IPPool')!)).items.map((p) => [p.metadata.name, p.spec.cidr, p.spec.ipipMode])
    assert.deepEqual(pools, [
      ['split-pool1-0', '10.20.0.0/25', 'Always'],
      ['split-pool1-1', '10.20.0.128/25', 'Always'],
    ])
    assert.ok(await ipam.getAssignmentAttributes(ip as string), 'allocation kept')
    assert.equal((await ipam.affinitiesOfNode('node-a')).length, 1, 'affinity kept')
  })
})
