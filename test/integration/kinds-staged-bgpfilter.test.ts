// BGPFilter and the staged policy kinds end to end: the built CLI against a real etcd. Upstream
// (v3.32.1) sources each assertion stands on are cited where it is made.
import assert from 'node:assert/strict'
import {after, before, beforeEach, describe, test} from 'node:test'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

const PREFIX = '/calico/resources/v3/projectcalico.org/'
let etcd: TestEtcd
let run: ReturnType<typeof cliFor>

before(async () => {
  etcd = await startEtcd()
  run = cliFor(etcd.endpoint)
})
after(async () => etcd.stop())
beforeEach(async () => etcd.wipe())

const raw = async (key: string) => etcd.client.get(`${PREFIX}${key}`).string()
const doc = (kind: string, meta: string, spec: string) => `apiVersion: projectcalico.org/v3\nkind: ${kind}\nmetadata: ${meta}\nspec:\n${spec}`

const FILTER = doc(
  'BGPFilter',
  '{name: f1}',
  `  exportV4:
  - {action: Reject, matchOperator: In, cidr: 10.0.0.0/8, prefixLength: {min: 16}}
  - {action: Accept, interface: "eth*", source: RemotePeers}
  importV6:
  - {cidr: "fd00::/8", matchOperator: Equal, action: Accept}
`,
)

describe('BGPFilter', () => {
  test('create stores the Go struct order at bgpfilters/<name>; get, apply, replace and delete work', async () => {
    const c = await run(['create', '-f', '-'], {input: FILTER})
    assert.equal(c.code, 0, c.stderr)
    assert.equal(c.stdout, "Successfully created 1 'BGPFilter' resource(s)\n")
    // libcalico-go/lib/backend/model/resource.go registers BGPFilter with plural "BGPFilters",
    // lower-cased for the key; bgpfilter.go declares cidr, prefixLength, source, interface,
    // matchOperator, ..., action in that order.
    const stored = JSON.parse((await raw('bgpfilters/f1'))!)
    assert.equal(
      JSON.stringify(stored.spec),
      '{"exportV4":[{"cidr":"10.0.0.0/8","prefixLength":{"min":16},"matchOperator":"In","action":"Reject"},{"source":"RemotePeers","interface":"eth*","action":"Accept"}],"importV6":[{"cidr":"fd00::/8","matchOperator":"Equal","action":"Accept"}]}',
    )
    assert.equal(stored.kind, 'BGPFilter')
    // calicoctl/calicoctl/resourcemgr/bgpfilter.go: columns and counts per direction.
    const g = await run(['get', 'bgpfilters'])
    assert.equal(g.code, 0, g.stderr)
    assert.match(g.stdout, /^NAME\s+NUMEXPORTV4\s+NUMIMPORTV4\s+NUMEXPORTV6\s+NUMIMPORTV6\s*\nf1\s+2\s+0\s+0\s+1\s*\n/)
    const replaced = await run(['replace', '-f', '-'], {input: FILTER.replace('prefixLength: {min: 16}', 'prefixLength: {min: 16, max: 24}')})
    assert.equal(replaced.code, 0, replaced.stderr)
    assert.deepEqual(JSON.parse((await raw('bgpfilters/f1'))!).spec.exportV4[0].prefixLength, {min: 16, max: 24})
    const d = await run(['delete', 'bgpfilter', 'f1'])
    assert.equal(d.code, 0, d.stderr)
    assert.equal(await raw('bgpfilters/f1'), null)
  })

  test('every upstream alias names the kind', async () => {
    assert.equal((await run(['create', '-f', '-'], {input: FILTER})).code, 0)
    // resourcemgr/bgpfilter.go: bgpfilter, bgpfilters, bgpf, bgpfs, bf, bfs.
    for (const alias of ['bgpfilter', 'bgpfilters', 'bgpf', 'bgpfs', 'bf', 'bfs', 'BGPFilter']) {
      const r = await run(['get', alias, 'f1', '-o', 'yaml'])
      assert.equal(r.code, 0, `${alias}: ${r.stderr}`)
      assert.match(r.stdout, /name: f1/)
    }
  })

  test('validator.go rules: each problem on its own line, nothing written', async () => {
    const bad = doc(
      'BGPFilter',
      '{name: bad}',
      `  exportV4:
  - {cidr: 10.0.0.1/8, matchOperator: In, action: Accept}
  - {cidr: "fd00::/8", matchOperator: In, action: Accept}
  - {cidr: 10.0.0.0/8, action: Accept}
  - {matchOperator: Equal, action: Accept}
  - {prefixLength: {min: 8}, action: Accept}
  - {interface: "a very long interface", action: Accept}
  - {action: Drop}
  - {cidr: 10.0.0.0/8, matchOperator: Inside, action: Accept}
`,
    )
    // A second document: a file with many faults is summed up after ten lines.
    const bad2 = doc(
      'BGPFilter',
      '{name: bad2}',
      `  exportV4:
  - {action: Accept}
  - {action: Accept}
  - {action: Accept}
  - {action: Accept}
  - {action: Accept}
  - {action: Accept}
  - {action: Accept}
  - {action: Accept}
  - {cidr: 10.0.0.0/8, matchOperator: In, prefixLength: {max: 33}, action: Accept}
  - {source: Local, action: Accept}
  - {action: Accept, operations: [{}]}
  - {matchOperator: ""}
`,
    )
    const r = await run(['create', '-f', '-'], {input: bad})
    const r2 = await run(['create', '-f', '-'], {input: bad2})
    assert.equal(r.code, 1)
    assert.equal(r2.code, 1)
    const e = r.stderr + r2.stderr
    // validateIPv4Network: strictly masked, IPv4 only.
    assert.match(e, /spec\.exportV4\[0\]\.cidr/)
    assert.match(e, /spec\.exportV4\[1\]\.cidr/)
    // validateBGPFilterRule: CIDR and MatchOperator together; PrefixLength needs CIDR (each
    // reported on the field that is missing).
    assert.match(e, /spec\.exportV4\[2\]\.matchOperator.*MatchOperator cannot be empty when CIDR is not/)
    assert.match(e, /spec\.exportV4\[3\]\.cidr.*CIDR cannot be empty when MatchOperator is not/)
    assert.match(e, /spec\.exportV4\[4\]\.cidr.*CIDR cannot be empty when PrefixLength is not/)
    // bgpFilterInterfaceRegex ^[a-zA-Z0-9_.*-]{1,15}$.
    assert.match(e, /spec\.exportV4\[5\]\.interface/)
    // filterActionRegex, matchOperator enum, prefixLength bounds, source oneof=RemotePeers.
    assert.match(e, /spec\.exportV4\[6\]\.action/)
    assert.match(e, /spec\.exportV4\[7\]\.matchOperator/)
    assert.match(e, /spec\.exportV4\[8\]\.prefixLength\.max/)
    assert.match(e, /spec\.exportV4\[9\]\.source/)
    // validateBGPFilterOperation: exactly one operation per entry.
    assert.match(e, /spec\.exportV4\[10\]\.operations\[0\]/)
    // action is required.
    assert.match(e, /spec\.exportV4\[11\]\.action.*required/)
    assert.equal(await raw('bgpfilters/bad'), null)
    assert.equal(await raw('bgpfilters/bad2'), null)
  })

  test('numorstring.ASNumber fields take 32-bit and dotted AS numbers (the Go type, wider than the CRD int32)', async () => {
    const f = doc('BGPFilter', '{name: asn}', '  importV4:\n  - {asPathPrefix: [4200000000, "1.10"], action: Accept, operations: [{prependASPath: {prefix: ["0.65000"]}}]}\n')
    const r = await run(['create', '-f', '-'], {input: f})
    assert.equal(r.code, 0, r.stderr)
    // api/pkg/lib/numorstring/asnumber.go: a uint32 with no MarshalJSON, so dotted input is stored as a number.
    const rule = JSON.parse((await raw('bgpfilters/asn'))!).spec.importV4[0]
    assert.deepEqual(rule.asPathPrefix, [4200000000, 65546])
    assert.deepEqual(rule.operations[0].prependASPath.prefix, [65000])
    const bad = await run(['create', '-f', '-'], {input: f.replace('asn}', 'asn2}').replace('4200000000', '4300000000')})
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /spec\.importV4\[0\]\.asPathPrefix\[0\]/)
  })

  test('a BGPPeer may name only filters that exist (or come in the same input)', async () => {
    const peer = doc('BGPPeer', '{name: p1}', '  peerIP: 192.0.2.1\n  asNumber: 64513\n  filters: [f1]\n')
    const missing = await run(['create', '-f', '-'], {input: peer})
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /spec\.filters\[0\].*BGPFilter\(f1\) does not exist/)
    const both = await run(['create', '-f', '-'], {input: `${FILTER}---\n${peer}`})
    assert.equal(both.code, 0, both.stderr)
    assert.deepEqual(JSON.parse((await raw('bgppeers/p1'))!).spec.filters, ['f1'])
  })
})

const SGNP = doc('StagedGlobalNetworkPolicy', '{name: lockdown}', '  stagedAction: Set\n  order: 10\n  selector: all()\n  ingress: [{action: Deny}]\n')
const SNP = doc('StagedNetworkPolicy', '{name: gone, namespace: ns1}', '  stagedAction: Delete\n')
const SKNP = doc(
  'StagedKubernetesNetworkPolicy',
  '{name: k1, namespace: ns1}',
  `  stagedAction: Set
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{ipBlock: {cidr: 198.51.100.0/24}}]
    ports: [{port: 80, protocol: TCP}]
  policyTypes: [Ingress]
`,
)

describe('staged policies', () => {
  test('create stores each kind at its upstream key with upstream defaulting', async () => {
    const r = await run(['create', '-f', '-'], {input: `${SGNP}---\n${SNP}---\n${SKNP}`})
    assert.equal(r.code, 0, r.stderr)
    // etcdv3.go defaultPolicyName: staged (global) policies carry the metadata annotation too;
    // api/pkg/defaults/networkpolicy.go: tier label and inferred types.
    const g = JSON.parse((await raw('stagedglobalnetworkpolicies/lockdown'))!)
    assert.deepEqual(g.metadata.labels, {'projectcalico.org/tier': 'default'})
    assert.equal(g.metadata.annotations['projectcalico.org/metadata'], '{"name":"lockdown"}')
    assert.equal(JSON.stringify(g.spec), '{"stagedAction":"Set","tier":"default","order":10,"ingress":[{"action":"Deny"}],"selector":"all()","types":["Ingress"]}')
    // clientv3/stagednetworkpolicy.go: Delete drops the defaulted types.
    const n = JSON.parse((await raw('stagednetworkpolicies/ns1/gone'))!)
    assert.equal(JSON.stringify(n.spec), '{"stagedAction":"Delete","tier":"default"}')
    // networking/v1 field order, pointers omitted when absent; podSelector always written.
    const k = JSON.parse((await raw('stagedkubernetesnetworkpolicies/ns1/k1'))!)
    assert.equal(JSON.stringify(k.spec), '{"stagedAction":"Set","podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"ports":[{"protocol":"TCP","port":80}],"from":[{"ipBlock":{"cidr":"198.51.100.0/24"}}]}],"policyTypes":["Ingress"]}')
    assert.equal(k.metadata.annotations, undefined)
    // Read back without the annotation; wide columns as resourcemgr lists them.
    const y = await run(['get', 'sgnp', 'lockdown', '-o', 'yaml'])
    assert.equal(y.code, 0, y.stderr)
    assert.doesNotMatch(y.stdout, /projectcalico\.org\/metadata/)
    const w = await run(['get', 'sgnp', '-o', 'wide'])
    assert.match(w.stdout, /^NAME\s+TIER\s+ORDER\s+SELECTOR\s*\nlockdown\s+default\s+10\s+all\(\)/)
    const kw = await run(['get', 'sknp', '-n', 'ns1', '-o', 'wide'])
    assert.match(kw.stdout, /k1\s+\{map\[app:web\] \[\]\}/)
  })

  test('every upstream alias names its kind; delete removes the key', async () => {
    assert.equal((await run(['create', '-f', '-'], {input: `${SGNP}---\n${SNP}---\n${SKNP}`})).code, 0)
    const aliases: Array<[string[], string, string[]]> = [
      // resourcemgr/stagedglobalnetworkpolicy.go, stagednetworkpolicy.go, stagedkubernetesnetworkpolicy.go.
      [['stagedglobalnetworkpolicy', 'stagedglobalnetworkpolicies', 'sgnp', 'sgnps'], 'lockdown', []],
      [['stagednetworkpolicy', 'stagednetworkpolicies', 'stagedpolicy', 'snp', 'stagedpolicies', 'spol', 'spols'], 'gone', ['-n', 'ns1']],
      [['stagedkubernetesnetworkpolicy', 'stagedkubernetesnetworkpolicies', 'stagedkubernetespolicy', 'sknp', 'stagedkubernetespolicies', 'skpol', 'skpols'], 'k1', ['-n', 'ns1']],
    ]
    for (const [names, name, ns] of aliases)
      for (const a of names) {
        const r = await run(['get', a, name, ...ns, '-o', 'yaml'])
        assert.equal(r.code, 0, `${a}: ${r.stderr}`)
        assert.match(r.stdout, new RegExp(`name: ${name}`))
      }
    for (const [args, key] of [
      [['sgnp', 'lockdown'], 'stagedglobalnetworkpolicies/lockdown'],
      [['snp', 'gone', '-n', 'ns1'], 'stagednetworkpolicies/ns1/gone'],
      [['sknp', 'k1', '-n', 'ns1'], 'stagedkubernetesnetworkpolicies/ns1/k1'],
    ] as const) {
      const d = await run(['delete', ...args])
      assert.equal(d.code, 0, d.stderr)
      assert.equal(await raw(key), null)
    }
  })

  test('validator.go rules for staged policies', async () => {
    const bad = [
      // validateStagedNetworkPolicy: with Delete only the tier may be set.
      doc('StagedNetworkPolicy', '{name: d1, namespace: ns1}', '  stagedAction: Delete\n  selector: all()\n'),
      // stagedActionRegex: Set, Delete, Learn, Ignore.
      doc('StagedGlobalNetworkPolicy', '{name: a1}', '  stagedAction: Apply\n'),
      // The enforced form is validated as a GlobalNetworkPolicy (validateGlobalNetworkPolicySpec).
      doc('StagedGlobalNetworkPolicy', '{name: a2}', '  stagedAction: Set\n  doNotTrack: true\n  preDNAT: true\n  applyOnForward: true\n'),
      // globalNetworkPolicyNameRegex: at most one tier dot.
      doc('StagedGlobalNetworkPolicy', '{name: a.b.c}', '  stagedAction: Set\n'),
      // validateStagedKubernetesNetworkPolicy: with Delete every field must be empty.
      doc('StagedKubernetesNetworkPolicy', '{name: k2, namespace: ns1}', '  stagedAction: Delete\n  podSelector: {matchLabels: {a: b}}\n'),
      // The Kubernetes to Calico conversion needs valid selector operators.
      doc('StagedKubernetesNetworkPolicy', '{name: k3, namespace: ns1}', '  podSelector: {matchExpressions: [{key: a, operator: Near}]}\n'),
    ]
    for (const input of bad) {
      const r = await run(['create', '-f', '-'], {input})
      assert.equal(r.code, 1, `accepted:\n${input}`)
    }
    const a1 = await run(['create', '-f', '-'], {input: bad[1]!})
    assert.match(a1.stderr, /spec\.stagedAction/)
    const d1 = await run(['create', '-f', '-'], {input: bad[0]!})
    assert.match(d1.stderr, /should all be zero-value if stagedAction is Delete/)
    const keys = await etcd.client.getAll().prefix(`${PREFIX}staged`).keys()
    assert.deepEqual(keys, [])
    // Learn and Ignore are in upstream's enum: accepted.
    const ok = await run(['create', '-f', '-'], {input: doc('StagedGlobalNetworkPolicy', '{name: learn}', '  stagedAction: Learn\n')})
    assert.equal(ok.code, 0, ok.stderr)
  })

  test('a staged policy in a tier that does not exist is refused (clientv3 Create checks the tier)', async () => {
    const r = await run(['create', '-f', '-'], {input: doc('StagedGlobalNetworkPolicy', '{name: t1}', '  tier: nosuch\n  stagedAction: Set\n')})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /Tier\(nosuch\) does not exist/)
  })
})

describe('datastore migrate export', () => {
  test('includes BGPFilters and the staged policies', async () => {
    assert.equal((await run(['create', '-f', '-'], {input: `${FILTER}---\n${SGNP}---\n${SNP}---\n${SKNP}`})).code, 0)
    assert.equal((await run(['datastore', 'migrate', 'lock'])).code, 0)
    const exp = await run(['datastore', 'migrate', 'export'])
    assert.equal(exp.code, 0, exp.stderr)
    for (const kind of ['BGPFilterList', 'StagedGlobalNetworkPolicyList', 'StagedNetworkPolicyList', 'StagedKubernetesNetworkPolicyList']) assert.match(exp.stdout, new RegExp(`kind: ${kind}\\b`))
    for (const name of ['name: f1', 'name: lockdown', 'name: gone', 'name: k1']) assert.ok(exp.stdout.includes(name), name)
    // And back: `migrate import` into an empty datastore stores the same documents at the same keys.
    const keys = ['bgpfilters/f1', 'stagedglobalnetworkpolicies/lockdown', 'stagednetworkpolicies/ns1/gone', 'stagedkubernetesnetworkpolicies/ns1/k1']
    const before = await Promise.all(keys.map(async (k) => JSON.parse((await raw(k))!).spec))
    await etcd.wipe()
    const imp = await run(['datastore', 'migrate', 'import', '-f', '-'], {input: exp.stdout})
    assert.equal(imp.code, 0, imp.stderr)
    assert.deepEqual(await Promise.all(keys.map(async (k) => JSON.parse((await raw(k))!).spec)), before)
  })
})
