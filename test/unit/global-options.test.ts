// Global options before the command word: upstream's usage is `calicoctl [options] <command>
// [<args>...]` (calicoctl/calicoctl/calicoctl.go in projectcalico/calico v3.32.1, docopt with
// OptionsFirst), and its system tests run every command as `calicoctl --allow-version-mismatch <command> ...`.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {join, resolve} from 'node:path'
import {describe, test} from 'node:test'
// @ts-expect-error plain JS module of the launcher, without types
import {hoistGlobalOptions} from '../../bin/global-options.js'

const hoist = (argv: string[]) => hoistGlobalOptions(argv) as {argv: string[]; version: boolean; invalid: boolean}
const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/run.js')

describe('hoisting the options found before the command word', () => {
  test('nothing to do when the command comes first', () => {
    const argv = ['get', 'ippools', '-l', 'a == "b"', '-o', 'yaml']
    assert.deepEqual(hoist(argv), {argv, version: false, invalid: false})
    assert.deepEqual(hoist([]), {argv: [], version: false, invalid: false})
  })

  test('each global option, short or long, joined or separate, lands after the command words', () => {
    assert.deepEqual(hoist(['--allow-version-mismatch', 'get', 'ippools', '-o', 'yaml']).argv, ['get', 'ippools', '--allow-version-mismatch', '-o', 'yaml'])
    assert.deepEqual(hoist(['-l', 'debug', 'ipam', 'show']).argv, ['ipam', 'show', '--log-level=debug'])
    assert.deepEqual(hoist(['-ldebug', 'ipam', 'show']).argv, ['ipam', 'show', '--log-level=debug'])
    assert.deepEqual(hoist(['--log-level', 'info', '--context=k', 'version']).argv, ['version', '--log-level=info', '--context=k'])
    assert.deepEqual(hoist(['-c', 'f.cfg', 'node', 'status']).argv, ['node', 'status', '--config=f.cfg'])
    assert.deepEqual(hoist(['--config=f.cfg', '--timeout', '2s', 'get', 'nodes']).argv, ['get', 'nodes', '--config=f.cfg', '--timeout=2s'])
    assert.deepEqual(hoist(['-h', 'ipam', 'show']).argv, ['ipam', 'show', '--help'])
  })

  test('a command word whose second letter is a short option letter is a word, not an option', () => {
    // 'cluster' once read as -l (its second letter), eating the word.
    assert.deepEqual(hoist(['-c', 'f.cfg', 'cluster', 'diags']).argv, ['cluster', 'diags', '--config=f.cfg'])
    assert.deepEqual(hoist(['--allow-version-mismatch', 'cluster', 'diags']).argv, ['cluster', 'diags', '--allow-version-mismatch'])
    assert.deepEqual(hoist(['--allow-version-mismatch', 'node', 'checksystem']).argv, ['node', 'checksystem', '--allow-version-mismatch'])
  })

  test('-l before the command is the log level; after get it stays the selector', () => {
    assert.deepEqual(hoist(['-l', 'warn', 'get', 'nodes', '-l', 'rack == "r1"']).argv, ['get', 'nodes', '--log-level=warn', '-l', 'rack == "r1"'])
  })

  test('an option given again after the command: the later one counts, not an error', () => {
    assert.deepEqual(hoist(['--allow-version-mismatch', 'get', 'ippools', '--allow-version-mismatch']).argv, ['get', 'ippools', '--allow-version-mismatch'])
    assert.deepEqual(hoist(['-c', 'a.cfg', '--context=x', 'version', '-c', 'b.cfg']).argv, ['version', '--context=x', '-c', 'b.cfg'])
    assert.deepEqual(hoist(['--config=a.cfg', 'version', '--config=b.cfg']).argv, ['version', '--config=b.cfg'])
    // -l after get is the selector, so a log level before it stays.
    assert.deepEqual(hoist(['-l', 'debug', 'get', 'nodes', '-l', 'x']).argv, ['get', 'nodes', '--log-level=debug', '-l', 'x'])
  })

  test('the options go before a `--` and before the first flag of the command', () => {
    assert.deepEqual(hoist(['--allow-version-mismatch', 'delete', '--', '-odd']).argv, ['delete', '--allow-version-mismatch', '--', '-odd'])
  })

  test('--version is reported; an unknown option or a missing value stops the hoisting', () => {
    assert.deepEqual(hoist(['--version']), {argv: [], version: true, invalid: false})
    assert.deepEqual(hoist(['--bogus', 'get']).argv, ['--bogus', 'get'])
    assert.deepEqual(hoist(['--allow-version-mismatch', '--bogus', 'get']).argv, ['--bogus', 'get', '--allow-version-mismatch'])
    assert.deepEqual(hoist(['-l']).argv, ['-l'])
  })

  test('an unknown or incomplete option before the command word marks the line invalid', () => {
    for (const args of [['--bogus', 'get'], ['--allow-version-mismatch', '-m'], ['-l'], ['--config']]) assert.equal(hoist(args).invalid, true, args.join(' '))
    for (const args of [['--allow-version-mismatch', 'get', '--bogus'], ['-l', 'debug', 'get'], ['--', 'get'], ['--version']]) assert.equal(hoist(args).invalid, false, args.join(' '))
  })
})

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {encoding: 'utf8', input: '', timeout: 15_000, env: {...process.env, FORCE_COLOR: '0', ETCD_ENDPOINTS: 'http://127.0.0.1:1', CALICOCTL_CONFIG: '/nonexistent'}})
}

describe('the built CLI', () => {
  test('--version and version --client print the client version and commit, with or without global options', () => {
    for (const args of [['--version'], ['version', '--client'], ['--allow-version-mismatch', 'version', '--client'], ['-l', 'debug', 'version', '--client']]) {
      const r = run(args)
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stdout, /^Client Version: {4}v\d+\.\d+\.\d+\nGit commit: {8}(?:[0-9a-f]{40}|unknown)\n$/, args.join(' '))
    }
  })

  test('-h works before the command word and on leaf commands', () => {
    for (const args of [['-h'], ['-h', 'get'], ['get', '-h'], ['ipam', 'show', '-h'], ['--allow-version-mismatch', 'node', 'status', '-h'], ['datastore', 'migrate', 'export', '-h']]) {
      const r = run(args)
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stdout, /USAGE/, args.join(' '))
    }
    assert.match(run(['ipam', 'show', '-h']).stdout, /\$ calicoctl ipam show/)
  })

  test('a global option before the command is not a usage error (the command runs and fails on the datastore)', () => {
    const r = run(['--allow-version-mismatch', 'get', 'ippools'])
    assert.equal(r.status, 1, r.stderr)
    assert.match(r.stderr, /cannot reach etcd at http:\/\/127.0.0.1:1/)
    const bad = run(['-l', 'loud', 'get', 'ippools'])
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /log-level/)
  })

  // upstream calicoctl/calicoctl/calicoctl.go: docopt's refusal of the top-level line, on stdout, exit 1.
  test('an unknown option before the command is reported as calicoctl reports it', () => {
    const r = run(['--allow-version-mismatch', '--unknown-flag', 'get'])
    assert.equal(r.status, 1, r.stderr)
    assert.equal(r.stdout, "Invalid option: '--allow-version-mismatch --unknown-flag get'. Use flag '--help' to read about a specific subcommand.\n")
  })
})
