// node explain, evaluated on hand-built snapshots: the path from the routes model and the
// verdict from the iptables model's chains.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {explain, formatExplain} from '../../src/explain/explain.js'
import {emptySnapshot, type Snapshot} from '../../src/node/snapshot.js'
import type {Resource} from '../../src/resources/types.js'

const res = (kind: string, name: string, spec: Record<string, unknown>, extra: Partial<Resource['metadata']> = {}): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata: {name, ...extra},
  spec,
})

function wep(name: string, node: string, ip: string, iface: string, labels: Record<string, string>): Resource {
  return res('WorkloadEndpoint', name, {node, workload: name, interfaceName: iface, ipNetworks: [`${ip}/32`], profiles: ['projectcalico-default-allow']}, {namespace: 'default', labels})
}

function seed(ipipMode = 'Always'): Snapshot {
  const s = emptySnapshot()
  s.pools = [res('IPPool', 'default-ipv4-ippool', {cidr: '192.168.0.0/16', blockSize: 26, ipipMode, vxlanMode: 'Never'})]
  s.nodes = [
    res('Node', 'master', {bgp: {ipv4Address: '198.51.100.95/24', ipv4IPIPTunnelAddr: '192.168.10.0'}}),
    res('Node', 'node', {bgp: {ipv4Address: '198.51.100.96/24', ipv4IPIPTunnelAddr: '192.168.20.0'}}),
  ]
  s.blocks = [
    {cidr: '192.168.10.0/26', node: 'master', affinity: 'host:master', capacity: 64, inUse: 2, free: 62, modRevision: '1'},
    {cidr: '192.168.20.0/26', node: 'node', affinity: 'host:node', capacity: 64, inUse: 2, free: 62, modRevision: '1'},
  ]
  s.workloadEndpoints = [wep('pod1', 'master', '192.168.10.1', 'cali1111111111a', {app: 'client'}), wep('pod2', 'node', '192.168.20.1', 'cali2222222222b', {app: 'db'})]
  return s
}

const gnp = (name: string, spec: Record<string, unknown>) => res('GlobalNetworkPolicy', name, spec)

describe('node explain', () => {
  test('IPIP path and default-allow verdict', () => {
    const r = explain(seed(), {source: 'pod1', destination: 'pod2'})
    assert.equal(r.path[0]!.via, 'tunnel')
    assert.equal(r.path[0]!.route, '192.168.20.0/26 via 198.51.100.96 dev tunl0 onlink')
    assert.equal(r.path[1]!.via, 'local')
    assert.match(r.path[1]!.route!, /^192\.168\.20\.1\/32 dev cali2222222222b scope link/)
    assert.match(r.encapsulation, /IP-in-IP.*198\.51\.100\.95 -> 198\.51\.100\.96/)
    assert.equal(r.verdict, 'Allow')
    assert.deepEqual(r.policy.map((p) => p.verdict), ['Allow', 'Allow'])
    assert.deepEqual(r.policy[1]!.steps, [{kind: 'profile', name: 'Profile projectcalico-default-allow', action: 'Allow', rule: 1}])
    const text = formatExplain(r)
    assert.match(text, /Verdict: Allow/)
  })

  test('BGP mode: next hop learned over BGP, no encapsulation; by IP', () => {
    const r = explain(seed('Never'), {source: '192.168.10.1', destination: '192.168.20.1'})
    assert.equal(r.source.workload?.name, 'pod1')
    assert.equal(r.path[0]!.via, 'bgp')
    assert.equal(r.path[0]!.route, '192.168.20.0/26 via 198.51.100.96 dev <uplink> proto bird')
    assert.equal(r.encapsulation, 'none')
  })

  test('a deny ICMP policy into pod2 denies ping but not TCP; tiers and rule numbers in order', () => {
    const s = seed()
    s.globalNetworkPolicies = [gnp('deny-icmp', {selector: "app == 'db'", ingress: [{action: 'Deny', protocol: 'ICMP'}, {action: 'Allow'}], types: ['Ingress']})]
    const ping = explain(s, {source: 'pod1', destination: 'pod2'})
    assert.equal(ping.verdict, 'Deny')
    const ing = ping.policy[1]!
    assert.equal(ing.verdict, 'Deny')
    assert.deepEqual(ing.steps, [
      {kind: 'tier', name: 'default'},
      {kind: 'policy', name: 'GlobalNetworkPolicy deny-icmp', tier: 'default', action: 'Deny', rule: 1},
    ])
    assert.equal(ping.policy[0]!.verdict, 'Allow', 'egress is not selected')
    const tcp = explain(s, {source: 'pod1', destination: 'pod2', port: 5432})
    assert.equal(tcp.verdict, 'Allow')
    assert.equal(tcp.policy[1]!.steps[1]!.rule, 2)
  })

  test('selector, ports and end of tier: allow only tcp/5432 from app=client', () => {
    const s = seed()
    s.globalNetworkPolicies = [gnp('db', {selector: "app == 'db'", ingress: [{action: 'Allow', protocol: 'TCP', source: {selector: "app == 'client'"}, destination: {ports: [5432]}}]})]
    assert.equal(explain(s, {source: 'pod1', destination: 'pod2', port: 5432}).verdict, 'Allow')
    const other = explain(s, {source: 'pod1', destination: 'pod2', port: 80})
    assert.equal(other.verdict, 'Deny')
    assert.deepEqual(other.policy[1]!.steps.map((x) => [x.kind, x.action]), [['tier', undefined], ['policy', 'no match'], ['end-of-tier', 'Deny']])
    // From an address that is not a client workload: not matched by the selector.
    const ext = explain(s, {source: '198.51.100.10', destination: 'pod2', port: 5432})
    assert.equal(ext.verdict, 'Deny')
    assert.equal(ext.policy.length, 1)
  })

  test('a Pass in an earlier tier skips to the next tier', () => {
    const s = seed()
    s.tiers = [res('Tier', 'security', {order: 100}), res('Tier', 'default', {order: 1000000})]
    s.globalNetworkPolicies = [
      gnp('security.pass-all', {tier: 'security', selector: 'all()', ingress: [{action: 'Pass'}], types: ['Ingress']}),
      gnp('deny-db', {selector: "app == 'db'", ingress: [{action: 'Deny'}], types: ['Ingress']}),
    ]
    const r = explain(s, {source: 'pod1', destination: 'pod2'})
    assert.equal(r.verdict, 'Deny')
    assert.deepEqual(
      r.policy[1]!.steps.map((x) => `${x.kind}:${x.name}:${x.action ?? ''}`),
      ['tier:security:', 'policy:GlobalNetworkPolicy security.pass-all:Pass', 'tier:default:', 'policy:GlobalNetworkPolicy deny-db:Deny'],
    )
  })

  test('egress deny on the source side; unknown endpoints are refused', () => {
    const s = seed()
    s.globalNetworkPolicies = [gnp('no-egress', {selector: "app == 'client'", egress: [{action: 'Deny', destination: {nets: ['192.168.20.0/24']}}], types: ['Egress']})]
    const r = explain(s, {source: 'pod1', destination: 'pod2'})
    assert.equal(r.policy[0]!.verdict, 'Deny')
    assert.equal(r.verdict, 'Deny')
    assert.throws(() => explain(s, {source: 'nope', destination: 'pod2'}), /neither a workload/)
    assert.throws(() => explain(s, {source: '10.0.0.1', destination: '10.0.0.2'}), /at least one/)
  })
})

// Staged policies (api/pkg/apis/projectcalico/v3/stagednetworkpolicy.go
// ConvertStagedPolicyToEnforced): shown next to the enforced verdict, never enforced.
describe('node explain with staged policies', () => {
  const staged = (kind: string, name: string, spec: Record<string, unknown>, ns?: string) => res(kind, name, spec, ns ? {namespace: ns} : {})
  const allowDns = () => {
    const s = seed()
    s.globalNetworkPolicies = [gnp('allow-dns', {tier: 'default', selector: "app == 'db'", ingress: [{action: 'Allow', protocol: 'UDP', destination: {ports: [53]}}], types: ['Ingress']})]
    return s
  }

  test('a staged Set policy that would deny shows both verdicts; the enforced one is unchanged', () => {
    const lockdown = staged('StagedGlobalNetworkPolicy', 'lockdown', {stagedAction: 'Set', tier: 'default', order: 1, selector: "app == 'db'", ingress: [{action: 'Deny'}], types: ['Ingress']})
    const r = explain(allowDns(), {source: 'pod1', destination: 'pod2', protocol: 'udp', port: 53}, {global: [lockdown], namespaced: [], kubernetes: []})
    assert.equal(r.verdict, 'Allow')
    assert.equal(r.staged?.verdict, 'Deny')
    const text = formatExplain(r)
    assert.match(text, /enforced: allow by default\.allow-dns; staged: deny by default\.lockdown \(enforcing the staged policies would change this\)/)
    assert.match(text, /Verdict: Allow \(staged: Deny\)/)
    // Without staged policies nothing is added.
    const plain = formatExplain(explain(allowDns(), {source: 'pod1', destination: 'pod2', protocol: 'udp', port: 53}, {global: [], namespaced: [], kubernetes: []}))
    assert.doesNotMatch(plain, /staged/)
  })

  test('Set replaces the policy of the same name; Delete removes it; Learn changes nothing', () => {
    const req = {source: 'pod1', destination: 'pod2', protocol: 'udp', port: 53}
    const replaced = staged('StagedGlobalNetworkPolicy', 'allow-dns', {stagedAction: 'Set', tier: 'default', selector: "app == 'db'", ingress: [{action: 'Allow', protocol: 'TCP'}], types: ['Ingress']})
    const r1 = explain(allowDns(), req, {global: [replaced], namespaced: [], kubernetes: []})
    assert.deepEqual([r1.verdict, r1.staged?.verdict], ['Allow', 'Deny'])
    assert.match(formatExplain(r1), /staged: deny by end of tier default/)
    const removed = staged('StagedGlobalNetworkPolicy', 'allow-dns', {stagedAction: 'Delete', tier: 'default'})
    const r2 = explain(allowDns(), req, {global: [removed], namespaced: [], kubernetes: []})
    // With the only policy gone, no policy selects pod2 and its profile (default allow) decides.
    assert.deepEqual([r2.verdict, r2.staged?.verdict], ['Allow', 'Allow'])
    assert.match(formatExplain(r2), /staged: allow by profile projectcalico-default-allow/)
    const learn = staged('StagedGlobalNetworkPolicy', 'allow-dns', {stagedAction: 'Learn', tier: 'default', selector: "app == 'db'", ingress: [{action: 'Deny'}]})
    assert.equal(explain(allowDns(), req, {global: [learn], namespaced: [], kubernetes: []}).staged?.verdict, 'Allow')
  })

  test('a staged namespaced policy applies in its namespace only', () => {
    const req = {source: 'pod1', destination: 'pod2', protocol: 'udp', port: 53}
    const deny = (ns: string) => staged('StagedNetworkPolicy', 'lock', {stagedAction: 'Set', tier: 'default', order: 1, selector: "app == 'db'", ingress: [{action: 'Deny'}], types: ['Ingress']}, ns)
    assert.equal(explain(allowDns(), req, {global: [], namespaced: [deny('default')], kubernetes: []}).staged?.verdict, 'Deny')
    assert.equal(explain(allowDns(), req, {global: [], namespaced: [deny('other')], kubernetes: []}).staged?.verdict, 'Allow')
  })

  test('a staged Kubernetes policy is evaluated as the knp.default policy Calico converts it to', () => {
    // libcalico-go/lib/backend/k8s/conversion K8sNetworkPolicyToCalico: pods of orchestrator k8s, order 1000, Allow rules.
    const s = seed()
    for (const w of s.workloadEndpoints) w.metadata.labels = {...w.metadata.labels, 'projectcalico.org/orchestrator': 'k8s'}
    const knp = (from: Record<string, unknown>) =>
      staged('StagedKubernetesNetworkPolicy', 'db-in', {stagedAction: 'Set', podSelector: {matchLabels: {app: 'db'}}, ingress: [{from: [from], ports: [{port: 5432}]}], policyTypes: ['Ingress']}, 'default')
    const req = {source: 'pod1', destination: 'pod2', port: 5432}
    const fromNet = explain(s, req, {global: [], namespaced: [], kubernetes: [knp({ipBlock: {cidr: '203.0.113.0/24'}})]})
    assert.deepEqual([fromNet.verdict, fromNet.staged?.verdict], ['Allow', 'Deny'])
    assert.match(formatExplain(fromNet), /enforced: allow by profile projectcalico-default-allow; staged: deny by end of tier default/)
    const fromClient = explain(s, req, {global: [], namespaced: [], kubernetes: [knp({podSelector: {matchLabels: {app: 'client'}}})]})
    assert.equal(fromClient.staged?.verdict, 'Allow')
    assert.match(formatExplain(fromClient), /staged: allow by default\/default\.knp\.default\.db-in/)
    // UDP is not in the converted rule's protocol (TCP by default): denied at the end of the tier.
    assert.equal(explain(s, {...req, protocol: 'udp'}, {global: [], namespaced: [], kubernetes: [knp({podSelector: {matchLabels: {app: 'client'}}})]}).staged?.verdict, 'Deny')
  })
})
