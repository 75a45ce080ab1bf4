// The pool's ipipMode switch as two idle agents see it (issue #20): two hosts (network
// namespaces on one segment), `node run` on each with default flags (--no-bird: the measure is
// the tunnel routes), pool ipipMode Always. A plain namespace here has no IPIP, so a veth named
// tunl0 stands in for the tunnel device (the agents configure it and route through it as they
// would a real one). Once both agents route to each other's block through tunl0 and have idled
// for IDLE_MS (their drift checks and resyncs run meanwhile), `calicoctl patch ippool` switches
// to Never and back, ROUNDS times; each switch is timed from the start of the patch command to
// both kernels showing it (no tunl0 route on either; then each host's tunl0 route to the other's
// block back); `afterPatch` is the part after the patch command returned (the CLI's own time
// left out). Measured for this checkout and the previous build (BENCH_PREV_BIN, default
// /work/main's) in the same run, in the order ours, previous, previous, ours (a load that drifts
// during the run then weighs on both alike). Run alone: `node --import tsx bench/mode-switch.mts` (root).
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {NodeRunAgent} from '../test/helpers/agent.js'
import {cliFor} from '../test/helpers/cli.js'
import {startEtcd} from '../test/helpers/etcd.js'
import {POOL_NAME, poolYaml} from '../test/helpers/hosts.js'
import {ip, NetnsLab, netnsSkipReason, waitFor} from '../test/helpers/netns.js'

const PREV = process.env.BENCH_PREV_BIN ?? '/work/main/bin/run.js'
const ROUNDS = Number(process.env.BENCH_SWITCH_ROUNDS ?? 3)
const IDLE_MS = Number(process.env.BENCH_SWITCH_IDLE_MS ?? 25_000)

export interface ModeSwitchRun {
  /** Each switch to Never, then each back to Always (ms, patch start → both kernels). */
  toNever: number[]
  toAlways: number[]
  /** The same from the patch command's exit. */
  afterPatch: {toNever: number[]; toAlways: number[]}
}

export interface ModeSwitchBench {
  ours: ModeSwitchRun
  previous?: ModeSwitchRun
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
export const summary = (r: ModeSwitchRun) => ({toNever: median(r.toNever), toAlways: median(r.toAlways)})
const merge = (a: ModeSwitchRun, b: ModeSwitchRun): ModeSwitchRun => ({
  toNever: [...a.toNever, ...b.toNever],
  toAlways: [...a.toAlways, ...b.toAlways],
  afterPatch: {toNever: [...a.afterPatch.toNever, ...b.afterPatch.toNever], toAlways: [...a.afterPatch.toAlways, ...b.afterPatch.toAlways]},
})

async function oneRun(bin?: string): Promise<ModeSwitchRun> {
  const etcd = await startEtcd()
  const lab = new NetnsLab('ms')
  const dir = mkdtempSync(join(tmpdir(), 'bench-switch-'))
  const agents: NodeRunAgent[] = []
  try {
    const local = cliFor(etcd.endpoint)
    const put = async (input: string) => {
      const r = await local(['apply', '-f', '-'], {input})
      if (r.code !== 0) throw new Error(r.stderr)
    }
    await put(poolYaml({ipipMode: 'Always'}))
    const hosts = [
      {name: 'h1', ns: lab.addHost('h1'), addr: '198.51.100.95'},
      {name: 'h2', ns: lab.addHost('h2'), addr: '198.51.100.96'},
    ]
    const sink = lab.addHost('t')
    lab.link(hosts[0]!.ns, 'eth0', '198.51.100.95/24', hosts[1]!.ns, 'eth0', '198.51.100.96/24')
    hosts.forEach((h, i) => lab.link(h.ns, 'tunl0', undefined, sink, `tun${i}`, undefined))
    for (const h of hosts) {
      agents.push(new NodeRunAgent({ns: h.ns, name: h.name, ip: `${h.addr}/24`, dir: join(dir, h.name), endpoints: etcd.unixEndpoint, extraArgs: ['--no-bird'], ...(bin ? {bin} : {})}))
    }
    const tunnelRoutes = (ns: string) => ip('-n', ns, 'route', 'show', 'proto', '80', 'dev', 'tunl0').split('\n').filter(Boolean).length
    const converged = (want: 'Never' | 'Always') => hosts.every((h) => (want === 'Never' ? tunnelRoutes(h.ns) === 0 : tunnelRoutes(h.ns) >= 1))
    // Hang guard only (10x a slow switch); not a timing assertion.
    await waitFor('both hosts routing through tunl0', () => (converged('Always') ? true : undefined), 120_000, 100)
    await new Promise((r) => setTimeout(r, IDLE_MS))
    const out: ModeSwitchRun = {toNever: [], toAlways: [], afterPatch: {toNever: [], toAlways: []}}
    for (let k = 0; k < ROUNDS; k++) {
      for (const mode of ['Never', 'Always'] as const) {
        const t0 = performance.now()
        const r = await local(['patch', 'ippool', POOL_NAME, '-p', JSON.stringify({spec: {ipipMode: mode}})])
        if (r.code !== 0) throw new Error(r.stderr)
        const t1 = performance.now()
        await waitFor(`the switch to ${mode}`, () => (converged(mode) ? true : undefined), 60_000, 20)
        const t2 = performance.now()
        ;(mode === 'Never' ? out.toNever : out.toAlways).push(Math.round(t2 - t0))
        ;(mode === 'Never' ? out.afterPatch.toNever : out.afterPatch.toAlways).push(Math.round(t2 - t1))
        // Idle again between switches: what a user sees after a pause.
        await new Promise((r) => setTimeout(r, 5000))
      }
    }
    return out
  } finally {
    if (process.env.BENCH_VERBOSE) for (const a of agents) console.error(a.log.filter((l) => /\] pass \(/.test(l)).join('\n'))
    for (const a of agents) await a.stop()
    await lab.cleanup()
    await etcd.stop()
    rmSync(dir, {recursive: true, force: true})
  }
}

export async function modeSwitchBench(): Promise<ModeSwitchBench | {skipped: string}> {
  const skip = netnsSkipReason('etcd', 'iptables-nft-restore', 'ipset')
  if (skip) return {skipped: skip}
  if (!existsSync(PREV)) return {ours: await oneRun()}
  const a = await oneRun()
  const b = await oneRun(PREV)
  const c = await oneRun(PREV)
  const d = await oneRun()
  return {ours: merge(a, d), previous: merge(b, c)}
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await modeSwitchBench()))
