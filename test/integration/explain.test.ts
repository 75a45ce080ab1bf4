// node explain through the built CLI, from resources and IPAM blocks in a real etcd.
import assert from 'node:assert/strict'
import {after, before, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {Ipam} from '../../src/ipam/index.js'
import {kindByName} from '../../src/resources/registry.js'
import type {Resource} from '../../src/resources/types.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

let etcd: TestEtcd
let run: ReturnType<typeof cliFor>
let ds: EtcdDatastore
let store: ResourceStore

async function put(kind: string, name: string, spec: Record<string, unknown>, meta: Partial<Resource['metadata']> = {}): Promise<void> {
  const def = kindByName(kind)!
  const r: Resource = {apiVersion: 'projectcalico.org/v3', kind, metadata: {name, ...meta}, spec}
  def.defaults?.(r)
  const [res] = await store.createMany([{def, resource: store.prepareCreate(def, r)}])
  assert.ok(res?.ok, `create ${kind} ${name}: ${res && !res.ok ? res.error.message : ''}`)
}

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

test('node explain: path and verdict from the datastore, text and json', async () => {
  await put('IPPool', 'default-ipv4-ippool', {cidr: '192.168.0.0/16', blockSize: 26, ipipMode: 'Always', natOutgoing: true})
  await put('Node', 'master', {bgp: {ipv4Address: '198.51.100.95/24'}})
  await put('Node', 'node', {bgp: {ipv4Address: '198.51.100.96/24'}})
  const ipam = new Ipam(ds)
  const pool = (await store.get(kindByName('IPPool')!, 'default-ipv4-ippool'))!
  const {readPool} = await import('../../src/resources/kinds/ippool.js')
  const [ip1] = (await ipam.autoAssign({node: 'master', num: 1, handleId: 'pod1', attrs: {node: 'master'}, pools: [readPool(pool)]})).ips
  const [ip2] = (await ipam.autoAssign({node: 'node', num: 1, handleId: 'pod2', attrs: {node: 'node'}, pools: [readPool(pool)]})).ips
  const wep = (name: string, node: string, ip: string, iface: string, labels: Record<string, string>) =>
    put('WorkloadEndpoint', name, {node, orchestrator: 'cni', workload: name.split('-')[2], endpoint: 'eth0', interfaceName: iface, ipNetworks: [`${ip}/32`], profiles: ['projectcalico-default-allow']}, {namespace: 'default', labels})
  await wep(`${'master'}-cni-pod1-eth0`, 'master', ip1!, 'cali1111111111a', {app: 'client'})
  await wep(`${'node'}-cni-pod2-eth0`, 'node', ip2!, 'cali2222222222b', {app: 'db'})

  const ok = await run(['node', 'explain', 'pod1', 'pod2'])
  assert.equal(ok.code, 0, ok.stderr)
  const block2 = `${ip2!.split('.').slice(0, 3).join('.')}.${Number(ip2!.split('.')[3]) & ~63}/26`
  assert.match(ok.stdout, new RegExp(`on master: ${block2.replaceAll('.', '\\.')} via 198\\.51\\.100\\.96 dev tunl0 onlink`))
  assert.match(ok.stdout, new RegExp(`on node: ${ip2!.replaceAll('.', '\\.')}/32 dev cali2222222222b scope link`))
  assert.match(ok.stdout, /encapsulation: IP-in-IP/)
  assert.match(ok.stdout, /Verdict: Allow/)

  await put('GlobalNetworkPolicy', 'deny-icmp', {selector: "app == 'db'", ingress: [{action: 'Deny', protocol: 'ICMP'}, {action: 'Allow'}], types: ['Ingress']})
  const deny = await run(['node', 'explain', 'pod1', 'pod2'])
  assert.equal(deny.code, 0, deny.stderr)
  assert.match(deny.stdout, /tier default\n\s+GlobalNetworkPolicy deny-icmp: rule 1 matched -> Deny\n\s+=> Deny/)
  assert.match(deny.stdout, /Verdict: Deny/)
  const tcp = await run(['node', 'explain', 'pod1', ip2!, '--port', '80', '-o', 'json'])
  assert.equal(tcp.code, 0, tcp.stderr)
  const j = JSON.parse(tcp.stdout)
  assert.equal(j.verdict, 'Allow')
  assert.equal(j.packet.protocolName, 'tcp')
  assert.equal(j.policy[1].steps[1].rule, 2)

  // A staged policy that would let ICMP in is shown next to the enforced Deny, read from etcd
  // through the CLI like any other kind, and changes nothing that is enforced.
  const staged = await run(['apply', '-f', '-'], {
    input: `apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: deny-icmp}
spec: {stagedAction: Set, selector: "app == 'db'", ingress: [{action: Allow}], types: [Ingress]}
`,
  })
  assert.equal(staged.code, 0, staged.stderr)
  const both = await run(['node', 'explain', 'pod1', 'pod2'])
  assert.equal(both.code, 0, both.stderr)
  assert.match(both.stdout, /enforced: deny by default\.deny-icmp; staged: allow by default\.deny-icmp \(enforcing the staged policies would change this\)/)
  assert.match(both.stdout, /Verdict: Deny \(staged: Allow\)/)
  const bothJson = JSON.parse((await run(['node', 'explain', 'pod1', 'pod2', '-o', 'json'])).stdout)
  assert.deepEqual([bothJson.verdict, bothJson.staged.verdict], ['Deny', 'Allow'])
  assert.equal((await run(['delete', 'sgnp', 'deny-icmp'])).code, 0)
  assert.doesNotMatch((await run(['node', 'explain', 'pod1', 'pod2'])).stdout, /staged/)

  await run(['ippool', 'mode', 'default-ipv4-ippool', 'bgp'])
  const bgp = await run(['node', 'explain', 'pod1', 'pod2'])
  assert.match(bgp.stdout, /via 198\.51\.100\.96 dev <uplink> proto bird/)
  assert.match(bgp.stdout, /encapsulation: none/)

  const bad = await run(['node', 'explain', 'nope', 'pod2'])
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /'nope' is neither a workload/)
})
