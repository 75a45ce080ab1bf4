// The seed scenario's BGP half end to end through the built CLI: two hosts (network namespaces on
// one segment), etcd over its unix socket, `workload add` on each host, `node apply` programming
// routes, iptables and BIRD; pods ping each other over BGP-learned routes, a second apply changes
// nothing, a GlobalNetworkPolicy stops the ping until it is deleted, and an IPIP pool on this
// kernel (no ipip module) fails only the tunl0 part.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {showProtocols} from '../../src/dataplane/bird/index.js'
import {birdPrefixes} from '../helpers/bird.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {inNs, ip, NetnsLab, netnsSkipReason, waitFor} from '../helpers/netns.js'

const skip = netnsSkipReason('bird', 'ping', 'sysctl', 'etcd', 'nsenter', 'iptables-nft-restore', 'ipset')

interface Host {
  name: string
  ns: string
  addr: string
  pod: string
  dir: string
}

interface RouteJson {
  dst: string
  gateway?: string
  dev?: string
  protocol?: string
  type?: string
  scope?: string
}

function routes(ns: string, ...filter: string[]): RouteJson[] {
  return JSON.parse(ip('-j', '-n', ns, 'route', 'show', ...filter) || '[]') as RouteJson[]
}


function pings(fromNs: string, to: string): boolean {
  try {
    inNs(fromNs, 'ping', ['-c', '1', '-W', '1', to])
    return true
  } catch {
    return false
  }
}

const POOL = (ipipMode: string) => `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 192.168.0.0/16
  blockSize: 26
  ipipMode: ${ipipMode}
  natOutgoing: false
  nodeSelector: all()
`

const DENY_ICMP = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-icmp-pod2
spec:
  selector: app == 'pod2'
  types: [Ingress]
  ingress:
    - action: Deny
      protocol: ICMP
    - action: Allow
`

describe('node apply and workloads on two hosts (BGP, ipipMode Never)', {skip, timeout: 300_000}, () => {
  const lab = new NetnsLab('na')
  const scratch = mkdtempSync(join(tmpdir(), 'node-apply-netns-'))
  let etcd: TestEtcd
  let run: ReturnType<typeof cliFor>
  let local: ReturnType<typeof cliFor>
  let master: Host
  let node: Host
  const podIP: Record<string, string> = {}

  const apply = (h: Host, ...extra: string[]) =>
    run(
      [
        'node', 'apply', '--name', h.name, '--ip', `${h.addr}/24`,
        '--bird-config-dir', join(h.dir, 'bird'), '--bird-socket', join(h.dir, 'bird.ctl'), '--lock-file', join(h.dir, 'apply.lock'),
        ...extra,
      ],
      {netns: h.ns},
    )

  before(async () => {
    etcd = await startEtcd()
    run = cliFor(etcd.unixEndpoint)
    local = cliFor(etcd.endpoint)
    const mk = (name: string, short: string, addr: string): Host => {
      const dir = join(scratch, name)
      return {name, ns: lab.addHost(short), addr, pod: lab.addHost(`${short}p`), dir}
    }
    master = mk('master', 'm', '198.51.100.95')
    node = mk('node', 'n', '198.51.100.96')
    lab.link(master.ns, 'eth0', '198.51.100.95/24', node.ns, 'eth0', '198.51.100.96/24')
    for (const h of [master, node]) {
      // A default route via an unused address, so proxy ARP answers for 169.254.1.1.
      ip('-n', h.ns, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth0')
    }
    const r = await local(['apply', '-f', '-'], {input: POOL('Never')})
    assert.equal(r.code, 0, r.stderr)
  })

  after(async () => {
    await lab.cleanup()
    await etcd?.stop()
    rmSync(scratch, {recursive: true, force: true})
  })

  it('first apply registers the nodes, claims blocks and writes the BIRD config', async () => {
    for (const h of [master, node]) {
      const r = await apply(h)
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
      assert.match(r.stdout, new RegExp(`created Node ${h.name}`))
      assert.match(r.stdout, /claimed block 192\.168\.\d+\.\d+\/26 in pool default-ipv4-ippool/)
      assert.match(r.stdout, /blackhole 192\.168\./)
      assert.match(r.stdout, /BIRD is not running/)
      assert.ok(existsSync(join(h.dir, 'bird', 'bird.cfg')))
    }
    const got = await local(['get', 'nodes', '-o', 'wide'])
    assert.match(got.stdout, /master\s+\(64512\)\s+198\.51\.100\.95\/24/)
  })

  it('workload add wires a pod on each host', async () => {
    for (const [h, pod] of [[master, 'pod1'], [node, 'pod2']] as const) {
      const r = await run(['workload', 'add', pod, '--netns', h.pod, '--node', h.name, '--labels', `app=${pod}`, '-o', 'json'], {netns: h.ns})
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
      const w = JSON.parse(r.stdout) as {ip: string; interfaceName: string}
      assert.match(w.interfaceName, /^cali[0-9a-f]{11}$/)
      podIP[pod] = w.ip.split('/')[0] ?? ''
      // Pod side: /32 on eth0, default via 169.254.1.1.
      const podRoutes = routes(h.pod)
      assert.ok(podRoutes.some((x) => x.dst === 'default' && x.gateway === '169.254.1.1' && x.dev === 'eth0'), JSON.stringify(podRoutes))
      // Host side: the /32 route, owned by protocol 80; proxy ARP on.
      const hostRoutes = routes(h.ns, 'proto', '80')
      assert.ok(hostRoutes.some((x) => x.dst === podIP[pod] && x.dev === w.interfaceName && x.scope === 'link'), JSON.stringify(hostRoutes))
      assert.equal(inNs(h.ns, 'sysctl', ['-n', `net.ipv4.conf.${w.interfaceName}.proxy_arp`]).trim(), '1')
    }
    const list = await run(['workload', 'list', '--all-nodes'])
    assert.match(list.stdout, /pod1/)
    assert.match(list.stdout, /pod2/)
  })

  it('with BIRD running, pods ping each other over BGP routes', async () => {
    for (const h of [master, node]) {
      const child = lab.spawnIn(h.ns, 'bird', ['-f', '-c', join(h.dir, 'bird', 'bird.cfg'), '-s', join(h.dir, 'bird.ctl'), '-P', join(h.dir, 'bird.pid')])
      child.stdout?.resume()
      child.stderr?.resume()
    }
    await waitFor('BIRD sockets', () => (existsSync(join(master.dir, 'bird.ctl')) && existsSync(join(node.dir, 'bird.ctl')) ? true : undefined))
    for (const h of [master, node]) {
      const r = await apply(h)
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
      // The new workload's endpoint chains are in place now: its pod reaches the host through
      // 169.254.1.1 (answered by proxy ARP on the cali interface).
      assert.match(r.stdout, /iptables:/)
      assert.ok(pings(h.pod, h.addr), `the pod on ${h.name} cannot ping its host`)
    }
    const blockOf = (ipText: string) => `${ipText.split('.').slice(0, 3).join('.')}.${Number(ipText.split('.')[3]) & ~63}/26`
    await waitFor('proto bird route to pod2 block on master', () =>
      routes(master.ns, 'proto', 'bird').find((x) => x.dst === blockOf(podIP.pod2 ?? '') && x.gateway === node.addr && x.dev === 'eth0'),
    )
    await waitFor('proto bird route to pod1 block on node', () =>
      routes(node.ns, 'proto', 'bird').find((x) => x.dst === blockOf(podIP.pod1 ?? '') && x.gateway === master.addr),
    )
    // Our own blocks are blackholes owned by protocol 80.
    assert.ok(routes(master.ns, 'proto', '80').some((x) => x.type === 'blackhole' && x.dst === blockOf(podIP.pod1 ?? '')))
    await waitFor('pod1 pings pod2', () => (pings(master.pod, podIP.pod2 ?? '') ? true : undefined))
    assert.ok(pings(node.pod, podIP.pod1 ?? ''), 'pod2 cannot ping pod1')

    const status = await run(['node', 'status', '--bird-socket', join(master.dir, 'bird.ctl'), '--status-file', join(master.dir, 'none.json')], {netns: master.ns})
    assert.match(status.stdout, /198\.51\.100\.96 \| node-to-node mesh \| up/)
  })

  it('a second apply against an unchanged datastore changes nothing', async () => {
    for (const h of [master, node]) {
      const r = await apply(h)
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
      assert.equal(r.stdout.trim(), 'no changes')
      const j = await apply(h, '-o', 'json')
      const res = JSON.parse(j.stdout) as {changed: boolean; parts: Array<{part: string; detail?: {restoreCalls?: number; reloaded?: boolean; applied?: number}}>}
      assert.equal(res.changed, false)
      assert.equal(res.parts.find((p) => p.part === 'iptables')?.detail?.restoreCalls, 0)
      assert.equal(res.parts.find((p) => p.part === 'bird')?.detail?.reloaded, false)
      assert.equal(res.parts.find((p) => p.part === 'routes')?.detail?.applied, 0)
    }
  })

  it('a GlobalNetworkPolicy denying ICMP into pod2 stops the ping until deleted', async () => {
    const r = await local(['apply', '-f', '-'], {input: DENY_ICMP})
    assert.equal(r.code, 0, r.stderr)
    const a = await apply(node)
    assert.equal(a.code, 0, `${a.stdout}\n${a.stderr}`)
    assert.match(a.stdout, /iptables:/)
    assert.equal(pings(master.pod, podIP.pod2 ?? ''), false, 'ping went through despite the policy')
    assert.equal(pings(master.pod, podIP.pod2 ?? ''), false, 'ping went through despite the policy')
    const d = await local(['delete', 'globalnetworkpolicy', 'deny-icmp-pod2'])
    assert.equal(d.code, 0, d.stderr)
    const b = await apply(node)
    assert.equal(b.code, 0, `${b.stdout}\n${b.stderr}`)
    await waitFor('ping after the policy is gone', () => (pings(master.pod, podIP.pod2 ?? '') ? true : undefined), 20_000)
  })

  it('a BGPFilter on a BGPPeer keeps pod1\'s block from the peer until the filter is gone', async () => {
    const blockOf = (ipText: string) => `${ipText.split('.').slice(0, 3).join('.')}.${Number(ipText.split('.')[3]) & ~63}/26`
    const block1 = blockOf(podIP.pod1 ?? '')
    const onNode = () => routes(node.ns, 'proto', 'bird').some((x) => x.dst === block1)
    assert.ok(onNode(), 'pod1 block learned before the filter')
    const masterSocket = join(master.dir, 'bird.ctl')
    assert.ok((await birdPrefixes(masterSocket, 'show route export Mesh_198_51_100_96')).includes(block1))
    const r = await local(['apply', '-f', '-'], {
      input: `apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata: {name: hide-pod1}
spec:
  exportV4: [{cidr: ${block1}, matchOperator: Equal, action: Reject}]
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: master-to-node}
spec: {node: master, peerIP: ${node.addr}, asNumber: 64512, filters: [hide-pod1]}
`,
    })
    assert.equal(r.code, 0, r.stderr)
    const a = await apply(master)
    assert.equal(a.code, 0, `${a.stdout}\n${a.stderr}`)
    assert.match(readFileSync(join(master.dir, 'bird', 'bird.cfg'), 'utf8'), /'bgp_hide-pod1_exportFilterV4'\(\);\n\s+calico_export_to_bgp_peers\(true\);/)
    // The peer's own session now carries the filter: once it is up, BIRD exports everything but pod1's block.
    await waitFor('master-to-node session up', async () => ((await showProtocols(masterSocket)).find((p) => p.name === 'Node_198_51_100_96')?.info.startsWith('Established') ? true : undefined), 60_000)
    assert.ok(!(await birdPrefixes(masterSocket, 'show route export Node_198_51_100_96')).includes(block1))
    await waitFor('pod1 block withdrawn from node', () => (onNode() ? undefined : true), 60_000)
    assert.equal((await local(['delete', 'bgppeer', 'master-to-node'])).code, 0)
    assert.equal((await local(['delete', 'bgpfilter', 'hide-pod1'])).code, 0)
    assert.equal((await apply(master)).code, 0)
    await waitFor('pod1 block back on node', () => (onNode() ? true : undefined), 60_000)
  })

  it('an IPIP pool fails only the tunl0 part on a kernel without IPIP', async () => {
    const r = await local(['apply', '-f', '-'], {input: POOL('Always')})
    assert.equal(r.code, 0, r.stderr)
    const a = await apply(master)
    assert.equal(a.code, 1, `${a.stdout}\n${a.stderr}`)
    assert.match(a.stderr, /^tunnel: tunl0 is not available: this kernel has no IPIP support/m)
    assert.doesNotMatch(a.stderr, /^(node|ipam|routes|iptables|bird):/m)
    // The rest of the pass still ran: tunnel address allocated and stored, BIRD config rewritten.
    assert.match(a.stdout, /allocated IPIP tunnel address 192\.168\./)
    assert.match(a.stdout, /bird:/)
    const n = await local(['get', 'node', 'master', '-o', 'json'])
    assert.match(JSON.parse(n.stdout).spec.bgp.ipv4IPIPTunnelAddr, /^192\.168\./)
    // Back to Never: the tunnel address is released again.
    await local(['apply', '-f', '-'], {input: POOL('Never')})
    const b = await apply(master)
    assert.equal(b.code, 0, `${b.stdout}\n${b.stderr}`)
    assert.match(b.stdout, /released IPIP tunnel address/)
  })

  it('workload remove undoes everything and releases the address', async () => {
    const r = await run(['workload', 'remove', 'pod1', '--node', 'master'], {netns: master.ns})
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    assert.equal(routes(master.ns, 'proto', '80').some((x) => x.dst === podIP.pod1), false)
    assert.equal(ip('-n', master.ns, '-br', 'link').includes('cali'), false)
    const wl = await local(['get', 'workloadendpoints', '-A'])
    assert.doesNotMatch(wl.stdout, /pod1/)
    const again = await run(['workload', 'remove', 'pod1', '--node', 'master'], {netns: master.ns})
    assert.equal(again.code, 1)
  })

  it("a one-shot apply keeps a new device's route that no endpoint explains yet, and deletes it once the device is old", async () => {
    // As `workload add` leaves it between writing the route and the WorkloadEndpoint: a cali
    // device with an owned /32 route and no endpoint in the datastore.
    const dev = 'cali00000000a01'
    ip('-n', master.ns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', 'tmp00000000a01')
    ip('-n', master.ns, 'link', 'set', dev, 'up')
    ip('-n', master.ns, 'route', 'add', '192.168.250.7/32', 'dev', dev, 'proto', '80', 'scope', 'link')
    const held = await apply(master)
    assert.equal(held.code, 0, `${held.stdout}\n${held.stderr}`)
    assert.match(held.stdout, /routes: kept for now: 192\.168\.250\.7\/32 dev cali00000000a01/)
    assert.ok(routes(master.ns, 'proto', '80').some((x) => x.dst === '192.168.250.7' && x.dev === dev), 'the new device lost its route')
    // The device ages are kept beside the lock file: make this device a minute older, as if
    // that apply had run a minute ago, and the route still has no endpoint: it goes.
    const file = join(master.dir, 'apply.lock.interfaces.json')
    const ages = JSON.parse(readFileSync(file, 'utf8')) as Array<{name: string; at: number}>
    const mine = ages.find((a) => a.name === dev)
    assert.ok(mine, `no age kept for ${dev}: ${JSON.stringify(ages)}`)
    mine.at -= 60_000
    writeFileSync(file, JSON.stringify(ages))
    const gone = await apply(master)
    assert.equal(gone.code, 0, `${gone.stdout}\n${gone.stderr}`)
    assert.match(gone.stdout, /delete 192\.168\.250\.7\/32 dev cali00000000a01/)
    assert.equal(routes(master.ns, 'proto', '80').some((x) => x.dst === '192.168.250.7'), false)
    ip('-n', master.ns, 'link', 'del', dev)
  })
})
