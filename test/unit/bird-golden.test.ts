// Golden-file tests for the BIRD renderer: each scenario's rendered config is compared byte for byte
// with test/fixtures/bird/golden/<name>.cfg, and every golden file must pass the real `bird -p`.
// Rewrite the files after an intended change with: UPDATE_GOLDEN=1 node --import tsx --test test/unit/bird-golden.test.ts
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, it} from 'node:test'
import {type BirdModelInput, type BirdNodeInput, type BirdPeerInput, type BirdPoolInput, buildBirdModel} from '../../src/dataplane/bird/model.js'
import {renderBirdConfig} from '../../src/dataplane/bird/render.js'
import {selects} from '../../src/resources/selector.js'

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'bird', 'golden')
const UPDATE = process.env.UPDATE_GOLDEN === '1'

const birdMissing: string | false = (() => {
  try {
    execFileSync('bird', ['--version'], {stdio: 'ignore'})
    return false
  } catch {
    return 'needs bird (apt-get install bird2)'
  }
})()

const pool = (cidr: string, over: Partial<BirdPoolInput> = {}): BirdPoolInput => ({
  cidr,
  ipipMode: 'Never',
  vxlanMode: 'Never',
  disabled: false,
  natOutgoing: true,
  disableBGPExport: false,
  ...over,
})

const node = (name: string, ip: string, over: Partial<BirdNodeInput> = {}): BirdNodeInput => ({
  name,
  ipv4Address: `${ip}/24`,
  labels: {},
  ...over,
})

const NEVER_POOL = pool('10.65.0.0/16')

const THREE: BirdNodeInput[] = [node('host-a', '198.51.100.11'), node('host-b', '198.51.100.12'), node('host-c', '198.51.100.13')]

function input(nodeName: string, nodes: BirdNodeInput[], over: Partial<BirdModelInput> = {}): BirdModelInput {
  const me = nodes.find((n) => n.name === nodeName)
  return {
    nodeName,
    ...(me?.ipv4Address ? {nodeIPv4: me.ipv4Address} : {}),
    ...(me?.asNumber ? {asNumber: me.asNumber} : {}),
    ...(me?.routeReflectorClusterID ? {routeReflectorClusterID: me.routeReflectorClusterID} : {}),
    global: {},
    nodes,
    peers: [],
    pools: [NEVER_POOL],
    ownBlocks: [],
    selects,
    ...over,
  }
}

const blockOf: Record<string, string> = {'host-a': '10.65.1.0/26', 'host-b': '10.65.2.0/26', 'host-c': '10.65.3.0/26', rr: '10.65.9.0/26'}

const peer = (name: string, over: Partial<BirdPeerInput>): BirdPeerInput => ({name, ...over})

// Labelled nodes for the selector and route reflector scenarios.
const RACKS: BirdNodeInput[] = [
  node('host-a', '198.51.100.11', {labels: {rack: 'r1'}}),
  node('host-b', '198.51.100.12', {labels: {rack: 'r2', role: 'edge'}}),
  node('host-c', '198.51.100.13', {labels: {rack: 'r1', role: 'edge'}}),
  node('host-d', '198.51.100.14', {labels: {rack: 'r2'}}),
]

const RR_NODES: BirdNodeInput[] = [
  node('rr', '198.51.100.10', {routeReflectorClusterID: '224.0.0.1', labels: {'route-reflector': 'true'}}),
  node('host-a', '198.51.100.11'),
  node('host-b', '198.51.100.12'),
  node('host-c', '198.51.100.13'),
]
const RR_PEERS: BirdPeerInput[] = [peer('peer-with-rr', {nodeSelector: 'all()', peerSelector: "has(route-reflector)"})]
const MESH_OFF = {nodeToNodeMeshEnabled: false}

const SCENARIOS: Array<{name: string; what: string; input: BirdModelInput}> = [
  ...THREE.map((n) => ({
    name: `mesh-3-${n.name}`,
    what: `full mesh of three, rendered for ${n.name}`,
    input: input(n.name, THREE, {ownBlocks: [blockOf[n.name] ?? '']}),
  })),
  {
    name: 'mesh-off-global-peers',
    what: 'mesh disabled, global peers (iBGP, eBGP, custom port)',
    input: input('host-a', THREE, {
      global: {...MESH_OFF, asNumber: '64513'},
      ownBlocks: [blockOf['host-a'] ?? ''],
      peers: [
        peer('tor-1', {peerIP: '198.51.100.1', asNumber: '64513'}),
        peer('tor-2', {peerIP: '198.51.100.2:1790', asNumber: '65010'}),
        peer('upstream', {peerIP: '198.51.100.3', asNumber: '65020'}),
      ],
    }),
  },
  {
    name: 'node-and-selector-peers',
    what: 'node-specific peers by node name, nodeSelector and peerSelector (with reverse peering) over the mesh',
    input: input('host-c', RACKS, {
      ownBlocks: [blockOf['host-c'] ?? ''],
      peers: [
        peer('only-host-c', {node: 'host-c', peerIP: '198.51.100.21', asNumber: '65030'}),
        peer('only-host-a', {node: 'host-a', peerIP: '198.51.100.22', asNumber: '65031'}),
        peer('rack-r1-tor', {nodeSelector: "rack == 'r1'", peerIP: '198.51.100.23', asNumber: '64512'}),
        peer('rack-r2-tor', {nodeSelector: "rack == 'r2'", peerIP: '198.51.100.24', asNumber: '64512'}),
        peer('r1-to-edges', {nodeSelector: "rack == 'r1'", peerSelector: "role == 'edge'"}),
      ],
    }),
  },
  {
    name: 'route-reflector',
    what: 'a route reflector with three clients, mesh disabled, rendered for the reflector',
    input: input('rr', RR_NODES, {global: MESH_OFF, peers: RR_PEERS, ownBlocks: [blockOf.rr ?? '']}),
  },
  {
    name: 'route-reflector-client',
    what: 'the same cluster rendered for a client',
    input: input('host-a', RR_NODES, {global: MESH_OFF, peers: RR_PEERS, ownBlocks: [blockOf['host-a'] ?? '']}),
  },
  {
    name: 'ebgp-password',
    what: 'eBGP peer with a password, keepOriginalNextHop and TTL security; node AS overrides the global AS',
    input: input('host-a', [node('host-a', '198.51.100.11', {asNumber: '65100'}), node('host-b', '198.51.100.12')], {
      asNumber: '65100',
      global: {asNumber: '64512', nodeMeshPassword: 'mesh-secret'},
      ownBlocks: [blockOf['host-a'] ?? ''],
      peers: [
        peer('isp', {peerIP: '198.51.100.31', asNumber: '65200', password: 'pa55-w0rd', keepOriginalNextHop: true, ttlSecurity: 1}),
      ],
    }),
  },
  {
    name: 'pools-mixed',
    what: 'IPIP, Never, VXLAN, disabled and BGP-export-disabled pools with blocks in several of them',
    input: input('host-a', THREE, {
      pools: [
        pool('10.64.0.0/16', {ipipMode: 'Always'}),
        pool('10.63.0.0/16', {ipipMode: 'CrossSubnet'}),
        NEVER_POOL,
        pool('10.66.0.0/16', {vxlanMode: 'Always'}),
        pool('10.67.0.0/16', {disabled: true}),
        pool('10.68.0.0/16', {disableBGPExport: true}),
      ],
      ownBlocks: ['10.65.1.0/26', '10.64.1.0/26', '10.68.1.0/26', '10.63.1.0/26', '10.65.1.64/26'],
    }),
  },
]

describe('BIRD golden configs', () => {
  if (UPDATE) mkdirSync(GOLDEN_DIR, {recursive: true})
  for (const s of SCENARIOS) {
    const file = join(GOLDEN_DIR, `${s.name}.cfg`)
    it(`${s.name}: ${s.what}`, () => {
      const text = renderBirdConfig(buildBirdModel(s.input))
      if (UPDATE) writeFileSync(file, text)
      assert.ok(existsSync(file), `${file} is missing; create it with UPDATE_GOLDEN=1`)
      assert.equal(text, readFileSync(file, 'utf8'), `rendering differs from ${file} (UPDATE_GOLDEN=1 rewrites it after an intended change)`)
      assert.equal(renderBirdConfig(buildBirdModel(s.input)), text, 'rendering is deterministic')
    })
    it(`${s.name}: the golden file passes bird -p`, {skip: birdMissing}, () => {
      try {
        execFileSync('bird', ['-p', '-c', file], {stdio: 'pipe'})
      } catch (e) {
        assert.fail(`bird -p rejected ${file}: ${String((e as {stderr?: Buffer}).stderr ?? e)}`)
      }
    })
  }

  it('the golden directory holds exactly the scenarios', () => {
    const names = SCENARIOS.map((s) => s.name)
    assert.equal(new Set(names).size, names.length, 'scenario names are unique')
    for (const n of names) assert.ok(existsSync(join(GOLDEN_DIR, `${n}.cfg`)), `${n}.cfg`)
  })
})
