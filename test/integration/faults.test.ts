// Datastore faults: etcd stopped, connections cut or blackholed in the middle of a 5,000-resource
// apply. The CLI must exit 1 within its timeout with one line saying how many writes landed, every
// resource must be either whole or absent, and re-running the same apply must finish the job.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {cliFor} from '../helpers/cli.js'
import {freePort, startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {MAX_TXN_OPS, PIPELINE} from '../../src/datastore/etcd.js'
import {startFaultProxy} from '../helpers/faultproxy.js'
import {hangGuard} from '../helpers/time.js'

const PREFIX = '/calico/resources/v3/projectcalico.org/globalnetworksets/'
const N = 5000
/** Writes in flight when the fault hits may land unreported: at most the pipelined batches. */
const IN_FLIGHT = PIPELINE * MAX_TXN_OPS
let etcd: TestEtcd
const dir = mkdtempSync(join(tmpdir(), 'ctl-faults-'))
/** Faults injected in this file, for the report. */
let faults = 0

function manifest(generation: number): string {
  const docs: string[] = []
  for (let i = 0; i < N; i++)
    docs.push(
      `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: set-${i}\n  labels: {gen: "g${generation}", idx: "i${i}"}\nspec:\n  nets: [10.${(i >> 8) & 255}.${i & 255}.0/24, 172.16.${generation}.${i % 250}/32]\n`,
    )
  return docs.join('---\n')
}

function expected(i: number, generation: number) {
  return {labels: {gen: `g${generation}`, idx: `i${i}`}, nets: [`10.${(i >> 8) & 255}.${i & 255}.0/24`, `172.16.${generation}.${i % 250}/32`]}
}

/** Every stored set: parsed (a torn value would throw), keyed by name. */
async function stored(): Promise<Map<string, any>> {
  const all = await etcd.client.getAll().prefix(PREFIX).strings()
  const out = new Map<string, any>()
  for (const [k, v] of Object.entries(all)) out.set(k.slice(PREFIX.length), JSON.parse(v))
  return out
}

/** Each resource is whole: exactly generation g's content for some g in `allowed`. Returns counts per generation. */
function checkWhole(sets: Map<string, any>, allowed: number[]): Map<number, number> {
  const counts = new Map<number, number>()
  for (const [name, doc] of sets) {
    const i = Number(/^set-(\d+)$/.exec(name)?.[1])
    assert.ok(Number.isInteger(i) && i >= 0 && i < N, `unexpected key ${name}`)
    const gen = allowed.find((g) => {
      const e = expected(i, g)
      return JSON.stringify(doc.metadata.labels) === JSON.stringify(e.labels) && JSON.stringify(doc.spec.nets) === JSON.stringify(e.nets)
    })
    assert.notEqual(gen, undefined, `${name} is neither absent nor whole: ${JSON.stringify(doc)}`)
    assert.equal(doc.metadata.name, name)
    assert.match(doc.metadata.uid, /^[0-9a-f-]{36}$/)
    counts.set(gen!, (counts.get(gen!) ?? 0) + 1)
  }
  return counts
}

function file(name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

function portOf(endpoint: string): number {
  return Number(new URL(endpoint).port)
}

/**
 * The single line the CLI prints on a partial write, and the count it reports: exact when it could
 * read back what landed, else the writes etcd confirmed (those in flight may have landed unheard).
 */
function landedCount(stderr: string): number {
  const lines = stderr.trim().split('\n')
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`)
  assert.doesNotMatch(stderr, /\n\s+at |Error: .*\n.*at /, 'no stack trace')
  assert.match(lines[0]!, /cannot reach etcd at .*: .*; (read back after the failure, |the read-back failed too, so only the )(\d+) of (\d+) resource write\(s\).*re-run the same command to finish/)
  return Number(/(\d+) of \d+ resource write/.exec(lines[0]!)![1])
}

/** The CLI's count matches what is stored: exactly after a read-back, else within the writes in flight. */
function countIsTrue(stderr: string, landed: number, stored: number): void {
  if (/read back after the failure/.test(stderr)) assert.equal(landed, stored, `reported ${landed}, stored ${stored}`)
  else assert.ok(stored >= landed && stored - landed <= IN_FLIGHT, `reported ${landed}, stored ${stored}`)
}

before(async () => {
  etcd = await startEtcd()
})
after(async () => {
  await etcd.stop()
  rmSync(dir, {recursive: true, force: true})
  console.log(`# faults injected in faults.test.ts: ${faults}`)
})

describe('etcd fails in the middle of a 5,000-resource apply', () => {
  test('etcd stopped during the creates: exit 1 with the landed count, nothing torn, re-run finishes', async () => {
    await etcd.wipe()
    const f = file('gen1.yaml', manifest(1))
    // Freeze the stream roughly a third of the way through the creates, then stop etcd itself.
    const proxy = await startFaultProxy(portOf(etcd.endpoint), 500_000)
    const run = cliFor(proxy.endpoint)
    const applied = hangGuard('a 5,000-resource apply that loses etcd', 60_000)
    const pending = run(['apply', '-f', f], {timeoutMs: 120_000})
    await proxy.triggered
    await etcd.pause()
    proxy.cut()
    faults++
    const r = await pending
    applied()
    await proxy.close()
    await etcd.resume()
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const landed = landedCount(r.stderr)
    const sets = await stored()
    const counts = checkWhole(sets, [1])
    assert.ok(sets.size > 0 && sets.size < N, `a partial write was expected, found ${sets.size}`)
    // What the CLI reported as landed is there; the batches in flight may have landed too.
    countIsTrue(r.stderr, landed, sets.size)
    assert.equal(counts.get(1), sets.size)

    const again = await cliFor(etcd.endpoint)(['apply', '-f', f])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(again.stdout, `Successfully applied ${N} 'GlobalNetworkSet' resource(s)\n`)
    const done = await stored()
    assert.equal(done.size, N)
    assert.equal(checkWhole(done, [1]).get(1), N)
  })

  test('connections cut during the updates of an existing set: old or new per resource, re-run converges', async () => {
    // Starts from the complete generation 1 left by the previous test (re-applied here if needed).
    const g1 = file('gen1.yaml', manifest(1))
    assert.equal((await cliFor(etcd.endpoint)(['apply', '-f', g1])).code, 0)
    const f = file('gen2.yaml', manifest(2))
    const proxy = await startFaultProxy(portOf(etcd.endpoint), 900_000)
    const run = cliFor(proxy.endpoint)
    const pending = run(['apply', '-f', f], {timeoutMs: 120_000})
    await proxy.triggered
    proxy.cut()
    faults++
    const r = await pending
    await proxy.close()
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const landed = landedCount(r.stderr)
    const sets = await stored()
    assert.equal(sets.size, N, 'an update never deletes')
    const counts = checkWhole(sets, [1, 2])
    const updated = counts.get(2) ?? 0
    assert.ok(updated > 0 && updated < N, `a partial update was expected, found ${updated}`)
    countIsTrue(r.stderr, landed, updated)

    const again = await cliFor(etcd.endpoint)(['apply', '-f', f])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(checkWhole(await stored(), [2]).get(2), N)
  })

  test('endpoint blackholed mid-apply (no reset, no answer): exit 1 within the --timeout, landed count given', async () => {
    await etcd.wipe()
    const f = file('gen3.yaml', manifest(3))
    const proxy = await startFaultProxy(portOf(etcd.endpoint), 300_000)
    const run = cliFor(proxy.endpoint)
    // Hang guard: the whole run including 5,000 parses, not just the stalled call.
    const done = hangGuard('a 5,000-resource apply against a blackholed endpoint', 60_000)
    const r = await run(['apply', '-f', f, '--timeout', '2s'], {timeoutMs: 120_000})
    done()
    faults++
    assert.ok(proxy.fired)
    await proxy.close()
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stderr, /no answer within 2s/)
    const landed = landedCount(r.stderr)
    const sets = await stored()
    checkWhole(sets, [3])
    countIsTrue(r.stderr, landed, sets.size)
    const again = await cliFor(etcd.endpoint)(['apply', '-f', f])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(checkWhole(await stored(), [3]).get(3), N)
  })
})

describe('unreachable endpoints fail within seconds with one line', () => {
  let silent: Server
  let silentPort: number
  const held = new Set<Socket>()
  before(async () => {
    // Accepts TCP connections and never says a word: the blackholed etcd of the bug reports.
    silent = createServer((s) => {
      held.add(s)
      s.on('error', () => {})
    })
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const a = silent.address()
    silentPort = typeof a === 'object' && a ? a.port : 0
  })
  after(async () => {
    for (const s of held) s.destroy()
    await new Promise<void>((r) => silent.close(() => r()))
  })

  const cases: Array<[string, () => Promise<string>, string[]]> = [
    ['nothing listening (refused)', async () => `http://127.0.0.1:${await freePort()}`, ['get', 'ippools']],
    ['silent listener (blackhole), get', async () => `http://127.0.0.1:${silentPort}`, ['get', 'ippools', '--timeout', '2s']],
    ['silent listener (blackhole), apply', async () => `http://127.0.0.1:${silentPort}`, ['apply', '-f', '-', '--timeout', '2s']],
    ['silent listener (blackhole), label', async () => `http://127.0.0.1:${silentPort}`, ['label', 'ippools', 'p', 'a=b', '--timeout', '2s']],
  ]
  for (const [name, endpoint, args] of cases) {
    test(name, async () => {
      const run = cliFor(await endpoint())
      // --timeout bounds the whole command (version check, initialisation and the call share
      // it): anything past --timeout + 3 s is a hang (issue #22).
      const timeoutS = args.includes('--timeout') ? Number.parseFloat(args[args.indexOf('--timeout') + 1]!) : 5
      const done = hangGuard(`${name} with --timeout ${timeoutS}s`, (timeoutS + 3) * 1000)
      const input = 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.9.0.0/16}\n'
      const r = await run(args, {input: args[0] === 'apply' ? input : undefined, timeoutMs: 60_000})
      done()
      faults++
      assert.equal(r.code, 1, r.stdout + r.stderr)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, /cannot reach etcd at http:\/\/127\.0\.0\.1:\d+: /)
      assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/)
    })
  }
})
