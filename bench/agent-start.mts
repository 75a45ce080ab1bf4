// The host agent as a user starts it: `node run` with default flags in a fresh host namespace
// (ip_forward 0, no BIRD running), and `workload add` typed straight after. Reports start →
// Node registered and start → first pass (from the agent's own log timestamps), and the wall time
// of `workload add` (issued at once; the previous build, which cannot add a workload before its
// Node exists, retries every 200 ms: its time is counted from the first try). Each figure is
// measured for this checkout and for the previous build (BENCH_PREV_BIN, default /work/main's)
// in the same run, alternating, best of BENCH_AGENT_RUNS (default 3). Root only (namespaces).
import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {NodeRunAgent} from '../test/helpers/agent.js'
import {BIN} from '../test/helpers/cli.js'
import {poolYaml, uplinkedHost} from '../test/helpers/hosts.js'
import {startEtcd, type TestEtcd} from '../test/helpers/etcd.js'
import {NetnsLab, waitFor} from '../test/helpers/netns.js'

const RUNS = Number(process.env.BENCH_AGENT_RUNS ?? 3)
const PREV = process.env.BENCH_PREV_BIN ?? '/work/main/bin/run.js'

export interface AgentStart {
  registeredMs: number
  firstPassMs: number
  /** Wall time of the `workload add` that succeeded (ours: the only one). */
  workloadAddMs: number
  /** From the agent's start until the workload was added. */
  workloadReadyMs: number
}

function cli(bin: string, etcd: TestEtcd, netns: string, args: string[]): Promise<{code: number; stderr: string}> {
  const env = {...process.env, ETCD_ENDPOINTS: etcd.unixEndpoint, DATASTORE_TYPE: 'etcdv3', CALICOCTL_CONFIG: '/nonexistent', NO_COLOR: '1'}
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', netns, process.execPath, bin, ...args], {env, timeout: 60_000}, (err, _out, stderr) =>
      resolve({code: err ? 1 : 0, stderr: String(stderr)}),
    )
  })
}

/** Milliseconds from `t0` to the timestamp of the first log line matching `re`. */
function logAt(agent: NodeRunAgent, re: RegExp, t0: number): number | undefined {
  const line = agent.log.find((l) => re.test(l))
  return line ? Date.parse(line.split(' ')[0] ?? '') - t0 : undefined
}

async function once(bin: string, ours: boolean): Promise<AgentStart> {
  const etcd = await startEtcd()
  const lab = new NetnsLab('as')
  const dir = mkdtempSync(join(tmpdir(), 'bench-agent-'))
  let agent: NodeRunAgent | undefined
  try {
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [BIN, 'apply', '-f', '-'], {env: {...process.env, ETCD_ENDPOINTS: etcd.endpoint, CALICOCTL_CONFIG: '/nonexistent'}}, (e) => (e ? reject(e) : resolve())).stdin?.end(poolYaml()),
    )
    const host = uplinkedHost(lab)
    const pod = lab.addHost('p')
    const t0 = Date.now()
    agent = new NodeRunAgent({ns: host, name: 'h', ip: '198.51.100.95/24', dir, endpoints: etcd.unixEndpoint, bin})
    const add = ['workload', 'add', 'w1', '--netns', pod, '--node', 'h']
    let workloadAddMs = 0
    for (;;) {
      const t = Date.now()
      const r = await cli(bin, etcd, host, add)
      workloadAddMs = Date.now() - t
      if (r.code === 0) break
      if (ours || Date.now() - t0 > 120_000) throw new Error(`workload add failed: ${r.stderr.trim()}`)
      await new Promise((res) => setTimeout(res, 200))
    }
    const workloadReadyMs = Date.now() - t0
    const a = agent
    const registeredMs = await waitFor('the registration in the log', () => logAt(a, /\] (Node h (created|already registered|updated) |node: created Node h)/, t0), 120_000, 100)
    const firstPassMs = await waitFor('the first pass in the log', () => logAt(a, /\[INFO\] pass \(/, t0), 120_000, 100)
    return {registeredMs, firstPassMs, workloadAddMs, workloadReadyMs}
  } finally {
    await agent?.stop()
    await lab.cleanup()
    await etcd.stop()
    rmSync(dir, {recursive: true, force: true})
  }
}

const best = (rs: AgentStart[]): AgentStart => ({
  registeredMs: Math.min(...rs.map((r) => r.registeredMs)),
  firstPassMs: Math.min(...rs.map((r) => r.firstPassMs)),
  workloadAddMs: Math.min(...rs.map((r) => r.workloadAddMs)),
  workloadReadyMs: Math.min(...rs.map((r) => r.workloadReadyMs)),
})

export async function agentStart(): Promise<{ours: AgentStart; prev?: AgentStart; runs: {ours: AgentStart[]; prev: AgentStart[]}}> {
  const runs = {ours: [] as AgentStart[], prev: [] as AgentStart[]}
  const withPrev = existsSync(PREV)
  for (let i = 0; i < RUNS; i++) {
    runs.ours.push(await once(BIN, true))
    if (withPrev) runs.prev.push(await once(PREV, false))
  }
  return {ours: best(runs.ours), ...(withPrev ? {prev: best(runs.prev)} : {}), runs}
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await agentStart()
  const row = (what: string, k: keyof AgentStart) =>
    console.log(`${what.padEnd(34)} ${`${r.ours[k]} ms`.padEnd(9)} ${r.prev ? `previous build: ${r.prev[k]} ms  ${(r.ours[k] / r.prev[k]).toFixed(2)}x` : ''}`)
  console.log(`node run (default flags) in a fresh host namespace, best of ${RUNS}; previous build: ${PREV}`)
  row('start -> Node registered', 'registeredMs')
  row('start -> first pass done', 'firstPassMs')
  row('workload add (typed at start)', 'workloadAddMs')
  row('start -> workload added', 'workloadReadyMs')
  for (const [who, rs] of Object.entries(r.runs)) for (const x of rs) console.log(`# ${who}: ${JSON.stringify(x)}`)
}
