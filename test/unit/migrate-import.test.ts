// Reading a `datastore migrate export` file for import (no datastore needed): every problem
// found before anything is written, one line each. Upstream's file layout and IPAM section:
// calicoctl/calicoctl/commands/datastore/migrate/import.go and migrateipam.go (v3.32.1).
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {InputError} from '../../src/service/crud.js'
import {parseImportFile, parseIpamSection} from '../../src/service/migrate-import.js'

const POOL = 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p1}\nspec: {cidr: 10.1.0.0/16}\n'
const BLOCK = '{"cidr":"10.1.0.0/26","affinity":"host:n1","allocations":[0,null],"unallocated":[1],"attributes":[{"handle_id":"h1","secondary":{"node":"n1"}}],"sequenceNumber":1733500000123456789,"sequenceNumberForAllocation":{"0":1733500000123456788},"deleted":false}'

function problems(text: string): string[] {
  try {
    parseImportFile(text, 'f')
  } catch (error) {
    assert.ok(error instanceof InputError, String(error))
    return error.message.split('\n')
  }
  assert.fail('expected the file to be refused')
}

describe('migrate import: reading the file', () => {
  test('three sections; an empty ClusterInformation or IPAM section is accepted', () => {
    const f = parseImportFile(`${POOL}===\n===\n`, 'f')
    assert.equal(f.resources.length, 1)
    assert.equal(f.clusterInfo, undefined)
    assert.deepEqual(f.ipam, [])
    assert.throws(() => parseImportFile(POOL, 'f'), /improperly formatted/)
    assert.throws(() => parseImportFile(`${POOL}===\n===\n===\n`, 'f'), /improperly formatted/)
  })

  test('the exported ClusterInformation spec is kept', () => {
    const f = parseImportFile(`${POOL}===\n{"kind":"ClusterInformation","spec":{"clusterGUID":"abc","calicoVersion":"v3.32.1"}}\n===\n`, 'f')
    assert.deepEqual(f.clusterInfo, {clusterGUID: 'abc', calicoVersion: 'v3.32.1'})
  })

  test('every problem, one line each: duplicates, read-only kinds, bad sections', () => {
    const ci = 'apiVersion: projectcalico.org/v3\nkind: ClusterInformation\nmetadata: {name: default}\nspec: {}\n'
    const lines = problems(`${POOL}---\n${POOL}---\n${ci}===\n{"kind":"IPPool"}\n===\n{"ipam":[{"key":"/calico/ipam/v2/config","value":"{\\"strict_affinity\\":true}"},{"key":"/calico/ipam/v2/config","value":"{}"}]}\n`)
    assert.deepEqual(lines.map((l) => l.replace(/:.*/, '')).sort(), ['ClusterInformation section', 'ClusterInformation(default)', 'IPAM /calico/ipam/v2/config', 'IPPool(p1)'].sort(), lines.join('\n'))
    assert.ok(lines.some((l) => /IPPool\(p1\): given more than once/.test(l)))
  })

  // Upstream's import goes through calicoctl apply (calicoctl/calicoctl/commands/datastore/migrate/
  // import.go updateV3Resources → applyV3), so libcalico-go's client checks apply: a policy's tier
  // (clientv3/globalnetworkpolicy.go, networkpolicy.go Create) and a peer's filters
  // (clientv3/bgppeer.go) must exist. The target is empty, so they must be in the file.
  test('a policy whose tier, or a peer whose filter, is not in the file is refused; in the file, accepted', () => {
    const gnp = 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: security.block}\nspec: {tier: security, selector: all()}\n'
    const peer = 'apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: p1}\nspec: {peerIP: 198.51.100.1, asNumber: 64512, filters: [export-only]}\n'
    const lines = problems(`${gnp}---\n${peer}===\n===\n`)
    assert.deepEqual(lines.sort(), [
      "BGPPeer(p1): spec.filters[0] = 'export-only': BGPFilter(export-only) does not exist",
      "GlobalNetworkPolicy(security.block): spec.tier = 'security': Tier(security) does not exist",
    ])
    const tier = 'apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}\n'
    const filter = 'apiVersion: projectcalico.org/v3\nkind: BGPFilter\nmetadata: {name: export-only}\nspec: {exportV4: [{action: Accept}]}\n'
    const f = parseImportFile(`${gnp}---\n${peer}---\n${tier}---\n${filter}===\n===\n`, 'f')
    assert.equal(f.resources.length, 4)
    // Calico's own tiers always exist.
    assert.equal(parseImportFile('apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: kube-admin.p}\nspec: {tier: kube-admin}\n===\n===\n', 'f').resources.length, 1)
  })

  test("IPAM section in this tool's form: values verbatim, each decoded as its key says", () => {
    const p: string[] = []
    const out = parseIpamSection(JSON.stringify({ipam: [{key: '/calico/ipam/v2/assignment/ipv4/block/10.1.0.0-26', value: BLOCK}, {key: '/calico/ipam/v2/host/n1/ipv4/block/10.1.0.0-26', value: '{"state":"sideways"}'}]}), p)
    assert.deepEqual(out, [{key: '/calico/ipam/v2/assignment/ipv4/block/10.1.0.0-26', value: BLOCK}])
    assert.equal(p.length, 1)
    assert.match(p[0]!, /^IPAM \/calico\/ipam\/v2\/host\/n1\/ipv4\/block\/10\.1\.0\.0-26: .*unknown state "sideways"/)
  })

  test("IPAM section in upstream's form: objects re-encoded as Go writes them, 64-bit sequence numbers exact", () => {
    const p: string[] = []
    const text = `{"blocks":[{"Key":"/calico/ipam/v2/assignment/ipv4/block/10.1.0.0-26","Value":${BLOCK},"TTL":0}],"block_affinities":[{"Key":"/calico/ipam/v2/host/n1/ipv4/block/10.1.0.0-26","Value":{"state":"confirmed","deleted":false},"TTL":0}],"handles":[{"Key":"/calico/ipam/v2/handle/h1","Value":{"handleID":"h1","block":{"10.1.0.0/26":1},"deleted":false},"TTL":0},{"Key":"/elsewhere/h2","Value":{}}],"config":{"Key":"/calico/ipam/v2/config","Value":{"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":0},"TTL":0}}`
    const out = parseIpamSection(text, p)
    assert.deepEqual(p, ['IPAM handles[1]: key: must be a key under /calico/ipam/v2/ (got "/elsewhere/h2")'])
    const byKey = new Map(out.map((e) => [e.key, e.value]))
    assert.equal(byKey.get('/calico/ipam/v2/assignment/ipv4/block/10.1.0.0-26'), BLOCK)
    assert.equal(byKey.get('/calico/ipam/v2/host/n1/ipv4/block/10.1.0.0-26'), '{"state":"confirmed","deleted":false}')
    assert.equal(byKey.get('/calico/ipam/v2/handle/h1'), '{"block":{"10.1.0.0/26":1},"deleted":false}')
    assert.match(byKey.get('/calico/ipam/v2/config')!, /^\{"strict_affinity":true,"auto_allocate_blocks":true/)
  })
})
