import assert from 'node:assert/strict'
import {test} from 'node:test'
import {parseUmlOutput} from '../uml/harness.js'

test('UML console output: markers, sections and the end marker', () => {
  const out = [
    'Linux version 6.1 (boot noise)',
    '@@UML@@ SECTION routes',
    '192.168.2.0/26 via 198.51.100.96 dev tunl0 onlink ',
    'blackhole 192.168.1.0/26 \r',
    '@@UML@@ PASS pod-ping',
    '@@UML@@ FAIL modprobe ipip',
    '@@UML@@ SECTION empty',
    '@@UML@@ DONE',
    'reboot: Power down',
  ].join('\n')
  const r = parseUmlOutput(out)
  assert.deepEqual(r.passed, ['pod-ping'])
  assert.deepEqual(r.failed, ['modprobe ipip'])
  assert.equal(r.sections.get('routes'), '192.168.2.0/26 via 198.51.100.96 dev tunl0 onlink \nblackhole 192.168.1.0/26 ')
  assert.equal(r.sections.get('empty'), '')
  assert.equal(r.finished, true)
  assert.equal(parseUmlOutput('kernel panic').finished, false)
})
