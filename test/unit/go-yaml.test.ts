// Manifests read as calicoctl reads them. Upstream v3.32.1 calicoctl/calicoctl/resourcemgr/
// resourcemgr.go decodes each document with sigs.k8s.io/yaml UnmarshalStrict (go.mod: sigs.k8s.io/yaml
// v1.6.0, go.yaml.in/yaml/v2 v2.4.3): go-yaml v2 parses with YAML 1.1 scalars (resolve.go), refuses
// duplicate keys (strict) and excessive aliasing (decode.go allowedAliasRatio); the value is then
// turned into JSON, a number or boolean becoming text where the Go field is a string (yaml.go
// convertToJSONableObject), and decoded with encoding/json.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, test} from 'node:test'
import yaml from 'js-yaml'
import {parseConfigFile} from '../../src/datastore/config.js'
import {checkAliasExpansion, GO_YAML_SCHEMA, goNumber} from '../../src/resources/go-yaml.js'
import {goString} from '../../src/lib/go-float.js'
import {defaultAndValidate, resourceFromDoc, splitDocuments} from '../../src/resources/manifest.js'
import {CalicoError, ValidationError} from '../../src/resources/errors.js'
import {loadManifests, writeResources} from '../../src/service/crud.js'
import {dumpYaml} from '../../src/output/yaml-emit.js'
import {rng} from '../helpers/random.js'
import {recordingStore} from '../helpers/recording-store.js'
import {hangGuard} from '../helpers/time.js'

const dir = mkdtempSync(join(tmpdir(), 'ctl-goyaml-'))
after(() => rmSync(dir, {recursive: true, force: true}))

const load = (text: string) => yaml.load(text, {schema: GO_YAML_SCHEMA})

test('plain scalars resolve as go-yaml v2 resolves them (resolve.go)', () => {
  const cases: Array<[string, unknown]> = [
    // resolveMapList: YAML 1.1 booleans in three casings, null words.
    ...['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE'].map((s): [string, unknown] => [s, true]),
    ...['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE'].map((s): [string, unknown] => [s, false]),
    ...['~', 'null', 'Null', 'NULL'].map((s): [string, unknown] => [s, null]),
    ['yEs', 'yEs'], ['ya', 'ya'], ['nil', 'nil'], ['NuLL', 'NuLL'],
    // strconv.ParseInt(text without underscores, base 0): octal, hex, 0o, 0b, signs, underscores.
    ['0777', 511], ['0x1F', 31], ['-0x1F', -31], ['0o17', 15], ['0b101', 5], ['-0b101', -5], ['1_000', 1000], ['1__0_', 10], ['+12', 12], ['-0', 0], ['0', 0],
    // Not ParseInt: yamlStyleFloat, then ParseFloat for a leading dot; the special floats.
    ['08', 8], ['09.5', 9.5], ['1e3', 1000], ['1.', 1], ['-.5', -0.5], ['.5', 0.5], ['6.02e+23', 6.02e23], ['123456789012345678901234567890', 1.2345678901234568e29],
    ['.inf', Infinity], ['+.Inf', Infinity], ['-.INF', -Infinity], ['1e400', '1e400'], ['-1e400', '-1e400'], ['.5e999', '.5e999'],
    // Text: timestamps (kept as written for interface{}), sexagesimal (not decoded by v2), the rest.
    ['2024-01-02', '2024-01-02'], ['2024-01-02T15:04:05Z', '2024-01-02T15:04:05Z'], ['12:30', '12:30'], ['190:20:30.15', '190:20:30.15'],
    ['1.2.3', '1.2.3'], ['0x', '0x'], ['_1', '_1'], ['+', '+'], ['.', '.'], ['0xG', '0xG'], ['1e', '1e'], ['e3', 'e3'], ['0b2', '0b2'], ['0o8', '0o8'],
  ]
  for (const [text, want] of cases) {
    assert.deepEqual(load(`v: ${text}`), {v: want}, text)
    // Quoted, every one of them is text.
    assert.deepEqual(load(`v: "${text}"`), {v: text}, `"${text}"`)
  }
  assert.ok(Number.isNaN((load('v: .NaN') as {v: number}).v))
  assert.equal(goNumber('yes'), undefined)
})

test('tags: the standard ones apply, others are ignored as go-yaml ignores them, !!binary is decoded', () => {
  assert.deepEqual(load('a: !!str 12\nb: !!int "0x10"\nc: !!bool "yes"\nd: !!float 1\ne: !!null ""'), {a: '12', b: 16, c: true, d: 1, e: null})
  assert.deepEqual(load('a: !local 12\nb: !!timestamp 2024-01-02\nc: !!set {x: null}\nd: !thing [1, yes]\ne: !!binary aGVsbG8='), {a: '12', b: '2024-01-02', c: {x: null}, d: [1, true], e: 'hello'})
  assert.throws(() => load('a: !!int 1.5'), /cannot resolve/)
})

test('keys: YAML 1.1 scalars as keys become their text; two keys of the same value are duplicates (strict)', () => {
  assert.deepEqual(load('yes: a\n0x10: b\n1.5: c'), {true: 'a', 16: 'b', '1.5': 'c'})
  for (const text of ['a: 1\na: 2', 'yes: a\ntrue: b', '1: a\n01: b', '{"a": 1, "a": 2}', 'm:\n  x: 1\n  x: 1'])
    assert.throws(() => load(text), /duplicated mapping key/, text)
  // A merge key may be overridden by the mapping's own keys (go-yaml's merge does the same).
  assert.deepEqual(load('base: &b {x: 1, z: 2}\nm:\n  <<: *b\n  z: 3'), {base: {x: 1, z: 2}, m: {x: 1, z: 3}})
  // `y` and `n` are booleans too, keys included.
  assert.deepEqual(load('x: 1\ny: 2'), {x: 1, true: 2})
})

/** A manifest through the parse and validation `apply -f` uses, or the error it raises. */
function parse(text: string) {
  const docs = splitDocuments([{source: 'm.yaml', text}])
  return docs.map((d) => {
    const {def, resource} = resourceFromDoc(d)
    return defaultAndValidate(def, resource)
  })
}
const pool = (extra: string) => `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p\n  labels: {a: b}\nspec:\n  cidr: 10.10.0.0/16\n${extra}`

test('a bool-typed field takes the YAML 1.1 booleans, not quoted text (encoding/json into bool)', () => {
  for (const [word, want] of [['yes', true], ['on', true], ['Y', true], ['no', false], ['OFF', false], ['n', false]] as const)
    assert.equal(parse(pool(`  natOutgoing: ${word}\n`))[0]!.spec.natOutgoing, want, word)
  for (const quoted of ['"yes"', '"true"', "'on'"]) assert.throws(() => parse(pool(`  natOutgoing: ${quoted}\n`)), /natOutgoing.*boolean/, quoted)
})

test('an int-typed field takes base-0 integers and underscores; an integral float is an integer to encoding/json', () => {
  for (const [text, want] of [['0x1A', 26], ['032', 26], ['2_6', 26], ['0b11010', 26], ['26.0', 26], ['2.6e1', 26]] as const)
    assert.equal(parse(pool(`  blockSize: ${text}\n`))[0]!.spec.blockSize, want, text)
  assert.throws(() => parse(pool('  blockSize: 26.5\n')), /blockSize/)
  assert.throws(() => parse(pool('  blockSize: "26"\n')), /blockSize/)
})

test('numbers and booleans in Go string fields become text as sigs.k8s.io/yaml writes them', () => {
  const [r] = parse(`apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: 12
  labels: {a: yes, b: 0777, c: 1_000, d: 1.5, e: off, f: 0x10}
  annotations: {pi: 3.14159265, big: 1234567.5, small: 0.00001, e: 6.02e+23, quoted: "yes"}
spec:
  selector: all()
  types: [Ingress]
  ingress: [{action: Allow, protocol: TCP, destination: {ports: [80]}}]
`)
  assert.equal(r!.metadata.name, '12')
  const {'projectcalico.org/tier': tier, ...labels} = r!.metadata.labels!
  assert.equal(tier, 'default')
  assert.deepEqual(labels, {a: 'true', b: '511', c: '1000', d: '1.5', e: 'false', f: '16'})
  // FormatFloat(v, 'g', -1, 32): float32's shortest digits, an exponent from 1e+06 and below 1e-04.
  assert.deepEqual(r!.metadata.annotations, {pi: '3.1415927', big: '1.2345675e+06', small: '1e-05', e: '6.02e+23', quoted: 'yes'})
  // A port is a numorstring (its own JSON decoding): the number stays a number.
  assert.deepEqual((r!.spec.ingress as Array<{destination: {ports: unknown[]}}>)[0]!.destination.ports, [80])
  // A duration is metav1.Duration (its own JSON decoding too): a bare number is no duration.
  assert.throws(
    () => parse('apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 198.51.100.1, asNumber: 64512, keepAliveTime: 30}\n'),
    /keepaliveTime.*must be a string/,
  )
})

test('goString: FormatInt for integers, FormatFloat(v, g, -1, 32) for floats', () => {
  const cases: Array<[number | boolean, string]> = [
    [true, 'true'], [false, 'false'], [0, '0'], [-0, '0'], [12, '12'], [-17, '-17'], [2 ** 53, '9007199254740992'],
    [1.5, '1.5'], [0.1, '0.1'], [-2.5e-7, '-2.5e-07'], [0.0001, '0.0001'], [123456.5, '123456.5'], [1e21, '1e+21'], [Infinity, '+Inf'], [-Infinity, '-Inf'], [NaN, 'NaN'],
  ]
  for (const [v, want] of cases) assert.equal(goString(v), want, String(v))
})

test('duplicate keys in a manifest: refused in one line naming the file, nothing parsed', () => {
  for (const text of [pool('  cidr: 10.11.0.0/16\n'), '{"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "p", "name": "q"}}']) {
    const e = (() => {
      try {
        splitDocuments([{source: 'dup.yaml', text}])
      } catch (error) {
        return error as Error
      }
      return undefined
    })()
    assert.ok(e instanceof CalicoError, 'refused')
    assert.match(e.message, /^dup\.yaml: invalid YAML\/JSON: duplicated mapping key \(\d+:\d+\)$/)
  }
})

test('aliases: ordinary use is read, and resources made from one anchor do not share objects', () => {
  const text = `labels: &l {team: net, app: web}
items:
- {apiVersion: projectcalico.org/v3, kind: GlobalNetworkSet, metadata: {name: a, labels: *l}, spec: {nets: [198.51.100.0/24]}}
- {apiVersion: projectcalico.org/v3, kind: GlobalNetworkSet, metadata: {name: b, labels: *l}, spec: {nets: [203.0.113.0/24]}}
kind: GlobalNetworkSetList
apiVersion: projectcalico.org/v3
`
  const [a, b] = parse(text)
  assert.deepEqual(a!.metadata.labels, {team: 'net', app: 'web'})
  a!.metadata.labels!.team = 'changed'
  assert.equal(b!.metadata.labels!.team, 'net')
  assert.equal(checkAliasExpansion(load('a: &x [1]\nb: *x')), true)
  assert.equal(checkAliasExpansion(load('a: [1]\nb: [1]')), false)
})

test('alias bombs: one line, no write, refused in time proportional to the text (hang guard)', async () => {
  // Nested aliases: 10 levels of 10 would expand to 10^10 nodes; 200 levels of 2 to 2^200.
  const bombs: string[] = []
  let tens = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n'
  for (let i = 1; i <= 10; i++) tens += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`
  bombs.push(`apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: x}\nx:\n${tens.replace(/^/gm, '  ')}spec: {nets: *a10}\n`)
  let twos = 'b0: &b0 {k: v}\n'
  for (let i = 1; i <= 200; i++) twos += `b${i}: &b${i} {l: *b${i - 1}, r: *b${i - 1}}\n`
  bombs.push(twos)
  bombs.push(`kind: List\napiVersion: v1\nx:\n${tens.replaceAll('lol', '{}').replace(/^/gm, '  ')}items: *a10\n`)
  for (const [i, text] of bombs.entries()) {
    const p = join(dir, `bomb-${i}.yaml`)
    writeFileSync(p, text)
    const heap = process.memoryUsage().heapUsed
    // Hang guard: refusing takes a few milliseconds; expanding would take hours.
    const done = hangGuard(`alias bomb ${i}`, 10_000)
    const {store, writes} = recordingStore()
    await assert.rejects(
      async () => writeResources(store, 'apply', loadManifests(p, {})),
      (e: Error) => {
        assert.ok(e instanceof CalicoError && !(e instanceof ValidationError), e.message)
        assert.equal(e.message, `${p}: invalid YAML/JSON: document contains excessive aliasing`)
        return true
      },
    )
    done()
    assert.deepEqual(writes, [])
    // Generous: the text is a few kilobytes; an expansion would need gigabytes.
    assert.ok(process.memoryUsage().heapUsed - heap < 200 * 2 ** 20, 'memory stays small')
  }
})

test('a large document with a few aliases is read (go-yaml allows up to 99% from aliases below 400,000 nodes)', () => {
  const items = Array.from({length: 2000}, (_, i) => `- {apiVersion: projectcalico.org/v3, kind: GlobalNetworkSet, metadata: {name: s${i}, labels: *l}, spec: {nets: [198.51.100.0/24]}}`)
  const docs = splitDocuments([{source: 'big.yaml', text: `x: &l {team: net}\nkind: GlobalNetworkSetList\napiVersion: projectcalico.org/v3\nitems:\n${items.join('\n')}\n`}])
  assert.equal(docs.length, 2000)
  // Ten aliases of a 1,100-node list: 91% of the nodes through aliases, under the 99% allowed.
  const list = `l: &l [${Array(1100).fill('x').join(', ')}]\nm: [${Array(10).fill('*l').join(', ')}]\n`
  assert.equal(checkAliasExpansion(load(list)), true)
  const more = `l: &l [${Array(100).fill('x').join(', ')}]\nm: [${Array(200).fill('*l').join(', ')}]\n`
  assert.throws(() => checkAliasExpansion(load(more)), /excessive aliasing/)
})

test('what get -o yaml writes, the reader reads back as the same string (writer and reader share go-yaml\'s rules)', () => {
  const rnd = rng('go-yaml writer/reader').int
  const pieces = ['0', '1', '7', '9', '_', '.', '-', '+', 'e', 'x', 'o', 'b', ':', ' ', 'T', 'Z', 'n', 'y', 'Y', 'es', 'o', 'ff', 'N', '~', '<<', 'inf', 'nan', '#', "'", '"', '\\', '\t', 'é', '2024-01-02', 'true', 'null']
  for (let i = 0; i < 20_000; i++) {
    let s = ''
    for (let n = 1 + rnd(6); n > 0; n--) s += pieces[rnd(pieces.length)]
    const text = dumpYaml({k: s})
    assert.deepEqual(load(text), {k: s}, `${JSON.stringify(s)} written as ${text.trim()}`)
  }
})

test('the config file is read the same way (libcalico-go/lib/apiconfig/load.go: sigs.k8s.io/yaml UnmarshalStrict)', async () => {
  const cfg = (spec: string) => `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n${spec}`
  const c = await parseConfigFile('c.cfg', cfg('  etcdEndpoints: http://127.0.0.1:2379\n  etcdUsername: 0777\n  etcdPassword: yes\n'))
  assert.equal(c.username, '511')
  assert.equal(c.password, 'true')
  await assert.rejects(parseConfigFile('c.cfg', cfg('  etcdUsername: a\n  etcdUsername: b\n')), /^CalicoError: syntax error in c\.cfg: failed to parse config as YAML\/JSON: duplicated mapping key/)
})
