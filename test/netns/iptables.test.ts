// The iptables executor against the real kernel: a host namespace with two pods behind cali
// veths, policy programmed with iptables-restore/ipset inside the host namespace, and real
// pings proving what the rules do. Foreign rules, chains and sets must survive every apply. Run for
// both iptables flavours (nft and legacy), each in its own namespaces.
import assert from 'node:assert/strict'
import {execFile, execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {after, before, describe, test} from 'node:test'

import {
  applyPlan,
  detectIptablesBackend,
  iptablesBinaries,
  planIptables,
  type ResolvedIptablesBackend,
  syncIptables,
} from '../../src/dataplane/iptables/executor.js'
import {buildDesiredState} from '../../src/dataplane/iptables/model.js'
import type {IptablesInput, PolicyInput} from '../../src/dataplane/iptables/types.js'
import type {CommandRunner, RunResult} from '../../src/lib/exec.js'
import {CalicoError} from '../../src/resources/errors.js'
import {allowAll, fakeCompileSelector} from '../fixtures/iptables/input.js'
import {inNs, ip, NetnsLab, netnsSkipReason} from '../helpers/netns.js'

const POD1_IF = 'cali1a2b3c4d5e6'
const POD2_IF = 'cali9f8e7d6c5b4'

/**
 * runCommand's contract, run inside the host namespace. Not runCommand itself: it writes stdin
 * without an 'error' listener, so a program that exits before reading stdin (ipset save,
 * iptables-save) intermittently raises an uncaught EPIPE (reported; src/lib/exec.ts is shared).
 */
function nsRunner(ns: string): CommandRunner {
  return (file, args, opts = {}) =>
    new Promise<RunResult>((resolve, reject) => {
      const child = execFile('ip', ['netns', 'exec', ns, file, ...args], {encoding: 'utf8', env: {...process.env, LC_ALL: 'C'}, maxBuffer: 64 << 20}, (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err)
        resolve({stdout, stderr, exitCode: err ? (err.code as number) : 0})
      })
      child.stdin?.on('error', () => {})
      child.stdin?.end(opts.input ?? '')
    })
}

const denyIcmpFromPod1: PolicyInput = {
  kind: 'GlobalNetworkPolicy',
  name: 'deny-icmp-p1',
  spec: {
    order: 10,
    selector: "app == 'pod2'",
    ingress: [{action: 'Deny', protocol: 'ICMP', source: {selector: "app == 'pod1'"}}],
    types: ['Ingress'],
  },
}

function input(policies: PolicyInput[], iface2 = POD2_IF): IptablesInput {
  return {
    nodeName: 'h1',
    tiers: [],
    policies,
    profiles: [{name: 'kns.default', spec: {}}],
    workloadEndpoints: [
      {name: 'h1-k8s-pod1-eth0', namespace: 'default', labels: {app: 'pod1'}, spec: {node: 'h1', interfaceName: POD1_IF, ipNetworks: ['192.168.1.2/32'], profiles: ['kns.default']}},
      {name: 'h1-k8s-pod2-eth0', namespace: 'default', labels: {app: 'pod2'}, spec: {node: 'h1', interfaceName: iface2, ipNetworks: ['192.168.1.3/32'], profiles: ['kns.default']}},
    ],
    hostEndpoints: [],
    networkSets: [],
    pools: [{cidr: '192.168.0.0/16', natOutgoing: true, ipipMode: 'Always', disabled: false}],
    allHostIPs: ['198.51.100.95', '198.51.100.96'],
    compileSelector: fakeCompileSelector,
  }
}

for (const backend of ['nft', 'legacy'] as const satisfies readonly ResolvedIptablesBackend[]) {
const {save, restore} = iptablesBinaries(backend)
const IPT = `iptables-${backend}` // the same backend for the test's foreign rules
const skip = netnsSkipReason(save, restore, IPT, 'ipset', 'ping', 'sysctl')

describe(`iptables executor in network namespaces (${backend})`, {skip}, () => {
  const lab = new NetnsLab(backend === 'nft' ? 'iptn' : 'iptl')
  let host = ''
  let pod1 = ''
  let pod2 = ''
  let runner: CommandRunner
  let calls: string[] = []

  /** Every table's rules without counters and timestamps. */
  const saveAll = (): string =>
    inNs(host, save, [])
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/\s\[\d+:\d+\]$/, ''))
      .join('\n')
  /** Other tools' user chains and rules (tables and built-in chains come and go with us). */
  const foreignLines = (): string[] =>
    saveAll()
      .split('\n')
      .filter((l) => (l.startsWith('-A ') || / -$/.test(l)) && !l.includes('cali'))
  const ping = (fromNs: string, to: string): boolean => {
    // A pass needs one answer within a few tries; a fail must see no answer at all.
    try {
      inNs(fromNs, 'ping', ['-c', '1', '-W', '1', to])
      return true
    } catch {
      return false
    }
  }
  const pingEventually = (fromNs: string, to: string): boolean => [0, 1, 2].some(() => ping(fromNs, to))

  before(() => {
    host = lab.addHost('h')
    pod1 = lab.addHost('p1')
    pod2 = lab.addHost('p2')
    const ext = lab.addHost('x')
    lab.link(host, 'eth0', '198.51.100.95/24', ext, 'eth0', '198.51.100.96/24')
    ip('-n', host, 'route', 'add', 'default', 'via', '198.51.100.1')
    const workloads = [
      [pod1, POD1_IF, '192.168.1.2'],
      [pod2, POD2_IF, '192.168.1.3'],
    ] as const
    for (const [pod, iface, addr] of workloads) {
      lab.link(host, iface, undefined, pod, 'eth0', `${addr}/32`)
      ip('-n', pod, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link')
      ip('-n', pod, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0')
    }
    // The pods' /32 routes, proxy ARP and forwarding come from the routes executor, as a pass
    // makes them (no sysctl by hand).
    const routes = {
      part: 'routes',
      input: {
        nodeName: 'h', hostInterface: 'eth0', nodeIPv4: '198.51.100.95/24', pools: [], blocks: [], nodes: [{name: 'h', ipv4Address: '198.51.100.95/24'}],
        workloads: workloads.map(([, interfaceName, addr]) => ({ip: addr, interfaceName})),
      },
    }
    execFileSync('ip', ['netns', 'exec', host, process.execPath, '--import', 'tsx', fileURLToPath(new URL('../fixtures/routes/sync-child.ts', import.meta.url))], {input: JSON.stringify(routes)})
    // Another tool's state that must never be touched.
    inNs(host, IPT, ['-N', 'FOREIGN'])
    inNs(host, IPT, ['-A', 'FOREIGN', '-s', '203.0.113.8', '-j', 'RETURN'])
    inNs(host, IPT, ['-A', 'INPUT', '-s', '203.0.113.7', '-j', 'DROP'])
    inNs(host, IPT, ['-A', 'FORWARD', '-j', 'FOREIGN'])
    inNs(host, IPT, ['-t', 'nat', '-A', 'POSTROUTING', '-s', '203.0.113.0/24', '-j', 'RETURN'])
    inNs(host, 'ipset', ['create', 'foreign-set', 'hash:ip'])
    inNs(host, 'ipset', ['add', 'foreign-set', '203.0.113.9'])
    const inHost = nsRunner(host)
    runner = (file, args, opts) => {
      calls.push(file)
      return inHost(file, args, opts)
    }
  })

  after(async () => {
    await lab.cleanup()
  })

  let foreign: string[] = []

  test('baseline: before any apply, the pods reach each other (no rules at all)', () => {
    foreign = foreignLines()
    assert.ok(foreign.includes('-A INPUT -s 203.0.113.7/32 -j DROP'))
    assert.ok(foreign.includes(':FOREIGN -'))
    assert.ok(pingEventually(pod1, '192.168.1.3'))
  })

  test('first apply programs every table; with allow-all the pods ping each other', async () => {
    const r = await syncIptables(input([allowAll]), {runner, backend})
    assert.deepEqual(r.changedTables, ['raw', 'mangle', 'filter', 'nat'])
    // One iptables-restore for all four tables, each committed on its own.
    assert.equal(r.restoreCalls, 1)
    assert.match(inNs(host, save, ['-t', 'raw']), /^-A PREROUTING -m comment --comment "cali:[\w-]{16}" -j cali-PREROUTING$/m)
    assert.match(inNs(host, save, ['-t', 'nat']), /^-A POSTROUTING -m comment --comment "cali:[\w-]{16}" -j cali-POSTROUTING$/m)
    assert.ok(r.ipsetChanges.created.includes('cali40all-hosts-net'))
    const filter = inNs(host, save, ['-t', 'filter'])
    assert.match(filter, /^-A INPUT -m comment --comment "cali:[\w-]{16}" -j cali-INPUT$/m)
    assert.match(filter, new RegExp(`^-A cali-from-wl-dispatch -i ${POD1_IF} .*-g cali-fw-${POD1_IF}$`, 'm'))
    assert.match(inNs(host, 'ipset', ['list', 'cali40all-hosts-net']), /198\.51\.100\.96/)
    assert.deepEqual(foreignLines(), foreign)
    assert.ok(pingEventually(pod1, '192.168.1.3'))
    assert.ok(pingEventually(pod2, '192.168.1.2'))
  })

  test('a second apply with the same input writes nothing', async () => {
    const before = saveAll()
    calls = []
    const r = await syncIptables(input([allowAll]), {runner, backend})
    assert.equal(r.restoreCalls, 0)
    assert.equal(r.ipsetCalls, 0)
    assert.equal(r.script, '')
    assert.deepEqual(r.changedTables, [])
    assert.equal(calls.filter((c) => c === restore).length, 0)
    assert.ok(calls.every((c) => c === save || c === 'ipset'), calls.join(' '))
    assert.equal(saveAll(), before)
  })

  test('denying ICMP from pod1 into pod2 (selector → ipset) stops that ping only', async () => {
    const r = await syncIptables(input([denyIcmpFromPod1, allowAll]), {runner, backend})
    assert.deepEqual(r.changedTables, ['filter'])
    assert.equal(r.ipsetChanges.created.length, 1)
    const setName = r.ipsetChanges.created[0] as string
    assert.match(inNs(host, 'ipset', ['list', setName]), /^192\.168\.1\.2$/m)
    assert.equal(ping(pod1, '192.168.1.3'), false)
    assert.ok(pingEventually(pod2, '192.168.1.2'))
    // pod1 still answers, and the deny rule really counted the dropped echo
    assert.ok(pingEventually(pod2, '192.168.1.2'))
    const counted = inNs(host, save, ['-c', '-t', 'filter']).split('\n').find((l) => l.includes('-p icmp') && l.includes(setName))
    assert.ok(counted && !counted.startsWith('[0:0]'), counted)
    assert.deepEqual(foreignLines(), foreign)
  })

  test('removing the policy restores the ping and destroys the stale set', async () => {
    const r = await syncIptables(input([allowAll]), {runner, backend})
    assert.deepEqual(r.changedTables, ['filter'])
    assert.equal(r.ipsetChanges.destroyed.length, 1)
    assert.ok(pingEventually(pod1, '192.168.1.3'))
    const sets = inNs(host, 'ipset', ['list', '-n']).split('\n')
    assert.equal(sets.includes(r.ipsetChanges.destroyed[0] as string), false)
    assert.ok(sets.includes('foreign-set'))
    assert.deepEqual(foreignLines(), foreign)
  })

  test('a bad interface name is rejected before any command runs', async () => {
    const before = saveAll()
    calls = []
    await assert.rejects(syncIptables(input([allowAll], 'cali9 -j ACCEPT'), {runner, backend}), (e: unknown) => e instanceof CalicoError && /invalid interfaceName/.test(e.message))
    assert.deepEqual(calls, [])
    assert.equal(saveAll(), before)
  })

  test('a restore the kernel rejects leaves that table exactly as it was', async () => {
    const before = saveAll()
    const plan = await planIptables(buildDesiredState(input([denyIcmpFromPod1, allowAll])), {runner, backend})
    const filter = plan.tables.find((t) => t.table === 'filter')
    assert.ok(filter)
    // A reference to a set that does not exist: iptables-restore must fail as a whole.
    filter.script = filter.script.replace(/\nCOMMIT\n$/, `\n-A cali-wl-to-host -m set --match-set cali40s:doesnotexist src -j DROP\nCOMMIT\n`)
    await assert.rejects(applyPlan(plan, {runner, backend}), (e: unknown) => {
      assert.ok(e instanceof CalicoError)
      assert.match(e.message, /^iptables table filter not changed: /)
      assert.ok(!e.message.includes('\n'))
      // It names the rule iptables-restore refused, and not its usage hint.
      assert.ok(e.message.endsWith('[-A cali-wl-to-host -m set --match-set cali40s:doesnotexist src -j DROP]'), e.message)
      assert.ok(!e.message.includes('--help'), e.message)
      return true
    })
    assert.equal(saveAll(), before)
    assert.ok(pingEventually(pod1, '192.168.1.3'))
    // The next pass converges again (and removes the set the failed pass created).
    const r = await syncIptables(input([allowAll]), {runner, backend})
    assert.deepEqual(r.changedTables, [])
    assert.equal(r.ipsetChanges.destroyed.length, 1)
    assert.deepEqual(foreignLines(), foreign)
  })

  test('backend auto is the flavour the system iptables reports', async (t) => {
    const system = await detectIptablesBackend(runner)
    assert.ok(system, 'iptables --version names no flavour')
    if (system !== backend) return t.skip(`not this host's flavour: the system iptables is ${system}, this run tests ${backend}`)
    calls = []
    const r = await syncIptables(input([allowAll]), {runner, backend: 'auto'})
    assert.equal(r.restoreCalls, 0)
    assert.ok(calls.includes(save), calls.join(' '))
  })
})
}
