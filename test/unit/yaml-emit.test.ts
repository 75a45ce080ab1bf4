// The fast YAML writer must be byte-identical to js-yaml's dump with the options we print with.
import assert from 'node:assert/strict'
import {test} from 'node:test'
import yaml from 'js-yaml'
import {DUMP_OPTIONS, dumpYaml} from '../../src/output/yaml-emit.js'
import {rng} from '../helpers/random.js'

const same = (v: unknown) => assert.equal(dumpYaml(v), yaml.dump(v, DUMP_OPTIONS), JSON.stringify(v))

test('strings that look like other types, need quotes or escapes, or are YAML 1.1 words', () => {
  const strings = [
    '', 'a', 'y', 'n', 'yes', 'No', 'on', 'OFF', 'true', 'True', 'FALSE', 'null', 'Null', '~', 'abcd', 'nulls', 'Yess',
    '123', '0x1f', '0o17', '0b101', '1_000', '1e3', '1.5', '.inf', '-.Inf', '.NaN', '+12', '-7', '1:20', '190:20:30',
    '2026-11-25', '2026-11-25T19:30:53Z', '123e4567-e89b-12d3-a456-426614174000', 'app == \'web\'', "it's", 'a "b"',
    'has(x)', 'all()', '- x', '-x', 'x-', 'a: b', 'a:b', 'a #b', 'a#b', '#x', ' lead', 'trail ', 'tab\there', '\u0007bell',
    'é', '日本', '\u2028', 'x/y.z_w-1', '<<', '=', '?x', 'a,b', '[x]', '{x}', '*x', '&x', '!x', '%x', '@x', '`x', '|x', '>x',
    'k8s.io/name', '10.0.0.0/16', 'fd00::/64', '192.168.1.1', '0', '00', '09', '1.', '.5', 'NaN', 'Infinity', 'x'.repeat(2000),
  ]
  for (const s of strings) {
    same({value: s})
    same({[s]: 1})
    same([s])
  }
})

test('nesting, empty containers, numbers, booleans, null and undefined', () => {
  same({apiVersion: 'v', items: [], kind: 'L', metadata: {resourceVersion: ''}})
  same({a: {}, b: [], c: [{}, [], [[1, 2], []], {x: {y: {z: [1, {q: null}]}}}], d: undefined, e: null, f: true, g: false})
  same({n: [0, -0, 1, -1, 1.5, -2.25, 1e21, 1e-7, 123456789012, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1]})
  same([[['deep']], {a: [{b: [{c: 'd'}]}]}, undefined, null])
  same({allUndefined: {a: undefined}, z: 1, A: 2, _: 3, '10': 4, '9': 5})
  same({items: [{metadata: {name: 'x', labels: {'projectcalico.org/tier': 'default'}}, spec: {ingress: [{action: 'Allow', source: {}, destination: {ports: [80, '8000:8080']}}]}}]})
})

test('falls back to js-yaml for what it does not cover', () => {
  same({multi: 'line one\nline two\n', key: 'x'})
  same({'multi\nkey': 1})
  same({date: new Date(0)})
  same({['k'.repeat(1100)]: 1})
  same('top-level string')
  same(42)
  same(null)
})

test('random documents', () => {
  const rnd = rng('yaml-emit documents').int
  const atoms = ['a', 'web', 'true', '1', "x'y", 'a: b', '', 'all()', 'role == "db"', 'yes', '2001:db8::/48', 0, 3, -1, 2.5, true, false, null]
  const gen = (depth: number): unknown => {
    const k = depth > 3 ? 0 : rnd(4)
    if (k === 0) return atoms[rnd(atoms.length)]
    if (k === 1) return Array.from({length: rnd(4)}, () => gen(depth + 1))
    return Object.fromEntries(Array.from({length: rnd(5)}, () => [String(atoms[rnd(atoms.length)]), gen(depth + 1)]))
  }
  for (let i = 0; i < 2000; i++) same({doc: gen(0), list: [gen(1), gen(1)]})
})
