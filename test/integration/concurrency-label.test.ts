// Concurrency: 8 writer processes label the same 100 resources at once, each with its own label
// key. Every label must survive (read-modify-write guarded by the revision, retried on conflict),
// and no writer may fail. Then the same through the real CLI: 8 `calicoctl label` at once on one
// resource.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {after, before, test} from 'node:test'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

const WORKER = join(dirname(fileURLToPath(import.meta.url)), '..', 'faults', 'label-worker.ts')
const PREFIX = '/calico/resources/v3/projectcalico.org/globalnetworksets/'
const WRITERS = 8
const RESOURCES = 100
let etcd: TestEtcd

before(async () => {
  etcd = await startEtcd()
})
after(async () => etcd.stop())

function worker(endpoint: string, writer: number, names: string[]): Promise<{ok: number; failed: string[]}> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', WORKER, endpoint, String(writer), 'GlobalNetworkSet', ...names], {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (err += d))
    p.on('exit', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!))
      } catch {
        reject(new Error(`worker ${writer} exited ${code}: ${err}${out}`))
      }
    })
  })
}

async function labelsOf(name: string): Promise<Record<string, string>> {
  const v = await etcd.client.get(`${PREFIX}${name}`).string()
  return JSON.parse(v!).metadata.labels ?? {}
}

test(`${WRITERS} processes labelling the same ${RESOURCES} resources lose no update`, async () => {
  await etcd.wipe()
  const names = Array.from({length: RESOURCES}, (_, i) => `shared-${i}`)
  const docs = names.map((n, i) => `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: ${n}, labels: {base: b}}\nspec: {nets: [10.0.${i}.0/24]}\n`)
  const r = await cliFor(etcd.endpoint)(['apply', '-f', '-'], {input: docs.join('---\n')})
  assert.equal(r.code, 0, r.stderr)
  // Each writer walks the list from a different starting point so they collide all the way.
  const results = await Promise.all(
    Array.from({length: WRITERS}, (_, w) => worker(etcd.endpoint, w, [...names.slice(w * 12), ...names.slice(0, w * 12)])),
  )
  for (const [w, res] of results.entries()) {
    assert.deepEqual(res.failed, [], `writer ${w} failed`)
    assert.equal(res.ok, RESOURCES)
  }
  let lost = 0
  for (const n of names) {
    const labels = await labelsOf(n)
    const want: Record<string, string> = {base: 'b'}
    for (let w = 0; w < WRITERS; w++) want[`writer-${w}`] = `w${w}`
    if (JSON.stringify(Object.entries(labels).sort()) !== JSON.stringify(Object.entries(want).sort())) lost++
    assert.deepEqual(labels, want, n)
  }
  assert.equal(lost, 0)
  console.log(`# concurrency: ${WRITERS} writers x ${RESOURCES} resources, updates lost: ${lost}`)
})

test(`${WRITERS} concurrent \`calicoctl label\` on one resource all land`, async () => {
  await etcd.wipe()
  const run = cliFor(etcd.endpoint)
  assert.equal((await run(['apply', '-f', '-'], {input: 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: hot}\nspec: {nets: [10.1.0.0/24]}\n'})).code, 0)
  const rs = await Promise.all(Array.from({length: WRITERS}, (_, w) => run(['label', 'globalnetworksets', 'hot', `cli-${w}=v${w}`])))
  for (const [w, r] of rs.entries()) {
    assert.equal(r.code, 0, `writer ${w}: ${r.stderr}`)
    assert.equal(r.stdout, `Successfully set label cli-${w} on globalnetworkset hot\n`)
  }
  const labels = await labelsOf('hot')
  for (let w = 0; w < WRITERS; w++) assert.equal(labels[`cli-${w}`], `v${w}`)
})
