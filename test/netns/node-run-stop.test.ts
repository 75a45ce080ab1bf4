// `node run` started while etcd cannot be reached keeps retrying, and SIGTERM still ends it at
// once with status 0 (it used to retry for minutes after logging "stopping").
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, test} from 'node:test'
import {BIN} from '../helpers/cli.js'
import {NetnsLab, netnsSkipReason, waitFor} from '../helpers/netns.js'
import {hangGuard} from '../helpers/time.js'

const skip = netnsSkipReason('ip')
const lab = new NetnsLab('stop')
const dir = mkdtempSync(join(tmpdir(), 'node-run-stop-'))
after(async () => {
  await lab.cleanup()
  rmSync(dir, {recursive: true, force: true})
})

test('SIGTERM while etcd is unreachable at start: exit 0 within seconds', {skip, timeout: 120_000}, async () => {
  const ns = lab.addHost('h')
  // An etcd that is not there: a unix socket path nothing listens on.
  const env = [`ETCD_ENDPOINTS=unix://${dir}/absent.sock:2379`, 'DATASTORE_TYPE=etcdv3', 'CALICOCTL_CONFIG=/nonexistent', 'NO_COLOR=1']
  const args = [...env, process.execPath, BIN, 'node', 'run', '--name', 'lonely', '--ip', '198.51.100.5/24', '--no-bird', '--status-file', join(dir, 'status.json'), '--lock-file', join(dir, 'lock')]
  const child = lab.spawnIn(ns, 'env', args)
  const log: string[] = []
  child.stderr?.on('data', (b: Buffer) => log.push(...b.toString().split('\n')))
  child.stdout?.resume()
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  await waitFor('the agent to report it cannot reach etcd', () => (log.some((l) => /cannot open the etcd watch/.test(l)) ? true : undefined), 60_000)
  const done = hangGuard('stopping on SIGTERM (usually well under a second)', 20_000)
  child.kill('SIGTERM')
  const code = await exit
  done()
  assert.equal(code, 0, log.join('\n'))
  assert.ok(log.some((l) => /stopped; the dataplane is left in place/.test(l)), log.join('\n'))
})
