// Tables (#23): start-up of `get ippools` (the default table, and -o yaml) for this checkout and
// for the previous build (BENCH_PREV_BIN, default /work/main's), alternating in the same run,
// best of BENCH_STARTUP_RUNS (default 15); then the time to lay out large tables in this process:
// the tabwriter layout (src/output/table.ts) against cli-table3 drawing the same rows, and the
// bordered layout (cli-table3 in chunks). Prints figures and ratios; never asserts timings.
import {spawnSync} from 'node:child_process'
import {performance} from 'node:perf_hooks'
import Table from 'cli-table3'
import {EtcdDatastore} from '../src/datastore/etcd.js'
import {ResourceStore} from '../src/datastore/store.js'
import {boxTable} from '../src/output/box-table.js'
import {tabTable} from '../src/output/table.js'
import {kindByName} from '../src/resources/registry.js'
import {BIN} from '../test/helpers/cli.js'
import {startEtcd} from '../test/helpers/etcd.js'

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 15)
const PREV = process.env.BENCH_PREV_BIN ?? '/work/main/bin/run.js'

function once(bin: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now()
  const r = spawnSync(process.execPath, [bin, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

async function startup(): Promise<void> {
  const etcd = await startEtcd()
  try {
    const ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 5000} as never)
    const store = new ResourceStore(ds)
    const def = kindByName('IPPool')!
    for (const [name, cidr] of [['pool-a', '10.10.0.0/16'], ['pool-b', '10.20.0.0/16']] as const) {
      const r = {apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: {name}, spec: {cidr}}
      def.defaults?.(r)
      await store.createMany([{def, resource: store.prepareCreate(def, r)}])
    }
    ds.close()
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETCD_ENDPOINTS: etcd.endpoint, CALICOCTL_CONFIG: '/nonexistent'}
    delete env.NODE_OPTIONS
    console.log(`start-up, best of ${RUNS} (alternating; previous build: ${PREV})`)
    for (const args of [['get', 'ippools'], ['get', 'ippools', '-o', 'wide'], ['get', 'ippools', '-o', 'yaml']]) {
      const full = [...args, '--allow-version-mismatch']
      once(BIN, full, env)
      once(PREV, full, env)
      const ours: number[] = []
      const prev: number[] = []
      // Which build goes first alternates too, so that neither always runs on a warmer machine.
      for (let i = 0; i < RUNS; i++) {
        const first = i % 2 === 0 ? BIN : PREV
        const a = once(first, full, env)
        const b = once(first === BIN ? PREV : BIN, full, env)
        ours.push(first === BIN ? a : b)
        prev.push(first === BIN ? b : a)
      }
      const min = (xs: number[]) => Math.min(...xs)
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
      console.log(
        `  ${args.join(' ').padEnd(26)} best: ours ${min(ours).toFixed(0)} ms, previous ${min(prev).toFixed(0)} ms, ${(min(ours) / min(prev)).toFixed(2)}x;` +
          ` median: ${median(ours).toFixed(0)} / ${median(prev).toFixed(0)} ms, ${(median(ours) / median(prev)).toFixed(2)}x`,
      )
    }
  } finally {
    await etcd.stop()
  }
}

function best(f: () => unknown, runs = 3): number {
  let min = Number.POSITIVE_INFINITY
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    f()
    min = Math.min(min, performance.now() - t)
  }
  return min
}

function layout(): void {
  const head = ['NAME', 'CIDR', 'NAT', 'IPIPMODE', 'VXLANMODE', 'DISABLED', 'DISABLEBGPEXPORT', 'SELECTOR', 'ASSIGNMENTMODE']
  const row = (i: number) => [`pool-${i}`, `10.${i >> 8}.${i & 255}.0/24`, 'false', 'Always', 'Never', 'false', 'false', 'all()', 'Automatic']
  const N = Number(process.env.BENCH_TABLE_ROWS ?? 2000)
  const rows = [head, ...Array.from({length: N}, (_, i) => row(i))]
  const noBorder = Object.fromEntries(['top', 'top-mid', 'top-left', 'top-right', 'bottom', 'bottom-mid', 'bottom-left', 'bottom-right', 'left', 'left-mid', 'mid', 'mid-mid', 'right', 'right-mid', 'middle'].map((k) => [k, '']))
  const viaCliTable = (rs: string[][]) => {
    const t = new Table({chars: noBorder, style: {head: [], border: [], 'padding-left': 0, 'padding-right': 3, compact: true}})
    t.push(...rs)
    return t.toString()
  }
  console.log(`layout of ${N} rows x ${head.length} columns (get ippools -o wide), best of 3`)
  const own = best(() => tabTable(rows))
  console.log(`  tabwriter layout, src/output/table.ts:        ${own.toFixed(1)} ms`)
  const small = rows.slice(0, 201)
  const cli200 = best(() => viaCliTable(small))
  console.log(`  cli-table3, one table of 200 rows:           ${cli200.toFixed(0)} ms (${(cli200 / best(() => tabTable(small))).toFixed(0)}x the tabwriter layout on the same rows)`)
  const cli = best(() => viaCliTable(rows), 1)
  console.log(`  cli-table3, one table of ${N} rows:          ${cli.toFixed(0)} ms (${(cli / own).toFixed(0)}x)`)
  const borrowed = Array.from({length: N}, (_, i) => [`10.${i >> 8}.${i & 255}.9`, 'node-b', `10.${i >> 8}.${i & 255}.0/26`, 'node-a', 'pod', `ns1/pod-${i}`])
  const box = best(() => boxTable(['IP', 'BORROWING-NODE', 'BLOCK', 'BLOCK OWNER', 'TYPE', 'ALLOCATED-TO'], borrowed))
  console.log(`  bordered (ipam show --show-borrowed), cli-table3 in chunks, ${N} rows: ${box.toFixed(0)} ms`)
}

await startup()
layout()
