import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {type BirdNodeInput, buildBirdModel, normalizeAS, protocolName} from '../../src/dataplane/bird/model.js'
import {splitPeerIP} from '../../src/resources/kinds/bgppeer.js'
import {baseInput} from '../fixtures/bird/inputs.js'

const names = (m: ReturnType<typeof buildBirdModel>) => m.peers.map((p) => p.protocol)

describe('BIRD model', () => {
  it('meshes with every other node that has an IPv4 address, sorted, with Calico passive rule', () => {
    const m = buildBirdModel(baseInput())
    assert.equal(m.routerID, '198.51.100.95')
    assert.equal(m.localAS, '64512')
    assert.deepEqual(names(m), ['Mesh_198_51_100_100', 'Mesh_198_51_100_96'])
    const byName = Object.fromEntries(m.peers.map((p) => [p.protocol, p]))
    // Calico compares as strings: "198.51.100.96" > "198.51.100.95" → we wait; "198.51.100.100" < → we dial.
    assert.equal(byName.Mesh_198_51_100_96?.passive, true)
    assert.equal(byName.Mesh_198_51_100_100?.passive, false)
    assert.equal(byName.Mesh_198_51_100_96?.sourceAddress, '198.51.100.95')
    assert.equal(byName.Mesh_198_51_100_96?.internal, true)
  })

  it('takes the AS from the node, else the global config, else 64512, and per peer node', () => {
    assert.equal(buildBirdModel(baseInput({global: {asNumber: '65001'}})).localAS, '65001')
    const m = buildBirdModel(baseInput({asNumber: '1.10', global: {asNumber: '65001'}}))
    assert.equal(m.localAS, '65546')
    assert.equal(m.peers[0]?.asNumber, '65001')
    assert.equal(m.peers[0]?.internal, false)
    assert.throws(() => normalizeAS('abc'), /invalid AS number/)
  })

  it('has no mesh when it is disabled', () => {
    const m = buildBirdModel(baseInput({global: {nodeToNodeMeshEnabled: false}}))
    assert.deepEqual(m.peers, [])
    assert.match(m.meshNote ?? '', /disabled/)
  })

  it('has no peers at all without a node IPv4 address', () => {
    const m = buildBirdModel(baseInput({nodeIPv4: undefined}))
    assert.equal(m.nodeIP, undefined)
    assert.equal(m.routerID, undefined)
    assert.deepEqual(m.peers, [])
  })

  it('global and node-specific peers, skipping other nodes and ourselves', () => {
    const m = buildBirdModel(
      baseInput({
        global: {nodeToNodeMeshEnabled: false},
        nodes: [
          {name: 'master', ipv4Address: '198.51.100.95/24', labels: {rack: 'r1'}},
          {name: 'node', ipv4Address: '198.51.100.96/24', labels: {rack: 'r2'}},
        ],
        peers: [
          {name: 'tor', peerIP: '203.0.113.1', asNumber: '65000'},
          {name: 'mine', node: 'master', peerIP: '203.0.113.2:1790', asNumber: '65000', password: 's3cret'},
          {name: 'theirs', node: 'node', peerIP: '203.0.113.3', asNumber: '65000'},
          {name: 'rack1', nodeSelector: "rack == 'r1'", peerIP: '203.0.113.4'},
          {name: 'rack2', nodeSelector: "rack == 'r2'", peerIP: '203.0.113.5'},
          {name: 'self', peerIP: '198.51.100.95', asNumber: '64512'},
          {name: 'v6', peerIP: '[2001:db8::1]:179', asNumber: '65000'},
        ],
      }),
    )
    assert.deepEqual(names(m), ['Global_203_0_113_1', 'Node_203_0_113_2_port_1790', 'Node_203_0_113_4'])
    const mine = m.peers.find((p) => p.protocol === 'Node_203_0_113_2_port_1790')
    assert.equal(mine?.port, 1790)
    assert.equal(mine?.password, 's3cret')
    assert.equal(mine?.passive, false)
    // rack1 has no asNumber: it defaults to ours (iBGP).
    assert.equal(m.peers.find((p) => p.protocol === 'Node_203_0_113_4')?.asNumber, '64512')
  })

  it('skips a peer whose peerIP the validator refuses (one peerIP rule: resources/kinds/bgppeer.ts)', () => {
    // Felix drops a resource that fails validation (upstream v3.32.1 felix/calc/validation_filter.go).
    const peers = [
      {name: 'ok', peerIP: '203.0.113.1:1790', asNumber: '65000'},
      {name: 'port-out-of-range', peerIP: '203.0.113.2:99999', asNumber: '65000'},
      {name: 'not-an-ip', peerIP: '203.0.113:179', asNumber: '65000'},
    ]
    assert.deepEqual(names(buildBirdModel(baseInput({global: {nodeToNodeMeshEnabled: false}, peers}))), ['Global_203_0_113_1_port_1790'])
  })

  it('rejects a password BIRD cannot quote', () => {
    assert.throws(() => buildBirdModel(baseInput({peers: [{name: 'bad', peerIP: '203.0.113.1', password: 'a"b'}]})), /BGPPeer bad: a BGP password cannot contain/)
  })

  it('keeps the original next hop only towards external peers', () => {
    const m = buildBirdModel(
      baseInput({
        global: {nodeToNodeMeshEnabled: false},
        peers: [
          {name: 'ext', peerIP: '203.0.113.1', asNumber: '65000', keepOriginalNextHop: true},
          {name: 'int', peerIP: '203.0.113.2', asNumber: '64512', keepOriginalNextHop: true},
        ],
      }),
    )
    assert.deepEqual(
      m.peers.map((p) => [p.protocol, p.keepNextHop]),
      [
        ['Global_203_0_113_1', true],
        ['Global_203_0_113_2', false],
      ],
    )
  })

  describe('route reflectors', () => {
    const nodes: BirdNodeInput[] = [
      {name: 'rr1', ipv4Address: '198.51.100.10/24', routeReflectorClusterID: '224.0.0.1', labels: {'route-reflector': 'true'}},
      {name: 'rr2', ipv4Address: '198.51.100.11/24', routeReflectorClusterID: '224.0.0.1', labels: {'route-reflector': 'true'}},
      {name: 'c1', ipv4Address: '198.51.100.20/24', labels: {}},
      {name: 'c2', ipv4Address: '198.51.100.21/24', labels: {}},
    ]
    const peers = [{name: 'peer-with-rrs', nodeSelector: 'all()', peerSelector: 'has(route-reflector)'}]
    const forNode = (name: string, meshOn: boolean) => {
      const n = nodes.find((x) => x.name === name)
      return buildBirdModel(
        baseInput({
          nodeName: name,
          nodeIPv4: n?.ipv4Address,
          routeReflectorClusterID: n?.routeReflectorClusterID,
          global: {nodeToNodeMeshEnabled: meshOn},
          nodes,
          peers,
        }),
      )
    }

    it('clients peer only with the reflectors when the mesh is off', () => {
      const m = forNode('c1', false)
      assert.deepEqual(names(m), ['Node_198_51_100_10', 'Node_198_51_100_11'])
      assert.ok(m.peers.every((p) => p.rrClusterID === undefined))
    })

    it('a reflector peers with the other reflector and (reverse peering) with every client, clients as rr clients', () => {
      const m = forNode('rr1', false)
      assert.deepEqual(names(m), ['Node_198_51_100_11', 'Node_198_51_100_20', 'Node_198_51_100_21'])
      const rr = Object.fromEntries(m.peers.map((p) => [p.protocol, p.rrClusterID]))
      assert.equal(rr.Node_198_51_100_11, undefined, 'same cluster: not a client')
      assert.equal(rr.Node_198_51_100_20, '224.0.0.1')
      assert.equal(rr.Node_198_51_100_21, '224.0.0.1')
      assert.equal(m.rrClusterID, '224.0.0.1')
    })

    it('manual reverse peering leaves the reflector without client sessions', () => {
      const m = buildBirdModel(
        baseInput({
          nodeName: 'rr1',
          nodeIPv4: '198.51.100.10/24',
          routeReflectorClusterID: '224.0.0.1',
          global: {nodeToNodeMeshEnabled: false},
          nodes,
          peers: [{...peers[0]!, reversePeering: 'Manual'}],
        }),
      )
      assert.deepEqual(names(m), ['Node_198_51_100_11'])
    })

    it('with the mesh on, a reflector skips the mesh and clients do not mesh with reflectors', () => {
      const rr = forNode('rr1', true)
      assert.ok(rr.peers.every((p) => p.kind !== 'Mesh'))
      assert.match(rr.meshNote ?? '', /route reflector/)
      const c = forNode('c1', true)
      assert.deepEqual(names(c), ['Mesh_198_51_100_21', 'Node_198_51_100_10', 'Node_198_51_100_11'])
    })
  })

  it('one session per neighbour: node-specific wins over global and mesh', () => {
    const m = buildBirdModel(baseInput({peers: [{name: 'p', node: 'master', peerIP: '198.51.100.96', asNumber: '64512'}, {name: 'g', peerIP: '198.51.100.96'}]}))
    assert.deepEqual(names(m), ['Mesh_198_51_100_100', 'Node_198_51_100_96'])
  })

  it('classifies pools by who programs their routes', () => {
    const m = buildBirdModel(
      baseInput({
        pools: [
          {cidr: '10.1.0.0/16', ipipMode: 'Always', vxlanMode: 'Never', disabled: false, natOutgoing: false, disableBGPExport: false},
          {cidr: '10.2.0.0/16', ipipMode: 'CrossSubnet', vxlanMode: 'Never', disabled: false, natOutgoing: false, disableBGPExport: true},
          {cidr: '10.3.0.0/16', ipipMode: 'Never', vxlanMode: 'Always', disabled: false, natOutgoing: false, disableBGPExport: false},
          {cidr: '10.0.0.0/16', ipipMode: 'Never', vxlanMode: 'Never', disabled: false, natOutgoing: false, disableBGPExport: false},
          {cidr: 'fd00::/48', ipipMode: 'Never', vxlanMode: 'Never', disabled: false, natOutgoing: false, disableBGPExport: false},
        ],
      }),
    )
    assert.deepEqual(
      m.pools.map((p) => [p.cidr, p.mode, p.disableBGPExport]),
      [
        ['10.0.0.0/16', 'bgp', false],
        ['10.1.0.0/16', 'ipip', false],
        ['10.2.0.0/16', 'ipip', true],
        ['10.3.0.0/16', 'vxlan', false],
      ],
    )
  })

  it('helpers: peer address parsing and protocol names', () => {
    assert.deepEqual(splitPeerIP('203.0.113.1:1790'), {ip: '203.0.113.1', port: 1790})
    assert.deepEqual(splitPeerIP('[2001:db8::1]:179'), {ip: '2001:db8::1', port: 179})
    assert.deepEqual(splitPeerIP('203.0.113.1'), {ip: '203.0.113.1'})
    assert.equal(protocolName('Global', '2001:db8::1'), 'Global_2001_db8__1')
    assert.equal(protocolName('Node', '203.0.113.1', 1790), 'Node_203_0_113_1_port_1790')
  })
})
