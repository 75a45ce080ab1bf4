// Property-based fuzzing (fast-check) of the manifest parser, the field validators and the
// selector parser: they never throw anything but CalicoError / ValidationError / SelectorError,
// and a selector's canonical text parses back to itself and means the same thing.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import fc from 'fast-check'
import yaml from 'js-yaml'
import {CalicoError, ValidationError} from '../../src/resources/errors.js'
import {defaultAndValidate, resourceFromDoc, splitDocuments} from '../../src/resources/manifest.js'
import {KINDS} from '../../src/resources/registry.js'
import {type Labels, parseSelector, SelectorError, type SelectorNode, selectorText, validateSelector} from '../../src/resources/selector.js'
import {parseAsNumber, parseCidr, parseNet} from '../../src/resources/validate.js'
import {VALID_BASES} from '../faults/corpus.js'
import {fcSeed} from '../helpers/random.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 300)
// Every property's seed comes from TEST_SEED; a failing property prints its seed and path.
fc.configureGlobal({seed: fcSeed('fuzz')})
let inputsTried = 0

function expectedOnly(e: unknown, ...allowed: Array<new (...a: any[]) => Error>): void {
  if (!allowed.some((c) => e instanceof c)) throw e
}

// ---------- selectors ----------

const labelName = fc.stringMatching(/^[a-zA-Z0-9_./-]{1,12}$/).map((s) => `k${s}`)
const value = fc.string({maxLength: 8}).filter((s) => !(s.includes('"') && s.includes("'")))
const leaf: fc.Arbitrary<SelectorNode> = fc.oneof(
  fc.constant({kind: 'all'} as const),
  labelName.map((label) => ({kind: 'has', label}) as const),
  fc.record({kind: fc.constantFrom('eq', 'ne', 'contains', 'startsWith', 'endsWith' as const), label: labelName, value}),
  fc.record({kind: fc.constantFrom('in', 'notIn' as const), label: labelName, values: fc.array(value, {minLength: 1, maxLength: 3})}),
)
const {node: selectorTree} = fc.letrec<{node: SelectorNode}>((tie) => ({
  node: fc.oneof(
    {depthSize: 'small', withCrossShrink: true},
    leaf,
    tie('node').map((operand) => ({kind: 'not', operand}) as const),
    fc.record({kind: fc.constantFrom('and', 'or' as const), operands: fc.array(tie('node'), {minLength: 2, maxLength: 3})}),
  ),
}))

/** What a selector means, written independently of the implementation. */
function evaluate(n: SelectorNode, l: Labels): boolean {
  const has = (k: string) => Object.hasOwn(l, k)
  switch (n.kind) {
    case 'all': return true
    case 'global': return false
    case 'has': return has(n.label)
    case 'eq': return has(n.label) && l[n.label] === n.value
    case 'ne': return !(has(n.label) && l[n.label] === n.value)
    case 'contains': return has(n.label) && l[n.label]!.includes(n.value)
    case 'startsWith': return has(n.label) && l[n.label]!.startsWith(n.value)
    case 'endsWith': return has(n.label) && l[n.label]!.endsWith(n.value)
    case 'in': return has(n.label) && n.values.includes(l[n.label]!)
    case 'notIn': return !(has(n.label) && n.values.includes(l[n.label]!))
    case 'not': return !evaluate(n.operand, l)
    case 'and': return n.operands.every((o) => evaluate(o, l))
    case 'or': return n.operands.some((o) => evaluate(o, l))
  }
}

/** Label sets built from the tree's own labels and values, so matches are not all vacuous. */
function labelsFor(n: SelectorNode, pick: number[]): Labels {
  const names: string[] = []
  const values: string[] = ['']
  const walk = (x: SelectorNode): void => {
    if ('label' in x) names.push(x.label)
    if ('value' in x) values.push(x.value, `${x.value}z`, `z${x.value}`)
    if ('values' in x) values.push(...x.values)
    if ('operand' in x) walk(x.operand)
    if ('operands' in x) x.operands.forEach(walk)
  }
  walk(n)
  const out: Record<string, string> = {}
  names.forEach((name, i) => {
    const p = pick[i % pick.length] ?? 0
    if (p % 3 !== 0) out[name] = values[p % values.length]!
  })
  return out
}

describe('selector parser (fast-check)', () => {
  test('arbitrary text: parses or throws SelectorError, and validateSelector never throws', () => {
    const alphabet = fc.constantFrom(...'ab ()!&|=\'"{},hasl_./-'.split(''), ' in ', ' not in ', 'has(', 'all()', 'global()', ' contains ', ' starts with ', '==', '!=', '&&', '||')
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(alphabet, {maxLength: 30}).map((a) => a.join(''))), (text) => {
        inputsTried++
        try {
          const s = parseSelector(text)
          // Whatever parses has a canonical text that parses to itself.
          assert.equal(parseSelector(s.text).text, s.text)
        } catch (e) {
          expectedOnly(e, SelectorError)
        }
        validateSelector(text, 'spec.selector')
      }),
      {numRuns: RUNS * 4},
    )
  })

  test('canonical text round-trips and keeps the meaning', () => {
    fc.assert(
      fc.property(selectorTree, fc.array(fc.nat(20), {minLength: 1, maxLength: 8}), (tree, pick) => {
        inputsTried++
        const text = selectorText(tree)
        const s = parseSelector(text)
        assert.equal(parseSelector(s.text).text, s.text)
        const labels = labelsFor(tree, pick)
        assert.equal(s.matches(labels), evaluate(tree, labels), `${text} on ${JSON.stringify(labels)}`)
        assert.equal(parseSelector(s.text).matches(labels), evaluate(tree, labels))
      }),
      {numRuns: RUNS * 2},
    )
  })
})

// ---------- validators ----------

describe('field validators (fast-check)', () => {
  test('parseCidr / parseNet / parseAsNumber never throw; a parsed CIDR re-parses to itself', () => {
    const octet = fc.oneof(fc.nat(300), fc.constantFrom(-1, 256, 999))
    const v4 = fc.tuple(octet, octet, octet, octet, fc.integer({min: -2, max: 40})).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`)
    const anything = fc.oneof(fc.string(), v4, fc.ipV4().map((ip) => `${ip}/24`), fc.ipV6().map((ip) => `${ip}/64`), fc.ipV4Extended(), fc.ipV6())
    fc.assert(
      fc.property(anything, fc.anything(), (text, junk) => {
        inputsTried++
        for (const f of [parseCidr, parseNet]) {
          const p = f(text)
          if (p) assert.equal(parseCidr(p.text)?.text, p.text)
          f(junk as string)
        }
        parseAsNumber(junk)
        parseAsNumber(text)
      }),
      {numRuns: RUNS * 3},
    )
  })
})

// ---------- manifest parser ----------

describe('manifest parser (fast-check)', () => {
  const run = (text: string) => {
    inputsTried++
    try {
      for (const d of splitDocuments([{source: 'fuzz', text}])) {
        const {def, resource} = resourceFromDoc(d)
        defaultAndValidate(def, resource, {existing: []})
      }
    } catch (e) {
      expectedOnly(e, CalicoError, ValidationError)
    }
  }

  test('arbitrary text and arbitrary YAML documents', () => {
    fc.assert(fc.property(fc.string({maxLength: 200}), run), {numRuns: RUNS})
    fc.assert(fc.property(fc.anything({maxDepth: 4}), (doc) => run(yaml.dump(doc, {skipInvalid: true}))), {numRuns: RUNS})
  })

  test('documents of every kind with arbitrary metadata and spec', () => {
    const kinds = KINDS.map((d) => d.kind)
    const doc = fc.record({
      apiVersion: fc.constantFrom('projectcalico.org/v3', 'v1', ''),
      kind: fc.constantFrom(...kinds),
      metadata: fc.oneof(fc.record({name: fc.oneof(fc.string(), fc.anything()), labels: fc.dictionary(fc.string(), fc.string())}, {requiredKeys: []}), fc.anything()),
      spec: fc.oneof(fc.anything({maxDepth: 3}), fc.dictionary(fc.constantFrom('cidr', 'nets', 'selector', 'nodeSelector', 'peerIP', 'asNumber', 'ingress', 'egress', 'interfaceName', 'blockSize', 'bgp', 'order', 'ports'), fc.anything({maxDepth: 3}))),
    })
    fc.assert(fc.property(doc, (d) => run(JSON.stringify(d) ?? 'null')), {numRuns: RUNS * 2})
  })

  test('valid bases with one field replaced by anything', () => {
    const bases = Object.values(VALID_BASES).map((t) => yaml.load(t) as Record<string, any>)
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.constantFrom('metadata', 'spec'), fc.string({minLength: 1, maxLength: 12}), fc.anything({maxDepth: 3}), (base, part, key, v) => {
        const doc = structuredClone(base)
        const target = doc[part] as Record<string, unknown>
        const keys = Object.keys(target)
        target[keys.length > 0 && key.length % 2 === 0 ? keys[key.length % keys.length]! : key] = v
        run(JSON.stringify(doc))
      }),
      {numRuns: RUNS * 2},
    )
  })

  test('report', () => {
    assert.ok(inputsTried > 0)
    console.log(`# fuzz: ${inputsTried} generated inputs tried`)
  })
})
