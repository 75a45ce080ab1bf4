// The tunnel executor on this machine's kernel, which has no IPIP: a clear error, not a crash,
// and nothing to do when no pool needs IPIP.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {after, before, describe, test} from 'node:test'
import {NO_IPIP_MESSAGE} from '../../src/dataplane/tunnel/executor.js'
import type {SyncTunnelInput} from '../../src/dataplane/tunnel/executor.js'
import {ip, NetnsLab, netnsSkipReason} from '../helpers/netns.js'

const child = fileURLToPath(new URL('../fixtures/routes/sync-child.ts', import.meta.url))

interface ChildAnswer {
  ok: boolean
  name?: string
  message?: string
  result?: {ops: Array<{op: string}>; applied: number; desired: {present: boolean; mtu: number}}
}

function runTunnelSync(ns: string, input: SyncTunnelInput, dryRun = false): ChildAnswer {
  try {
    return JSON.parse(
      execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', child], {
        encoding: 'utf8',
        input: JSON.stringify({part: 'tunnel', input, dryRun}),
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    )
  } catch (err) {
    const e = err as {stdout?: string; stderr?: string}
    if (e.stdout) return JSON.parse(e.stdout)
    throw new Error(`sync child failed: ${e.stderr}`)
  }
}

function kernelHasIpip(): boolean {
  try {
    return ip('-d', 'link', 'show', 'tunl0').length > 0
  } catch {
    return false
  }
}

const skip = netnsSkipReason() ?? (kernelHasIpip() ? 'this kernel has IPIP; the no-IPIP path is covered in test/uml' : undefined)

describe('tunnel executor on a kernel without IPIP', {skip}, () => {
  const lab = new NetnsLab('tn')
  let host = ''
  const always: SyncTunnelInput = {pools: [{cidr: '192.168.0.0/16', ipipMode: 'Always', disabled: false}], tunnelAddress: '192.168.1.0', hostInterface: 'eth0'}
  const never: SyncTunnelInput = {...always, pools: [{cidr: '192.168.0.0/16', ipipMode: 'Never', disabled: false}]}

  before(() => {
    host = lab.addHost('h')
    const peer = lab.addHost('p')
    lab.link(host, 'eth0', '198.51.100.95/24', peer, 'eth0', '198.51.100.96/24')
    ip('-n', host, 'link', 'set', 'eth0', 'mtu', '1400')
  })

  after(async () => {
    await lab.cleanup()
  })

  test('IPIP needed: a one-line error naming the missing kernel support', () => {
    const res = runTunnelSync(host, always)
    assert.equal(res.ok, false)
    assert.equal(res.name, 'TunnelUnavailableError')
    assert.equal(res.message, NO_IPIP_MESSAGE)
    assert.throws(() => ip('-n', host, 'link', 'show', 'tunl0'), /does not exist/)
  })

  test('dry run shows the plan, sized from the parent interface, without failing', () => {
    const res = runTunnelSync(host, always, true)
    assert.equal(res.ok, true, res.message)
    assert.deepEqual(
      res.result?.ops.map((o) => o.op),
      ['create', 'set-mtu', 'add-address', 'set-up'],
    )
    assert.equal(res.result?.desired.mtu, 1380)
    assert.equal(res.result?.applied, 0)
  })

  test('no pool needs IPIP: nothing to do and no error', () => {
    const res = runTunnelSync(host, never)
    assert.equal(res.ok, true, res.message)
    assert.deepEqual(res.result?.ops, [])
    assert.equal(res.result?.desired.present, false)
  })
})
