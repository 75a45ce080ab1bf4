// Validation parity through the real CLI against a real etcd: manifests upstream v3.32.1 refuses
// exit 1 with one line per problem naming resource and field, and write nothing; manifests it
// accepts (several that this tool used to refuse) are stored and read back as upstream prints
// them. Rows come from test/faults/parity-corpus.ts, which cites the upstream rule of each.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {decodeResource, encodeResource} from '../../src/datastore/codec.js'
import {KINDS} from '../../src/resources/registry.js'
import {CORPUS, manifest, STORED} from '../faults/parity-corpus.js'
import {type CliSession, cliSession} from '../helpers/cli-session.js'
import {rng, TEST_SEED} from '../helpers/random.js'
import {judge, type RowCases, rowCases} from '../helpers/rule-cases.js'

const session = cliSession('ctl-parity-cli-')
const run: CliSession['run'] = (...args) => session.run(...args)
const file = (text: string, ext?: string) => session.file(text, ext)


/** Keys under /calico/resources/ other than those calicoctl initialises itself on first use. */
async function userKeys(): Promise<string[]> {
  return (await session.etcd.client.getAll().prefix('/calico/resources/').keys()).filter((k) => !/\/(clusterinformations|tiers)\/default$/.test(k)).sort()
}

describe('upstream-refused manifests through `calicoctl apply -f`', () => {
  // One refused row per kind and a few of the issue's own examples (duplicate keys, Felix enums
  // and ports, BGP rules, zone ids, reserved label, missing tier), taken by their description.
  const wanted = [
    'duplicate key in YAML',
    'duplicate key in JSON',
    'unknown FelixConfiguration field',
    'logSeverityScreen: garbage',
    'wireguard port over 65535',
    'reversed routeTableRange',
    'malformed NAT address',
    'host bits in service CIDR',
    'mesh password with mesh off',
    'reachableBy without peerIP',
    'filter that does not exist',
    'policy in a tier that does not exist',
    'annotations over 256 KiB',
    'reserved projectcalico.org/namespace label',
    'creationTimestamp not RFC 3339',
    'net with a zone id',
    'no interfaceName',
    'NAT of mixed families',
    'short MAC',
    'WireGuard key of 31 bytes',
    'template CIDR',
    'LoadBalancer pool without export',
  ]
  const rows = wanted.map((why) => {
    const c = CORPUS.find((x) => x.why === why && !x.ok)
    assert.ok(c, `no refused corpus row "${why}"`)
    return c
  })
  test(`${rows.length} refused manifests: exit 1, one line naming resource and field, nothing written`, async () => {
    for (let i = 0; i < rows.length; i += 6) {
      const wave = rows.slice(i, i + 6)
      const results = await Promise.all(wave.map((c) => run(['apply', '-f', file(manifest(c), c.text?.startsWith('{') ? 'json' : 'yaml')])))
      results.forEach((r, j) => {
        const c = wave[j]!
        assert.equal(r.code, 1, `${c.why}: ${r.stdout}${r.stderr}`)
        assert.equal(r.stdout, '', c.why)
        const lines = r.stderr.trimEnd().split('\n')
        assert.ok(lines.length <= 3, `${c.why}: ${r.stderr}`)
        for (const line of lines) assert.doesNotMatch(line, /^\s+at |node:internal|\.js:\d+:\d+/, r.stderr)
        // calicoctl's framing first ("failed to apply 'Kind' resource: "), then the problem.
        const problems = lines.map((l) => l.replace(/^\s*(failed to \w+ '\w+' resource: )?/, ''))
        if (c.field) assert.ok(problems.some((l) => l.startsWith(`${c.kind}(`) && l.includes(`: ${c.field}`)), `${c.why}: ${r.stderr}`)
      })
    }
    assert.deepEqual(await userKeys(), [])
  })

  test('a file with many faults: the first ten problems, then one summary line; nothing written', async () => {
    const docs = Array.from({length: 30}, (_, i) => `apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata:\n  name: bad-${i}\nspec:\n  logSeverityScreen: garbage\n`)
    const r = await run(['apply', '-f', file(docs.join('---\n'))])
    assert.equal(r.code, 1, r.stderr)
    const lines = r.stderr.trimEnd().split('\n')
    // calicoctl's heading for a refused multi-resource write, then ten problems and the summary.
    assert.equal(lines.length, 12, r.stderr)
    assert.equal(lines[0], "failed to apply any 'FelixConfiguration' resources:")
    assert.match(lines[1]!, /^\s+FelixConfiguration\(bad-0\): spec\.logSeverityScreen = 'garbage': must be one of/)
    assert.match(lines[11]!, /and 20 more problems \(30 in all/)
    assert.deepEqual(await userKeys(), [])
  })
})

describe('upstream-accepted manifests this tool used to refuse', () => {
  test('stored, and read back as upstream prints them (durations in Go form, keys canonical)', async () => {
    const text = [
      'apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata:\n  name: edge-nodes\nspec:\n  NodeSelector: role == "edge"\n  routeTableRange: {min: 1, max: 250}\n  reportingInterval: 125s\n  RouteRefreshInterval: 3600s\n',
      'apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: default\nspec:\n  serviceLoadBalancerAggregation: Disabled\n  ipv4NormalRoutePriority: 1024\n  ipv6NormalRoutePriority: 1024\n  nodeMeshMaxRestartTime: 90s\n',
      'apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: ttl-only\nspec:\n  ttlSecurity: 3\n',
      'apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: no-asn\nspec:\n  peerIP: 198.51.100.1\n',
      'apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: node1\nspec:\n  interfaces:\n  - name: eth0\n    addresses: [198.51.100.5]\n',
      'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: lb\nspec:\n  cidr: 203.0.113.0/24\n  allowedUses: [LoadBalancer]\n',
      'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: caps\nspec:\n  Selector: all()\n  Egress:\n  - Action: Allow\n',
    ].join('---\n')
    const r = await run(['apply', '-f', file(text)])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Successfully applied 7 resource/)

    const felix = JSON.parse((await run(['get', 'felixconfiguration', 'edge-nodes', '-o', 'json'])).stdout)
    // bpfLogLevel is tagged without omitempty upstream: Go writes it, empty, in every FelixConfiguration.
    assert.deepEqual(felix.spec, {nodeSelector: 'role == "edge"', routeRefreshInterval: '1h0m0s', reportingInterval: '2m5s', bpfLogLevel: '', routeTableRange: {min: 1, max: 250}})
    const felixYaml = (await run(['get', 'felixconfiguration', 'edge-nodes', '-o', 'yaml'])).stdout
    assert.match(felixYaml, /reportingInterval: 2m5s\n/)
    const stored = JSON.parse((await session.etcd.client.get('/calico/resources/v3/projectcalico.org/felixconfigurations/edge-nodes').string())!)
    assert.equal(stored.spec.reportingInterval, '2m5s')
    // Go's struct order, as calicoctl writes it: nodeSelector first, routeTableRange after the intervals.
    assert.deepEqual(Object.keys(stored.spec), ['nodeSelector', 'routeRefreshInterval', 'reportingInterval', 'bpfLogLevel', 'routeTableRange'])

    const bgp = JSON.parse((await run(['get', 'bgpconfiguration', 'default', '-o', 'json'])).stdout)
    assert.equal(bgp.spec.nodeMeshMaxRestartTime, '1m30s')
    assert.equal(bgp.spec.serviceLoadBalancerAggregation, 'Disabled')
    const gnp = JSON.parse((await run(['get', 'globalnetworkpolicy', 'caps', '-o', 'json'])).stdout)
    assert.deepEqual(gnp.spec.egress, [{action: 'Allow'}])
    const node = JSON.parse((await run(['get', 'node', 'node1', '-o', 'json'])).stdout)
    assert.deepEqual(node.spec.interfaces, [{name: 'eth0', addresses: ['198.51.100.5']}])
  })

  test('a duration stored in another form (by an older writer) is printed as Go prints it', async () => {
    await session.etcd.client.put('/calico/resources/v3/projectcalico.org/felixconfigurations/node.old').value('{"kind":"FelixConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"node.old"},"spec":{"reportingInterval":"125s"}}')
    const r = await run(['get', 'felixconfiguration', 'node.old', '-o', 'yaml'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /reportingInterval: 2m5s\n/)
  })

  test('a policy in a new tier is refused until the tier exists, then stored', async () => {
    const policy = file('apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: security.block\nspec:\n  tier: security\n  selector: all()\n')
    const before = await run(['apply', '-f', policy])
    assert.equal(before.code, 1, before.stdout)
    assert.match(before.stderr, /^failed to apply 'GlobalNetworkPolicy' resource: GlobalNetworkPolicy\(security\.block\): spec\.tier = 'security': Tier\(security\) does not exist$/m)
    assert.equal(await session.etcd.client.get('/calico/resources/v3/projectcalico.org/globalnetworkpolicies/security.block').string(), null)
    const tier = await run(['apply', '-f', file('apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: security\nspec:\n  order: 100\n')])
    assert.equal(tier.code, 0, tier.stderr)
    const after = await run(['apply', '-f', policy])
    assert.equal(after.code, 0, after.stderr)
    // A tier and its policy in one file: the tier in the input counts.
    const both = await run(['apply', '-f', file('apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: ops\nspec:\n  order: 200\n---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: ops.allow\nspec:\n  tier: ops\n')])
    assert.equal(both.code, 0, both.stderr)
  })
})

describe('rule tables through the CLI: a sample row per kind (every row in-process: test/unit/rule-tables.test.ts)', () => {
  // One row per kind, drawn from the rows whose cases are single documents; the seed is printed.
  const random = rng('rule-table sample')
  const single = (r: RowCases) => r.accepted.some((p) => p.c.text === undefined) && r.refused.some((p) => p.c.text === undefined)
  const samples = KINDS.flatMap((def) => {
    const rows = rowCases().filter((r) => r.def === def && single(r))
    return rows.length > 0 ? [random.pick(rows)] : []
  })

  async function allKeys(): Promise<string[]> {
    return (await session.etcd.client.getAll().prefix('/calico/resources/').keys()).sort()
  }

  test(`${samples.length} kinds (TEST_SEED=${TEST_SEED}): the row's refused manifest exits 1 naming resource and field, nothing written; its accepted one is applied and read back as stored`, async () => {
    // An empty datastore but for what the corpus takes as stored, for the client's checks (a
    // tier, a BGP filter): the tests above leave resources an accepted sample could overlap.
    await session.etcd.wipe()
    const stored = [...STORED].map((id) => {
      const [kind, name] = id.split('/') as [string, string]
      const spec = kind === 'Tier' ? {order: 100} : {exportV4: [{action: 'Accept'}]}
      return JSON.stringify({apiVersion: 'projectcalico.org/v3', kind, metadata: {name}, spec})
    })
    const setup = await run(['apply', '-f', file(stored.join('\n---\n'))])
    assert.equal(setup.code, 0, setup.stderr)

    for (const {def, row, refused, accepted} of samples) {
      const why = `${def.kind} ${row.field} (${row.rule}) [${row.source}]`
      const bad = refused.find((p) => p.c.text === undefined)!
      const before = await allKeys()
      const r = await run(['apply', '-f', file(manifest(bad.c), 'json')])
      assert.equal(r.code, 1, `${why}: "${bad.c.why}" was applied: ${r.stdout}`)
      const lines = r.stderr.trimEnd().split('\n').map((l) => l.replace(/^\s*(failed to \w+ '\w+' resource: )?/, ''))
      assert.ok(lines.some((l) => l.startsWith(`${def.kind}(`) && bad.fields.some((f) => l.includes(`: ${f}`))), `${why}: "${bad.c.why}": ${r.stderr}`)
      assert.deepEqual(await allKeys(), before, `${why}: "${bad.c.why}" wrote something`)

      const good = accepted.find((p) => p.c.text === undefined)!
      const ok = await run(['apply', '-f', file(manifest(good.c), 'json')])
      assert.equal(ok.code, 0, `${why}: "${good.c.why}": ${ok.stderr}`)
      const judged = judge(good.c)
      assert.ok('resources' in judged)
      const want = decodeResource(def, {key: '', value: encodeResource(def, judged.resources[0]!), modRevision: '0', createRevision: '0'})
      const ns = good.given.metadata.namespace
      const got = await run(['get', def.plural, want.metadata.name, ...(ns ? ['-n', ns] : []), '-o', 'json'])
      assert.equal(got.code, 0, `${why}: ${got.stderr}`)
      const read = JSON.parse(got.stdout)
      assert.deepEqual(read.spec, want.spec, `${why}: "${good.c.why}" read back`)
      assert.deepEqual(read.metadata.labels, want.metadata.labels, `${why}: "${good.c.why}" labels`)
    }
  })
})
