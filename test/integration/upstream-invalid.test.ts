// Upstream calicoctl's invalid-data system tests, ported: calicoctl/tests/st/calicoctl/test_crud.py
// (projectcalico/calico v3.32.1), class InvalidData. Each bad resource is refused by `create`
// with exit 1 and nothing stored (a Profile list still shows only the built-in profile). The
// upstream error text is checked as well; where our message names the field differently (the
// wording is ours by design: see the README) that check is a todo saying so.
import assert from 'node:assert/strict'
import {after, before, beforeEach, describe, test} from 'node:test'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {API, contains, isError, noError, type Outcome, upstreamCli} from '../helpers/upstream.js'
import {bgppeer_name1_rev1_v4} from '../helpers/upstream-data.js'

let etcd: TestEtcd
let calicoctl: ReturnType<typeof upstreamCli>

before(async () => {
  etcd = await startEtcd()
  calicoctl = upstreamCli(etcd.endpoint)
})
after(async () => etcd.stop())
beforeEach(async () => etcd.wipe())

const peer = (name: string, spec: Record<string, unknown>, apiVersion = API) => ({apiVersion, kind: 'BGPPeer', metadata: {name}, spec})
const policy = (egress: Record<string, unknown>, name = 'policy2') => ({
  apiVersion: API,
  kind: 'NetworkPolicy',
  metadata: {name, ...(name.startsWith('knp.') ? {namespace: 'default'} : {})},
  spec: {Egress: [{destination: {}, ...egress}], Ingress: [{action: 'Allow', destination: {}, protocol: 'UDP', source: {}}], order: 100000, selector: ''},
})
const pool = (name: string, spec: Record<string, unknown>) => ({apiVersion: API, kind: 'IPPool', metadata: {name}, spec})
const profile = (icmp: Record<string, unknown>) => ({
  apiVersion: API,
  kind: 'Profile',
  metadata: {name: 'profile2'},
  spec: {
    Egress: [{action: 'Allow', destination: {}, source: {}}],
    Ingress: [{ipVersion: 4, ICMP: icmp, action: 'Deny', protocol: 'ICMP', destination: {}, source: {}}],
  },
})
/** Why upstream's exact error text is not ours (yet): the reason a wording check is a todo. */
const WORDING = "error wording is ours by design (README, Upstream system tests): our message names the field by its path (e.g. spec.peerIP) in our own words, not as upstream's Go validator words it"
const TOO_SMALL = '(IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.)'

// [upstream test name, resource, upstream's expected error text, todo reason when our wording differs]
const cases: Array<[string, Record<string, any>, string, string?]> = [
  ['test_invalid_bgppeer_asnum', peer('bgppeer2', {asNumber: 4294967296, node: 'node1', peerIP: '192.168.0.250', scope: 'node'}), 'cannot unmarshal number into Go struct field BGPPeerSpec.spec.asNumber of type string', WORDING],
  ['test_invalid_bgppeer_ip', peer('bgppeer3', {asNumber: 64513, node: 'node1', peerIP: '192.168.0.256'}), "PeerIP = '192.168.0.256'", WORDING],
  ['test_invalid_bgppeer_apiversion', peer('bgppeer4', {asNumber: 64513, node: 'node1', peerIP: '192.168.0.250'}, 'v7'), 'unknown resource type (BGPPeer) and/or version (v7)'],
  ['test_invalid_bgppeer_ipv6', peer('bgppeer5', {asNumber: 64590, node: 'node2', peerIP: 'fd5f::6::ee'}), "PeerIP = 'fd5f::6::ee'", WORDING],
  ['test_invalid_bgppeer_nodename', peer('bgppeer6', {asNumber: 64590, node: 'node 2', peerIP: 'fd5f::6:ee'}), "Node = 'node 2'", WORDING],
  ['test_invalid_bgppeer_unrecognised_field', peer('bgppeer7', {asNumber: 64590, unknown: 'thing', node: 'node2', peerIP: 'fd5f::6:ee'}), 'field in document is not recognized or is in the wrong location: unknown', WORDING],
  [
    'test_invalid_hostendpoint_interface',
    {apiVersion: API, kind: 'HostEndpoint', metadata: {labels: {type: 'database'}, name: 'endpoint1'}, spec: {interfaceName: 'wibblywobblyeth0', profiles: ['prof1', 'prof2'], node: 'host1'}},
    "InterfaceName = 'wibblywobblyeth0'",
    WORDING,
  ],
  ['test_invalid_policy_high_port_in_list', policy({action: 'Deny', source: {protocol: 'TCP', ports: [10, 90, 65536]}}), 'cannot unmarshal number 65536', WORDING],
  ['test_invalid_policy_high_port_in_range', policy({action: 'Deny', source: {protocol: 'TCP', ports: ['1:65536']}}), 'invalid maximum port number in range (1:65536)', WORDING],
  ['test_invalid_policy_low_port_in_range', policy({action: 'Deny', protocol: 'TCP', source: {ports: ['0:65535']}}), "Port = '0' (port range invalid, port number must be between 1 and 65535)", WORDING],
  ['test_invalid_policy_low_port_in_list', policy({action: 'Deny', protocol: 'TCP', source: {ports: [0, 10, 80]}}), "Port = '0' (port range invalid, port number must be between 1 and 65535)", WORDING],
  ['test_invalid_policy_reversed_range', policy({action: 'Deny', protocol: 'TCP', source: {ports: ['65535:1']}}), 'minimum port number (65535) is greater than maximum port number (1) in port range'],
  ['test_invalid_policy_action', policy({action: 'jumpupanddown', protocol: 'TCP', source: {}}), "Action = 'jumpupanddown'", WORDING],
  ['test_invalid_policy_networkpolicy_name_rejected', policy({action: 'Allow', protocol: 'TCP', source: {}}, 'knp.default.rejectmeplease'), 'kubernetes network policies must be managed through the kubernetes API'],
  ['test_invalid_pool_net1', pool('pool-invalid-net-1', {ipipMode: 'Always', cidr: '10.0.1.0/33'}), "CIDR = '10.0.1.0/33'", WORDING],
  ['test_invalid_pool_net2', pool('pool-invalid-net-1', {ipipMode: 'Always', cidr: '10.0.256.0/24'}), "CIDR = '10.0.256.0/24'", WORDING],
  ['test_invalid_pool_net3', pool('pool-invalid-net-1', {ipipMode: 'Always', cidr: '10.0.250.0/32'}), `IPPool.Spec.CIDR = '10.0.250.0/32' ${TOO_SMALL}`, WORDING],
  ['test_invalid_pool_net4', pool('pool-invalid-net-1', {ipipMode: 'Never', cidr: 'fd5f::2::1/32'}), "CIDR = 'fd5f::2::1/32'", WORDING],
  ['test_invalid_pool_net6', pool('invalid-net-6', {ipipMode: 'Never', vxlanMode: 'Never', cidr: '::/128'}), `IPPool.Spec.CIDR = '::/128' ${TOO_SMALL}`, WORDING],
  ['test_invalid_pool_net7', pool('invalid-net-7', {cidr: '192.168.0.0/27'}), `IPPool.Spec.CIDR = '192.168.0.0/27' ${TOO_SMALL}`, WORDING],
  ['test_invalid_pool_net8', pool('invalid-net-8', {ipipMode: 'Never', cidr: 'fd5f::1/123'}), "IPPool.Spec.CIDR = 'fd5f::/123'", WORDING],
  ['test_invalid_pool_ipip1', pool('invalid-ipip-1', {disabled: 'True', cidr: '10.0.1.0/24'}), 'cannot unmarshal string into Go struct field IPPoolSpec.spec.disabled of type bool', WORDING],
  ['test_invalid_pool_ipip2', pool('invalid-ipip-2', {disabled: 'Maybe', cidr: '10.0.1.0/24'}), 'cannot unmarshal string into Go struct field IPPoolSpec.spec.disabled of type bool', WORDING],
  ['test_invalid_profile_icmp_type', profile({type: 256, code: 255}), "Type = '256'", WORDING],
  ['test_invalid_profile_icmp_code', profile({type: 19, code: 256}), "Code = '256'", WORDING],
]

/** Upstream's check_no_data_in_store / check_only_default_profile_returned (by content; the layout is checked below). */
async function nothingStored(kind: string): Promise<void> {
  const got = await calicoctl(`get ${kind} --output=yaml`)
  noError(got)
  assert.equal(got.decoded.kind, `${kind}List`)
  assert.deepEqual(got.decoded.items, kind === 'Profile' ? [DEFAULT_ALLOW] : [])
}

const DEFAULT_ALLOW = {
  apiVersion: API,
  kind: 'Profile',
  metadata: {name: 'projectcalico-default-allow', resourceVersion: '1'},
  spec: {egress: [{action: 'Allow'}], ingress: [{action: 'Allow'}]},
}

describe('test_crud.py InvalidData', () => {
  const created = new Map<string, Promise<Outcome>>()
  for (const [label, resource, upstreamText, todo] of cases) {
    // test_crud.py: InvalidData.<label> (_test_invalid_profiles_rejected)
    test(`${label}: refused, nothing stored`, async () => {
      const outcome = calicoctl('create', resource)
      created.set(label, outcome)
      isError(await outcome)
      await nothingStored(resource.kind === 'BGPPeer' && resource.apiVersion !== API ? 'BGPPeer' : resource.kind)
    })
    test(`${label}: upstream's error text`, todo ? {todo} : {}, async () => {
      isError((await created.get(label)) ?? (await calicoctl('create', resource)), upstreamText)
    })
  }

  // test_crud.py: InvalidData.check_only_default_profile_returned, the exact YAML it expects.
  test('the built-in profile listed in the YAML layout of upstream', async () => {
    const got = await calicoctl('get Profile --output=yaml')
    contains(
      got,
      `apiVersion: ${API}\nitems:\n- apiVersion: ${API}\n  kind: Profile\n  metadata:\n    name: projectcalico-default-allow\n    resourceVersion: "1"\n  spec:\n    egress:\n    - action: Allow\n    ingress:\n    - action: Allow\nkind: ProfileList\nmetadata:\n  resourceVersion: `,
    )
  })

  // test_crud.py: InvalidData.test_invalid_compound_config (_test_invalid_compound_profiles_rejected)
  test('test_invalid_compound_config: a manifest with one bad resource stores neither', async () => {
    const bad = profile({type: 256, code: 255})
    const r = await calicoctl('create', [{...bgppeer_name1_rev1_v4, metadata: {name: 'compound-config'}}, bad])
    isError(r)
    await nothingStored('Profile')
    // Stricter than upstream (which stores the good peer): a refused manifest writes nothing.
    await nothingStored('BGPPeer')
  })
})
