// The node commands that read or program the host refuse to run without privileges, with one
// clear line and exit 1, before touching anything: run as user nobody (setpriv drops every
// capability along with the uid).
import assert from 'node:assert/strict'
import {execFile, execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {hasNetAdmin, PrivilegeError, requireNetAdmin} from '../../src/node/privilege.js'
import {BIN} from '../helpers/cli.js'
import {haveCommand, isRoot} from '../helpers/netns.js'

const skip = !isRoot() ? 'needs root to switch to user nobody' : haveCommand('setpriv') ? undefined : 'needs setpriv'

interface Result {
  code: number
  stdout: string
  stderr: string
}

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups']

/** A checkout in a private home (e.g. /root) is unreadable for nobody: then stay uid 0 but drop every capability. */
function identity(): string[] {
  if (skip) return NOBODY
  try {
    execFileSync('setpriv', [...NOBODY, 'test', '-r', BIN])
    return NOBODY
  } catch {
    return []
  }
}

/** Runs bin/run.js as uid/gid 65534 (or root) with no supplementary groups and no capabilities. */
function asNobody(args: string[], cwd: string): Promise<Result> {
  const argv = [...identity(), '--inh-caps=-all', '--bounding-set=-all', process.execPath, BIN, ...args]
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/nonexistent',
    NO_COLOR: '1',
    // Nothing listens here: the check must come before any datastore call.
    ETCD_ENDPOINTS: 'http://127.0.0.1:9',
    DATASTORE_TYPE: 'etcdv3',
    CALICOCTL_CONFIG: '/nonexistent-default',
  }
  return new Promise((resolve) => {
    execFile('setpriv', argv, {env, cwd, timeout: 60_000}, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as {code: number}).code) : -1) : 0
      resolve({code, stdout: String(stdout), stderr: String(stderr)})
    })
  })
}

describe('privilege check of the node commands', () => {
  it('reads CAP_NET_ADMIN from the effective capability set', () => {
    assert.equal(hasNetAdmin('Name:\tx\nCapEff:\t000001ffffffffff\n'), true)
    assert.equal(hasNetAdmin('Name:\tx\nCapEff:\t0000000000000000\n'), false)
    // Only CAP_NET_ADMIN (bit 12) counts: CAP_NET_RAW (13) alone is not enough.
    assert.equal(hasNetAdmin('CapEff:\t0000000000001000\n'), true)
    assert.equal(hasNetAdmin('CapEff:\t0000000000002000\n'), false)
    assert.throws(
      () => requireNetAdmin('node apply', 'CapEff:\t0000000000000000\n'),
      (e: Error) => e instanceof PrivilegeError && /^calicoctl node apply needs root privileges \(CAP_NET_ADMIN\)/.test(e.message),
    )
    assert.doesNotThrow(() => requireNetAdmin('node apply', 'CapEff:\t0000000000001000\n'))
  })
})

describe('node commands run as an unprivileged user', {skip, timeout: 180_000}, () => {
  // A directory nobody may write to and the commands would write into if they got that far.
  const scratch = mkdtempSync(join(tmpdir(), 'node-noroot-'))
  after(() => rmSync(scratch, {recursive: true, force: true}))

  const hostFlags = [
    '--name', 'noroot', '--ip', '192.0.2.10/24',
    '--bird-config-dir', join(scratch, 'bird'), '--bird-socket', join(scratch, 'bird.ctl'), '--lock-file', join(scratch, 'apply.lock'),
  ]
  const cases: Array<[string, string[]]> = [
    ['node apply', ['node', 'apply', ...hostFlags]],
    ['node apply', ['node', 'apply', '--dry-run', ...hostFlags]],
    ['node run', ['node', 'run', ...hostFlags, '--status-file', join(scratch, 'status.json')]],
    ['node diags', ['node', 'diags', '--bird-config-dir', join(scratch, 'bird'), '--bird-socket', join(scratch, 'bird.ctl')]],
  ]
  for (const [name, args] of cases) {
    it(`${args.join(' ').slice(0, 40)}…: one line saying root (CAP_NET_ADMIN) is needed, exit 1`, async () => {
      const r = await asNobody(args, scratch)
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`)
      assert.equal(r.stdout, '')
      const lines = r.stderr.trimEnd().split('\n')
      assert.equal(lines.length, 1, r.stderr)
      assert.equal(lines[0], `calicoctl ${name} needs root privileges (CAP_NET_ADMIN) to read and program this host's routes, iptables and BIRD: run it as root, e.g. with sudo`)
      assert.doesNotMatch(r.stderr, /\n\s+at |Error:|EACCES|EPERM/)
    })
  }

  it('the same commands as root get past the check (they fail later, for another reason)', async () => {
    // As root with no etcd listening, node apply fails on the datastore, not on privileges.
    const r = await new Promise<Result>((resolve) => {
      execFile(process.execPath, [BIN, 'node', 'apply', ...hostFlags, '--timeout', '1s'], {
        env: {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, NO_COLOR: '1', ETCD_ENDPOINTS: 'http://127.0.0.1:9', DATASTORE_TYPE: 'etcdv3', CALICOCTL_CONFIG: '/nonexistent-default'},
        timeout: 60_000,
      }, (err, stdout, stderr) => resolve({code: err ? 1 : 0, stdout: String(stdout), stderr: String(stderr)}))
    })
    assert.equal(r.code, 1)
    assert.doesNotMatch(r.stderr, /CAP_NET_ADMIN/)
    assert.match(r.stderr, /127\.0\.0\.1:9/)
  })
})
