// Validation parity with upstream Calico v3.32.1, kind by kind: the corpus in
// test/faults/parity-corpus.ts (manifests upstream accepts and refuses, each row naming the
// upstream rule) through the same parse → default → validate path that `calicoctl apply -f` uses.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {API, CORPUS, manifest} from '../faults/parity-corpus.js'
import {judgeText} from '../helpers/rule-cases.js'

/** Our verdict, as `calicoctl apply -f` reaches it: the resources as they would be stored, or the error message. */
const judge = judgeText

describe('validation parity with upstream v3.32.1', () => {
  for (const kind of [...new Set(CORPUS.map((c) => c.kind))]) {
    describe(kind, () => {
      for (const c of CORPUS.filter((x) => x.kind === kind)) {
        test(`${c.ok ? 'accepts' : 'refuses'} ${c.why} [${c.src}]`, () => {
          const r = judge(manifest(c))
          if (c.ok) {
            assert.ok('resources' in r, `refused: ${'message' in r ? r.message : ''}`)
            return
          }
          if (!('message' in r)) assert.fail(`accepted: ${JSON.stringify(r.resources[0]?.spec).slice(0, 300)}`)
          for (const line of r.message.split('\n')) assert.ok(line.length > 0 && line.length <= 400, line.slice(0, 200))
          if (c.field) {
            // One line names the resource, the field and the reason.
            const line = r.message.split('\n').find((l) => l.includes(`: ${c.field}`))
            assert.ok(line, `no line names ${c.field}: ${r.message.slice(0, 400)}`)
            assert.match(line, new RegExp(`^${kind}\\(`), line)
          }
        })
      }
    })
  }

  test('corpus size and balance', () => {
    const refused = CORPUS.filter((c) => !c.ok).length
    console.log(`# parity corpus: ${CORPUS.length} manifests, ${refused} that upstream refuses, ${CORPUS.length - refused} that it accepts`)
    assert.ok(CORPUS.length >= 250, `only ${CORPUS.length}`)
  })
})

describe('durations are stored as Go prints them', () => {
  for (const [given, stored] of [
    ['125s', '2m5s'],
    ['3600s', '1h0m0s'],
    ['1.5h', '1h30m0s'],
    ['90m', '1h30m0s'],
    ['0', '0s'],
    ['1500ms', '1.5s'],
    ['250ms', '250ms'],
    ['1000us', '1ms'],
    ['1h0m0s', '1h0m0s'],
  ] as const) {
    test(`${given} → ${stored} (${API('felixconfig')} metav1.Duration)`, () => {
      const r = judge(manifest({kind: 'FelixConfiguration', spec: {reportingInterval: given}, ok: true, src: '', why: ''}))
      assert.ok('resources' in r, 'message' in r ? r.message : '')
      assert.equal((r.resources[0]!.spec as {reportingInterval: string}).reportingInterval, stored)
    })
  }
})

describe('AS numbers are stored as numbers, as numorstring.ASNumber writes them', () => {
  for (const [kind, spec, read] of [
    ['BGPConfiguration', {asNumber: '1.10'}, (x: any) => x.asNumber],
    ['BGPPeer', {peerIP: '198.51.100.1', asNumber: '64513', localASNumber: '0.1'}, (x: any) => [x.asNumber, x.localASNumber]],
    ['Node', {bgp: {asNumber: '65000'}}, (x: any) => x.bgp.asNumber],
  ] as const) {
    test(`${kind} ${JSON.stringify(spec)} (api/pkg/lib/numorstring/asnumber.go)`, () => {
      const r = judge(manifest({kind, spec: spec as Record<string, unknown>, ok: true, src: '', why: ''}))
      assert.ok('resources' in r, 'message' in r ? r.message : '')
      const want = kind === 'BGPConfiguration' ? 65546 : kind === 'BGPPeer' ? [64513, 1] : 65000
      assert.deepEqual(read(r.resources[0]!.spec), want)
    })
  }
})
