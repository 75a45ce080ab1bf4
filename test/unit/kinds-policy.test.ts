// Defaults, validation, names, storage form and table cells of the policy and endpoint kinds.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {decodeResource, encodeResource} from '../../src/datastore/codec.js'
import {ValidationError} from '../../src/resources/errors.js'
import {GlobalNetworkPolicy} from '../../src/resources/kinds/globalnetworkpolicy.js'
import {GlobalNetworkSet} from '../../src/resources/kinds/globalnetworkset.js'
import {HostEndpoint} from '../../src/resources/kinds/hostendpoint.js'
import {NetworkPolicy} from '../../src/resources/kinds/networkpolicy.js'
import {NetworkSet} from '../../src/resources/kinds/networkset.js'
import {goFloat} from '../../src/lib/go-float.js'
import {joinAndTruncate, normalizePort, policyNameFromKey} from '../../src/resources/kinds/policy-common.js'
import {Profile} from '../../src/resources/kinds/profile.js'
import {kubernetesPolicyToCalico} from '../../src/resources/kinds/stagedkubernetesnetworkpolicy.js'
import {Tier} from '../../src/resources/kinds/tier.js'
import {WorkloadEndpoint, workloadEndpointName} from '../../src/resources/kinds/workloadendpoint.js'
import {defaultAndValidate} from '../../src/resources/manifest.js'
import {lookupKind} from '../../src/resources/registry.js'
import type {KindDef, Resource} from '../../src/resources/types.js'

function res(kind: string, name: string, spec: unknown, extra: Partial<Resource['metadata']> = {}): Resource {
  return {apiVersion: 'projectcalico.org/v3', kind, metadata: {name, ...extra}, spec}
}

/** Defaults and validates; returns the resource or the error lines. */
function check(def: KindDef, r: Resource): {ok: true; r: Resource} | {ok: false; lines: string[]} {
  try {
    return {ok: true, r: defaultAndValidate(def, r)}
  } catch (e) {
    if (e instanceof ValidationError) return {ok: false, lines: e.message.split('\n')}
    throw e
  }
}

function errorsOf(def: KindDef, r: Resource): string[] {
  const out = check(def, r)
  assert.equal(out.ok, false, `expected ${def.kind}(${r.metadata.name}) to be rejected`)
  return out.ok ? [] : out.lines
}

function accepted(def: KindDef, r: Resource): Resource {
  const out = check(def, r)
  if (!out.ok) assert.fail(`expected acceptance, got:\n${out.lines.join('\n')}`)
  return out.r
}

describe('registry', () => {
  test('kinds, plurals and calicoctl aliases resolve', () => {
    const cases: Array<[string, string]> = [
      ['policy', 'NetworkPolicy'],
      ['pols', 'NetworkPolicy'],
      ['np', 'NetworkPolicy'],
      ['networkpolicies', 'NetworkPolicy'],
      ['gnp', 'GlobalNetworkPolicy'],
      ['GlobalNetworkPolicies', 'GlobalNetworkPolicy'],
      ['pro', 'Profile'],
      ['heps', 'HostEndpoint'],
      ['wep', 'WorkloadEndpoint'],
      ['gnetsets', 'GlobalNetworkSet'],
      ['netsets', 'NetworkSet'],
      ['tiers', 'Tier'],
    ]
    for (const [alias, kind] of cases) assert.equal(lookupKind(alias)?.kind, kind, alias)
    assert.equal(NetworkPolicy.namespaced, true)
    assert.equal(WorkloadEndpoint.namespaced, true)
    assert.equal(NetworkSet.namespaced, true)
    assert.equal(GlobalNetworkPolicy.namespaced, false)
  })

  test('columns follow calicoctl', () => {
    assert.deepEqual(NetworkPolicy.columns, ['NAME', 'TIER'])
    assert.deepEqual(GlobalNetworkPolicy.wideColumns, ['NAME', 'TIER', 'ORDER', 'SELECTOR'])
    assert.deepEqual(WorkloadEndpoint.columns, ['WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE'])
    assert.deepEqual(WorkloadEndpoint.wideColumns, ['NAME', 'WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE', 'PROFILES', 'NATS'])
    assert.deepEqual(HostEndpoint.wideColumns, ['NAME', 'NODE', 'INTERFACE', 'IPS', 'PROFILES'])
    assert.deepEqual(Profile.wideColumns, ['NAME', 'LABELS'])
    assert.deepEqual(Tier.columns, ['NAME', 'ORDER'])
    assert.deepEqual(GlobalNetworkSet.wideColumns, ['NAME', 'NETS'])
  })
})

describe('policy defaults', () => {
  test('types inferred, tier defaulted, tier label added', () => {
    const r = accepted(GlobalNetworkPolicy, res('GlobalNetworkPolicy', 'p', {egress: [{action: 'Allow'}]}))
    assert.deepEqual(r.spec.types, ['Egress'])
    assert.equal(r.spec.tier, 'default')
    assert.equal(r.metadata.labels?.['projectcalico.org/tier'], 'default')
    const both = accepted(GlobalNetworkPolicy, res('GlobalNetworkPolicy', 'p', {ingress: [{action: 'Allow'}], egress: [{action: 'Deny'}]}))
    assert.deepEqual(both.spec.types, ['Ingress', 'Egress'])
    const none = accepted(NetworkPolicy, res('NetworkPolicy', 'p', {}, {namespace: 'ns'}))
    assert.deepEqual(none.spec.types, ['Ingress'])
  })

  test('given types are kept; a non-default tier sets the label to that tier', () => {
    const r = accepted(GlobalNetworkPolicy, res('GlobalNetworkPolicy', 'sec.p', {tier: 'sec', types: ['Egress'], ingress: [{action: 'Allow'}]}))
    assert.deepEqual(r.spec.types, ['Egress'])
    assert.equal(r.metadata.labels?.['projectcalico.org/tier'], 'sec')
  })

  test('the label overrides a wrong user value and keeps other labels', () => {
    const r = accepted(GlobalNetworkPolicy, res('GlobalNetworkPolicy', 'p', {}, {labels: {'projectcalico.org/tier': 'other', team: 'a'}}))
    assert.deepEqual(r.metadata.labels, {'projectcalico.org/tier': 'default', team: 'a'})
  })

  test('numeric text in ports and protocols is stored as numbers, as Calico does', () => {
    const r = accepted(
      GlobalNetworkPolicy,
      res('GlobalNetworkPolicy', 'p', {ingress: [{action: 'Allow', protocol: '6', destination: {ports: ['80', '90:90', '100:200', 'http']}}]}),
    )
    assert.equal(r.spec.ingress[0].protocol, 6)
    assert.deepEqual(r.spec.ingress[0].destination.ports, [80, 90, '100:200', 'http'])
    assert.equal(normalizePort('99999'), '99999')
  })
})

describe('policy storage form', () => {
  test('GlobalNetworkPolicy JSON in Go struct order, annotation written, empty entity rules omitted', () => {
    const r = accepted(
      GlobalNetworkPolicy,
      res('GlobalNetworkPolicy', 'p', {
        namespaceSelector: 'has(env)',
        applyOnForward: true,
        selector: "a == 'b'",
        order: 10,
        ingress: [{destination: {ports: [80], nets: ['10.0.0.0/8']}, source: {}, protocol: 'TCP', action: 'Allow'}],
      }),
    )
    r.metadata.uid = 'U'
    r.metadata.creationTimestamp = 'T'
    assert.equal(
      encodeResource(GlobalNetworkPolicy, r),
      '{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"p","uid":"U","creationTimestamp":"T",' +
        '"labels":{"projectcalico.org/tier":"default"},"annotations":{"projectcalico.org/metadata":"{\\"name\\":\\"p\\"}"}},' +
        '"spec":{"tier":"default","order":10,"ingress":[{"action":"Allow","protocol":"TCP","destination":{"nets":["10.0.0.0/8"],"ports":[80]}}],' +
        '"selector":"a == \'b\'","types":["Ingress"],"applyOnForward":true,"namespaceSelector":"has(env)"}}',
    )
  })

  test('ICMP type and code 0 survive encoding (pointer fields)', () => {
    const r = accepted(GlobalNetworkPolicy, res('GlobalNetworkPolicy', 'p', {ingress: [{action: 'Deny', protocol: 'ICMP', icmp: {code: 0, type: 0}}]}))
    assert.match(encodeResource(GlobalNetworkPolicy, r), /"icmp":\{"type":0,"code":0\}/)
  })

  test('reading strips the metadata annotation and keeps other annotations', () => {
    const value = JSON.stringify({
      kind: 'NetworkPolicy',
      apiVersion: 'projectcalico.org/v3',
      metadata: {name: 'default.web', namespace: 'ns', annotations: {'projectcalico.org/metadata': '{"name":"web"}', keep: 'me'}},
      spec: {tier: 'default', types: ['Ingress']},
    })
    const r = decodeResource(NetworkPolicy, {key: '/calico/resources/v3/projectcalico.org/networkpolicies/ns/default.web', value, modRevision: '7', createRevision: '7'} as never)
    assert.deepEqual(r.metadata.annotations, {keep: 'me'})
    assert.equal(r.metadata.name, 'web')
    assert.equal(NetworkPolicy.nameFromKey?.('default.web', r), 'web')
  })

  test('legacy default.<name> keys map back to the bare name; tiered names are left alone', () => {
    const plain = res('GlobalNetworkPolicy', 'default.allow', {tier: 'default'})
    assert.equal(policyNameFromKey('default.allow', plain), 'allow')
    assert.equal(policyNameFromKey('sec.allow', res('GlobalNetworkPolicy', 'sec.allow', {tier: 'sec'})), 'sec.allow')
    assert.equal(policyNameFromKey('allow', res('GlobalNetworkPolicy', 'allow', {})), 'allow')
    assert.deepEqual(GlobalNetworkPolicy.legacyKeyNames?.('allow'), ['default.allow'])
    assert.deepEqual(GlobalNetworkPolicy.legacyKeyNames?.('default.allow'), [])
  })

  test('a copied annotation naming another policy does not rename the resource', () => {
    const r = accepted(GlobalNetworkPolicy, res('GlobalNetworkPolicy', 'mine', {}, {annotations: {'projectcalico.org/metadata': '{"name":"theirs"}'}}))
    assert.equal(r.metadata.name, 'mine')
    // The annotation is written only in the stored form, naming the resource itself.
    assert.equal(r.metadata.annotations?.['projectcalico.org/metadata'], undefined)
    const stored = JSON.parse(encodeResource(GlobalNetworkPolicy, r))
    assert.equal(stored.metadata.annotations['projectcalico.org/metadata'], '{"name":"mine"}')
  })
})

describe('policy names', () => {
  test('NetworkPolicy: label, label.label, knp./ossg.default. forms', () => {
    for (const n of ['web', 'tier1.web', 'ossg.default.a.b.c']) assert.equal(NetworkPolicy.validateName?.(n), undefined, n)
    for (const n of ['a.b.c', 'Web', '-web', 'web_1']) assert.match(NetworkPolicy.validateName?.(n) ?? '', /name must consist/, n)
    assert.match(NetworkPolicy.validateName?.('a'.repeat(254)) ?? '', /too long by 1 bytes/)
  })

  test('GlobalNetworkPolicy: optional single tier prefix', () => {
    assert.equal(GlobalNetworkPolicy.validateName?.('sec.web'), undefined)
    assert.match(GlobalNetworkPolicy.validateName?.('a.b.c') ?? '', /name must consist/)
  })

  // calicoctl/calicoctl/resourcemgr/networkpolicy.go: valid as a name, refused as a write.
  test('knp.default. policies are valid but every write is refused (managed by Kubernetes)', () => {
    const knp = res('NetworkPolicy', 'knp.default.x', {}, {namespace: 'ns'})
    accepted(NetworkPolicy, knp)
    const why = (verb: 'create' | 'apply' | 'update' | 'delete', stored: boolean) => NetworkPolicy.refuse?.(verb, knp, stored)?.message
    assert.equal(why('create', false), 'operation create or apply is not supported on NetworkPolicy(ns/knp.default.x): kubernetes network policies must be managed through the kubernetes API')
    assert.equal(why('delete', true), 'operation delete is not supported on NetworkPolicy(ns/knp.default.x): kubernetes network policies must be managed through the kubernetes API')
    assert.match(why('update', true)!, /^operation apply or replace is not supported/)
    // An apply or replace reads the policy first: an absent one does not exist.
    assert.equal(why('apply', false), 'resource does not exist: NetworkPolicy(ns/knp.default.x)')
    assert.equal(NetworkPolicy.refuse?.('create', res('NetworkPolicy', 'default.x', {}, {namespace: 'ns'}), false), undefined)
  })
})

describe('policy validation', () => {
  test('every bad field is reported with its path, together', () => {
    const lines = errorsOf(
      GlobalNetworkPolicy,
      res('GlobalNetworkPolicy', 'p', {
        selector: 'global()',
        ingress: [{action: 'Jump'}, {action: 'Allow', destination: {ports: [80]}}],
        egress: [{action: 'Allow', protocol: 'ICMP', ipVersion: 6}],
      }),
    )
    const joined = lines.join('\n')
    assert.match(joined, /spec\.selector/)
    assert.match(joined, /spec\.ingress\[0\]\.action/)
    assert.match(joined, /spec\.ingress\[1\]\.destination\.ports: rules with numeric port or port range must set protocol/)
    assert.match(joined, /spec\.egress\[0\]\.ipVersion/)
    assert.ok(lines.length >= 4)
    assert.ok(lines.every((l) => l.startsWith('GlobalNetworkPolicy(p): ')))
  })

  test('GlobalNetworkPolicy-only checks: preDNAT needs applyOnForward', () => {
    const lines = errorsOf(GlobalNetworkPolicy, res('GlobalNetworkPolicy', 'p', {preDNAT: true}))
    assert.ok(lines.some((l) => l.includes('spec.applyOnForward')))
  })

  test('a rejected policy gets no storage annotation', () => {
    const r = res('GlobalNetworkPolicy', 'p', {ingress: [{action: 'Nope'}]})
    errorsOf(GlobalNetworkPolicy, r)
    assert.equal(r.metadata.annotations, undefined)
  })
})

describe('Tier', () => {
  test('defaults: order 1e6 and Deny', () => {
    const r = accepted(Tier, res('Tier', 'sec', {}))
    assert.deepEqual(r.spec, {order: 1_000_000, defaultAction: 'Deny'})
    assert.equal(Tier.cell(r, 'ORDER'), '1e+06')
    assert.equal(Tier.cell(accepted(Tier, res('Tier', 'x', {order: 100})), 'ORDER'), '100')
  })

  test('stored with an empty status, as Go writes it', () => {
    const r = accepted(Tier, res('Tier', 'sec', {order: 5, defaultAction: 'Pass'}))
    assert.equal(encodeResource(Tier, r), '{"kind":"Tier","apiVersion":"projectcalico.org/v3","metadata":{"name":"sec"},"spec":{"order":5,"defaultAction":"Pass"},"status":{}}')
  })

  test('name is a single DNS label; defaultAction Deny or Pass; static tiers keep their values', () => {
    assert.match(errorsOf(Tier, res('Tier', 'a.b', {})).join('\n'), /metadata\.name/)
    assert.match(errorsOf(Tier, res('Tier', 'x', {defaultAction: 'Allow'})).join('\n'), /spec\.defaultAction = 'Allow'/)
    assert.match(errorsOf(Tier, res('Tier', 'default', {order: 5})).join('\n'), /default tier order must be 1e\+06/)
    assert.match(errorsOf(Tier, res('Tier', 'kube-admin', {order: 1000})).join('\n'), /must have default action 'Pass'/)
    accepted(Tier, res('Tier', 'default', {}))
  })
})

describe('HostEndpoint', () => {
  test('node and interface or IPs are required', () => {
    const lines = errorsOf(HostEndpoint, res('HostEndpoint', 'h', {}))
    assert.ok(lines.some((l) => l.includes('spec.node: no node has been specified')))
    assert.ok(lines.some((l) => l.includes('no interface or expected IPs have been specified')))
    accepted(HostEndpoint, res('HostEndpoint', 'h', {node: 'n', expectedIPs: ['10.0.0.1']}))
    accepted(HostEndpoint, res('HostEndpoint', 'h', {node: 'n', interfaceName: '*'}))
  })

  test('interface name, IPs, profiles and ports are checked', () => {
    const lines = errorsOf(
      HostEndpoint,
      res('HostEndpoint', 'h', {node: 'n', interfaceName: 'waytoolonginterface', expectedIPs: ['10.0.0.300'], profiles: ['Bad'], ports: [{name: 'x', protocol: 'ICMP', port: 0}]}),
    )
    const j = lines.join('\n')
    for (const f of ['spec.interfaceName', 'spec.expectedIPs[0]', 'spec.profiles[0]', 'spec.ports[0].protocol', 'spec.ports[0].port']) assert.ok(j.includes(f), f)
  })

  test('table cells', () => {
    const r = res('HostEndpoint', 'h', {node: 'n', interfaceName: 'eth0', expectedIPs: ['10.0.0.1', '10.0.0.2'], profiles: ['a', 'b']})
    assert.equal(HostEndpoint.cell(r, 'IPS'), '10.0.0.1,10.0.0.2')
    assert.equal(HostEndpoint.cell(r, 'PROFILES'), 'a,b')
  })
})

describe('WorkloadEndpoint', () => {
  const spec = {orchestrator: 'k8s', node: 'node-1', pod: 'web-0', endpoint: 'eth0', ipNetworks: ['10.0.0.5/32'], interfaceName: 'cali1'}

  test('name derivation doubles dashes inside segments', () => {
    assert.deepEqual(workloadEndpointName(spec), {name: 'node--1-k8s-web--0-eth0'})
    assert.deepEqual(workloadEndpointName({orchestrator: 'cni', node: 'n', containerID: 'abc', endpoint: 'e'}), {name: 'n-cni-abc-e'})
    assert.deepEqual(workloadEndpointName({orchestrator: 'openstack', node: 'n', workload: 'vm-1', endpoint: 'e'}), {name: 'n-openstack-vm--1-e'})
    assert.ok('errors' in workloadEndpointName({orchestrator: 'k8s', node: 'n', endpoint: 'e'}))
  })

  test('a mismatching name is refused with the expected name', () => {
    const lines = errorsOf(WorkloadEndpoint, res('WorkloadEndpoint', 'wrong', spec, {namespace: 'ns'}))
    assert.ok(lines.some((l) => l.includes('expected name node--1-k8s-web--0-eth0')))
  })

  test('an omitted name is computed by defaulting', () => {
    const r = res('WorkloadEndpoint', '', structuredClone(spec), {namespace: 'ns'})
    WorkloadEndpoint.defaults?.(r)
    assert.equal(r.metadata.name, 'node--1-k8s-web--0-eth0')
  })

  test('namespace and orchestrator labels; port fields Go always writes', () => {
    const r = accepted(WorkloadEndpoint, res('WorkloadEndpoint', 'node--1-k8s-web--0-eth0', {...spec, ports: [{name: 'http', protocol: 'TCP', port: 80}]}, {namespace: 'ns'}))
    assert.deepEqual(r.metadata.labels, {'projectcalico.org/namespace': 'ns', 'projectcalico.org/orchestrator': 'k8s'})
    assert.match(encodeResource(WorkloadEndpoint, r), /"ports":\[\{"name":"http","protocol":"TCP","port":80,"hostPort":0,"hostIP":""\}\]/)
  })

  test('networks must be single addresses; NATs inside the networks', () => {
    const lines = errorsOf(
      WorkloadEndpoint,
      res('WorkloadEndpoint', 'node--1-k8s-web--0-eth0', {...spec, ipNetworks: ['10.0.0.0/24'], ipNATs: [{internalIP: '10.9.9.9', externalIP: '1.2.3.4'}], ipv4Gateway: 'fe80::1'}, {namespace: 'ns'}),
    )
    const j = lines.join('\n')
    assert.match(j, /spec\.ipNetworks\[0\] = '10\.0\.0\.0\/24': IP network contains multiple addresses/)
    assert.match(j, /spec\.ipNATs\[0\]\.internalIP.*NAT is not in the endpoint networks/)
    assert.match(j, /spec\.ipv4Gateway.*invalid IPv4 gateway/)
  })

  test('table cells: WORKLOAD falls back to pod; NATS as calicoctl prints them', () => {
    const r = res('WorkloadEndpoint', 'x', {...spec, ipNATs: [{internalIP: '10.0.0.5', externalIP: '1.2.3.4'}]})
    assert.equal(WorkloadEndpoint.cell(r, 'WORKLOAD'), 'web-0')
    assert.equal(WorkloadEndpoint.cell(r, 'NETWORKS'), '10.0.0.5/32')
    assert.equal(WorkloadEndpoint.cell(r, 'NATS'), '{10.0.0.5 1.2.3.4}')
  })
})

describe('Profile', () => {
  test('rules and labelsToApply are validated', () => {
    const lines = errorsOf(Profile, res('Profile', 'p', {ingress: [{action: 'Allow', protocol: 'TCP', icmp: {type: 8}}], labelsToApply: {'bad key!': 'v'}}))
    const j = lines.join('\n')
    assert.match(j, /spec\.ingress\[0\]\.icmp/)
    assert.match(j, /spec\.labelsToApply/)
  })

  // libcalico-go/lib/clientv3/profile.go: it already exists, and cannot be updated or deleted.
  test('the built-in default-allow profile cannot be written', () => {
    const allow = res('Profile', 'projectcalico-default-allow', {})
    assert.match(Profile.refuse?.('create', allow, true)?.message ?? '', /^resource already exists: projectcalico-default-allow/)
    assert.match(Profile.refuse?.('update', allow, true)?.message ?? '', /^operation Update is not supported on projectcalico-default-allow/)
    assert.match(Profile.refuse?.('delete', allow, true)?.message ?? '', /^operation Delete is not supported on projectcalico-default-allow/)
    assert.equal(Profile.refuse?.('create', res('Profile', 'p', {}), false), undefined)
  })

  test('LABELS cell is sorted key=value pairs', () => {
    assert.equal(Profile.cell(res('Profile', 'p', {labelsToApply: {b: '2', a: '1'}}), 'LABELS'), 'a=1,b=2')
  })
})

describe('network sets', () => {
  test('nets must be IPs or CIDRs', () => {
    accepted(GlobalNetworkSet, res('GlobalNetworkSet', 'g', {nets: ['10.0.0.0/8', '192.168.1.1', 'fd00::/64']}))
    assert.match(errorsOf(NetworkSet, res('NetworkSet', 'n', {nets: ['10.0.0.0/8', 'nope']}, {namespace: 'ns'})).join('\n'), /spec\.nets\[1\] = 'nope'/)
  })

  test('wide NETS cell joins and truncates at 80 characters with ...', () => {
    const nets = Array.from({length: 10}, (_, i) => `10.${i}.0.0/16`)
    const cell = GlobalNetworkSet.cell(res('GlobalNetworkSet', 'g', {nets}), 'NETS')
    assert.equal(cell.length, 80)
    assert.ok(cell.endsWith('...'))
    assert.ok(nets.join(',').startsWith(cell.slice(0, 77)))
    assert.equal(GlobalNetworkSet.cell(res('GlobalNetworkSet', 'g', {nets: ['1.0.0.0/8']}), 'NETS'), '1.0.0.0/8')
    assert.equal(joinAndTruncate(['a'.repeat(80)], ',', 80), 'a'.repeat(80))
    assert.equal(joinAndTruncate(['a'.repeat(81)], ',', 80), `${'a'.repeat(77)}...`)
  })
})

describe('goFloat', () => {
  test('formats like Go %v', () => {
    assert.equal(goFloat(100), '100')
    assert.equal(goFloat(100000), '100000')
    assert.equal(goFloat(1_000_000), '1e+06')
    assert.equal(goFloat(1_234_567), '1.234567e+06')
    assert.equal(goFloat(10_000_000), '1e+07')
    assert.equal(goFloat(0.5), '0.5')
    assert.equal(goFloat(0.00001), '1e-05')
  })
})

// libcalico-go/lib/backend/k8s/conversion/conversion.go K8sNetworkPolicyToCalico (v3.32.1).
describe('StagedKubernetesNetworkPolicy as the Calico policy it stands for', () => {
  test('selectors, one Allow per protocol and peer, TCP by default, ports with endPort as ranges, types', () => {
    const p = kubernetesPolicyToCalico({
      apiVersion: 'projectcalico.org/v3',
      kind: 'StagedKubernetesNetworkPolicy',
      metadata: {name: 'web', namespace: 'shop'},
      spec: {
        stagedAction: 'Set',
        podSelector: {matchLabels: {tier: 'web', app: 'shop'}, matchExpressions: [{key: 'env', operator: 'NotIn', values: ['dev', 'test']}]},
        ingress: [
          {
            from: [{namespaceSelector: {}}, {ipBlock: {cidr: '198.51.100.7/24', except: ['198.51.100.128/25']}}],
            ports: [{port: 443}, {protocol: 'UDP', port: 5000, endPort: 5010}],
          },
        ],
        egress: [{to: [{podSelector: {matchExpressions: [{key: 'db', operator: 'Exists'}]}}]}],
        policyTypes: ['Egress', 'Ingress'],
      },
    })
    assert.equal(p.metadata.name, 'knp.default.web')
    assert.equal(p.metadata.namespace, 'shop')
    assert.deepEqual(p.spec, {
      tier: 'default',
      order: 1000,
      selector: "projectcalico.org/orchestrator == 'k8s' && app == 'shop' && tier == 'web' && env not in { 'dev', 'test' }",
      ingress: [
        {action: 'Allow', protocol: 'TCP', source: {selector: "projectcalico.org/orchestrator == 'k8s'", namespaceSelector: 'all()'}, destination: {ports: [443]}},
        {action: 'Allow', protocol: 'TCP', source: {nets: ['198.51.100.0/24'], notNets: ['198.51.100.128/25']}, destination: {ports: [443]}},
        {action: 'Allow', protocol: 'UDP', source: {selector: "projectcalico.org/orchestrator == 'k8s'", namespaceSelector: 'all()'}, destination: {ports: ['5000:5010']}},
        {action: 'Allow', protocol: 'UDP', source: {nets: ['198.51.100.0/24'], notNets: ['198.51.100.128/25']}, destination: {ports: ['5000:5010']}},
      ],
      egress: [{action: 'Allow', destination: {selector: "projectcalico.org/orchestrator == 'k8s' && has(db)"}}],
      types: ['Ingress', 'Egress'],
    })
  })
})
