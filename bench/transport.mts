// The etcd transports compared in one run on one etcd, interleaved (each round runs every variant
// once, in a rotating order, so a loaded machine slows them alike): the start-up of
// `get ippools` and `get ippools -o yaml` (10 pools stored), and `apply -f` of BENCH_N (2,000)
// mixed resources, with etcd's own CPU time per resource written (from /proc/<pid>/stat).
//
//   BENCH_OLD_BIN=/path/to/a/build/before/the/change/bin/run.js node --import tsx bench/transport.mts
//
// Variants: `gateway` (the old build as it ran by default: etcd's JSON gateway for unary calls,
// gRPC over http2 for bulk writes), `etcd3` (the old build with CALICOCTL_ETCD_TRANSPORT=grpc:
// the etcd3 package for everything) and `h2` (this build: gRPC over node:http2 for everything).
// Without BENCH_OLD_BIN only `h2` runs. Prints median and best per variant and ratios; never asserts.
import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {BIN} from '../test/helpers/cli.js'
import {startEtcd} from '../test/helpers/etcd.js'
import {manifest} from './apply.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const BULK_ROUNDS = Number(process.env.BENCH_BULK_ROUNDS ?? 5)
const N = Number(process.env.BENCH_N ?? 2000)
const oldBin = process.env.BENCH_OLD_BIN

interface Variant {
  name: string
  bin: string
  env: Record<string, string>
}
const variants: Variant[] = [
  ...(oldBin
    ? [
        {name: 'gateway', bin: oldBin, env: {}},
        {name: 'etcd3', bin: oldBin, env: {CALICOCTL_ETCD_TRANSPORT: 'grpc', GRPC_VERBOSITY: 'NONE'}},
      ]
    : []),
  {name: 'h2', bin: BIN, env: {}},
]

/** etcd's CPU time so far (user + system), in clock ticks. */
function etcdTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

const pools = Array.from(
  {length: 10},
  (_, i) => `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: bench-pool-${i}\nspec:\n  cidr: 10.${200 + i}.0.0/16\n  ipipMode: Always\n  natOutgoing: true\n`,
).join('---\n')

const etcd = await startEtcd()
const poolsFile = join(tmpdir(), `bench-transport-pools-${process.pid}.yaml`)
const bulkFile = join(tmpdir(), `bench-transport-bulk-${process.pid}.yaml`)
writeFileSync(poolsFile, pools)
writeFileSync(bulkFile, manifest(N))
const baseEnv: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETCD_ENDPOINTS: etcd.endpoint, CALICOCTL_CONFIG: '/nonexistent'}
delete baseEnv.NODE_OPTIONS
delete baseEnv.CALICOCTL_ETCD_TRANSPORT

function run(v: Variant, args: string[]): {ms: number; stdout: string} {
  const t = performance.now()
  const r = spawnSync(process.execPath, [v.bin, ...args], {env: {...baseEnv, ...v.env}, encoding: 'utf8', maxBuffer: 1 << 28})
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`${v.name} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return {ms, stdout: r.stdout}
}

const times: Record<string, Record<string, number[]>> = {}
const record = (what: string, v: Variant, x: number) => {
  const row = times[what] ?? {}
  times[what] = row
  row[v.name] = [...(row[v.name] ?? []), x]
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const best = (xs: number[]) => Math.min(...xs)

try {
  run(variants.at(-1)!, ['apply', '-f', poolsFile])
  const outputs = new Map<string, string>()
  // Warm the file cache for every build first.
  for (const v of variants) run(v, ['get', 'ippools'])
  for (let round = 0; round < ROUNDS; round++) {
    const order = variants.map((_, k) => variants[(k + round) % variants.length]!)
    for (const v of order) {
      record('get ippools', v, run(v, ['get', 'ippools', '--allow-version-mismatch']).ms)
      const y = run(v, ['get', 'ippools', '-o', 'yaml', '--allow-version-mismatch'])
      record('get ippools -o yaml', v, y.ms)
      outputs.set(v.name, y.stdout)
    }
  }
  const same = new Set(outputs.values()).size === 1
  const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).stdout.trim()) || 100
  for (let round = 0; round < BULK_ROUNDS; round++) {
    const order = variants.map((_, k) => variants[(k + round) % variants.length]!)
    for (const v of order) {
      await etcd.wipe()
      const before = etcdTicks(etcd.pid)
      const {ms} = run(v, ['apply', '-f', bulkFile])
      const cpu = (etcdTicks(etcd.pid) - before) / ticksPerSecond
      record(`apply -f ${N} (resources/s)`, v, N / (ms / 1000))
      record(`etcd CPU per resource applied (µs)`, v, (cpu / N) * 1e6)
    }
  }
  console.log(`${ROUNDS} rounds of get, ${BULK_ROUNDS} of apply, interleaved; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  console.log(`get -o yaml output identical across variants: ${same}`)
  const ref = 'h2'
  for (const [what, row] of Object.entries(times)) {
    const higherIsBetter = what.includes('/s')
    const cells = variants.map((v) => {
      const xs = row[v.name] ?? []
      const m = median(xs)
      const refM = median(row[ref] ?? xs)
      // The ratio says how much better h2 is (> 1: h2 better).
      const ratio = v.name === ref ? '' : ` (h2 ${(higherIsBetter ? refM / m : m / refM).toFixed(2)}x)`
      return `${v.name} median ${m.toFixed(0)} best ${(higherIsBetter ? Math.max(...xs) : best(xs)).toFixed(0)}${ratio}`
    })
    console.log(`${what.padEnd(38)} ${cells.join(' | ')}`)
  }
} finally {
  await etcd.stop()
}
