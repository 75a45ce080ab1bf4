// `node run` as a user meets it (issue #20), on one host (a network namespace facing a peer on
// eth0) with a real etcd:
//
// - It never undoes a new workload. `workload add` writes the pod's /32 route before its
//   WorkloadEndpoint reaches etcd, so a pass may plan from a snapshot without the endpoint while
//   it reads a kernel that has the route. Workloads are added in a tight loop (seeded gaps; the
//   seed is printed, TEST_SEED replays it) while the agent's passes run: those the workloads' own
//   IPAM and endpoint writes cause, frequent drift checks, and passes for a remote Node changed
//   over and over meanwhile. The kernel's own route monitor must never report a workload route
//   deleted, and every workload ends with its route. As upstream Felix does
//   (felix/routetable/route_table.go: a grace period for routes on newly seen interfaces).
// - When idle, its drift checks compare the kernel with what the last passes left (routes over
//   netlink, iptables read back on their own interval): a check that finds no difference costs no
//   pass, one that finds a difference repairs it. The kernel route monitor is off there, so only
//   the drift check can see a route deleted by hand; short intervals so the test does not wait
//   10 s / 90 s for each check.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {NodeRunAgent} from '../helpers/agent.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {poolYaml} from '../helpers/hosts.js'
import {inNs, ip, NetnsLab, netnsSkipReason, waitFor} from '../helpers/netns.js'
import {rng, TEST_SEED} from '../helpers/random.js'

const skip = netnsSkipReason('etcd', 'iptables-nft-restore', 'ipset')
const WORKLOADS = 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const PASS = /\] pass \((.*)\) took \d+ ms/

/** A fresh etcd with the pool, and one host namespace facing a peer: made in before(), removed in after(). */
function oneHost(tag: string) {
  const lab = new NetnsLab(tag)
  const h = {lab, scratch: mkdtempSync(join(tmpdir(), `node-run-${tag}-`)), ns: '', etcd: undefined as TestEtcd | undefined, agent: undefined as NodeRunAgent | undefined}
  before(async () => {
    h.etcd = await startEtcd()
    h.ns = lab.addHost('h')
    const peer = lab.addHost('u')
    lab.link(h.ns, 'eth0', '198.51.100.95/24', peer, 'eth0', '198.51.100.96/24')
    const r = await cliFor(h.etcd.endpoint)(['apply', '-f', '-'], {input: poolYaml()})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await h.agent?.stop()
    await lab.cleanup()
    await h.etcd?.stop()
    rmSync(h.scratch, {recursive: true, force: true})
  })
  return h
}

const remoteNode = (i: number) => `apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: remote
  labels: {round: "r${i}"}
spec:
  bgp:
    ipv4Address: 198.51.100.${100 + (i % 50)}/24
`

describe('node run: workloads added while passes run', {skip, timeout: 300_000}, () => {
  const h = oneHost('wr')
  let monitor: ChildProcess | undefined
  after(() => monitor?.kill('SIGTERM'))

  it('never deletes a workload route, and every workload keeps its route', async () => {
    const seed = TEST_SEED
    const rand = rng('workloads in a tight loop')
    // Frequent drift checks: more passes (and kernel reads) while the workloads arrive.
    const {ns, etcd, lab} = h
    assert.ok(etcd)
    const agent = new NodeRunAgent({ns, name: 'host', ip: '198.51.100.95/24', dir: h.scratch, endpoints: etcd.unixEndpoint, extraArgs: ['--check-interval', '200ms']})
    h.agent = agent
    await agent.passes(1)

    // Every owned route the kernel deletes, as the kernel reports it.
    const deleted: string[] = []
    monitor = spawn('ip', ['-n', ns, '-o', 'monitor', 'route'], {stdio: ['ignore', 'pipe', 'ignore']})
    let buf = ''
    monitor.stdout?.on('data', (b: Buffer) => {
      buf += b.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const l of lines) if (/^Deleted /.test(l) && /\bproto 80\b/.test(l)) deleted.push(l)
    })
    await sleep(300) // the monitor's netlink subscription is in place

    const run = cliFor(etcd.unixEndpoint)
    const local = cliFor(etcd.endpoint)
    let adding = true
    // Meanwhile a remote Node keeps changing: each change is a pass with the routes part.
    const churn = (async () => {
      for (let i = 0; adding; i++) {
        const r = await local(['apply', '-f', '-'], {input: remoteNode(i)})
        assert.equal(r.code, 0, r.stderr)
        await sleep(Math.floor(rand() * 100))
      }
    })()
    const added: Array<{ip: string; iface: string}> = []
    try {
      for (let i = 0; i < WORKLOADS; i++) {
        await sleep(Math.floor(rand() * 150))
        const pod = lab.addHost(`p${i}`)
        const r = await run(['workload', 'add', `w${i}`, '--netns', pod, '--node', 'host', '-o', 'json'], {netns: ns})
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
        const w = JSON.parse(r.stdout) as {ip: string; interfaceName: string}
        added.push({ip: w.ip.split('/')[0] as string, iface: w.interfaceName})
      }
    } finally {
      adding = false
      await churn
    }
    // One more change after the last workload: its pass plans from a snapshot with every endpoint.
    const passesNow = (JSON.parse(readFileSync(agent.statusFile, 'utf8')) as {passes: number}).passes
    const last = await local(['apply', '-f', '-'], {input: remoteNode(1000)})
    assert.equal(last.code, 0, last.stderr)
    await agent.passes(passesNow + 1, 60_000)

    const ours = deleted.filter((l) => added.some((w) => new RegExp(`^Deleted ${w.ip.replace(/\./g, '\\.')}(/32)? `).test(l)))
    assert.deepEqual(ours, [], `workload routes deleted (seed ${seed}):\n${ours.join('\n')}\nagent log:\n${agent.log.filter((l) => /routes: /.test(l)).join('\n')}`)
    const kernel = JSON.parse(ip('-j', '-n', ns, 'route', 'show', 'proto', '80')) as Array<{dst: string; dev?: string}>
    for (const w of added) assert.ok(kernel.some((k) => k.dst === w.ip && k.dev === w.iface), `no route for ${w.ip} dev ${w.iface} (seed ${seed})`)
    // The passes did run meanwhile (the test would prove nothing otherwise).
    const passes = agent.log.filter((l) => PASS.test(l) && /routes \d+ ms/.test(l)).length
    assert.ok(passes >= WORKLOADS, `only ${passes} passes ran the routes part`)
    console.log(`# ${added.length} workloads, ${passes} passes with the routes part, ${deleted.length} owned routes deleted by anyone`)
  })
})

describe('node run: drift checks', {skip, timeout: 300_000}, () => {
  const h = oneHost('dr')
  let agent: NodeRunAgent | undefined
  let ns = ''
  let podIp = ''

  before(async () => {
    ns = h.ns
    const etcd = h.etcd as TestEtcd
    agent = h.agent = new NodeRunAgent({
      ns, name: 'host', ip: '198.51.100.95/24', dir: h.scratch, endpoints: etcd.unixEndpoint,
      extraArgs: ['--check-interval', '500ms', '--iptables-refresh-interval', '2s', '--resync-interval', '3s', '--no-route-monitor'],
    })
    await agent.passes(1)
    const pod = h.lab.addHost('p')
    const w = await cliFor(etcd.unixEndpoint)(['workload', 'add', 'w1', '--netns', pod, '--node', 'host', '-o', 'json'], {netns: ns})
    assert.equal(w.code, 0, `${w.stdout}\n${w.stderr}`)
    podIp = (JSON.parse(w.stdout) as {ip: string}).ip.split('/')[0] ?? ''
    await waitFor('the workload chain', () => (/-A cali-tw-cali\w+ /.test(inNs(ns, 'iptables-save', ['-t', 'filter'])) ? true : undefined), 30_000)
  })

  it('an idle agent checks routes, iptables and the datastore without a pass', async () => {
    assert.ok(agent)
    // Let the workload's own passes end: from a drift check that found nothing, count anew.
    const quietFrom = await waitFor('a drift check with no difference', () => {
      const i = agent?.log.findLastIndex((l) => /drift check: no difference/.test(l)) ?? -1
      return i >= 0 && !agent?.log.slice(i).some((l) => PASS.test(l)) ? i : undefined
    }, 30_000, 100)
    const checks = (re: RegExp) => agent?.log.slice(quietFrom).filter((l) => re.test(l)).length ?? 0
    // Several route checks, two iptables read-backs and a resync: all find nothing.
    await waitFor('checks with no difference', () => (checks(/drift check: no difference/) >= 10 && checks(/resync: no difference/) >= 1 ? true : undefined), 60_000, 100)
    // A late event of the workload's own writes may still make a datastore pass; a check never may.
    const passes = agent.log.slice(quietFrom).filter((l) => /drift check|resync/.test(PASS.exec(l)?.[1] ?? ''))
    assert.deepEqual(passes, [], `checks that found nothing made passes; the agent's log since then:\n${agent.log.slice(quietFrom).filter((l) => !/\[DEBUG\] etcd /.test(l)).join('\n')}`)
  })

  it('a workload route deleted by hand is found by the drift check and put back', async () => {
    assert.ok(agent)
    const from = agent.log.length
    ip('-n', ns, 'route', 'del', `${podIp}/32`, 'proto', '80')
    const has = () => (JSON.parse(ip('-j', '-n', ns, 'route', 'show', 'proto', '80')) as Array<{dst: string}>).some((r) => r.dst === podIp)
    await waitFor('the route back', () => (has() ? true : undefined), 30_000, 100)
    // The agent logs the pass once it is over: the route may be back a moment before the line.
    await waitFor('the drift check in the log', () => (agent?.log.slice(from).some((l) => /drift check: .*routes: add /.test(l)) ? true : undefined), 10_000, 50)
  })

  it('a flushed cali- chain is found by the iptables read-back and refilled', async () => {
    assert.ok(agent)
    const save = () => inNs(ns, 'iptables-save', ['-t', 'filter'])
    const chain = /-A (cali-tw-cali\w+) /.exec(save())?.[1]
    assert.ok(chain)
    const count = save().split('\n').filter((l) => l.startsWith(`-A ${chain} `)).length
    const from = agent.log.length
    inNs(ns, 'iptables', ['-t', 'filter', '-F', chain])
    await waitFor(`${chain} refilled`, () => (save().split('\n').filter((l) => l.startsWith(`-A ${chain} `)).length === count ? true : undefined), 30_000, 100)
    await waitFor('the iptables read-back in the log', () => (agent?.log.slice(from).some((l) => /drift check: .*iptables: our chains/.test(l)) ? true : undefined), 10_000, 50)
  })
})
