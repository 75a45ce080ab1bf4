// An idle `node run`: one host (a network namespace) with a pool in BGP mode (a plain network
// namespace here has no IPIP), a remote node and two local workloads, against a real etcd. Once
// the agent's first passes are done and it has gone quiet, nothing is written for IDLE_SECONDS
// and the agent's CPU time is read before and after from /proc/<pid>/stat: utime + stime (its
// own) and cutime + cstime (the programs it ran and waited for, iptables-save and the like), as
// a share of one core. Default flags except --no-bird (BIRD's own CPU is not the agent's); the
// log level is the tests' (debug). Measured for this checkout and for the previous build
// (BENCH_PREV_BIN, default /work/main's) one after the other in the same run.
// Run alone: `node --import tsx bench/idle.mts` (root; prints one JSON line).
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {NodeRunAgent} from '../test/helpers/agent.js'
import {cliFor} from '../test/helpers/cli.js'
import {startEtcd} from '../test/helpers/etcd.js'
import {NetnsLab, netnsSkipReason} from '../test/helpers/netns.js'

const PREV = process.env.BENCH_PREV_BIN ?? '/work/main/bin/run.js'

const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60)
const CLOCK_TICKS = 100 // USER_HZ on Linux

export interface IdleRun {
  seconds: number
  /** Agent CPU (user + system) over the idle time, as a percentage of one core. */
  cpuPercent: number
  /** The same with the programs it ran meanwhile (iptables-save, ipset, ip). */
  withChildrenPercent: number
  /** Passes the agent ran while idle (from its status file). */
  passes: number
  /** Why each of those passes ran, from the agent's log (`pass (REASONS) took ...`). */
  passReasons: string[]
}

/** utime + stime of the process, and cutime + cstime (the children it waited for: iptables-save, ...). */
function cpuTicks(pid: number): {own: number; children: number} {
  // Fields after the command name (which may hold spaces): utime is the 14th field of the line.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number)
  return {own: (rest[11] as number) + (rest[12] as number), children: (rest[13] as number) + (rest[14] as number)}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface IdleBench {
  ours: IdleRun
  /** The previous build, when BENCH_PREV_BIN (or /work/main's) exists. */
  previous?: IdleRun
}

export async function idleBench(): Promise<IdleBench | {skipped: string}> {
  const skip = netnsSkipReason('etcd', 'iptables-nft-restore', 'ipset')
  if (skip) return {skipped: skip}
  const ours = await idleRun()
  return existsSync(PREV) ? {ours, previous: await idleRun(PREV)} : {ours}
}

async function idleRun(bin?: string): Promise<IdleRun> {
  const etcd = await startEtcd()
  const lab = new NetnsLab('idle')
  const dir = mkdtempSync(join(tmpdir(), 'bench-idle-'))
  let agent: NodeRunAgent | undefined
  try {
    const local = cliFor(etcd.endpoint)
    const ns = lab.addHost('h')
    const peer = lab.addHost('p')
    lab.link(ns, 'eth0', '198.51.100.95/24', peer, 'eth0', '198.51.100.96/24')
    const pool = 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool}\nspec: {cidr: 192.168.0.0/16, blockSize: 26, ipipMode: Never}\n'
    const remote = 'apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: remote}\nspec: {bgp: {ipv4Address: 198.51.100.96/24}}\n'
    for (const input of [pool, remote]) {
      const r = await local(['apply', '-f', '-'], {input})
      if (r.code !== 0) throw new Error(r.stderr)
    }
    agent = new NodeRunAgent({ns, name: 'idle', ip: '198.51.100.95/24', dir, endpoints: etcd.unixEndpoint, extraArgs: ['--no-bird'], ...(bin ? {bin} : {})})
    await agent.passes(1)
    const run = cliFor(etcd.unixEndpoint)
    for (const w of ['w1', 'w2']) {
      const pod = lab.addHost(`${w}`)
      const a = await run(['workload', 'add', w, '--netns', pod, '--node', 'idle'], {netns: ns})
      if (a.code !== 0) throw new Error(`workload add ${w}: ${a.stderr}`)
    }
    await agent.quiet(3000)
    const pid = agent.pid as number
    const passesAt = () => (JSON.parse(readFileSync(agent?.statusFile as string, 'utf8')) as {passes: number}).passes
    const p0 = passesAt()
    const l0 = agent.log.length
    const c0 = cpuTicks(pid)
    const t0 = performance.now()
    await sleep(IDLE_SECONDS * 1000)
    const c1 = cpuTicks(pid)
    const seconds = (performance.now() - t0) / 1000
    if (process.env.BENCH_IDLE_LOG) console.error(agent.log.join('\n'))
    const pct = (ticks: number) => Number(((100 * ticks) / CLOCK_TICKS / seconds).toFixed(2))
    const passReasons = agent.log.slice(l0).flatMap((l) => /\] pass \(([^)]*)\)/.exec(l)?.[1] ?? [])
    return {seconds: Math.round(seconds), cpuPercent: pct(c1.own - c0.own), withChildrenPercent: pct(c1.own + c1.children - c0.own - c0.children), passes: passesAt() - p0, passReasons}
  } catch (err) {
    throw new Error(`${(err as Error).message}\nagent log:\n${agent?.log.slice(-30).join('\n')}`)
  } finally {
    await agent?.stop()
    await lab.cleanup()
    await etcd.stop()
    rmSync(dir, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await idleBench()))
