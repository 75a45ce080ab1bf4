// Profiles one CLI command over the bulk data set: `node --import tsx bench/profile.mts apply|get|delete`
// writes a .cpuprofile under tmp/prof/ and prints self time by package and by function.
import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BIN, cliFor} from '../test/helpers/cli.js'
import {startEtcd} from '../test/helpers/etcd.js'
import {manifest} from './apply.mjs'

const what = process.argv[2] ?? 'apply'
const N = Number(process.env.BENCH_N ?? 10_000)
const etcd = await startEtcd()
const dir = join(process.cwd(), 'tmp', 'prof')
try {
  const file = join(tmpdir(), `bench-prof-${process.pid}.yaml`)
  writeFileSync(file, manifest(N, what === 'apply' ? undefined : 'policies'))
  if (what !== 'apply') await cliFor(etcd.endpoint)(['apply', '-f', file], {timeoutMs: 600_000})
  const args = what === 'apply' ? ['apply', '-f', file] : what === 'get' ? ['get', 'gnp', '-o', 'yaml'] : ['delete', 'gnp', '-l', 'bench == "yes"']
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  const t = performance.now()
  execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, BIN, ...args], {env: {...process.env, NO_COLOR: '1', ETCD_ENDPOINTS: etcd.endpoint}, stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30})
  console.log(`${what}: ${((performance.now() - t) / 1000).toFixed(2)} s`)
  const prof = join(dir, readdirSync(dir)[0]!)
  console.log(execFileSync(process.execPath, ['bench/prof-summary.mjs', prof, '', '15'], {encoding: 'utf8'}))
  console.log(execFileSync(process.execPath, ['bench/prof-summary.mjs', prof, 'fn', '30'], {encoding: 'utf8'}))
} finally {
  await etcd.stop()
}
