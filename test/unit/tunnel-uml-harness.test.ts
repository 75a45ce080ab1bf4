import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'
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

// scripts/lab/uml-run.sh holds the guest on one host CPU (why: in the script). A stand-in
// linux.uml first on PATH reports the CPUs it may run on and the arguments it was given.
test('uml-run.sh starts linux.uml on one host CPU with the arguments it was given', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uml-run-'))
  try {
    writeFileSync(join(dir, 'linux.uml'), '#!/bin/sh\nsed -n "s/^Cpus_allowed_list:[[:space:]]*//p" /proc/self/status\necho "$@"\n', {mode: 0o755})
    const script = fileURLToPath(new URL('../../scripts/lab/uml-run.sh', import.meta.url))
    const out = execFileSync('bash', [script, 'mem=64M', 'init=/x y'], {env: {...process.env, PATH: `${dir}:${process.env.PATH}`}, encoding: 'utf8'})
    const [cpus, args] = out.trim().split('\n')
    assert.match(cpus ?? '', /^\d+$/, `expected a single CPU, got '${cpus}'`)
    assert.equal(args, 'mem=64M init=/x y')
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})
