// A/B of two builds of the CLI on one etcd, alternating (a loaded machine slows both alike):
// `BENCH_OLD_BIN=/path/to/other/checkout/bin/run.js node --import tsx bench/ab.mts`; prints CPU
// (user + sys, from /usr/bin/time) and wall seconds per run of bulk apply, re-apply, get -o yaml
// and delete -l over BENCH_N resources, ROUNDS rounds, and a hash of each build's YAML output.
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BIN} from '../test/helpers/cli.js'
import {startEtcd} from '../test/helpers/etcd.js'
import {manifest} from './apply.mjs'

const oldBin = process.env.BENCH_OLD_BIN
if (!oldBin) throw new Error('set BENCH_OLD_BIN to the other build\'s bin/run.js')
const bins = {old: oldBin, new: BIN}
const N = Number(process.env.BENCH_N ?? 10_000)
const etcd = await startEtcd()
const mixed = join(tmpdir(), `bench-ab-mixed-${process.pid}.yaml`)
const pol = join(tmpdir(), `bench-ab-policies-${process.pid}.yaml`)
writeFileSync(mixed, manifest(N))
writeFileSync(pol, manifest(N, 'policies'))
const env = {...process.env, NO_COLOR: '1', ETCD_ENDPOINTS: etcd.endpoint}
const out: Record<string, Record<string, string[]>> = {}
const time = (v: 'old' | 'new', what: string, args: string[]) => {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %e', process.execPath, bins[v], ...args], {env, maxBuffer: 1 << 30, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`${v} ${args.join(' ')}: ${r.stderr}`)
  const [u, s, e] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number)
  const row = out[what] ?? {}
  out[what] = row
  row[v] = [...(row[v] ?? []), `${(u! + s!).toFixed(2)}/${e!.toFixed(1)}`]
  return r.stdout
}
try {
  for (let round = 0; round < Number(process.env.ROUNDS ?? 2); round++) {
    for (const v of round % 2 ? (['new', 'old'] as const) : (['old', 'new'] as const)) {
      await etcd.wipe()
      time(v, 'apply mixed', ['apply', '-f', mixed])
      time(v, 're-apply unchanged', ['apply', '-f', mixed])
      await etcd.wipe()
      time(v, 'apply policies', ['apply', '-f', pol])
      const y = time(v, 'get gnp -o yaml', ['get', 'gnp', '-o', 'yaml'])
      // Same output apart from what differs per write (uid, timestamps, revisions)?
      const stable = y.replace(/uid: .*|creationTimestamp: .*|resourceVersion: .*/g, '')
      out.bytes = {...out.bytes, [v]: [String(y.length), createHash('sha1').update(stable).digest('hex')]}
      time(v, 'delete -l', ['delete', 'gnp', '-l', 'bench == "yes"'])
      console.error(round, v, JSON.stringify(out))
    }
  }
  console.log('cpu s / wall s per run')
  for (const [k, r] of Object.entries(out)) console.log(k.padEnd(22), 'old', (r.old ?? []).join(' '), ' new', (r.new ?? []).join(' '))
} finally { await etcd.stop() }
