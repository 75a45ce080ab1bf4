// BIRD 2 daemons in network namespaces, configured by the renderer and the executor:
// mesh sessions, routes of a BGP (Never) pool in the kernel, no-op/changed/broken applies,
// pool mode flips, node status, and a route reflector with two clients.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {
  applyBirdConfig,
  type BirdModelInput,
  type BirdFilterInput,
  type BirdNodeInput,
  BirdControl,
  type BirdPoolInput,
  FAST_TIMERS,
  showProtocols,
  syncBird,
} from '../../src/dataplane/bird/index.js'
import {peerStatusTable} from '../../src/node/status.js'
import {selects} from '../../src/resources/selector.js'
import {birdPrefixes} from '../helpers/bird.js'
import {ip, NetnsLab, netnsSkipReason, waitFor} from '../helpers/netns.js'

const skip = netnsSkipReason('bird')

const pool = (ipipMode: string): BirdPoolInput => ({cidr: '192.168.0.0/16', ipipMode, vxlanMode: 'Never', disabled: false, natOutgoing: true, disableBGPExport: false})

interface Host {
  name: string
  ns: string
  addr: string
  dir: string
  configDir: string
  socketPath: string
}

interface RouteJson {
  dst: string
  gateway?: string
  dev?: string
}

function birdRoutes(ns: string): RouteJson[] {
  const out = ip('-j', '-n', ns, 'route', 'show', 'proto', 'bird')
  return (JSON.parse(out || '[]') as RouteJson[]).map((r) => ({dst: r.dst, gateway: r.gateway, dev: r.dev})).sort((a, b) => a.dst.localeCompare(b.dst))
}


function makeHost(lab: NetnsLab, name: string, short: string, addr: string, scratch: string): Host {
  const ns = lab.addHost(short)
  const dir = mkdtempSync(join(scratch, `${short}-`))
  return {name, ns, addr, dir, configDir: dir, socketPath: join(dir, 'bird.ctl')}
}

function startBird(lab: NetnsLab, h: Host): void {
  const child = lab.spawnIn(h.ns, 'bird', ['-f', '-c', join(h.configDir, 'bird.cfg'), '-s', h.socketPath, '-P', join(h.dir, 'bird.pid')])
  child.stdout?.resume()
  child.stderr?.resume()
}

function sync(h: Host, input: BirdModelInput) {
  return syncBird(input, {configDir: h.configDir, socketPath: h.socketPath, dryRun: false, timers: FAST_TIMERS, log: join(h.dir, 'bird.log')})
}

async function established(h: Host, protocol: string): Promise<void> {
  await waitFor(`${protocol} Established on ${h.name}`, async () => {
    const row = (await showProtocols(h.socketPath)).find((r) => r.name === protocol)
    return row?.info.startsWith('Established') ? true : undefined
  })
}

async function lastReconfiguration(h: Host): Promise<string> {
  const c = await BirdControl.connect(h.socketPath)
  try {
    const r = await c.command('show status')
    return r.lines.find((l) => l.text.startsWith('Last reconfiguration'))?.text ?? ''
  } finally {
    c.close()
  }
}

describe('BIRD in network namespaces', {skip}, () => {
  const lab = new NetnsLab('bg')
  const scratch = mkdtempSync(join(tmpdir(), 'bird-netns-'))
  let master: Host
  let node: Host
  const nodes: BirdNodeInput[] = [
    {name: 'master', ipv4Address: '198.51.100.95/24', labels: {}},
    {name: 'node', ipv4Address: '198.51.100.96/24', labels: {}},
  ]
  const inputFor = (h: Host, over: Partial<BirdModelInput> = {}): BirdModelInput => ({
    nodeName: h.name,
    nodeIPv4: `${h.addr}/24`,
    global: {},
    nodes,
    peers: [],
    pools: [pool('Never')],
    ownBlocks: [h.name === 'master' ? '192.168.10.0/26' : '192.168.20.0/26'],
    selects,
    ...over,
  })

  before(async () => {
    master = makeHost(lab, 'master', 'm', '198.51.100.95', scratch)
    node = makeHost(lab, 'node', 'n', '198.51.100.96', scratch)
    lab.link(master.ns, 'eth0', '198.51.100.95/24', node.ns, 'eth0', '198.51.100.96/24')
    for (const h of [master, node]) {
      const r = await sync(h, inputFor(h))
      assert.deepEqual([r.changed, r.reloaded, r.status], [true, false, 'written-not-running'])
      startBird(lab, h)
    }
  })

  after(async () => {
    await lab.cleanup()
    rmSync(scratch, {recursive: true, force: true})
  })

  it('the mesh comes up and each kernel gets the other block via the peer, proto bird', async () => {
    await established(master, 'Mesh_198_51_100_96')
    await established(node, 'Mesh_198_51_100_95')
    const onMaster = await waitFor('route to 192.168.20.0/26 on master', () => {
      const r = birdRoutes(master.ns)
      return r.length > 0 ? r : undefined
    })
    assert.deepEqual(onMaster, [{dst: '192.168.20.0/26', gateway: '198.51.100.96', dev: 'eth0'}])
    const onNode = await waitFor('route to 192.168.10.0/26 on node', () => {
      const r = birdRoutes(node.ns)
      return r.length > 0 ? r : undefined
    })
    assert.deepEqual(onNode, [{dst: '192.168.10.0/26', gateway: '198.51.100.95', dev: 'eth0'}])
    // Our own blackhole is not pushed into the kernel by BIRD (the route planner owns it).
    assert.ok(!birdRoutes(master.ns).some((r) => r.dst === '192.168.10.0/26'))
  })

  it('applying the same input again writes nothing and does not reconfigure BIRD', async () => {
    const before = await lastReconfiguration(master)
    const cfg = join(master.configDir, 'bird.cfg')
    const text = readFileSync(cfg, 'utf8')
    const r = await sync(master, inputFor(master))
    assert.deepEqual([r.changed, r.reloaded, r.status], [false, false, 'unchanged'])
    assert.equal(r.text, text)
    assert.equal(await lastReconfiguration(master), before)
  })

  it('a changed input is reloaded and the peer learns the new block', async () => {
    const r = await sync(master, inputFor(master, {ownBlocks: ['192.168.10.0/26', '192.168.10.64/26']}))
    assert.deepEqual([r.changed, r.reloaded, r.status], [true, true, 'reloaded'])
    const routes = await waitFor('route to 192.168.10.64/26 on node', () => {
      const rs = birdRoutes(node.ns)
      return rs.some((x) => x.dst === '192.168.10.64/26') ? rs : undefined
    })
    assert.deepEqual(routes, [
      {dst: '192.168.10.0/26', gateway: '198.51.100.95', dev: 'eth0'},
      {dst: '192.168.10.64/26', gateway: '198.51.100.95', dev: 'eth0'},
    ])
  })

  it('a config that the running BIRD rejects never reaches the live file and BIRD keeps running', async () => {
    const cfg = join(master.configDir, 'bird.cfg')
    const live = readFileSync(cfg, 'utf8')
    await assert.rejects(
      applyBirdConfig({configPath: cfg, socketPath: master.socketPath, text: `${live}protocol bgp Broken from no_such_template { }\n`}),
      /rejected by BIRD, .*left unchanged: <new config>:\d+:\d+ /,
    )
    assert.equal(readFileSync(cfg, 'utf8'), live)
    const row = (await showProtocols(master.socketPath)).find((p) => p.name === 'Mesh_198_51_100_96')
    assert.equal(row?.state, 'up')
    assert.match(row?.info ?? '', /^Established/)
  })

  it('node status shows the mesh peer as calicoctl does', async () => {
    const table = peerStatusTable(await showProtocols(master.socketPath))
    const lines = table.split('\n')
    assert.equal(lines[0], 'IPv4 BGP status')
    assert.match(lines[2] ?? '', /^\|\s+PEER ADDRESS\s+\|\s+PEER TYPE\s+\| STATE \|\s+SINCE\s+\|\s+INFO\s+\|$/)
    assert.match(lines[4] ?? '', /^\| 198\.51\.100\.96 \| node-to-node mesh \| up {4}\| \S+ +\| Established \|$/)
    assert.equal(lines.length, 7)
  })

  it('flipping the pool to IPIP removes the BIRD routes; flipping back restores them', async () => {
    for (const h of [master, node]) assert.equal((await sync(h, inputFor(h, {pools: [pool('Always')]}))).reloaded, true)
    await waitFor('BIRD routes gone', () => (birdRoutes(master.ns).length === 0 && birdRoutes(node.ns).length === 0 ? true : undefined))
    // The sessions stay up; only the kernel export changed.
    assert.match((await showProtocols(master.socketPath)).find((p) => p.name === 'Mesh_198_51_100_96')?.info ?? '', /^Established/)
    for (const h of [master, node]) assert.equal((await sync(h, inputFor(h))).reloaded, true)
    const back = await waitFor('routes back on master', () => {
      const r = birdRoutes(master.ns)
      return r.length > 0 ? r : undefined
    })
    assert.deepEqual(back, [{dst: '192.168.20.0/26', gateway: '198.51.100.96', dev: 'eth0'}])
  })
})

describe('BIRD route reflector in network namespaces', {skip}, () => {
  const lab = new NetnsLab('br')
  const scratch = mkdtempSync(join(tmpdir(), 'bird-rr-'))
  const nodes: BirdNodeInput[] = [
    {name: 'rr', ipv4Address: '198.51.100.10/24', routeReflectorClusterID: '224.0.0.1', labels: {'route-reflector': 'true'}},
    {name: 'c1', ipv4Address: '198.51.100.20/24', labels: {}},
    {name: 'c2', ipv4Address: '198.51.100.21/24', labels: {}},
  ]
  const blocks: Record<string, string[]> = {rr: [], c1: ['192.168.30.0/26'], c2: ['192.168.40.0/26']}
  const hosts: Record<string, Host> = {}
  const inputFor = (h: Host): BirdModelInput => {
    const n = nodes.find((x) => x.name === h.name)
    const input: BirdModelInput = {
      nodeName: h.name,
      nodeIPv4: `${h.addr}/24`,
      global: {nodeToNodeMeshEnabled: false},
      nodes,
      peers: [{name: 'peer-with-rr', nodeSelector: 'all()', peerSelector: 'has(route-reflector)'}],
      pools: [pool('Never')],
      ownBlocks: blocks[h.name] ?? [],
      selects,
    }
    if (n?.routeReflectorClusterID) input.routeReflectorClusterID = n.routeReflectorClusterID
    return input
  }

  before(async () => {
    // One L2 segment: a bridge in its own namespace, one veth per host.
    const sw = lab.addHost('sw')
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', sw, 'link', 'set', 'br0', 'up')
    for (const n of nodes) {
      const addr = n.ipv4Address?.split('/')[0] ?? ''
      const h = makeHost(lab, n.name, n.name, addr, scratch)
      hosts[n.name] = h
      lab.link(h.ns, 'eth0', `${addr}/24`, sw, `p-${n.name}`, undefined)
      ip('-n', sw, 'link', 'set', `p-${n.name}`, 'master', 'br0')
      await sync(h, inputFor(h))
      startBird(lab, h)
    }
  })

  after(async () => {
    await lab.cleanup()
    rmSync(scratch, {recursive: true, force: true})
  })

  it('clients peer only with the reflector and learn each other\'s blocks with the original next hop', async () => {
    const rr = hosts.rr!
    const c1 = hosts.c1!
    const c2 = hosts.c2!
    await established(rr, 'Node_198_51_100_20')
    await established(rr, 'Node_198_51_100_21')
    await established(c1, 'Node_198_51_100_10')
    await established(c2, 'Node_198_51_100_10')
    assert.deepEqual(
      (await showProtocols(c1.socketPath)).filter((p) => p.proto === 'BGP').map((p) => p.name),
      ['Node_198_51_100_10'],
    )
    assert.match(readFileSync(join(rr.configDir, 'bird.cfg'), 'utf8'), /rr client;\n {2}rr cluster id 224\.0\.0\.1;/)
    const on1 = await waitFor('c2 block on c1', () => {
      const r = birdRoutes(c1.ns)
      return r.length > 0 ? r : undefined
    })
    assert.deepEqual(on1, [{dst: '192.168.40.0/26', gateway: '198.51.100.21', dev: 'eth0'}])
    const on2 = await waitFor('c1 block on c2', () => {
      const r = birdRoutes(c2.ns)
      return r.length > 0 ? r : undefined
    })
    assert.deepEqual(on2, [{dst: '192.168.30.0/26', gateway: '198.51.100.20', dev: 'eth0'}])
    const status = peerStatusTable(await showProtocols(rr.socketPath))
    assert.match(status, /\| 198\.51\.100\.20 \| node specific \| up/)
    assert.match(status, /\| 198\.51\.100\.21 \| node specific \| up/)
  })
})

// BGPFilters as calico/node applies them (confd/pkg/resource/template/template_funcs.go and
// confd/pkg/backends/calico/bgp_processor.go, v3.32.1): rules in order, first match decides, no
// match falls through to the default; a filter change is a `configure`, the session stays up.
describe('BIRD with BGPFilters in network namespaces', {skip}, () => {
  const lab = new NetnsLab('bf')
  const scratch = mkdtempSync(join(tmpdir(), 'bird-filter-'))
  let a: Host
  let b: Host
  const nodes: BirdNodeInput[] = [
    {name: 'a', ipv4Address: '198.51.100.31/24', labels: {}},
    {name: 'b', ipv4Address: '198.51.100.32/24', labels: {}},
  ]
  const exportRejecting = (block: string): BirdFilterInput => ({
    name: 'exp',
    exportV4: [{cidr: block, matchOperator: 'Equal', action: 'Reject'}],
  })
  // The accept of one /26 comes first and wins over the broader reject after it; 192.168.21.0/26
  // matches neither rule and falls through to the default (accept).
  const imp: BirdFilterInput = {
    name: 'imp',
    importV4: [
      {cidr: '192.168.20.64/26', matchOperator: 'Equal', action: 'Accept'},
      {cidr: '192.168.20.0/24', matchOperator: 'In', prefixLength: {min: 26, max: 26}, action: 'Reject'},
    ],
  }
  const inputA = (exp: BirdFilterInput): BirdModelInput => ({
    nodeName: 'a',
    nodeIPv4: '198.51.100.31/24',
    global: {nodeToNodeMeshEnabled: false},
    nodes,
    peers: [{name: 'to-b', peerIP: '198.51.100.32', asNumber: '64512', filters: ['exp', 'imp']}],
    filters: [exp, imp],
    pools: [pool('Never')],
    ownBlocks: ['192.168.10.0/26', '192.168.10.64/26'],
    selects,
  })
  const inputB: BirdModelInput = {
    nodeName: 'b',
    nodeIPv4: '198.51.100.32/24',
    global: {nodeToNodeMeshEnabled: false},
    nodes,
    peers: [{name: 'to-a', peerIP: '198.51.100.31', asNumber: '64512'}],
    pools: [pool('Never')],
    ownBlocks: ['192.168.20.0/26', '192.168.20.64/26', '192.168.21.0/26'],
    selects,
  }

  before(async () => {
    a = makeHost(lab, 'a', 'a', '198.51.100.31', scratch)
    b = makeHost(lab, 'b', 'b', '198.51.100.32', scratch)
    lab.link(a.ns, 'eth0', '198.51.100.31/24', b.ns, 'eth0', '198.51.100.32/24')
    await sync(a, inputA(exportRejecting('192.168.10.64/26')))
    await sync(b, inputB)
    startBird(lab, a)
    startBird(lab, b)
  })

  after(async () => {
    await lab.cleanup()
    rmSync(scratch, {recursive: true, force: true})
  })

  const learned = (h: Host, prefix: string) => birdPrefixes(h.socketPath).then((t) => t.filter((p) => p.startsWith(prefix)))

  it('an export filter keeps the rejected block from the peer; an import filter applies its rules in order', async () => {
    await established(a, 'Global_198_51_100_32')
    await established(b, 'Global_198_51_100_31')
    const onB = await waitFor('a block of a on b', async () => {
      const t = await learned(b, '192.168.10.')
      return t.length > 0 ? t : undefined
    })
    assert.deepEqual(onB, ['192.168.10.0/26'])
    const onA = await waitFor('blocks of b on a', async () => {
      const t = await learned(a, '192.168.2')
      return t.length >= 2 ? t : undefined
    })
    assert.deepEqual(onA, ['192.168.20.64/26', '192.168.21.0/26'])
    // The kernel agrees with BIRD's table (a Never pool: BIRD installs the routes).
    assert.deepEqual(
      birdRoutes(b.ns).map((r) => r.dst),
      ['192.168.10.0/26'],
    )
  })

  it('changing a filter reconfigures BIRD without resetting the session', async () => {
    const before = (await showProtocols(a.socketPath)).find((p) => p.name === 'Global_198_51_100_32')!
    const beforeB = (await showProtocols(b.socketPath)).find((p) => p.name === 'Global_198_51_100_31')!
    assert.match(before.info, /^Established/)
    // BIRD 2 prints the time of the last state change to the millisecond: a reset would show.
    assert.match(before.since, /\d:\d\d:\d\d\.\d{3}$/)
    const r = await sync(a, inputA(exportRejecting('192.168.10.0/26')))
    assert.deepEqual([r.changed, r.reloaded, r.status], [true, true, 'reloaded'])
    const onB = await waitFor('b sees the other block of a', async () => {
      const t = await learned(b, '192.168.10.')
      return t.length === 1 && t[0] === '192.168.10.64/26' ? t : undefined
    })
    assert.deepEqual(onB, ['192.168.10.64/26'])
    const after = (await showProtocols(a.socketPath)).find((p) => p.name === 'Global_198_51_100_32')!
    const afterB = (await showProtocols(b.socketPath)).find((p) => p.name === 'Global_198_51_100_31')!
    // Same state, same "since" on both ends: the session was never torn down. BIRD prints "since"
    // by converting its monotonic clock to wall time at each `show protocols`, so the same instant
    // can read a millisecond apart; a reset would move it by a reconnect (BIRD waits seconds before
    // one), far past this tolerance.
    const sinceMs = (t: string) => {
      const [h, m, sec] = t.slice(-12).split(':').map(Number) as [number, number, number]
      return Math.round(((h * 60 + m) * 60 + sec) * 1000)
    }
    for (const [was, now] of [[before, after], [beforeB, afterB]] as const) {
      assert.deepEqual([now.state, now.info], [was.state, was.info])
      assert.ok(Math.abs(sinceMs(now.since) - sinceMs(was.since)) <= 10, `"since" moved from ${was.since} to ${now.since}: the session was reset`)
    }
  })
})
