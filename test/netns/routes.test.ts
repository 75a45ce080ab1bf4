// The routes executor against the real kernel: two hosts on one segment, a pod on each, the
// sync pass run inside each host namespace, the result read back with `ip -j route`.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {after, before, describe, test} from 'node:test'
import type {RouteModelInput} from '../../src/dataplane/routes/model.js'
import {inNs, ip, NetnsLab, netnsSkipReason} from '../helpers/netns.js'

const child = fileURLToPath(new URL('../fixtures/routes/sync-child.ts', import.meta.url))

interface ChildAnswer {
  ok: boolean
  name?: string
  message?: string
  result?: {ops: Array<{op: string; route: {dst: string}}>; applied: number; skipped: Array<{route: {dst: string}; reason: string}>; sysctlChanges: number; ipForwardingEnabled?: boolean}
}

function runSync(ns: string, input: RouteModelInput, dryRun = false): ChildAnswer {
  try {
    const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', child], {
      encoding: 'utf8',
      input: JSON.stringify({part: 'routes', input, dryRun}),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    return JSON.parse(out)
  } catch (err) {
    const e = err as {stdout?: string; stderr?: string}
    if (e.stdout) return JSON.parse(e.stdout)
    throw new Error(`sync child failed: ${e.stderr}`)
  }
}

/** Our routes as `ip` reports them, one normalised line each, sorted. */
function ownedRoutes(ns: string): string[] {
  const rows = JSON.parse(ip('-n', ns, '-j', 'route', 'show', 'proto', '80')) as Array<Record<string, unknown>>
  return rows.map((r) =>
    [r.type === 'blackhole' ? 'blackhole' : '', r.dst, r.gateway ? `via ${r.gateway}` : '', r.dev ? `dev ${r.dev}` : '', r.scope ? `scope ${r.scope}` : '', ...((r.flags as string[]) ?? [])]
      .filter(Boolean)
      .join(' '),
  ).sort()
}

const opLines = (a: ChildAnswer) => (a.result?.ops ?? []).map((o) => `${o.op} ${o.route.dst}`)

const skip = netnsSkipReason('ping', 'sysctl')

describe('routes executor in network namespaces', {skip}, () => {
  const lab = new NetnsLab('rt')
  let hostA = ''
  let hostB = ''
  let podA = ''
  let podB = ''

  const model = (self: 'a' | 'b', ipipMode: 'Always' | 'CrossSubnet' | 'Never'): RouteModelInput => ({
    nodeName: self,
    hostInterface: 'eth0',
    nodeIPv4: self === 'a' ? '198.51.100.95/24' : '198.51.100.96/24',
    pools: [{name: 'default-ipv4-ippool', cidr: '192.168.0.0/16', ipipMode, vxlanMode: 'Never', disabled: false, blockSize: 26}],
    blocks: [
      {cidr: '192.168.1.0/26', affinityNode: 'a'},
      {cidr: '192.168.2.0/26', affinityNode: 'b'},
      {cidr: '192.168.3.0/26', affinityNode: 'far'},
    ],
    nodes: [
      {name: 'a', ipv4Address: '198.51.100.95/24'},
      {name: 'b', ipv4Address: '198.51.100.96/24'},
      {name: 'far', ipv4Address: '203.0.113.7/24'},
    ],
    workloads: self === 'a' ? [{ip: '192.168.1.2', interfaceName: 'cali0a1'}] : [{ip: '192.168.2.2', interfaceName: 'cali0b1'}],
  })

  before(() => {
    hostA = lab.addHost('a')
    hostB = lab.addHost('b')
    podA = lab.addHost('pa')
    podB = lab.addHost('pb')
    lab.link(hostA, 'eth0', '198.51.100.95/24', hostB, 'eth0', '198.51.100.96/24')
    lab.link(hostA, 'cali0a1', undefined, podA, 'eth0', '192.168.1.2/32')
    lab.link(hostB, 'cali0b1', undefined, podB, 'eth0', '192.168.2.2/32')
    for (const pod of [podA, podB]) {
      // What the CNI plugin gives a pod: a link-local gateway answered by the host's proxy ARP.
      ip('-n', pod, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link')
      ip('-n', pod, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0')
    }
    for (const host of [hostA, hostB]) {
      // Proxy ARP answers only for addresses the host can route, hence a default route. No
      // forwarding sysctl by hand: a fresh namespace starts with ip_forward 0 and the sync turns it on.
      ip('-n', host, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth0')
      assert.equal(inNs(host, 'cat', ['/proc/sys/net/ipv4/ip_forward']).trim(), '0')
    }
    // Routes the tool does not own, and one stale route it does.
    ip('-n', hostA, 'route', 'add', '203.0.113.0/24', 'dev', 'eth0')
    ip('-n', hostA, 'route', 'add', '10.10.0.0/16', 'via', '198.51.100.1', 'proto', 'static')
    ip('-n', hostA, 'route', 'add', 'blackhole', '192.168.200.0/26', 'proto', '80')
  })

  after(async () => {
    await lab.cleanup()
  })

  test('first pass programs blackhole, same-subnet onlink and workload routes and removes the stale one', () => {
    const a = runSync(hostA, model('a', 'CrossSubnet'))
    assert.equal(a.ok, true, a.message)
    assert.deepEqual(opLines(a), ['delete 192.168.200.0/26', 'add 192.168.1.0/26', 'add 192.168.1.2/32', 'add 192.168.2.0/26'])
    assert.equal(a.result?.applied, 4 + (a.result?.sysctlChanges ?? 0))
    // The remote node in another subnet needs tunl0, which this kernel cannot have.
    assert.deepEqual(a.result?.skipped.map((s) => `${s.route.dst}: ${s.reason}`), ['192.168.3.0/26: device tunl0 does not exist'])
    assert.deepEqual(ownedRoutes(hostA), [
      '192.168.1.2 dev cali0a1 scope link',
      '192.168.2.0/26 via 198.51.100.96 dev eth0 onlink',
      'blackhole 192.168.1.0/26',
    ])
    assert.equal(inNs(hostA, 'cat', ['/proc/sys/net/ipv4/conf/cali0a1/proxy_arp']).trim(), '1')
    // As Felix: forwarding on for the host and on the workload interface.
    assert.equal(inNs(hostA, 'cat', ['/proc/sys/net/ipv4/ip_forward']).trim(), '1')
    assert.equal(inNs(hostA, 'cat', ['/proc/sys/net/ipv4/conf/cali0a1/forwarding']).trim(), '1')
    assert.equal(a.result?.ipForwardingEnabled, true)
  })

  test('routes the tool does not own are untouched', () => {
    assert.match(ip('-n', hostA, 'route', 'show', '203.0.113.0/24'), /^203\.0\.113\.0\/24 dev eth0 scope link/)
    assert.match(ip('-n', hostA, 'route', 'show', '10.10.0.0/16'), /^10\.10\.0\.0\/16 via 198\.51\.100\.1 dev eth0 proto static/)
    assert.match(ip('-n', hostA, 'route', 'show', 'default'), /^default via 198\.51\.100\.1 dev eth0/)
  })

  test('pod to pod across the hosts over the programmed routes', () => {
    const b = runSync(hostB, model('b', 'CrossSubnet'))
    assert.equal(b.ok, true, b.message)
    assert.deepEqual(ownedRoutes(hostB), [
      '192.168.1.0/26 via 198.51.100.95 dev eth0 onlink',
      '192.168.2.2 dev cali0b1 scope link',
      'blackhole 192.168.2.0/26',
    ])
    // Exit status 0 means replies came back: proxy ARP, /32 routes and block routes all work.
    inNs(podA, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '192.168.2.2'])
  })

  test('a second pass against an unchanged model writes nothing', () => {
    const again = runSync(hostA, model('a', 'CrossSubnet'))
    assert.equal(again.ok, true, again.message)
    assert.deepEqual(again.result?.ops, [])
    assert.equal(again.result?.applied, 0)
    assert.equal(again.result?.sysctlChanges, 0)
  })

  test('a dry run plans the switch to Never without touching the kernel', () => {
    const before = ownedRoutes(hostA)
    const dry = runSync(hostA, model('a', 'Never'), true)
    assert.equal(dry.ok, true, dry.message)
    assert.deepEqual(opLines(dry), ['delete 192.168.2.0/26'])
    assert.equal(dry.result?.applied, 0)
    assert.deepEqual(ownedRoutes(hostA), before)
  })

  test('switching the pool to Never removes our route to the remote block and nothing else', () => {
    const never = runSync(hostA, model('a', 'Never'))
    assert.equal(never.ok, true, never.message)
    assert.deepEqual(opLines(never), ['delete 192.168.2.0/26'])
    assert.deepEqual(ownedRoutes(hostA), ['192.168.1.2 dev cali0a1 scope link', 'blackhole 192.168.1.0/26'])
    assert.match(ip('-n', hostA, 'route', 'show', '10.10.0.0/16'), /proto static/)
    assert.match(ip('-n', hostA, 'route', 'show', '203.0.113.0/24'), /dev eth0/)
  })

  test('a route for our destination that we do not own is reported, not replaced', () => {
    ip('-n', hostA, 'route', 'add', '192.168.2.0/26', 'via', '198.51.100.1', 'proto', 'static')
    const res = runSync(hostA, model('a', 'CrossSubnet'))
    assert.equal(res.ok, false)
    assert.equal(res.name, 'RouteSyncError')
    assert.match(res.message ?? '', /route add 192\.168\.2\.0\/26 .*calicoctl does not own is in the way/)
    assert.match(ip('-n', hostA, 'route', 'show', '192.168.2.0/26'), /via 198\.51\.100\.1 dev eth0 proto static/)
    assert.doesNotMatch(ip('-n', hostA, 'route', 'show', 'proto', '80'), /192\.168\.2\.0/)
  })
})
