// The seed scenario inside user-mode-linux as the benchmark of the host agent there (issue #20):
// the guest of test/uml/seed.test.ts (scripts/lab/seed.sh: two hosts, `node run` with default
// flags on each, `workload add` straight after, the ipipMode switches), once on a quiet machine
// and once with two CPU burners, plus IDLE_SECONDS of both agents left alone. Reports, per
// variant: start -> Node registered and start -> first pass done (the later of the two hosts),
// `workload add` (the slower of the two), each switch's convergence after the patch returned,
// and the agents' idle CPU; each against the figure bench/results.json held before this run
// (the previous figure). Needs linux.uml and the build. Run alone: `node --import tsx bench/uml-seed.mts`.
import type {ChildProcess} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {runInUml, umlSkipReason} from '../test/uml/harness.js'
import {burner, REPO, SEED_MODULES, seedFigures, seedScript} from '../test/uml/lab-seed.js'

const IDLE_SECONDS = Number(process.env.BENCH_UML_IDLE_SECONDS ?? 30)
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results.json')

export interface UmlSeedVariant {
  burners: number
  registeredMs: number
  firstPassMs: number
  workloadAddMs: number
  toNeverMs: number
  toAlwaysMs: number
  /** The busier agent's idle CPU, % of one CPU (with the programs it ran). */
  idleCpuPercent: number
  idleCpuWithChildrenPercent: number
  failed: string[]
}

export interface UmlSeedBench {
  variants: UmlSeedVariant[]
  /** The same figures from the results.json this run replaces, when it had them. */
  previous?: UmlSeedVariant[]
}

async function variant(burners: number): Promise<UmlSeedVariant> {
  const running: ChildProcess[] = []
  try {
    for (let i = 0; i < burners; i++) running.push(burner(15 * 60_000))
    const r = await runInUml(`IDLE_SECONDS=${IDLE_SECONDS}\n${seedScript()}`, {modules: SEED_MODULES, memMb: 1024, timeoutMs: 1_700_000})
    if (!r.finished) throw new Error(`the guest did not finish: ${r.output.slice(-500)}`)
    const f = seedFigures(r.sections)
    const worst = (...keys: string[]) => Math.max(...keys.map((k) => f[k] ?? Number.NaN))
    return {
      burners,
      registeredMs: worst('master-registered', 'node-registered'),
      firstPassMs: worst('master-first-pass', 'node-first-pass'),
      workloadAddMs: worst('workload-add-pod1', 'workload-add-pod2'),
      toNeverMs: f['convergence-never'] ?? Number.NaN,
      toAlwaysMs: f['convergence-always'] ?? Number.NaN,
      idleCpuPercent: worst('master-idle-cpu', 'node-idle-cpu'),
      idleCpuWithChildrenPercent: worst('master-idle-cpu-with-children', 'node-idle-cpu-with-children'),
      failed: r.failed,
    }
  } finally {
    for (const b of running) b.kill('SIGKILL')
  }
}

export async function umlSeedBench(): Promise<UmlSeedBench | {skipped: string}> {
  const skip = umlSkipReason() ?? (existsSync(`${REPO}/dist/commands/node/run.js`) ? undefined : 'needs the build (npm run build)')
  if (skip) return {skipped: skip}
  let previous: UmlSeedVariant[] | undefined
  try {
    const p = JSON.parse(readFileSync(RESULTS, 'utf8')).umlSeed
    if (Array.isArray(p?.variants)) previous = p.variants
  } catch {}
  const variants = [await variant(0), await variant(2)]
  return {variants, ...(previous ? {previous} : {})}
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await umlSeedBench()))
