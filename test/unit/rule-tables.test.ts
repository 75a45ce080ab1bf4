// Every row of every kind's rule table (src/resources/kinds/*.ts RULES, rules.ts for policies),
// each naming its upstream source (projectcalico/calico v3.32.1): at least one manifest that
// upstream accepts sets the row's field and passes the whole apply path, and at least one that
// upstream refuses is refused by that row, with a line naming the resource and the field. The
// manifests are the parity corpus's (test/faults/parity-corpus.ts; test/helpers/rule-cases.ts
// pairs them with rows), so a row added without cases fails here. A sample row per kind goes
// through the CLI and a real etcd in test/integration/validation-parity-cli.test.ts.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {KINDS} from '../../src/resources/registry.js'
import {judge, metadataRowCases, type RowCases, rowCases} from '../helpers/rule-cases.js'

const rows = rowCases()

/** An upstream source as the rows cite it: a file of projectcalico/calico (or the Kubernetes API it embeds). */
const UPSTREAM_FILE = /(^|[\s(,])(api|libcalico-go|calicoctl)\/[\w./-]+\.(go|yaml)\b|^k8s\.io\//

/** The test of one row: its source, its accepted manifests accepted, its refused ones refused naming the field. */
function rowTest({row, index, accepted, refused}: RowCases): void {
  test(`#${index} ${row.field}: ${row.rule} [${row.source}]`, () => {
    assert.match(row.source, UPSTREAM_FILE, 'the row names no upstream file')
    assert.ok(accepted.length > 0, `no manifest that upstream accepts sets ${row.field} and passes this row: add one to test/faults/parity-corpus.ts`)
    assert.ok(refused.length > 0, `no manifest that upstream refuses is refused by this row: add one to test/faults/parity-corpus.ts`)
    for (const p of accepted) {
      const verdict = judge(p.c)
      assert.ok('resources' in verdict, `accepted case "${p.c.why}" [${p.c.src}] refused: ${'message' in verdict ? verdict.message : ''}`)
    }
    for (const p of refused) {
      const verdict = judge(p.c)
      if (!('message' in verdict)) assert.fail(`refused case "${p.c.why}" [${p.c.src}] accepted`)
      const lines = verdict.message.split('\n').map((l) => l.trim())
      // One line names the resource, one of the fields the row found at fault, and a reason.
      const named = lines.some((l) => l.startsWith(`${p.def.kind}(`) && p.fields.some((f) => l.includes(`: ${f}: `) || l.includes(`: ${f} = `)))
      assert.ok(named, `"${p.c.why}": no line names ${p.fields.join(' or ')}:\n${verdict.message.slice(0, 600)}`)
    }
  })
}

describe('rule tables: one accepted and one refused manifest per row', () => {
  for (const def of KINDS) {
    const mine = rows.filter((r) => r.def === def)
    if (!def.rules) {
      test(`${def.kind}: no rules of its own (every write is refused or only decoding applies)`, () => {
        assert.equal(def.validate, undefined, `${def.kind} validates without a rule table`)
      })
      continue
    }
    describe(def.kind, () => {
      test('the table is what the kind validates by', () => {
        assert.ok(def.validate, `${def.kind} has rules but no validate`)
        assert.ok(mine.length > 0)
      })
      for (const rc of mine) rowTest(rc)
    })
  }

  describe('metadata (every kind: src/resources/metadata-rules.ts)', () => {
    for (const rc of metadataRowCases()) rowTest(rc)
  })

  test('size of the tables', () => {
    const refused = new Set(rows.flatMap((r) => r.refused.map((p) => p.c)))
    const accepted = new Set(rows.flatMap((r) => r.accepted.map((p) => p.c)))
    console.log(`# rule tables: ${rows.length} rows over ${new Set(rows.map((r) => r.def)).size} kinds; ${accepted.size} accepted and ${refused.size} refused manifests pair with them`)
    assert.ok(rows.length >= 300, `only ${rows.length} rows`)
  })
})
