// Our YAML is calicoctl's (sigs.k8s.io/yaml over go-yaml v2, as upstream v3.32.1's
// calicoctl/calicoctl/commands/common/printer.go prints): the layout and key order of js-yaml's
// dump with DUMP_OPTIONS, strings quoted as go-yaml quotes them, and every document read back
// unchanged.
import assert from 'node:assert/strict'
import {test} from 'node:test'
import yaml from 'js-yaml'
import {DUMP_OPTIONS, dumpYaml, goKeyOrder} from '../../src/output/yaml-emit.js'
import {rng} from '../helpers/random.js'

/** For documents whose strings need no quotes, the writer's layout is js-yaml's with DUMP_OPTIONS. */
const sameLayout = (v: unknown) => assert.equal(dumpYaml(v), yaml.dump(v, DUMP_OPTIONS), JSON.stringify(v))
const roundTrip = (v: unknown) => assert.deepEqual(yaml.load(dumpYaml(v), {schema: yaml.JSON_SCHEMA}), JSON.parse(JSON.stringify(v)), JSON.stringify(v))

// [string, how go-yaml v2 writes it as a mapping value]
const GO_SCALARS: Array<[string, string]> = [
  ['', '""'], ['a', 'a'], ['y', '"y"'], ['n', '"n"'], ['yes', '"yes"'], ['No', '"No"'], ['on', '"on"'], ['OFF', '"OFF"'],
  ['true', '"true"'], ['True', '"True"'], ['FALSE', '"FALSE"'], ['null', '"null"'], ['~', '"~"'], ['abcd', 'abcd'], ['nulls', 'nulls'],
  ['123', '"123"'], ['0x1f', '"0x1f"'], ['0o17', '"0o17"'], ['0b101', '"0b101"'], ['1_000', '"1_000"'], ['1e3', '"1e3"'],
  ['1.5', '"1.5"'], ['.5', '".5"'], ['1.', '"1."'], ['09', '"09"'], ['.inf', '".inf"'], ['-.Inf', '"-.Inf"'], ['.NaN', '".NaN"'],
  ['NaN', 'NaN'], ['+12', '"+12"'], ['-7', '"-7"'], ['1:20', '"1:20"'], ['8000:8080', '8000:8080'], ['<<', '"<<"'],
  ['2026-11-25', '"2026-11-25"'], ['2026-11-25T19:30:53Z', '"2026-11-25T19:30:53Z"'], ["app == 'web'", "app == 'web'"],
  ["it's", "it's"], ['a "b"', 'a "b"'], ['all()', 'all()'], ['- x', "'- x'"], ['-', "'-'"], ['-x', '-x'], ['x-', 'x-'],
  ['a: b', "'a: b'"], ['a:', "'a:'"], ['a:b', 'a:b'], ['a #b', "'a #b'"], ['a#b', 'a#b'], ['#x', "'#x'"], [' lead', "' lead'"],
  ['trail ', "'trail '"], ["'q'", "'''q'''"], ['tab\there', '"tab\\there"'], ['\u0007bell', '"\\abell"'], ['é', 'é'], ['日本', '日本'],
  ['?x', '?x'], ['*x', "'*x'"], ['@x', "'@x'"], ['[x]', "'[x]'"], ['---x', "'---x'"], ['k8s.io/name', 'k8s.io/name'],
  ['10.0.0.0/16', '10.0.0.0/16'], ['fd00::/64', 'fd00::/64'], ['192.168.1.1', '192.168.1.1'], ['x'.repeat(200), 'x'.repeat(200)],
]

test('strings are quoted as go-yaml quotes them, and read back unchanged', () => {
  for (const [s, want] of GO_SCALARS) {
    assert.equal(dumpYaml({value: s}), `value: ${want}\n`, JSON.stringify(s))
    assert.equal(dumpYaml([s]), `- ${want}\n`, JSON.stringify(s))
    roundTrip({[s]: s, list: [s]})
  }
})

test("sequences sit at their key's column, as in calicoctl's printed lists", () => {
  const list = {apiVersion: 'projectcalico.org/v3', items: [{kind: 'Profile', metadata: {name: 'p', resourceVersion: '1'}, spec: {egress: [{action: 'Allow'}]}}], kind: 'ProfileList', metadata: {resourceVersion: ''}}
  assert.equal(
    dumpYaml(list),
    'apiVersion: projectcalico.org/v3\nitems:\n- kind: Profile\n  metadata:\n    name: p\n    resourceVersion: "1"\n  spec:\n    egress:\n    - action: Allow\nkind: ProfileList\nmetadata:\n  resourceVersion: ""\n',
  )
})

test("keys in go-yaml's order: non-letters before letters, digit runs as numbers", () => {
  const keys = ['b10', 'b9', 'Zed', '_a', 'a', 'a1', 'a01', '10', '9', 'projectcalico.org/tier', 'app']
  assert.deepEqual([...keys].sort(goKeyOrder), ['_a', '9', '10', 'Zed', 'a', 'a1', 'a01', 'app', 'b9', 'b10', 'projectcalico.org/tier'])
  assert.equal(dumpYaml({b10: 1, b9: 2, _a: 3}), '_a: 3\nb9: 2\nb10: 1\n')
})

test('nesting, empty containers, numbers, booleans, null and undefined', () => {
  sameLayout({apiVersion: 'vvvv', items: [], kind: 'List', metadata: {name: 'abcd'}})
  sameLayout({a: {}, b: [], c: [{}, [], [[1, 2], []], {xx: {yyyy: {zzzz: [1, {qqqq: null}]}}}], d: undefined, e: null, f: true, g: false})
  sameLayout({nums: [0, -0, 1, -1, 1.5, -2.25, 1e21, 1e-7, 123456789012, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1]})
  sameLayout([[['deep']], {a: [{b: [{c: 'dddd'}]}]}, undefined, null])
  sameLayout({allUndefined: {a: undefined}, z: 1, A: 2, _: 3, b10: 4, b9: 5})
  sameLayout({items: [{metadata: {name: 'xxxx', labels: {'projectcalico.org/tier': 'default'}}, spec: {ingress: [{action: 'Allow', source: {}, destination: {ports: [80, 'http']}}]}}]})
})

test('falls back to js-yaml for what it does not cover', () => {
  sameLayout({multi: 'line one\nline two\n', key: 'xxxx'})
  sameLayout({'multi\nkey': 1})
  sameLayout({date: new Date(0)})
  sameLayout({['k'.repeat(1100)]: 1})
  sameLayout('top-level string')
  sameLayout(42)
  sameLayout(null)
})

test('random documents read back unchanged; without strings that need quotes, in js-yaml\'s layout', () => {
  const rnd = rng('yaml-emit documents').int
  const tricky = ['a', 'web', 'true', '1', "x'y", 'a: b', '', 'all()', 'role == "db"', 'yes', '2001:db8::/48', '1:20', '0x1f', 'tab\tx', '#c']
  const neutral = ['abcd', 'webs', 'role', 'k8s.io/x', 'Allow']
  const scalars = [0, 3, -1, 2.5, true, false, null]
  for (const strings of [tricky, neutral]) {
    const atoms = [...strings, ...scalars]
    const gen = (depth: number): unknown => {
      const k = depth > 3 ? 0 : rnd(4)
      if (k === 0) return atoms[rnd(atoms.length)]
      if (k === 1) return Array.from({length: rnd(4)}, () => gen(depth + 1))
      return Object.fromEntries(Array.from({length: rnd(5)}, () => [String(strings[rnd(strings.length)]), gen(depth + 1)]))
    }
    for (let i = 0; i < 1000; i++) {
      const doc = {doc: gen(0), list: [gen(1), gen(1)]}
      roundTrip(doc)
      if (strings === neutral) sameLayout(doc)
    }
  }
})
