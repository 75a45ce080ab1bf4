// `node run` never undoes a new workload (issue #20): `workload add` writes the pod's /32 route
// before its WorkloadEndpoint reaches etcd, so a pass may plan from a snapshot without the
// endpoint while it reads a kernel that has the route. Workloads are added in a tight loop
// (seeded gaps; the seed is printed, TEST_SEED replays it) while the agent's passes run: those
// the workloads' own IPAM and endpoint writes cause, frequent drift checks, and passes for a
// remote Node changed over and over meanwhile. The kernel's own route monitor must never report
// a workload route deleted, and every workload ends with its route. As upstream Felix does
// (felix/routetable/route_table.go: a grace period for routes on newly seen interfaces).
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
import {ip, NetnsLab, netnsSkipReason} from '../helpers/netns.js'
import {rng, testSeed} from '../helpers/rng.js'

const skip = netnsSkipReason('etcd', 'iptables-nft-restore', 'ipset')
const WORKLOADS = 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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
  const lab = new NetnsLab('wr')
  const scratch = mkdtempSync(join(tmpdir(), 'node-run-race-'))
  let etcd: TestEtcd
  let agent: NodeRunAgent | undefined
  let monitor: ChildProcess | undefined
  let ns = ''

  before(async () => {
    etcd = await startEtcd()
    ns = lab.addHost('h')
    const peer = lab.addHost('u')
    lab.link(ns, 'eth0', '198.51.100.95/24', peer, 'eth0', '198.51.100.96/24')
    const r = await cliFor(etcd.endpoint)(['apply', '-f', '-'], {input: poolYaml()})
    assert.equal(r.code, 0, r.stderr)
  })

  after(async () => {
    monitor?.kill('SIGTERM')
    await agent?.stop()
    await lab.cleanup()
    await etcd?.stop()
    rmSync(scratch, {recursive: true, force: true})
  })

  it('never deletes a workload route, and every workload keeps its route', async () => {
    const seed = testSeed()
    console.log(`# seed ${seed} (TEST_SEED=${seed} replays it)`)
    const rand = rng(seed)
    // Frequent drift checks: more passes (and kernel reads) while the workloads arrive.
    agent = new NodeRunAgent({ns, name: 'host', ip: '198.51.100.95/24', dir: scratch, endpoints: etcd.unixEndpoint, extraArgs: ['--check-interval', '200ms']})
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
    const passes = agent.log.filter((l) => /\] pass \(.*\) took \d+ ms/.test(l) && /routes \d+ ms/.test(l)).length
    assert.ok(passes >= WORKLOADS, `only ${passes} passes ran the routes part`)
    console.log(`# ${added.length} workloads, ${passes} passes with the routes part, ${deleted.length} owned routes deleted by anyone`)
  })
})
