// Three hosts and an external router on one bridged segment, BGP driven by `calicoctl node apply`:
// the full mesh comes up and every host installs the other two hosts' Never-pool blocks
// (`proto bird`); the mesh is then turned off and one host made a route reflector, and the routes
// stay; finally a global BGPPeer to an external BIRD (configured by this test) exchanges routes.
// BIRD is started by the test from the config node apply wrote; node apply reloads it afterwards.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {ip, NetnsLab, netnsSkipReason, waitFor as poll} from '../helpers/netns.js'

const skip = netnsSkipReason('bird', 'etcd', 'nsenter')

interface Host {
  name: string
  ns: string
  addr: string
  dir: string
  block: string
}

interface RouteJson {
  dst: string
  gateway?: string
  dev?: string
  protocol?: string
  type?: string
}

function routes(ns: string, ...filter: string[]): RouteJson[] {
  return JSON.parse(ip('-j', '-n', ns, 'route', 'show', ...filter) || '[]') as RouteJson[]
}

// BGP sessions with calico's timers can take a while on a loaded machine.
const WAIT_MS = Number(process.env.BIRD_CLUSTER_WAIT_MS ?? 90_000)
const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) => poll(what, probe, WAIT_MS, 500)

const POOL = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: bgp-pool
spec:
  cidr: 10.65.0.0/16
  blockSize: 26
  ipipMode: Never
  vxlanMode: Never
  natOutgoing: false
  nodeSelector: all()
`

const RR_PEER = `apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: peer-with-route-reflectors
spec:
  nodeSelector: all()
  peerSelector: route-reflector == 'true'
`

const EXT_ADDR = '198.51.100.50'
const EXT_AS = '65001'
const EXT_NET = '203.0.113.0/24'

const EXT_PEER = `apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: external-router
spec:
  peerIP: ${EXT_ADDR}
  asNumber: ${EXT_AS}
`

function externalBirdConfig(peers: Host[]): string {
  const L = [
    `router id ${EXT_ADDR};`,
    'protocol device { scan time 2; }',
    'protocol kernel { scan time 2; ipv4 { import none; export all; }; }',
    'protocol static announced { ipv4; route 203.0.113.0/24 blackhole; }',
  ]
  for (const h of peers) {
    L.push(
      `protocol bgp host_${h.name.replace(/-/g, '_')} {`,
      `  local ${EXT_ADDR} as ${EXT_AS};`,
      `  neighbor ${h.addr} as 64512;`,
      '  connect delay time 1; connect retry time 2; error wait time 1,5;',
      '  ipv4 { import all; export where proto = "announced"; };',
      '}',
    )
  }
  return `${L.join('\n')}\n`
}

describe('BGP cluster of three hosts with node apply: mesh, route reflector, external peer', {skip, timeout: 600_000}, () => {
  const lab = new NetnsLab('bc')
  const scratch = mkdtempSync(join(tmpdir(), 'bird-cluster-netns-'))
  let etcd: TestEtcd
  let run: ReturnType<typeof cliFor>
  let local: ReturnType<typeof cliFor>
  let hosts: Host[] = []
  let ext: {ns: string; dir: string}

  const apply = (h: Host) =>
    run(
      [
        'node', 'apply', '--name', h.name, '--ip', `${h.addr}/24`, '--no-iptables',
        '--bird-config-dir', join(h.dir, 'bird'), '--bird-socket', join(h.dir, 'bird.ctl'), '--lock-file', join(h.dir, 'apply.lock'),
      ],
      {netns: h.ns},
    )

  const applyAll = async () => {
    for (const h of hosts) {
      const r = await apply(h)
      assert.equal(r.code, 0, `node apply on ${h.name}:\n${r.stdout}\n${r.stderr}`)
    }
  }

  const status = async (h: Host) => {
    const r = await run(['node', 'status', '--bird-socket', join(h.dir, 'bird.ctl'), '--status-file', join(h.dir, 'none.json')], {netns: h.ns})
    return r.stdout
  }

  /** Every host has a `proto bird` route to each other host's block via that host. */
  const waitForBlockRoutes = async (stage: string) => {
    for (const h of hosts) {
      for (const o of hosts) {
        if (o === h) continue
        await waitFor(`${stage}: ${h.name} has a proto bird route to ${o.name}'s block ${o.block}`, () =>
          routes(h.ns, 'proto', 'bird').find((x) => x.dst === o.block && x.gateway === o.addr),
        )
      }
    }
  }

  const waitForPeerState = async (stage: string, h: Host, peerIP: string, type: string) => {
    const re = new RegExp(`\\| ${peerIP.replace(/\./g, '\\.')}\\s*\\| ${type}\\s*\\| up\\s*\\|[^|]*\\| Established`)
    let last = ''
    await waitFor(`${stage}: ${h.name} shows ${peerIP} (${type}) Established`, async () => {
      last = await status(h)
      return re.test(last) ? true : undefined
    }).catch((e: Error) => {
      throw new Error(`${e.message}; last node status:\n${last}`)
    })
  }

  before(async () => {
    etcd = await startEtcd()
    run = cliFor(etcd.unixEndpoint)
    local = cliFor(etcd.endpoint)
    // A bridge in its own namespace is the segment; every host has one port on it.
    const sw = lab.addHost('sw')
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', sw, 'link', 'set', 'br0', 'up')
    const attach = (ns: string, port: string, addr: string) => {
      lab.link(ns, 'eth0', `${addr}/24`, sw, port, undefined)
      ip('-n', sw, 'link', 'set', port, 'master', 'br0')
    }
    hosts = ['host-a', 'host-b', 'host-c'].map((name, i) => {
      const addr = `198.51.100.${11 + i}`
      const h: Host = {name, ns: lab.addHost(name.slice(-1)), addr, dir: join(scratch, name), block: ''}
      mkdirSync(h.dir, {recursive: true})
      attach(h.ns, `p${i}`, addr)
      return h
    })
    ext = {ns: lab.addHost('ext'), dir: join(scratch, 'ext')}
    mkdirSync(ext.dir, {recursive: true})
    attach(ext.ns, 'pext', EXT_ADDR)
    const r = await local(['apply', '-f', '-'], {input: POOL})
    assert.equal(r.code, 0, r.stderr)
  })

  after(async () => {
    await lab.cleanup()
    await etcd?.stop()
    rmSync(scratch, {recursive: true, force: true})
  })

  it('node apply claims a block per host and writes BIRD configs; BIRD starts from them', async () => {
    for (const h of hosts) {
      const r = await apply(h)
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
      assert.match(r.stdout, /claimed block 10\.65\.\d+\.\d+\/26 in pool bgp-pool/)
      assert.ok(existsSync(join(h.dir, 'bird', 'bird.cfg')))
      const bh = routes(h.ns, 'proto', '80').filter((x) => x.type === 'blackhole')
      assert.equal(bh.length, 1, JSON.stringify(bh))
      h.block = bh[0]?.dst ?? ''
      assert.match(h.block, /^10\.65\.\d+\.\d+\/26$/)
    }
    assert.equal(new Set(hosts.map((h) => h.block)).size, 3, 'each host has its own block')
    for (const h of hosts) {
      const child = lab.spawnIn(h.ns, 'bird', ['-f', '-c', join(h.dir, 'bird', 'bird.cfg'), '-s', join(h.dir, 'bird.ctl'), '-P', join(h.dir, 'bird.pid')])
      child.stdout?.resume()
      child.stderr?.resume()
    }
    await waitFor('BIRD control sockets', () => (hosts.every((h) => existsSync(join(h.dir, 'bird.ctl'))) ? true : undefined))
    // Configs were written before the other hosts existed: apply again so every host sees the full mesh.
    await applyAll()
  })

  it('full mesh: every session Established and every host installs the other two blocks', async () => {
    for (const h of hosts) for (const o of hosts) if (o !== h) await waitForPeerState('mesh', h, o.addr, 'node-to-node mesh')
    await waitForBlockRoutes('mesh')
  })

  it('mesh off and host-a a route reflector: routes stay', async () => {
    const rr = hosts[0] as Host
    let r = await local(['bgp', 'route-reflector', rr.name, '--cluster-id', '224.0.0.1'])
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    r = await local(['apply', '-f', '-'], {input: RR_PEER})
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    r = await local(['bgp', 'mesh', 'off'])
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    await applyAll()
    for (const h of hosts) {
      const st = await status(h)
      assert.doesNotMatch(st, /node-to-node mesh/, `${h.name} still has mesh sessions after the reload:\n${st}`)
    }
    for (const c of hosts.slice(1)) {
      await waitForPeerState('route reflector', rr, c.addr, 'node specific')
      await waitForPeerState('route reflector', c, rr.addr, 'node specific')
    }
    await waitForBlockRoutes('route reflector')
  })

  it('a global BGPPeer to an external BIRD exchanges routes', async () => {
    const cfg = join(ext.dir, 'bird.conf')
    writeFileSync(cfg, externalBirdConfig(hosts))
    const child = lab.spawnIn(ext.ns, 'bird', ['-f', '-c', cfg, '-s', join(ext.dir, 'bird.ctl'), '-P', join(ext.dir, 'bird.pid')])
    child.stdout?.resume()
    child.stderr?.resume()
    const r = await local(['apply', '-f', '-'], {input: EXT_PEER})
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    await applyAll()
    for (const h of hosts) {
      await waitForPeerState('external peer', h, EXT_ADDR, 'global')
      await waitFor(`${h.name} installs ${EXT_NET} from the external router`, () =>
        routes(h.ns, 'proto', 'bird').find((x) => x.dst === EXT_NET && x.gateway === EXT_ADDR),
      )
    }
    // The external router learns every host's block, via some host on the segment.
    for (const h of hosts) {
      await waitFor(`external router installs ${h.name}'s block ${h.block}`, () =>
        routes(ext.ns, 'proto', 'bird').find((x) => x.dst === h.block && (x.gateway ?? '').startsWith('198.51.100.')),
      )
    }
    // Routes between the hosts are unaffected.
    await waitForBlockRoutes('external peer')
  })
})
