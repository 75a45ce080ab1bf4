// `datastore migrate import` through the built CLI, between two real etcds: export from one,
// import into an empty one, and every kind's `get -o yaml` and every IPAM key must match.
// Upstream: calicoctl/calicoctl/commands/datastore/migrate/import.go (v3.32.1): flags
// -f/--filename (- for stdin), -c/--config, --allow-version-mismatch; the target must hold no
// Calico resources (built-in tiers and knp.default.* policies excepted) and no IPAM; it is left
// locked; the IPAM section of upstream's export (blocks/block_affinities/handles/config) is read.
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {Ipam} from '../../src/ipam/index.js'
import {KINDS, kindByName} from '../../src/resources/registry.js'
import {readPool} from '../../src/resources/kinds/ippool.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

const dir = mkdtempSync(join(tmpdir(), 'ctl-import-'))
let src: TestEtcd
let dst: TestEtcd
let runSrc: ReturnType<typeof cliFor>
let runDst: ReturnType<typeof cliFor>
let srcDs: EtcdDatastore

const MANIFEST = `
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool-a}
spec: {cidr: 10.66.0.0/16, blockSize: 26, ipipMode: Always, natOutgoing: true, nodeSelector: all()}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool-b, labels: {tier: backup}}
spec: {cidr: 10.67.0.0/24, blockSize: 28, disabled: true}
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec: {asNumber: 64512, nodeToNodeMeshEnabled: false, logSeverityScreen: Info}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: rr1}
spec: {peerIP: 192.0.2.10, asNumber: 64513}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: node-1, labels: {rack: r1}}
spec: {bgp: {ipv4Address: 192.0.2.21/24}}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.deny-ssh}
spec:
  tier: security
  order: 10
  selector: all()
  ingress:
  - action: Deny
    protocol: TCP
    destination: {ports: [22]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  selector: app == 'web'
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [80, 443]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: docs, labels: {kind: docs}}
spec: {nets: [198.51.100.0/24, 203.0.113.0/24]}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: partners, namespace: shop}
spec: {nets: [203.0.113.16/28]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node-1-eth0, labels: {role: edge}}
spec: {node: node-1, interfaceName: eth0, expectedIPs: [192.0.2.21]}
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec: {logSeverityScreen: Warning, reportingInterval: 0s}
---
apiVersion: projectcalico.org/v3
kind: IPReservation
metadata: {name: keep}
spec: {reservedCIDRs: [10.66.255.0/24]}
`

/** Every resource and IPAM key as text, with what a create stamps afresh (uid, time, revision) left out. */
async function snapshot(run: ReturnType<typeof cliFor>): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const def of KINDS) {
    if (def.kind === 'ClusterInformation') continue
    const r = await run(['get', def.plural, '-o', 'yaml', ...(def.namespaced ? ['-A'] : [])])
    assert.equal(r.code, 0, `get ${def.plural}: ${r.stderr}`)
    out[def.kind] = r.stdout.replace(/^\s*(uid|creationTimestamp|resourceVersion): .*\n/gm, '')
  }
  return out
}

async function ipamKeys(e: TestEtcd): Promise<Record<string, string>> {
  return e.client.getAll().prefix('/calico/ipam/v2/').strings()
}

async function allKeys(e: TestEtcd): Promise<string[]> {
  return e.client.getAll().prefix('/calico/').keys()
}

before(async () => {
  ;[src, dst] = await Promise.all([startEtcd(), startEtcd()])
  runSrc = cliFor(src.endpoint)
  runDst = cliFor(dst.endpoint)
  srcDs = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [src.endpoint], timeoutMs: 5000} as any)
})
after(async () => {
  srcDs.close()
  await Promise.all([src.stop(), dst.stop()])
})

let exported = ''

describe('datastore migrate import', () => {
  test('export from one etcd, import into an empty one: identical resources and IPAM', async () => {
    writeFileSync(join(dir, 'm.yaml'), MANIFEST)
    const apply = await runSrc(['apply', '-f', join(dir, 'm.yaml')])
    assert.equal(apply.code, 0, apply.stderr)
    // IPAM: addresses from two blocks on two nodes (blocks, affinities, handles), and the config.
    const store = new ResourceStore(srcDs)
    const pool = await store.get(kindByName('IPPool')!, 'pool-a')
    const ipam = new Ipam(srcDs)
    for (const [node, handle] of [['node-1', 'k8s-pod-network.aaa'], ['node-2', 'k8s-pod-network.bbb'], ['node-1', 'ipip-tunnel-addr-node-1']] as const)
      await ipam.autoAssign({node, num: 2, handleId: handle, attrs: {node, namespace: 'shop', pod: handle}, pools: [readPool(pool!)]})
    const conf = await runSrc(['ipam', 'configure', '--strictaffinity=true'])
    assert.equal(conf.code, 0, conf.stderr)

    assert.equal((await runSrc(['datastore', 'migrate', 'lock'])).code, 0)
    const exp = await runSrc(['datastore', 'migrate', 'export'])
    assert.equal(exp.code, 0, exp.stderr)
    exported = exp.stdout
    writeFileSync(join(dir, 'etcd-data'), exported)

    // Upstream's usage line: -f, then --allow-version-mismatch (accepted; import checks no version).
    const imp = await runDst(['datastore', 'migrate', 'import', '-f', join(dir, 'etcd-data'), '--allow-version-mismatch'])
    assert.equal(imp.code, 0, imp.stderr)
    assert.match(imp.stdout, /^Successfully applied 1[0-9] resource\(s\)$/m)
    assert.match(imp.stdout, /^Importing IPAM resources$/m)
    assert.match(imp.stdout, /^Datastore information successfully imported/m)

    const [a, b] = await Promise.all([snapshot(runSrc), snapshot(runDst)])
    for (const kind of Object.keys(a)) assert.equal(b[kind], a[kind], `${kind} differs after import`)
    assert.match(b.IPPool!, /name: pool-b/)
    assert.match(b.NetworkPolicy!, /namespace: shop/)

    const [ia, ib] = await Promise.all([ipamKeys(src), ipamKeys(dst)])
    assert.ok(Object.keys(ia).some((k) => k.includes('/handle/ipip-tunnel-addr-node-1')))
    assert.ok(Object.keys(ia).some((k) => k.startsWith('/calico/ipam/v2/host/node-2/')))
    assert.ok('/calico/ipam/v2/config' in ia)
    assert.deepEqual(ib, ia, 'IPAM keys and values are byte-identical')

    // The cluster identity travels; the target is left locked, as upstream leaves it.
    const ci = async (run: ReturnType<typeof cliFor>) => (await run(['get', 'clusterinformation', 'default', '-o', 'json'])).stdout
    const [ca, cb] = [JSON.parse(await ci(runSrc)), JSON.parse(await ci(runDst))]
    assert.equal(cb.spec.clusterGUID, ca.spec.clusterGUID)
    assert.equal(cb.spec.datastoreReady, false)
    // `ipam show` reads the imported state the same way on both sides.
    const [sa, sb] = await Promise.all([runSrc(['ipam', 'show', '--show-blocks']), runDst(['ipam', 'show', '--show-blocks'])])
    assert.equal(sb.stdout, sa.stdout)
    assert.equal((await runDst(['datastore', 'migrate', 'unlock'])).code, 0)
  })

  test('a target that already holds Calico data is refused, and nothing is written', async () => {
    // dst holds the import of the first test.
    const before = await dst.client.getAll().prefix('/calico/').strings()
    const imp = await runDst(['datastore', 'migrate', 'import', '--filename', join(dir, 'etcd-data')])
    assert.equal(imp.code, 1)
    assert.match(imp.stderr, /datastore already has Calico resources: found existing \w+\(/)
    assert.deepEqual(await dst.client.getAll().prefix('/calico/').strings(), before)
  })

  test('bad input: one line per problem, exit 1, nothing written', async () => {
    await dst.wipe()
    const [resources = '', ci = '', ipamJson = ''] = exported.split('===\n')
    const badResources = `${resources}---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: bad-pool}
spec: {cidr: 10.99.0.0/33}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: bad-peer}
spec: {peerIP: 192.0.2.300, asNumber: 64514}
`
    const ipam = JSON.parse(ipamJson) as {ipam: Array<{key: string; value: string}>}
    ipam.ipam.push({key: '/calico/ipam/v2/handle/broken', value: '{not json'}, {key: '/calico/other/x', value: '{}'})
    const file = join(dir, 'bad-data')
    writeFileSync(file, `${badResources}===\n${ci}===\n${JSON.stringify(ipam)}\n`)
    const imp = await runDst(['datastore', 'migrate', 'import', '-f', file])
    assert.equal(imp.code, 1)
    const lines = imp.stderr.trimEnd().split('\n')
    assert.equal(lines.length, 4, imp.stderr)
    assert.match(imp.stderr, /IPPool\(bad-pool\).*spec\.cidr/)
    assert.match(imp.stderr, /BGPPeer\(bad-peer\).*spec\.peerIP/)
    assert.match(lines[0]!, /IPPool\(bad-pool\)/, 'resources first, in file order')
    assert.match(imp.stderr, /IPAM \/calico\/ipam\/v2\/handle\/broken: /)
    assert.match(imp.stderr, /IPAM ipam\[\d+\]: key: must be a key under \/calico\/ipam\/v2\//)
    assert.deepEqual(await allKeys(dst), [])

    // A file that is not an export at all.
    writeFileSync(join(dir, 'plain.yaml'), resources)
    const plain = await runDst(['datastore', 'migrate', 'import', '-f', join(dir, 'plain.yaml')])
    assert.equal(plain.code, 1)
    assert.match(plain.stderr, /improperly formatted/)
    assert.deepEqual(await allKeys(dst), [])
  })

  test("upstream's IPAM section (blocks, block_affinities, handles, config) from stdin", async () => {
    await dst.wipe()
    const [resources = '', ci = '', ipamJson = ''] = exported.split('===\n')
    const ours = JSON.parse(ipamJson) as {ipam: Array<{key: string; value: string}>}
    // Upstream writes each value as an object; its sequence numbers are 19-digit integers,
    // which must come through exactly: the values are spliced in as written.
    const group = (re: RegExp) => ours.ipam.filter((e) => re.test(e.key)).map((e) => `{"Key":${JSON.stringify(e.key)},"Value":${e.value},"TTL":0}`)
    const config = ours.ipam.find((e) => e.key === '/calico/ipam/v2/config')!
    const upstream = `{"block_affinities":[${group(/\/host\//).join(',')}],"blocks":[${group(/\/assignment\//).join(',')}],"handles":[${group(/\/handle\//).join(',')}],"config":{"Key":"/calico/ipam/v2/config","Value":${config.value},"TTL":0}}`
    const imp = await runDst(['datastore', 'migrate', 'import', '--filename=-'], {input: `${resources}===\n${ci}===\n${upstream}\n`})
    assert.equal(imp.code, 0, imp.stderr)
    assert.deepEqual(await ipamKeys(dst), await ipamKeys(src))
  })

  test('a write that etcd refuses part-way: what landed is taken back', async () => {
    await dst.wipe()
    // More than one transaction's worth of resources (128 operations each), then an IPAM value
    // larger than etcd accepts in one request (1.5 MiB): the later transaction fails.
    const sets = Array.from({length: 300}, (_, i) => `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: set-${i}}\nspec: {nets: [198.51.100.${i % 256}/32]}\n`).join('---\n')
    const huge = JSON.stringify({ipam: [{key: '/calico/ipam/v2/zz-large', value: JSON.stringify({pad: 'x'.repeat(2 * 1024 * 1024)})}]})
    const file = join(dir, 'large-data')
    writeFileSync(file, `${sets}===\n===\n${huge}\n`)
    const imp = await runDst(['datastore', 'migrate', 'import', '-f', file])
    assert.equal(imp.code, 1)
    const undone = /failed to import: .*nothing was imported \(the (\d+) write\(s\) made were taken back\)/.exec(imp.stderr)
    assert.ok(undone, imp.stderr)
    // More than the ClusterInformation alone: earlier transactions had landed and were undone.
    assert.ok(Number(undone[1]) > 1, imp.stderr)
    assert.deepEqual(await allKeys(dst), [])
  })
})
