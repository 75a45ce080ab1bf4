// BIRD config at scale: a 500-node full mesh plus 1,000 global BGPPeers for one node. Times
// buildBirdModel + renderBirdConfig, then `bird -p -c FILE` (BIRD parsing the result). Baseline,
// measured in the same run: `bird -p` on the same node's config with no peers at all (BIRD's own
// fixed start-up/parse cost), so the ratio says what the 1,500 protocols add. Touches no network.
// Usage: node --import tsx bench/bird.mts [nodes=500] [peers=1000]
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {type BirdModelInput, buildBirdModel, renderBirdConfig} from '../src/dataplane/bird/index.js'
import {selects} from '../src/resources/selector.js'

export interface BirdBench {
  nodes: number
  peers: number
  protocols: number
  configBytes: number
  renderMs: number
  birdParseMs: number
  birdEmptyMs: number
}

const best = (n: number, f: () => void): number => {
  let b = Number.POSITIVE_INFINITY
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    f()
    b = Math.min(b, performance.now() - t)
  }
  return b
}

function input(nNodes: number, nPeers: number): BirdModelInput {
  const nodes = Array.from({length: nNodes}, (_, i) => ({
    name: `node-${i}`,
    ipv4Address: `100.64.${Math.floor(i / 250)}.${(i % 250) + 1}/16`,
    labels: {rack: `r${i % 20}`},
  }))
  const peers = Array.from({length: nPeers}, (_, i) => ({name: `peer-${i}`, peerIP: `100.65.${Math.floor(i / 250)}.${(i % 250) + 1}`, asNumber: `${65000 + (i % 100)}`}))
  return {
    nodeName: 'node-0',
    nodeIPv4: nodes[0]!.ipv4Address,
    global: {nodeToNodeMeshEnabled: true},
    nodes,
    peers,
    pools: [{cidr: '10.0.0.0/12', ipipMode: 'Always', vxlanMode: 'Never', disabled: false, natOutgoing: true, disableBGPExport: false}],
    ownBlocks: ['10.0.0.0/26', '10.0.0.64/26'],
    selects,
  }
}

export function birdBench(nNodes = 500, nPeers = 1000, runs = 3): BirdBench {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bird-'))
  try {
    const inp = input(nNodes, nPeers)
    let config = ''
    let protocols = 0
    const renderMs = best(runs, () => {
      const m = buildBirdModel(inp)
      protocols = m.peers.length
      config = renderBirdConfig(m)
    })
    const empty = renderBirdConfig(buildBirdModel({...inp, nodes: [inp.nodes[0]!], peers: []}))
    const full = join(dir, 'full.conf')
    const none = join(dir, 'none.conf')
    writeFileSync(full, config)
    writeFileSync(none, empty)
    const bird = (f: string) => () => execFileSync('bird', ['-p', '-c', f], {stdio: ['ignore', 'pipe', 'pipe']})
    bird(full)() // throws if BIRD rejects the config
    const birdParseMs = best(runs, bird(full))
    const birdEmptyMs = best(runs, bird(none))
    return {nodes: nNodes, peers: nPeers, protocols, configBytes: config.length, renderMs, birdParseMs, birdEmptyMs}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [a, b] = process.argv.slice(2).map(Number)
  const r = birdBench(a || undefined, b || undefined)
  console.log(`${r.nodes}-node mesh + ${r.peers} global peers: ${r.protocols} BGP protocols, ${(r.configBytes / 1024).toFixed(0)} KiB config`)
  console.log(`buildBirdModel + renderBirdConfig: ${r.renderMs.toFixed(0)} ms (best of 3)`)
  console.log(`bird -p -c on it: ${r.birdParseMs.toFixed(0)} ms; on the same node with no peers: ${r.birdEmptyMs.toFixed(0)} ms (${(r.birdParseMs / r.birdEmptyMs).toFixed(1)}x)`)
  console.log(`render vs bird -p of the result: ${(r.renderMs / r.birdParseMs).toFixed(2)}x`)
}
