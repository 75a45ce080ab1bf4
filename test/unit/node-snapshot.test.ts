// The snapshot → dataplane input builders (pure): which pools count for this node, tunnel
// address and MTU, route inputs, iptables inputs (default-allow profile, all-hosts set) and BIRD
// inputs (AS precedence, own blocks, peers).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {buildBirdModel} from '../../src/dataplane/bird/model.js'
import {desiredRoutes} from '../../src/dataplane/routes/model.js'
import {formatRoute} from '../../src/dataplane/routes/types.js'
import {desiredTunnel} from '../../src/dataplane/tunnel/model.js'
import {compileSelector} from '../../src/dataplane/iptables/index.js'
import {
  buildBirdInput,
  buildIptablesInput,
  buildRouteInput,
  buildTunnelInput,
  DEFAULT_ALLOW_PROFILE,
  emptySnapshot,
  type HostContext,
  poolsForNode,
  poolViews,
  type Snapshot,
} from '../../src/node/snapshot.js'
import {IPPool, readPool} from '../../src/resources/kinds/ippool.js'
import type {Resource} from '../../src/resources/types.js'

const res = (kind: string, name: string, spec: Record<string, unknown>, extra: Partial<Resource['metadata']> = {}): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata: {name, ...extra},
  spec,
})

const HOST: HostContext = {nodeName: 'master', nodeIPv4: '198.51.100.95/24', hostInterface: 'eth0'}

function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    ...emptySnapshot(),
    pools: [
      res('IPPool', 'default-ipv4-ippool', {cidr: '192.168.0.0/16', ipipMode: 'Always', natOutgoing: true}),
      res('IPPool', 'edge', {cidr: '10.10.0.0/16', blockSize: 28, ipipMode: 'Never', nodeSelector: "role == 'edge'"}),
      res('IPPool', 'off', {cidr: '10.20.0.0/16', ipipMode: 'CrossSubnet', disabled: true}),
      res('IPPool', 'v6', {cidr: 'fd00::/48'}),
    ],
    nodes: [
      res('Node', 'master', {bgp: {ipv4Address: '198.51.100.95/24', ipv4IPIPTunnelAddr: '192.168.10.1'}}, {labels: {role: 'core'}}),
      res('Node', 'node', {bgp: {ipv4Address: '198.51.100.96/24', asNumber: 64513}}),
      res('Node', 'bare', {}),
    ],
    blocks: [
      {cidr: '192.168.10.0/26', node: 'master', affinity: 'host:master', capacity: 64, inUse: 2, free: 62, modRevision: '1'},
      {cidr: '192.168.20.0/26', node: 'node', affinity: 'host:node', capacity: 64, inUse: 1, free: 63, modRevision: '2'},
    ],
    workloadEndpoints: [
      res('WorkloadEndpoint', 'master-calicoctl-pod1-eth0', {node: 'master', interfaceName: 'cali1234567890a', ipNetworks: ['192.168.10.2/32', 'fd00::2/128']}, {
        namespace: 'default',
        labels: {app: 'pod1'},
      }),
      res('WorkloadEndpoint', 'node-calicoctl-pod2-eth0', {node: 'node', interfaceName: 'calibbbbbbbbbbb', ipNetworks: ['192.168.20.2/32']}, {namespace: 'default'}),
    ],
    ...over,
  }
}

describe('pools', () => {
  it('fills defaults and drops IPv6 pools', () => {
    const v = poolViews(snapshot())
    assert.deepEqual(
      v.map((p) => [p.name, p.blockSize, p.ipipMode, p.nodeSelector, p.natOutgoing]),
      [
        ['default-ipv4-ippool', 26, 'Always', 'all()', true],
        ['edge', 28, 'Never', "role == 'edge'", false],
        ['off', 26, 'CrossSubnet', 'all()', false],
      ],
    )
  })
  it('reads a pool with the defaults a write fills in: one rule for the agent, IPAM and the write', () => {
    // Upstream v3.32.1 libcalico-go/lib/clientv3/ippool.go fills the same defaults on write and in
    // convertIpPoolFromStorage on read; here both are fillPoolDefaults (resources/kinds/ippool.ts).
    const sparse = res('IPPool', 'sparse', {cidr: '192.168.0.0/16', ipipMode: '', nodeSelector: '', allowedUses: []})
    const stored = structuredClone(sparse.spec)
    const written = structuredClone(sparse)
    IPPool.defaults?.(written)
    const w = written.spec as Record<string, unknown>
    const [agent] = poolViews({pools: [sparse]})
    const ipam = readPool(sparse)
    const fields = (p: Record<string, unknown>) => [p.blockSize, p.ipipMode, p.vxlanMode, p.nodeSelector, p.allowedUses, p.assignmentMode]
    assert.deepEqual(fields(w), [26, 'Never', 'Never', 'all()', ['Workload', 'Tunnel'], 'Automatic'])
    assert.deepEqual(fields(agent as unknown as Record<string, unknown>), fields(w))
    assert.deepEqual(fields(ipam as unknown as Record<string, unknown>), fields(w))
    assert.deepEqual(sparse.spec, stored, 'reading fills a copy, never the resource')
  })
  it('poolsForNode keeps enabled pools whose selector matches the node labels', () => {
    assert.deepEqual(poolsForNode(snapshot(), {role: 'core'}).map((p) => p.name), ['default-ipv4-ippool'])
    assert.deepEqual(poolsForNode(snapshot(), {role: 'edge'}).map((p) => p.name), ['default-ipv4-ippool', 'edge'])
  })
})

describe('tunnel input', () => {
  it('carries the tunnel address and the FelixConfiguration MTU (node-specific wins)', () => {
    const felix = [res('FelixConfiguration', 'default', {ipipMTU: 1400}), res('FelixConfiguration', 'node.master', {ipipMTU: 1380})]
    const t = buildTunnelInput(snapshot({felixConfigurations: felix}), HOST)
    assert.equal(t.tunnelAddress, '192.168.10.1')
    assert.equal(t.configuredMtu, 1380)
    assert.equal(t.hostInterface, 'eth0')
    assert.deepEqual(desiredTunnel({...t, hostMtu: 1500}), {present: true, addresses: ['192.168.10.1/32'], mtu: 1380, up: true})
  })
  it('only pools selecting this node decide whether tunl0 is needed', () => {
    const pools = [res('IPPool', 'edge-ipip', {cidr: '10.30.0.0/16', ipipMode: 'Always', nodeSelector: "role == 'edge'"})]
    const t = buildTunnelInput(snapshot({pools}), HOST)
    assert.equal(desiredTunnel({...t, hostMtu: 1500}).present, false)
  })
})

describe('route input', () => {
  it('gives the routes model every node address, every block and the local workloads', () => {
    const r = buildRouteInput(snapshot(), HOST)
    assert.deepEqual(r.workloads, [{ip: '192.168.10.2', interfaceName: 'cali1234567890a'}])
    assert.deepEqual(r.nodes, [
      {name: 'master', ipv4Address: '198.51.100.95/24'},
      {name: 'node', ipv4Address: '198.51.100.96/24'},
      {name: 'bare'},
    ])
    const routes = desiredRoutes(r).map(formatRoute)
    assert.deepEqual(routes, ['blackhole 192.168.10.0/26', '192.168.10.2/32 dev cali1234567890a scope link', '192.168.20.0/26 via 198.51.100.96 dev tunl0 onlink'])
  })
  it('Never pools leave remote blocks to BIRD', () => {
    const pools = [res('IPPool', 'p', {cidr: '192.168.0.0/16', ipipMode: 'Never'})]
    const routes = desiredRoutes(buildRouteInput(snapshot({pools}), HOST)).map((x) => x.dst)
    assert.deepEqual(routes, ['192.168.10.0/26', '192.168.10.2/32'])
  })
})

describe('iptables input', () => {
  it('adds the synthesised default-allow profile, all host IPs and the tunnel address', () => {
    const gnp = res('GlobalNetworkPolicy', 'deny-icmp', {selector: "app == 'pod1'", ingress: [{action: 'Deny', protocol: 'ICMP'}]})
    const np = res('NetworkPolicy', 'np1', {selector: 'all()'}, {namespace: 'team'})
    const felix = [res('FelixConfiguration', 'default', {defaultEndpointToHostAction: 'Drop'})]
    const i = buildIptablesInput(snapshot({globalNetworkPolicies: [gnp], networkPolicies: [np], felixConfigurations: felix}), HOST, compileSelector)
    assert.deepEqual(i.profiles.map((p) => p.name), [DEFAULT_ALLOW_PROFILE])
    assert.deepEqual(i.allHostIPs, ['198.51.100.95', '198.51.100.96'])
    assert.equal(i.ipipTunnelAddress, '192.168.10.1')
    assert.equal(i.defaultEndpointToHostAction, 'DROP')
    assert.deepEqual(i.policies.map((p) => [p.kind, p.namespace, p.name]), [['NetworkPolicy', 'team', 'np1'], ['GlobalNetworkPolicy', undefined, 'deny-icmp']])
    assert.equal(i.workloadEndpoints.length, 2)
    assert.deepEqual(i.pools.map((p) => [p.cidr, p.natOutgoing]), [['192.168.0.0/16', true], ['10.10.0.0/16', false], ['10.20.0.0/16', false]])
  })
  it('keeps a stored default-allow profile instead of adding another', () => {
    const stored = res('Profile', DEFAULT_ALLOW_PROFILE, {ingress: [{action: 'Deny'}]})
    const i = buildIptablesInput(snapshot({profiles: [stored]}), HOST, compileSelector)
    assert.equal(i.profiles.length, 1)
    assert.deepEqual(i.profiles[0]?.spec.ingress, [{action: 'Deny'}])
  })
})

describe('BIRD input', () => {
  it('node AS over global AS; own blocks; mesh peers from other nodes', () => {
    const bgp = [res('BGPConfiguration', 'default', {asNumber: 65000, nodeToNodeMeshEnabled: true, listenPort: 1790})]
    const b = buildBirdInput(snapshot({bgpConfigurations: bgp}), HOST)
    assert.equal(b.asNumber, undefined)
    assert.equal(b.global.asNumber, '65000')
    assert.equal(b.global.listenPort, 1790)
    assert.deepEqual(b.ownBlocks, ['192.168.10.0/26'])
    assert.equal(b.nodes.find((n) => n.name === 'node')?.asNumber, '64513')
    const model = buildBirdModel(b)
    assert.equal(model.localAS, '65000')
    assert.deepEqual(model.peers.map((p) => [p.protocol, p.asNumber]), [['Mesh_198_51_100_96_port_1790', '64513']])
  })
  it('maps BGPPeer fields', () => {
    const peer = res('BGPPeer', 'tor', {peerIP: '198.51.100.1', asNumber: 65001, nodeSelector: 'all()', keepOriginalNextHop: true, ttlSecurity: 2})
    const b = buildBirdInput(snapshot({bgpPeers: [peer]}), HOST)
    assert.deepEqual(b.peers, [{name: 'tor', nodeSelector: 'all()', peerIP: '198.51.100.1', asNumber: '65001', keepOriginalNextHop: true, ttlSecurity: 2}])
    assert.ok(buildBirdModel(b).peers.some((p) => p.ip === '198.51.100.1' && p.asNumber === '65001' && p.keepNextHop), JSON.stringify(buildBirdModel(b).peers))
  })
  it('gives BIRD every BGPFilter and each peer its spec.filters, in order', () => {
    const peer = res('BGPPeer', 'tor', {peerIP: '198.51.100.1', asNumber: 65001, filters: ['b', 'a']})
    const a = res('BGPFilter', 'a', {exportV4: [{cidr: '192.168.0.0/16', matchOperator: 'In', action: 'Reject'}], importV6: [{action: 'Reject'}]})
    const b = res('BGPFilter', 'b', {importV4: [{action: 'Accept'}]})
    const input = buildBirdInput(snapshot({bgpPeers: [peer], bgpFilters: [a, b]}), HOST)
    assert.deepEqual(input.peers[0]?.filters, ['b', 'a'])
    assert.deepEqual(input.filters, [
      {name: 'a', exportV4: [{cidr: '192.168.0.0/16', matchOperator: 'In', action: 'Reject'}]},
      {name: 'b', importV4: [{action: 'Accept'}]},
    ])
    const tor = buildBirdModel(input).peers.find((p) => p.ip === '198.51.100.1')!
    assert.deepEqual([tor.importFilters, tor.exportFilters], [['bgp_b_importFilterV4'], ['bgp_a_exportFilterV4']])
  })
})
