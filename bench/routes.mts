// Route programming at scale (root; everything inside throwaway namespaces). Two namespaces
// joined by a veth; in one, 10,000 remote-block routes (10.x.y.0/26 via the neighbour's address,
// onlink) are programmed by the project's route executor in a child process under
// `ip netns exec` (bench/routes-child.mts): first apply, no-op apply (read back + plan, nothing
// to write), and removal. Baseline, same run: one `ip route add` process per route, measured on
// a 500-route sample (other prefixes, another protocol) and extrapolated per route to 10,000.
// Targets: first apply >= 20x faster than one process per route; no-op < 10% of first apply.
// Usage: node --import tsx bench/routes.mts [routes=10000] [baselineSample=500]
import {execFileSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {NetnsLab, ip, netnsSkipReason} from '../test/helpers/netns.js'

const HERE = dirname(fileURLToPath(import.meta.url))

export interface RoutesBench {
  routes: number
  firstMs: number
  noopMs: number
  removeMs: number
  firstOps: number
  failures: number
  baselineSample: number
  baselineSampleMs: number
  /** baselineSampleMs / baselineSample * routes */
  baselineMs: number
}

export async function routesBench(n = 10_000, sample = 500): Promise<RoutesBench> {
  const skip = netnsSkipReason()
  if (skip) throw new Error(`routes benchmark ${skip}`)
  const lab = new NetnsLab('rb')
  try {
    const a = lab.addHost('a')
    const b = lab.addHost('b')
    lab.link(a, 'eth0', '172.31.254.1/30', b, 'eth0', '172.31.254.2/30')
    const out = execFileSync('ip', ['netns', 'exec', a, process.execPath, '--import', 'tsx', join(HERE, 'routes-child.mts'), String(n), '172.31.254.2', 'eth0'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
    })
    const r = JSON.parse(out) as {first: {ms: number; ops: number; failures: number}; noop: {ms: number; ops: number}; remove: {ms: number}}
    if (r.noop.ops !== 0) throw new Error(`no-op pass planned ${r.noop.ops} ops`)
    // Baseline: one `ip` process per route (as a shell script or naive agent would do it).
    const t = performance.now()
    for (let i = 0; i < sample; i++) {
      ip('-n', a, 'route', 'add', `10.200.${Math.floor(i / 4)}.${(i % 4) * 64}/26`, 'via', '172.31.254.2', 'dev', 'eth0', 'onlink', 'proto', '81')
    }
    const baselineSampleMs = performance.now() - t
    return {
      routes: n,
      firstMs: r.first.ms,
      noopMs: r.noop.ms,
      removeMs: r.remove.ms,
      firstOps: r.first.ops,
      failures: r.first.failures,
      baselineSample: sample,
      baselineSampleMs,
      baselineMs: (baselineSampleMs / sample) * n,
    }
  } finally {
    await lab.cleanup()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [a, b] = process.argv.slice(2).map(Number)
  const r = await routesBench(a || undefined, b || undefined)
  console.log(`first apply of ${r.routes} routes (${r.firstOps} ops, ${r.failures} failed): ${r.firstMs.toFixed(0)} ms (${((r.routes * 1000) / r.firstMs).toFixed(0)}/s)`)
  console.log(`no-op apply (read back + plan): ${r.noopMs.toFixed(0)} ms = ${((100 * r.noopMs) / r.firstMs).toFixed(1)}% of first (target < 10%)`)
  console.log(`remove all: ${r.removeMs.toFixed(0)} ms`)
  console.log(
    `one 'ip route add' process per route: ${r.baselineSample} in ${r.baselineSampleMs.toFixed(0)} ms, extrapolated to ${r.routes}: ${r.baselineMs.toFixed(0)} ms; first apply is ${(r.baselineMs / r.firstMs).toFixed(1)}x faster (target >= 20x)`,
  )
}
