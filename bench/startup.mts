// Start-up: `version --client`, `--help` and `get ippools -o yaml` (against a local etcd) against
// bare `node -e 0`, best of N runs each (the machine is shared: the best run is the least
// disturbed one). Prints ratios; never asserts timings.
import {spawnSync} from 'node:child_process'
import {performance} from 'node:perf_hooks'
import {BIN} from '../test/helpers/cli.js'
import {startEtcd} from '../test/helpers/etcd.js'

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 15)

function best(argv: string[], env: NodeJS.ProcessEnv): number {
  let min = Number.POSITIVE_INFINITY
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now()
    const r = spawnSync(process.execPath, argv, {env, stdio: ['ignore', 'pipe', 'pipe']})
    const ms = performance.now() - t
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
    min = Math.min(min, ms)
  }
  return min
}

export interface StartupResult {
  node: number
  version: number
  help: number
  get: number
}

export async function startup(): Promise<StartupResult> {
  const etcd = await startEtcd()
  try {
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETCD_ENDPOINTS: etcd.endpoint, CALICOCTL_CONFIG: '/nonexistent'}
    delete env.NODE_OPTIONS
    // Warm the file cache (and any compile cache) first.
    best([BIN, 'version', '--client'], env)
    const node = best(['-e', '0'], env)
    const version = best([BIN, 'version', '--client'], env)
    const help = best([BIN, '--help'], env)
    const get = best([BIN, 'get', 'ippools', '-o', 'yaml', '--allow-version-mismatch'], env)
    return {node, version, help, get}
  } finally {
    await etcd.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await startup()
  console.log(`best of ${RUNS} runs`)
  console.log(`node -e 0:                 ${r.node.toFixed(0)} ms`)
  console.log(`version --client:          ${r.version.toFixed(0)} ms  ${(r.version / r.node).toFixed(2)}x  (target 2x)`)
  console.log(`--help:                    ${r.help.toFixed(0)} ms  ${(r.help / r.node).toFixed(2)}x  (target 2x)`)
  console.log(`get ippools -o yaml:       ${r.get.toFixed(0)} ms  ${(r.get / r.node).toFixed(2)}x  (target 3x)`)
}
