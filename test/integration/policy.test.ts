// Policy and endpoint kinds through the CLI against a real etcd: storage form, round trips,
// legacy keys, namespaces, rejection without writes, delete by selector.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'
import {cliFor, ROOT} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

const FIX = join(ROOT, 'test', 'fixtures', 'calico', 'policy')
const ALL = join(FIX, 'all-kinds.yaml')
const PREFIX = '/calico/resources/v3/projectcalico.org/'

let etcd: TestEtcd
let run: ReturnType<typeof cliFor>
const dir = mkdtempSync(join(tmpdir(), 'policy-test-'))

function file(name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

async function rawResources(): Promise<Record<string, string>> {
  return etcd.client.getAll().prefix(PREFIX).strings()
}

/** Stored JSON with the generated uid and creationTimestamp replaced by placeholders. */
async function storedForm(key: string): Promise<string> {
  const v = await etcd.client.get(PREFIX + key).string()
  assert.ok(v, `no value at ${key}`)
  return v.replace(/"uid":"[^"]+"/, '"uid":"<uid>"').replace(/"creationTimestamp":"[^"]+"/, '"creationTimestamp":"<ts>"')
}

before(async () => {
  etcd = await startEtcd()
  run = cliFor(etcd.endpoint)
})
after(async () => {
  await etcd?.stop()
})

describe('policy and endpoint kinds', () => {
  beforeEach(async () => {
    await etcd.wipe()
  })

  test('a manifest with every kind applies, and each kind lists', async () => {
    const r = await run(['apply', '-f', ALL])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Successfully applied 10 resource\(s\)/)
    const keys = Object.keys(await rawResources())
    for (const k of [
      'tiers/security',
      'tiers/default',
      'globalnetworkpolicies/db-access',
      'globalnetworkpolicies/security.quarantine',
      'networkpolicies/prod/allow-frontend',
      'networkpolicies/staging/allow-dns',
      'profiles/web-profile',
      'hostendpoints/node1-eth0',
      'workloadendpoints/prod/node1-k8s-web--0-eth0',
      'globalnetworksets/blocklist',
      'networksets/prod/partners',
    ])
      assert.ok(keys.includes(PREFIX + k), `missing ${k}`)

    const tiers = await run(['get', 'tiers'])
    // By order, with the tiers calicoctl's initialisation creates (as upstream's test_tier_list_order).
    assert.equal(tiers.stdout, 'NAME            ORDER   \nsecurity        100     \nkube-admin      1000    \ndefault         1e+06   \nkube-baseline   1e+07   \n\n')
    const gnp = await run(['get', 'gnp', '-o', 'wide'])
    assert.match(gnp.stdout, /^NAME\s+TIER\s+ORDER\s+SELECTOR\s*\n/)
    assert.match(gnp.stdout, /db-access\s+default\s+100\.5\s+role == 'db'/)
    assert.match(gnp.stdout, /security\.quarantine\s+security\s+1\s+has\(quarantine\)/)
    const wep = await run(['get', 'wep', '-n', 'prod', '-o', 'wide'])
    assert.match(wep.stdout, /node1-k8s-web--0-eth0\s+web-0\s+node1\s+192\.168\.0\.5\/32\s+cali0123456789a\s+web-profile\s+\{192\.168\.0\.5 198\.51\.100\.50\}/)
    const hep = await run(['get', 'hep', '-o', 'wide'])
    assert.match(hep.stdout, /node1-eth0\s+node1\s+eth0\s+198\.51\.100\.10\s+web-profile/)
    const gns = await run(['get', 'globalnetworksets', '-o', 'wide'])
    const netsCell = gns.stdout.split('\n')[1]!.replace(/^blocklist\s+/, '').trimEnd()
    assert.equal(netsCell.length, 80)
    assert.ok(netsCell.endsWith('...'))
    const pro = await run(['get', 'profiles', '-o', 'wide'])
    assert.match(pro.stdout, /web-profile\s+role=web/)
  })

  test('stored JSON of a GlobalNetworkPolicy and a NetworkPolicy is exactly Calico\'s form', async () => {
    assert.equal((await run(['apply', '-f', ALL])).code, 0)
    assert.equal(await storedForm('globalnetworkpolicies/db-access'), readFileSync(join(FIX, 'gnp-db-access.json'), 'utf8').trim())
    assert.equal(await storedForm('networkpolicies/prod/allow-frontend'), readFileSync(join(FIX, 'np-allow-frontend.json'), 'utf8').trim())
  })

  test('get -o yaml round-trips through apply without changing what is stored', async () => {
    assert.equal((await run(['apply', '-f', ALL])).code, 0)
    const before = await rawResources()
    const kinds: Array<[string, string[]]> = [
      ['gnp', []],
      ['networkpolicy', ['-A']],
      // By name: the list holds the built-in profile too, whose update calicoctl refuses.
      ['profile', ['web-profile']],
      ['hostendpoint', []],
      ['workloadendpoint', ['-A']],
      ['globalnetworkset', []],
      ['networkset', ['-A']],
      ['tier', []],
    ]
    for (const [kind, flags] of kinds) {
      const got = await run(['get', kind, ...flags, '-o', 'yaml'])
      assert.equal(got.code, 0, got.stderr)
      assert.doesNotMatch(got.stdout, /projectcalico\.org\/metadata/, 'the storage annotation is not shown')
      const applied = await run(['apply', '-f', file(`${kind}.yaml`, got.stdout)])
      assert.equal(applied.code, 0, `${kind}: ${applied.stderr}`)
      const again = await run(['get', kind, ...flags, '-o', 'yaml'])
      const noRv = (s: string) => s.replace(/resourceVersion: "\d+"/g, 'resourceVersion: X')
      assert.equal(noRv(again.stdout), noRv(got.stdout), kind)
    }
    assert.deepEqual(await rawResources(), before)
  })

  test('a policy stored by Calico <= v3.28 under default.<name> is read by its bare name', async () => {
    const value = readFileSync(join(FIX, 'legacy-gnp-v3.28.json'), 'utf8').trim()
    await etcd.client.put(`${PREFIX}globalnetworkpolicies/default.legacy-allow`).value(value)
    const one = await run(['get', 'gnp', 'legacy-allow', '-o', 'yaml'])
    assert.equal(one.code, 0, one.stderr)
    assert.match(one.stdout, /^ {2}name: legacy-allow$/m)
    assert.match(one.stdout, /uid: 0f0e0d0c-0b0a-0908-0706-050403020100/)
    assert.doesNotMatch(one.stdout, /^\s+(source|destination):/m, `empty entity rules are not printed:\n${one.stdout}`)
    const list = await run(['get', 'gnp', '-o', 'wide'])
    assert.match(list.stdout, /^legacy-allow\s+default\s+50\s+all\(\)/m)
    assert.doesNotMatch(list.stdout, /default\.legacy-allow/)
  })

  test('a v3.30 policy whose annotation records its name is read by that name, annotation hidden', async () => {
    const value = JSON.stringify({
      kind: 'NetworkPolicy',
      apiVersion: 'projectcalico.org/v3',
      metadata: {name: 'default.web', namespace: 'prod', annotations: {'projectcalico.org/metadata': '{"name":"web"}', owner: 'ops'}},
      spec: {tier: 'default', selector: 'all()', types: ['Ingress']},
    })
    await etcd.client.put(`${PREFIX}networkpolicies/prod/default.web`).value(value)
    const got = await run(['get', 'np', 'web', '-n', 'prod', '-o', 'json'])
    assert.equal(got.code, 0, got.stderr)
    const doc = JSON.parse(got.stdout)
    assert.equal(doc.metadata.name, 'web')
    assert.deepEqual(doc.metadata.annotations, {owner: 'ops'})
  })

  test('get networkpolicies -A shows a NAMESPACE column across namespaces', async () => {
    assert.equal((await run(['apply', '-f', ALL])).code, 0)
    const r = await run(['get', 'networkpolicies', '-A'])
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.split('\n')
    assert.match(lines[0]!, /^NAMESPACE\s+NAME\s+TIER\s*$/)
    assert.ok(lines.some((l) => /^prod\s+allow-frontend\s+default/.test(l)))
    assert.ok(lines.some((l) => /^staging\s+allow-dns\s+default/.test(l)))
    const plain = await run(['get', 'networkpolicies'])
    assert.match(plain.stdout, /^NAME\s+TIER/, 'default namespace, no NAMESPACE column')
    assert.doesNotMatch(plain.stdout, /allow-frontend/)
    const gnpNs = await run(['get', 'gnp', '-n', 'prod'])
    assert.equal(gnpNs.code, 1)
    assert.match(gnpNs.stderr, /GlobalNetworkPolicy is not namespaced/)
  })

  test('one invalid document among good ones: exit 1, field paths named, nothing written', async () => {
    const manifest = `${readFileSync(ALL, 'utf8')}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: broken}
spec:
  ingress:
  - action: Allow
    protocol: UDP
    icmp: {type: 8}
  egress:
  - action: Allow
    destination: {nets: [10.0.0.0/33]}
`
    const r = await run(['apply', '-f', file('one-bad.yaml', manifest)])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /GlobalNetworkPolicy\(broken\): spec\.ingress\[0\]\.icmp/)
    assert.match(r.stderr, /spec\.egress\[0\]\.destination\.nets\[0\]/)
    const keys = Object.keys(await rawResources()).filter((k) => !k.includes('clusterinformations/') && !k.endsWith('tiers/default'))
    assert.deepEqual(keys, [])
  })

  test('30 distinct invalid policies are each refused with the field named', async () => {
    const gnp = (spec: string) => `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: bad}\nspec: ${spec}\n`
    const np = (spec: string, name = 'bad') => `apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: prod}\nspec: ${spec}\n`
    const cases: Array<[string, string]> = [
      [gnp('{ingress: [{action: Accept}]}'), 'spec.ingress[0].action'],
      [gnp('{ingress: [{action: allow}]}'), 'spec.ingress[0].action'],
      [gnp('{ingress: [{action: Allow, protocol: TCPX}]}'), 'spec.ingress[0].protocol'],
      [gnp('{ingress: [{action: Allow, protocol: 256}]}'), 'spec.ingress[0].protocol'],
      [gnp('{ingress: [{action: Allow, notProtocol: 0}]}'), 'spec.ingress[0].notProtocol'],
      [gnp('{ingress: [{action: Allow, ipVersion: 5}]}'), 'spec.ingress[0].ipVersion'],
      [gnp('{ingress: [{action: Allow, protocol: ICMP, ipVersion: 6}]}'), 'spec.ingress[0].ipVersion'],
      [gnp('{ingress: [{action: Allow, protocol: ICMPv6, ipVersion: 4}]}'), 'spec.ingress[0].ipVersion'],
      [gnp('{ingress: [{action: Allow, protocol: ICMP, icmp: {code: 1}}]}'), 'spec.ingress[0].icmp'],
      [gnp('{ingress: [{action: Allow, protocol: ICMP, icmp: {type: 255}}]}'), 'spec.ingress[0].icmp.type'],
      [gnp('{ingress: [{action: Allow, icmp: {type: 8}}]}'), 'spec.ingress[0].icmp'],
      [gnp('{ingress: [{action: Allow, protocol: ICMP, destination: {ports: [80]}}]}'), 'spec.ingress[0].destination.ports'],
      [gnp('{ingress: [{action: Allow, source: {ports: [80]}}]}'), 'spec.ingress[0].source.ports'],
      [gnp('{ingress: [{action: Allow, protocol: TCP, destination: {ports: ["90:80"]}}]}'), 'spec.ingress[0].destination.ports[0]'],
      [gnp('{ingress: [{action: Allow, protocol: TCP, destination: {ports: [0]}}]}'), 'spec.ingress[0].destination.ports[0]'],
      [gnp('{ingress: [{action: Allow, protocol: TCP, destination: {notPorts: [70000]}}]}'), 'spec.ingress[0].destination.notPorts[0]'],
      [gnp('{ingress: [{action: Allow, source: {nets: [10.0.0.0/8, "fd00::/8"]}}]}'), 'spec.ingress[0].source.nets'],
      [gnp('{ingress: [{action: Allow, ipVersion: 6, source: {nets: [10.0.0.0/8]}}]}'), 'spec.ingress[0].source.nets'],
      [gnp('{ingress: [{action: Allow, source: {nets: [10.0.0.1/8]}}]}'), 'spec.ingress[0].source.nets[0]'],
      [gnp('{ingress: [{action: Allow, source: {notNets: [0.0.0.0/0]}}]}'), 'spec.ingress[0].source.notNets[0]'],
      [gnp('{ingress: [{action: Allow, source: {selector: "global()"}}]}'), 'spec.ingress[0].source.selector'],
      [gnp('{ingress: [{action: Allow, source: {selector: "a ==="}}]}'), 'spec.ingress[0].source.selector'],
      [gnp('{selector: "has(a"}'), 'spec.selector'],
      [gnp('{ingress: [{action: Allow, destination: {services: {name: svc, namespace: ns}}}]}'), 'spec.ingress[0].destination.services'],
      [gnp('{egress: [{action: Allow, destination: {services: {name: svc}}}]}'), 'spec.egress[0].destination.services.namespace'],
      [gnp('{ingress: [{action: Deny, http: {methods: [GET]}}]}'), 'spec.ingress[0].http'],
      [gnp('{types: [Ingress, Ingress]}'), 'spec.types'],
      [gnp('{types: [Sideways]}'), 'spec.types[0]'],
      [gnp('{preDNAT: true, doNotTrack: true, applyOnForward: true}'), 'spec.preDNAT'],
      [gnp('{preDNAT: true, applyOnForward: true, egress: [{action: Allow}]}'), 'spec.egress'],
      [gnp('{performanceHints: [Fast]}'), 'spec.performanceHints[0]'],
      [gnp('{tier: "Bad_Tier"}'), 'spec.tier'],
      [gnp('{ingress: [{action: Allow, bogus: 1}]}'), 'spec.ingress[0].bogus'],
      [np('{doNotTrack: true}'), 'spec.doNotTrack'],
      [np('{}', 'a.b.c'), 'metadata.name'],
      [np('{namespaceSelector: "all()"}'), 'spec.namespaceSelector'],
    ]
    // A few CLI processes at a time: enough to be quick without starving a shared machine.
    const results: Array<Awaited<ReturnType<typeof run>>> = []
    for (let i = 0; i < cases.length; i += 6) {
      const batch = cases.slice(i, i + 6).map(([doc], j) => run(['apply', '-f', file(`bad-${i + j}.yaml`, doc)]))
      results.push(...(await Promise.all(batch)))
    }
    results.forEach((r, i) => {
      const [doc, field] = cases[i]!
      assert.equal(r.code, 1, `case ${i} accepted:\n${doc}`)
      assert.ok(r.stderr.includes(field), `case ${i}: expected ${field} in:\n${r.stderr}`)
    })
    const keys = Object.keys(await rawResources()).filter((k) => k.includes('networkpolicies/'))
    assert.deepEqual(keys, [])
  })

  test('delete -l removes exactly the policies whose labels match', async () => {
    assert.equal((await run(['apply', '-f', ALL])).code, 0)
    const del = await run(['delete', 'gnp', '-l', "projectcalico.org/tier == 'security'"])
    assert.equal(del.code, 0, del.stderr)
    assert.match(del.stdout, /Successfully deleted 1 'GlobalNetworkPolicy' resource/)
    const left = Object.keys(await rawResources()).filter((k) => k.includes('globalnetworkpolicies/'))
    assert.deepEqual(left, [`${PREFIX}globalnetworkpolicies/db-access`])
    const ns = await run(['delete', 'networkpolicy', '-n', 'prod', '-l', 'has(projectcalico.org/tier)'])
    assert.equal(ns.code, 0, ns.stderr)
    const nps = Object.keys(await rawResources()).filter((k) => k.includes('networkpolicies/'))
    assert.deepEqual(nps.filter((k) => !k.includes('globalnetworkpolicies')), [`${PREFIX}networkpolicies/staging/allow-dns`])
  })

  test('label and patch keep the storage annotation and the tier label', async () => {
    assert.equal((await run(['apply', '-f', ALL])).code, 0)
    assert.equal((await run(['label', 'gnp', 'db-access', 'env=prod'])).code, 0)
    const patched = await run(['patch', 'gnp', 'db-access', '-p', '{"spec":{"order":7}}'])
    assert.equal(patched.code, 0, patched.stderr)
    const stored = JSON.parse(await storedForm('globalnetworkpolicies/db-access'))
    assert.equal(stored.spec.order, 7)
    assert.deepEqual(stored.metadata.labels, {env: 'prod', 'projectcalico.org/tier': 'default', team: 'db'})
    assert.deepEqual(stored.metadata.annotations, {'projectcalico.org/metadata': '{"name":"db-access"}'})
  })

  test('a mismatching WorkloadEndpoint name is refused with the expected name', async () => {
    const doc = `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: wrong-name, namespace: prod}
spec: {orchestrator: k8s, node: node-1, pod: web-0, endpoint: eth0}
`
    const r = await run(['create', '-f', file('wep.yaml', doc)])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /expected name node--1-k8s-web--0-eth0/)
  })

  test('the default tier exists after a write and cannot take another order', async () => {
    assert.equal((await run(['apply', '-f', ALL])).code, 0)
    const t = await run(['get', 'tier', 'default', '-o', 'json'])
    assert.deepEqual(JSON.parse(t.stdout).spec, {order: 1000000, defaultAction: 'Deny'})
    const bad = await run(['apply', '-f', file('tier.yaml', 'apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: default}\nspec: {order: 5}\n')])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /spec\.order/)
  })
})
