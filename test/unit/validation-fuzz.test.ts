// Fuzzing the write path (fast-check, seeded from TEST_SEED: the seed is printed and replays it):
// manifests that upstream accepts (test/faults/parity-corpus.ts) are mutated — fields dropped,
// renamed, re-cased, given other values of any type, keys repeated — and applied through the
// functions `calicoctl apply -f` uses. Whatever the mutation, either every resource is written
// whole (one write each), or the apply fails with a short CalicoError/ValidationError naming the
// problem and nothing is written. A crash (TypeError, RangeError, …) fails the property.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, test} from 'node:test'
import fc from 'fast-check'
import yaml from 'js-yaml'
import {encodeResource} from '../../src/datastore/codec.js'
import {opValue, type WriteOp} from '../../src/datastore/etcd.js'
import {CalicoError, ValidationError} from '../../src/resources/errors.js'
import {defaultAndValidate} from '../../src/resources/manifest.js'
import {loadManifests, writeResources} from '../../src/service/crud.js'
import {CORPUS, manifest} from '../faults/parity-corpus.js'
import {fcSeed, TEST_SEED} from '../helpers/random.js'
import {recordingStore} from '../helpers/recording-store.js'

const SEED = fcSeed('validation fuzz')
const RUNS = Number(process.env.FUZZ_RUNS ?? 400)
console.log(`# validation fuzz: fast-check seed ${SEED} from TEST_SEED=${TEST_SEED}, ${RUNS} runs`)

const dir = mkdtempSync(join(tmpdir(), 'ctl-vfuzz-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** The stored resources the corpus's valid rows refer to (a tier, a BGP filter). */
const HELD = {
  '/calico/resources/v3/projectcalico.org/tiers/security': '{"kind":"Tier","apiVersion":"projectcalico.org/v3","metadata":{"name":"security"},"spec":{"order":100}}',
  '/calico/resources/v3/projectcalico.org/bgpfilters/export-only': '{"kind":"BGPFilter","apiVersion":"projectcalico.org/v3","metadata":{"name":"export-only"},"spec":{}}',
}

// Bases: the corpus rows upstream accepts that are one object (not text-level cases).
const bases = CORPUS.filter((c) => c.ok && c.text === undefined).map((c) => JSON.parse(manifest(c)) as Record<string, unknown>)

type Path = Array<string | number>

/** Every path to a value inside a document (objects and arrays included). */
function paths(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at]
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])))
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]))
  return out
}

function parentOf(doc: unknown, path: Path): {parent: Record<string | number, unknown>; key: string | number} | undefined {
  if (path.length === 0) return undefined
  let cur = doc as Record<string | number, unknown>
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>
  return {parent: cur, key: path[path.length - 1]!}
}

const anyValue = fc.oneof(
  fc.constantFrom('', ' ', '0', '-1', '65536', 'all()', 'garbage', '10.0.0.0/8', 'fe80::1%eth0', '1h', '-5s', 'Always', 'x'.repeat(5000)),
  fc.integer({min: -(2 ** 40), max: 2 ** 40}),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({maxLength: 20}),
  fc.array(fc.oneof(fc.string({maxLength: 6}), fc.integer()), {maxLength: 3}),
  fc.dictionary(fc.string({maxLength: 6}), fc.string({maxLength: 6}), {maxKeys: 3}),
)

type Mutation =
  | {op: 'set'; pick: number; value: unknown}
  | {op: 'drop'; pick: number}
  | {op: 'rename'; pick: number; to: string}
  | {op: 'recase'; pick: number}
  | {op: 'duplicate'; pick: number}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({op: fc.constant('set' as const), pick: fc.nat(), value: anyValue}),
  fc.record({op: fc.constant('drop' as const), pick: fc.nat()}),
  fc.record({op: fc.constant('rename' as const), pick: fc.nat(), to: fc.constantFrom('bogus', 'Spec', 'NAME', 'x-y', '__proto__', 'constructor')}),
  fc.record({op: fc.constant('recase' as const), pick: fc.nat()}),
  fc.record({op: fc.constant('duplicate' as const), pick: fc.nat()}),
)

/** Applies the mutations; returns the manifest text (JSON, or YAML with a repeated key). */
function mutate(base: Record<string, unknown>, ms: Mutation[]): string {
  const doc = structuredClone(base)
  let duplicate: string | undefined
  for (const m of ms) {
    const all = paths(doc).filter((p) => p.length > 0)
    if (all.length === 0) break
    const path = all[m.pick % all.length]!
    const at = parentOf(doc, path)
    if (!at) continue
    const {parent, key} = at
    switch (m.op) {
      case 'set':
        parent[key] = m.value
        break
      case 'drop':
        if (Array.isArray(parent)) parent.splice(Number(key), 1)
        else delete parent[key]
        break
      case 'rename':
      case 'recase':
        if (typeof key === 'string' && !Array.isArray(parent)) {
          const v = parent[key]
          delete parent[key]
          const to = m.op === 'rename' ? m.to : key === key.toUpperCase() ? key.toLowerCase() : key.toUpperCase()
          Object.defineProperty(parent, to, {value: v, enumerable: true, writable: true, configurable: true})
        }
        break
      case 'duplicate':
        if (typeof key === 'string' && !Array.isArray(parent)) duplicate = key
        break
    }
  }
  if (duplicate === undefined) return JSON.stringify(doc)
  // A repeated key needs text: YAML with the first occurrence of the key written twice.
  const text = yaml.dump(doc, {lineWidth: -1})
  const re = new RegExp(`^(\\s*)(${duplicate.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}):(.*)$`, 'm')
  return re.test(text) ? text.replace(re, (line, indent, k) => `${line}\n${indent}${k}: null`) : text
}

let files = 0
function writeFile(text: string): string {
  const p = join(dir, `f${files++ % 50}.yaml`)
  writeFileSync(p, text)
  return p
}
let accepted = 0
let refused = 0

test('mutated valid manifests: stored whole (exit 0) or refused with nothing written (exit 1); never a crash', async () => {
  assert.ok(bases.length >= 60, `only ${bases.length} bases`)
  await fc.assert(
    fc.asyncProperty(fc.nat({max: bases.length - 1}), fc.array(mutation, {minLength: 1, maxLength: 3}), async (b, ms) => {
      const text = mutate(bases[b]!, ms)
      const p = writeFile(text)
      const {store, writes} = recordingStore(HELD)
      let error: unknown
      let docs = 0
      try {
        const loaded = loadManifests(p, {})
        docs = loaded.length
        await writeResources(store, 'apply', loaded)
      } catch (e) {
        error = e
      }
      if (error === undefined) {
        accepted++
        assert.equal(writes.length, docs, 'every resource written, each once')
        // What was stored is whole: read back as a manifest, it is accepted again unchanged.
        for (const w of writes as WriteOp[]) {
          if (w.type === 'delete') continue
          const value = opValue(w)
          const again = loadManifests(writeFile(value), {})
          for (const {def, resource} of again) {
            const checked = defaultAndValidate(def, resource, {exists: () => true})
            assert.equal(encodeResource(def, checked), value, 'stored form is stable')
          }
        }
        return
      }
      refused++
      assert.ok(error instanceof CalicoError || error instanceof ValidationError, `${(error as Error)?.stack}\n${text.slice(0, 300)}`)
      assert.deepEqual(writes, [], 'nothing written')
      const lines = error.message.split('\n')
      assert.ok(lines.length <= 11, error.message)
      for (const line of lines) {
        assert.ok(line.length > 0 && line.length <= 400, line.slice(0, 200))
        assert.doesNotMatch(line, /^\s+at \S+ \(|node:internal|\.ts:\d+:\d+/)
      }
    }),
    {seed: SEED, numRuns: RUNS, verbose: process.env.FUZZ_VERBOSE ? 1 : 0},
  )
  console.log(`# validation fuzz: ${accepted} mutated manifests stored whole, ${refused} refused with nothing written`)
  assert.ok(refused > 0, 'the mutations should produce some invalid manifests')
})
