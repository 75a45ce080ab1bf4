// Shell completion through @oclif/plugin-autocomplete: the generated bash script completes
// commands, topic commands (space separated) and flags when bash actually runs it, and the zsh
// script completes fixed flag values. Runs the built CLI (bin/run.js on dist/).
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {after, before, describe, test} from 'node:test'

const ROOT = resolve(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/run.js')
let cache: string

function cli(args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args], {encoding: 'utf8', env: {...process.env, CALICOCTL_CACHE_DIR: cache}, stdio: ['ignore', 'pipe', 'pipe']})
}

/** Runs the bash completion function for a command line and returns what bash would offer. */
function complete(words: string[]): string[] {
  const script = join(cache, 'autocomplete/functions/bash/calicoctl.bash')
  const quoted = words.map((w) => `'${w}'`).join(' ')
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _calicoctl_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`], {encoding: 'utf8'})
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.split('\n').filter(Boolean).sort()
}

before(() => {
  cache = mkdtempSync(join(tmpdir(), 'calicoctl-ac-'))
  cli(['autocomplete', 'create'])
})
after(() => rmSync(cache, {recursive: true, force: true}))

describe('autocomplete', () => {
  test('autocomplete script bash prints a line that sources the generated setup', () => {
    const out = cli(['autocomplete', 'script', 'bash'])
    assert.match(out, /CALICOCTL_AC_BASH_SETUP_PATH=.*bash_setup && test -f \$CALICOCTL_AC_BASH_SETUP_PATH && source/)
  })

  test('the bash script lists get and apply with their flags', () => {
    const text = readFileSync(join(cache, 'autocomplete/functions/bash/calicoctl.bash'), 'utf8')
    assert.match(text, /^get .*--output/m)
    assert.match(text, /^apply .*--filename/m)
    assert.match(text, /complete -F _calicoctl_autocomplete calicoctl/)
  })

  test('bash completes commands, topic commands and flags', () => {
    assert.deepEqual(complete(['calicoctl', 'ge']), ['get'])
    assert.ok(complete(['calicoctl', 'a']).includes('apply'))
    assert.ok(complete(['calicoctl', '']).includes('node'))
    const nodeCmds = complete(['calicoctl', 'node', ''])
    for (const c of ['apply', 'status', 'checksystem']) assert.ok(nodeCmds.includes(c), `node ${c}: ${nodeCmds}`)
    assert.deepEqual(complete(['calicoctl', 'get', '--out']), ['--output'])
    assert.ok(complete(['calicoctl', 'apply', '--']).includes('--dry-run'))
  })

  test('the zsh script completes --log-level values and describes flags', () => {
    const text = readFileSync(join(cache, 'autocomplete/functions/zsh/_calicoctl'), 'utf8')
    assert.match(text, /^#compdef calicoctl/m)
    assert.match(text, /log-level options:\(panic fatal error warn warning info debug trace\)/)
    assert.match(text, /--dry-run"\[Validate against the datastore/)
  })
})
