// --wait, node list and node explain --live against two real hosts: "master" and "node" network
// namespaces on one segment, etcd over its unix socket, `calicoctl node run` (with BIRD) on each,
// pool in BGP mode (ipipMode Never: this kernel has no IPIP), a pod on each host. A write with
// --wait (ippool create, apply, ippool mode cross-subnet/bgp) returns only once both hosts have
// programmed it: the kernel is read right after the command returns, never polled. A stopped
// agent is left out of the wait, a frozen one makes the wait fail naming it. `node explain
// --live` agrees with the kernel (BGP, same-subnet and blackhole routes), shows the rule
// counters the ping moved, and flags a route the host lost.
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {lengthLimitedName} from '../../src/dataplane/iptables/render.js'
import {NodeRunAgent} from '../helpers/agent.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {inNs, ip, NetnsLab, netnsSkipReason, waitFor} from '../helpers/netns.js'

const skip = netnsSkipReason('bird', 'ping', 'sysctl', 'etcd', 'iptables-save', 'ipset')

interface Host {
  name: string
  ns: string
  addr: string
  pod: string
  dir: string
  agent?: Agent
}

interface Agent {
  child: ChildProcess
  log: string[]
  exit: Promise<number | null>
}

interface RouteJson {
  dst: string
  gateway?: string
  dev?: string
  protocol?: string
  type?: string
  flags?: string[]
}

const routes = (ns: string, ...filter: string[]) => JSON.parse(ip('-j', '-n', ns, 'route', 'show', ...filter) || '[]') as RouteJson[]


function pings(fromNs: string, to: string, count = 1): boolean {
  try {
    inNs(fromNs, 'ping', ['-c', String(count), '-i', '0.2', '-W', '1', to])
    return true
  } catch {
    return false
  }
}

const EXTRA_CIDR = '10.66.0.0/16'
const inExtra = (dst: string) => dst.startsWith('10.66.')

// Selects both pods, so both hosts render its chain; allows the pings.
const ALLOW_ICMP = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-icmp
spec:
  selector: has(app)
  types: [Ingress]
  ingress:
    - action: Allow
      protocol: ICMP
    - action: Allow
`
const POLICY_CHAIN = lengthLimitedName('cali-pi-', 'default/allow-icmp')

interface LiveJson {
  verdict: string
  live: {
    node: string
    route?: {lookup: string; expected: {via: string; gateway?: string}; actual: {gateway?: string; dev?: string; protocol?: string; error?: string}; match: boolean; differences: string[]}
    counters: Array<{chain: string; present: boolean; rules: Array<{packets: number; inModel: boolean; description: string}>; differences: string[]}>
    decisions: Array<{direction: string; owner: string; rule: number; action: string; packets?: number}>
    differences: string[]
  }
}

describe('--wait, node list and node explain --live on two hosts running node run', {skip, timeout: 420_000}, () => {
  const lab = new NetnsLab('sw')
  const scratch = mkdtempSync(join(tmpdir(), 'shortcuts-wait-'))
  let etcd: TestEtcd
  let run: ReturnType<typeof cliFor>
  let master: Host
  let node: Host
  const pod: Record<string, {ip: string; iface: string}> = {}
  const agents: Agent[] = []
  let writeRevision = 0n

  const startAgent = (h: Host): Agent => {
    const agent = new NodeRunAgent({
      ns: h.ns, name: h.name, ip: `${h.addr}/24`, dir: h.dir, endpoints: etcd.unixEndpoint,
      extraArgs: ['--bird-timers', 'fast', '--check-interval', '1s'],
    })
    agents.push(agent)
    h.agent = agent
    return agent
  }

  const alive = (a: Agent | undefined): boolean => !!a && a.child.exitCode === null && a.child.signalCode === null

  const stopAgent = async (a: Agent | undefined): Promise<number | null> => {
    if (!a || !alive(a)) return a ? a.child.exitCode : null
    // A frozen agent must run again to handle SIGTERM.
    a.child.kill('SIGCONT')
    a.child.kill('SIGTERM')
    const code = await Promise.race([a.exit, new Promise<number | null>((r) => setTimeout(() => r(-1), 15_000))])
    if (alive(a)) a.child.kill('SIGKILL')
    return code
  }

  const blockOf = (ipText: string) => `${ipText.split('.').slice(0, 3).join('.')}.${Number(ipText.split('.')[3]) & ~63}/26`
  const filterTable = (h: Host) => inNs(h.ns, 'iptables-save', ['-t', 'filter'])
  const appliedRevision = (stderr: string) => {
    const m = /(\d+) node\(s\) applied revision (\d+)/.exec(stderr)
    assert.ok(m, `no "applied revision" line in:\n${stderr}`)
    return {nodes: Number(m[1]), revision: BigInt(m[2]!)}
  }

  before(async () => {
    etcd = await startEtcd()
    run = cliFor(etcd.unixEndpoint)
    const mk = (name: string, short: string, addr: string): Host => ({name, ns: lab.addHost(short), addr, pod: lab.addHost(`${short}p`), dir: join(scratch, name)})
    master = mk('master', 'm', '198.51.100.95')
    node = mk('node', 'n', '198.51.100.96')
    lab.link(master.ns, 'eth0', '198.51.100.95/24', node.ns, 'eth0', '198.51.100.96/24')
    for (const h of [master, node]) {
      // A default route via an unused address, so proxy ARP answers for 169.254.1.1.
      ip('-n', h.ns, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth0')
    }
    const r = await run(['ippool', 'create', 'default-ipv4-ippool', '--cidr', '192.168.0.0/16', '--ipip-mode', 'Never', '--block-size', '26'])
    assert.equal(r.code, 0, r.stderr)
  })

  after(async () => {
    for (const a of agents) await stopAgent(a)
    await lab.cleanup()
    await etcd?.stop()
    rmSync(scratch, {recursive: true, force: true})
  })

  it('agents start on both hosts and node list shows them running', async () => {
    for (const h of [master, node]) startAgent(h)
    for (const h of [master, node]) {
      await waitFor(`${h.name} status file`, () => {
        const s = existsSync(join(h.dir, 'status.json')) ? JSON.parse(readFileSync(join(h.dir, 'status.json'), 'utf8')) : undefined
        return s?.state === 'running' && s.passes >= 1 ? s : undefined
      })
    }
    const list = await waitFor('both agents in node list', async () => {
      const l = await run(['node', 'list'])
      return /^master\s+running\s+\d+/m.test(l.stdout) && /^node\s+running\s+\d+/m.test(l.stdout) ? l : undefined
    })
    assert.match(list.stdout, /^NAME\s+AGENT\s+APPLIED REVISION\s+TIME\s+RESULT/)
  })

  it('pods on each host ping each other over BGP routes', async () => {
    for (const [h, name] of [[master, 'pod1'], [node, 'pod2']] as const) {
      const r = await run(['workload', 'add', name, '--netns', h.pod, '--node', h.name, '--labels', `app=${name}`, '-o', 'json'], {netns: h.ns})
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
      const w = JSON.parse(r.stdout) as {ip: string; interfaceName: string}
      pod[name] = {ip: w.ip.split('/')[0] ?? '', iface: w.interfaceName}
    }
    await waitFor('proto bird route to pod2 block on master', () =>
      routes(master.ns, 'proto', 'bird').find((x) => x.dst === blockOf(pod.pod2!.ip) && x.gateway === node.addr),
    )
    await waitFor('pod1 pings pod2', () => (pings(master.pod, pod.pod2!.ip) ? true : undefined))
    assert.ok(pings(node.pod, pod.pod1!.ip), 'pod2 cannot ping pod1')
  })

  it('ippool create --wait returns only when both hosts have routed and announced the new pool', async () => {
    for (const h of [master, node]) assert.equal(routes(h.ns, 'proto', '80').some((x) => inExtra(x.dst)), false)
    const r = await run(['ippool', 'create', 'extra', '--cidr', EXTRA_CIDR, '--ipip-mode', 'Never', '--block-size', '26', '--wait=60s'])
    // Read both kernels first, before anything else can let the agents catch up.
    const after = {master: routes(master.ns, 'proto', '80'), node: routes(node.ns, 'proto', '80')}
    const birdCfg = {master: readFileSync(join(master.dir, 'bird', 'bird.cfg'), 'utf8'), node: readFileSync(join(node.dir, 'bird', 'bird.cfg'), 'utf8')}
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    const w = appliedRevision(r.stderr)
    assert.equal(w.nodes, 2, r.stderr)
    writeRevision = w.revision
    assert.match(r.stderr, /waiting for revision \d+/)
    // Each host claimed a block in the new pool and holds its blackhole; BIRD announces it.
    for (const h of ['master', 'node'] as const) {
      const hole = after[h].find((x) => x.type === 'blackhole' && inExtra(x.dst))
      assert.ok(hole, `${h}: no blackhole for a block of ${EXTRA_CIDR} when --wait returned: ${JSON.stringify(after[h])}`)
      assert.ok(birdCfg[h].includes(`route ${hole.dst} blackhole;`), `${h}: bird.cfg does not announce ${hole.dst}`)
    }
    assert.notEqual(after.master.find((x) => inExtra(x.dst))?.dst, after.node.find((x) => inExtra(x.dst))?.dst)
  })

  it('node list shows both nodes at or past the revision of the write', async () => {
    const r = await run(['node', 'list', '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    const j = JSON.parse(r.stdout) as {revision: string; nodes: Array<{node: string; agent: string; revision: string; result: string}>}
    for (const name of ['master', 'node']) {
      const row = j.nodes.find((n) => n.node === name)
      assert.ok(row, `${name} missing from node list: ${r.stdout}`)
      assert.equal(row.agent, 'running')
      assert.equal(row.result, 'ok')
      assert.ok(BigInt(row.revision) >= writeRevision, `${name} at ${row.revision}, write was ${writeRevision}`)
    }
    const table = await run(['node', 'list'])
    assert.match(table.stdout, /^master\s+running\s+\d+\s+\S+\s+ok\s*$/m)
    assert.match(table.stdout, /^node\s+running\s+\d+\s+\S+\s+ok\s*$/m)
  })

  it('apply --wait returns with the policy chain already in both hosts\' iptables', async () => {
    for (const h of [master, node]) assert.equal(filterTable(h).includes(`:${POLICY_CHAIN} `), false)
    const r = await run(['apply', '-f', '-', '--wait'], {input: ALLOW_ICMP})
    const saved = {master: filterTable(master), node: filterTable(node)}
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    assert.equal(appliedRevision(r.stderr).nodes, 2, r.stderr)
    for (const h of ['master', 'node'] as const) {
      assert.ok(saved[h].includes(`:${POLICY_CHAIN} `), `${h}: no ${POLICY_CHAIN} when apply --wait returned`)
      // The endpoint chain of the host's pod calls it.
      const iface = h === 'master' ? pod.pod1!.iface : pod.pod2!.iface
      assert.ok(saved[h].split('\n').some((l) => l.startsWith(`-A cali-tw-${iface} `) && l.includes(`-j ${POLICY_CHAIN}`)), `${h}: cali-tw-${iface} does not call ${POLICY_CHAIN}`)
    }
  })

  it('node explain --live on master: the route matches the kernel and the ping shows in the counters', async () => {
    assert.ok(pings(master.pod, pod.pod2!.ip, 3), 'pod1 cannot ping pod2')
    const r = await run(['node', 'explain', 'pod1', 'pod2', '--live', '--name', 'master', '-o', 'json'], {netns: master.ns})
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    const j = JSON.parse(r.stdout) as LiveJson
    assert.equal(j.verdict, 'Allow')
    assert.equal(j.live.node, 'master')
    const route = j.live.route
    assert.ok(route, r.stdout)
    assert.equal(route.lookup, `ip route get ${pod.pod2!.ip} from ${pod.pod1!.ip} iif ${pod.pod1!.iface}`)
    assert.equal(route.expected.via, 'bgp')
    assert.equal(route.actual.gateway, node.addr)
    assert.equal(route.actual.dev, 'eth0')
    assert.equal(route.actual.protocol, 'bird')
    assert.equal(route.match, true, JSON.stringify(route))
    assert.deepEqual(j.live.differences, [])
    const fw = j.live.counters.find((c) => c.chain === `cali-fw-${pod.pod1!.iface}`)
    assert.ok(fw?.present, JSON.stringify(j.live.counters))
    assert.ok(fw.rules.length > 0 && fw.rules.every((x) => x.inModel), JSON.stringify(fw))
    assert.ok(fw.rules.some((x) => x.packets > 0), `no packets counted in ${fw.chain}: ${JSON.stringify(fw)}`)
    // The rule explain says lets pod1's egress out is the one the kernel counted the pings on.
    assert.equal(j.live.decisions.length, 1, JSON.stringify(j.live.decisions))
    const d = j.live.decisions[0]!
    assert.deepEqual([d.direction, d.owner, d.rule, d.action], ['egress', 'Profile projectcalico-default-allow', 1, 'Allow'])
    assert.ok((d.packets ?? 0) > 0, JSON.stringify(d))
    // pod2's side is on the other host: only its note, no chain of it here.
    assert.equal(j.live.counters.some((c) => c.chain.includes(pod.pod2!.iface)), false)

    const text = await run(['node', 'explain', 'pod1', 'pod2', '--live', '--name', 'master'], {netns: master.ns})
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^Live \(this host is node master\):$/m)
    assert.match(text.stdout, /^ {4}=> match$/m)
    assert.match(text.stdout, /<- matched$/m)
    assert.match(text.stdout, /^ {2}egress from \S+: explain says Profile projectcalico-default-allow rule 1 \(Allow\) decides; the kernel counted [1-9]\d* packets? on it$/m)
    assert.match(text.stdout, /no differences between the datastore and the kernel/)

    // An unused address in pod1's own block: explain predicts the blackhole, the kernel agrees
    // (its lookup fails for a blackhole; the table entry is found instead).
    const base = blockOf(pod.pod1!.ip).split('/')[0]!.split('.')
    const last = Number(base[3]) + 62
    const unused = [...base.slice(0, 3), String(`${base.slice(0, 3).join('.')}.${last}` === pod.pod1!.ip ? last - 1 : last)].join('.')
    const bh = await run(['node', 'explain', 'pod1', unused, '--live', '--name', 'master', '-o', 'json'], {netns: master.ns})
    assert.equal(bh.code, 0, bh.stderr)
    const bj = JSON.parse(bh.stdout) as LiveJson & {live: {route: {actual: {type: string}}}}
    assert.equal(bj.live.route.expected.via, 'blackhole')
    assert.equal(bj.live.route.actual.type, 'blackhole', JSON.stringify(bj.live.route))
    assert.equal(bj.live.route.match, true, JSON.stringify(bj.live.route))

    // A host that is not a Calico node compares nothing and says so.
    const other = await run(['node', 'explain', 'pod1', 'pod2', '--live', '--name', 'elsewhere'], {netns: master.ns})
    assert.equal(other.code, 0, other.stderr)
    assert.match(other.stdout, /note: node elsewhere is not a Calico node with an IPv4 address here: use --name/)
    assert.match(other.stdout, /nothing was compared with the kernel/)

    // On node, pod2's ingress chain calls the policy, and its rule counted the pings.
    const n = await run(['node', 'explain', 'pod1', 'pod2', '--live', '--name', 'node', '-o', 'json'], {netns: node.ns})
    assert.equal(n.code, 0, n.stderr)
    const nj = JSON.parse(n.stdout) as LiveJson
    assert.equal(nj.live.route?.match, true, JSON.stringify(nj.live.route))
    assert.equal(nj.live.route?.actual.dev, pod.pod2!.iface)
    assert.equal(nj.live.route?.lookup, `ip route get ${pod.pod2!.ip}`)
    const pi = nj.live.counters.find((c) => c.chain === POLICY_CHAIN)
    assert.ok(pi?.present, JSON.stringify(nj.live.counters))
    assert.match(pi.rules.find((x) => x.packets > 0)?.description ?? '', /^rule 1 \(Allow\)( \[1\/\d\])?$/, JSON.stringify(pi))
    const nd = nj.live.decisions.find((x) => x.direction === 'ingress')
    assert.deepEqual([nd?.owner, nd?.rule, nd?.action], ['GlobalNetworkPolicy allow-icmp', 1, 'Allow'])
    assert.ok((nd?.packets ?? 0) > 0, JSON.stringify(nd))
    assert.match(n.stdout, /"packets": \d+/)
  })

  it('ippool mode cross-subnet then bgp with --wait: both hosts have switched their own routes when each returns', async () => {
    const remote = {master: blockOf(pod.pod2!.ip), node: blockOf(pod.pod1!.ip)}
    const peer = {master: node.addr, node: master.addr}
    const r = await run(['ippool', 'mode', 'default-ipv4-ippool', 'cross-subnet', '--wait=60s'])
    const cs = {master: routes(master.ns, 'proto', '80'), node: routes(node.ns, 'proto', '80')}
    // No IPIP in this kernel: the tunl0 part fails on both hosts, and --wait says so...
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`)
    assert.match(r.stderr, /^ {2}master: pass failed: tunnel: /m)
    assert.match(r.stderr, /^ {2}node: pass failed: tunnel: /m)
    // ...but the same-subnet routes need no tunnel: both hosts already route the other's block directly.
    for (const h of ['master', 'node'] as const) {
      const rt = cs[h].find((x) => x.dst === remote[h])
      assert.ok(rt && rt.gateway === peer[h] && rt.dev === 'eth0' && rt.flags?.includes('onlink'), `${h}: ${JSON.stringify(cs[h])}`)
    }
    const live = await run(['node', 'explain', 'pod1', 'pod2', '--live', '--name', 'master', '-o', 'json'], {netns: master.ns})
    assert.equal(live.code, 0, live.stderr)
    const lj = JSON.parse(live.stdout) as LiveJson
    assert.equal(lj.live.route?.expected.via, 'direct')
    assert.equal(lj.live.route?.match, true, JSON.stringify(lj.live.route))

    const b = await run(['ippool', 'mode', 'default-ipv4-ippool', 'bgp', '--wait=60s'])
    const bgp = {master: routes(master.ns, 'proto', '80'), node: routes(node.ns, 'proto', '80')}
    assert.equal(b.code, 0, `${b.stdout}\n${b.stderr}`)
    assert.equal(appliedRevision(b.stderr).nodes, 2, b.stderr)
    for (const h of ['master', 'node'] as const) assert.equal(bgp[h].some((x) => x.gateway), false, `${h} still has a calicoctl route via a gateway: ${JSON.stringify(bgp[h])}`)
    // The BGP routes come from BIRD, on its own time.
    await waitFor('proto bird route to pod2 block on master', () => routes(master.ns, 'proto', 'bird').find((x) => x.dst === remote.master && x.gateway === node.addr))
    await waitFor('pod1 pings pod2 over BGP again', () => (pings(master.pod, pod.pod2!.ip) ? true : undefined))
  })

  it('with the master agent stopped (SIGTERM), --wait waits for the live node only', async () => {
    assert.equal(await stopAgent(master.agent), 0, master.agent?.log.slice(-20).join('\n'))
    const r = await run(['ippool', 'disable', 'extra', '--wait=60s'])
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    const w = appliedRevision(r.stderr)
    assert.equal(w.nodes, 1, r.stderr)
    assert.doesNotMatch(r.stderr, /master/)
    const list = await run(['node', 'list', '-o', 'json'])
    const rows = (JSON.parse(list.stdout) as {nodes: Array<{node: string; agent: string; revision: string}>}).nodes
    assert.equal(rows.find((x) => x.node === 'master')?.agent, 'stopped')
    assert.ok(BigInt(rows.find((x) => x.node === 'node')?.revision ?? '0') >= w.revision)
  })

  it('node explain --live flags the route master lost while its agent is stopped', async () => {
    // BIRD went down with the agent; whatever of the BGP route is left, remove it by hand.
    const block = blockOf(pod.pod2!.ip)
    if (routes(master.ns).some((x) => x.dst === block)) ip('-n', master.ns, 'route', 'del', block)
    assert.equal(routes(master.ns).some((x) => x.dst === block), false)
    const r = await run(['node', 'explain', 'pod1', 'pod2', '--live', '--name', 'master', '-o', 'json'], {netns: master.ns})
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    const j = JSON.parse(r.stdout) as LiveJson
    assert.equal(j.live.route?.match, false, JSON.stringify(j.live.route))
    assert.equal(j.live.route?.actual.gateway, '198.51.100.1')
    assert.ok(j.live.differences.some((d) => d.startsWith('route: next hop: expected 198.51.100.96, kernel has 198.51.100.1')), JSON.stringify(j.live.differences))
    const text = await run(['node', 'explain', 'pod1', 'pod2', '--live', '--name', 'master'], {netns: master.ns})
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^ {4}=> DIFFERENT$/m)
    assert.match(text.stdout, /^ {4}DIFFERENCE: route: next hop: expected 198\.51\.100\.96/m)

    // A flushed endpoint chain (nobody repairs it now) is flagged too, rule for rule.
    const fw = `cali-fw-${pod.pod1!.iface}`
    inNs(master.ns, 'iptables', ['-t', 'filter', '-F', fw])
    const f = await run(['node', 'explain', 'pod1', 'pod2', '--live', '--name', 'master', '-o', 'json'], {netns: master.ns})
    assert.equal(f.code, 0, f.stderr)
    const fj = JSON.parse(f.stdout) as LiveJson
    const chain = fj.live.counters.find((c) => c.chain === fw)
    assert.ok(chain?.present, JSON.stringify(fj.live.counters))
    assert.deepEqual(chain.rules, [])
    assert.ok(fj.live.differences.some((d) => new RegExp(`^iptables: ${fw} \\(egress from \\S+\\): the kernel chain differs from the model \\(model [1-9]\\d* rules, kernel 0;`).test(d)), JSON.stringify(fj.live.differences))
  })

  it('with the node agent frozen (SIGSTOP), --wait=3s exits 1 naming it', async () => {
    const a = node.agent
    assert.ok(a && alive(a))
    a.child.kill('SIGSTOP')
    try {
      const r = await run(['ippool', 'enable', 'extra', '--wait=3s'])
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`)
      assert.match(r.stderr, /^1 of 1 node\(s\) did not apply revision \d+ within \d+\.\ds:$/m)
      assert.match(r.stderr, /^ {2}node: still at revision \d+$/m)
      assert.doesNotMatch(r.stderr, /master/)
    } finally {
      a.child.kill('SIGCONT')
    }
    // Once thawed it catches up, and a wait succeeds again.
    const again = await run(['ippool', 'disable', 'extra', '--wait=60s'])
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`)
    assert.equal(appliedRevision(again.stderr).nodes, 1)
  })
})
