// Help at the shell: `calicoctl <topic>` lists its commands, `--help` carries the description and
// examples, and an unknown command is a usage error (exit 2) with one line naming the nearest
// command, never a prompt when stdin is not a terminal. Runs the built CLI (bin/run.js).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {join, resolve} from 'node:path'
import {describe, test} from 'node:test'
import {distance, nearest, notFoundMessage} from '../../src/hooks/command-not-found.js'

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/run.js')

function run(args: string[]) {
  // stdin is a pipe (not a TTY); the timeout turns a prompt into a test failure rather than a hang.
  return spawnSync(process.execPath, [BIN, ...args], {encoding: 'utf8', input: '', timeout: 15_000, env: {...process.env, FORCE_COLOR: '0'}})
}

describe('unknown commands', () => {
  test('nearest command by edit distance, within a bound', () => {
    assert.equal(distance('gett', 'get'), 1)
    assert.equal(distance('node:stauts', 'node:status'), 2)
    const ids = ['get', 'apply', 'delete', 'node:status', 'node:apply', 'ipam:show']
    assert.equal(nearest('gett', ids), 'get')
    assert.equal(nearest('delte', ids), 'delete')
    assert.equal(nearest('node:stauts', ids), 'node:status')
    assert.equal(nearest('ipma:show', ids), 'ipam:show')
    assert.equal(nearest('frobnicate', ids), undefined)
  })

  test('the message is one line with the suggestion in space-separated form', () => {
    const m = notFoundMessage('calicoctl', 'node:stauts', 'node:status')
    assert.equal(m, "Error: unknown command 'node stauts' for 'calicoctl'. Did you mean 'calicoctl node status'? Run 'calicoctl --help' for a list of commands.")
    assert.doesNotMatch(notFoundMessage('calicoctl', 'xyz', undefined), /Did you mean/)
  })

  test('calicoctl gett exits 2 with one line suggesting get, without prompting', () => {
    const r = run(['gett'])
    assert.equal(r.error, undefined)
    assert.equal(r.status, 2)
    assert.equal(r.stdout, '')
    assert.equal(r.stderr, "Error: unknown command 'gett' for 'calicoctl'. Did you mean 'calicoctl get'? Run 'calicoctl --help' for a list of commands.\n")
  })

  test('a typo inside a topic suggests the topic command', () => {
    const r = run(['node', 'stauts'])
    assert.equal(r.status, 2)
    assert.match(r.stderr, /Did you mean 'calicoctl node status'\?/)
    assert.equal(r.stderr.trim().split('\n').length, 1)
  })
})

describe('topics and --help', () => {
  test('calicoctl node lists the node commands', () => {
    const r = run(['node'])
    assert.equal(r.status, 0, r.stderr)
    for (const c of ['node apply', 'node status', 'node checksystem', 'node diags']) assert.match(r.stdout, new RegExp(`^ {2}${c} `, 'm'), c)
  })

  test('calicoctl --help lists commands, topics and autocomplete', () => {
    const r = run(['--help'])
    assert.equal(r.status, 0, r.stderr)
    for (const c of ['apply', 'get', 'delete', 'node', 'autocomplete']) assert.match(r.stdout, new RegExp(`^ {2}${c}\\s`, 'm'), c)
  })

  test('calicoctl apply --help shows the description, every flag and the examples', () => {
    const r = run(['apply', '--help'])
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^DESCRIPTION$/m)
    assert.match(r.stdout, /running the same apply twice is safe/)
    assert.match(r.stdout, /^EXAMPLES$/m)
    assert.match(r.stdout, /\$ calicoctl apply --filename=manifests\/ --recursive --dry-run/)
    for (const f of ['--filename', '--recursive', '--dry-run', '--namespace', '--config', '--log-level']) assert.ok(r.stdout.includes(f), f)
  })
})
