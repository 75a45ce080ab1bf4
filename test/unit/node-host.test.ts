// Host-side helpers of the node commands without root: the apply lock, checksystem's evaluation,
// node status's process detection, workload naming and diags file names.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {evaluateSystem, formatChecks, kernelAtLeast, parseKernelConfig, type SystemFacts} from '../../src/node/checksystem.js'
import {diagsStamp} from '../../src/node/diags.js'
import {acquireLock} from '../../src/node/lock.js'
import {agentRunning, isAgentCommandLine} from '../../src/node/status.js'
import {parseLabels, workloadEndpointName, workloadInterfaceName} from '../../src/node/workload.js'
import {formatNodePass, type NodePassResult} from '../../src/node/pass.js'

const dir = mkdtempSync(join(tmpdir(), 'node-host-unit-'))
after(() => rmSync(dir, {recursive: true, force: true}))

describe('apply lock', () => {
  it('is exclusive, waits for the holder and is released', async () => {
    const path = join(dir, 'sub', 'a.lock')
    const first = await acquireLock(path)
    assert.equal(readFileSync(path, 'utf8'), `${process.pid}\n`)
    await assert.rejects(acquireLock(path, {waitMs: 200, pollMs: 20}), /another node pass \(pid \d+\) holds/)
    const waiting = acquireLock(path, {waitMs: 10_000, pollMs: 20})
    await first.release()
    const second = await waiting
    await second.release()
    assert.throws(() => readFileSync(path))
  })
  it('takes over a lock whose holder is dead', async () => {
    const path = join(dir, 'stale.lock')
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'}).stdout
    writeFileSync(path, `${dead}\n`)
    const l = await acquireLock(path, {waitMs: 0})
    assert.equal(readFileSync(path, 'utf8'), `${process.pid}\n`)
    await l.release()
  })
})

describe('checksystem', () => {
  const config = parseKernelConfig('CONFIG_IP_SET=y\n# CONFIG_NET_IPIP is not set\nCONFIG_VETH=m\n')
  const facts = (over: Partial<SystemFacts> = {}): SystemFacts => ({
    kernelRelease: '6.1.0-18-amd64',
    config,
    configSource: '/proc/config.gz',
    modules: new Set(['ip_tables', 'xt_set', 'xt_conntrack', 'xt_mark', 'xt_multiport', 'xt_addrtype', 'xt_REJECT', 'xt_rpfilter', 'nf_conntrack_netlink', 'xt_MASQUERADE', 'ip_set_hash_ip', 'ip_set_hash_net']),
    tools: {ip: 'ip utility', bird: undefined},
    ...over,
  })
  it('compares kernel versions numerically', () => {
    assert.equal(kernelAtLeast('6.18.44-fc', '2.6.24'), true)
    assert.equal(kernelAtLeast('2.6.9', '2.6.24'), false)
    assert.equal(kernelAtLeast('2.6.24', '2.6.24'), true)
  })
  it('reports a missing ipip feature and missing required tools as failures', () => {
    const lines = evaluateSystem(facts(), ['ip', 'bird'])
    const ipip = lines.find((l) => l.name === 'ipip')
    assert.equal(ipip?.state, 'FAIL')
    assert.match(ipip?.detail ?? '', /CONFIG_NET_IPIP not set in \/proc\/config\.gz; needed for IPIP pools/)
    assert.equal(lines.find((l) => l.name === 'veth')?.state, 'OK')
    assert.equal(lines.find((l) => l.name === 'bird')?.state, 'FAIL')
    const {text, ok} = formatChecks(lines)
    assert.equal(ok, false)
    assert.match(text, /WARNING: ipip:/)
    assert.doesNotMatch(text, /System meets minimum/)
  })
  it('passes when everything required is present', () => {
    const full = parseKernelConfig('CONFIG_NET_IPIP=m\nCONFIG_VETH=y\nCONFIG_IP_SET=y\n')
    const {text, ok} = formatChecks(evaluateSystem(facts({config: full, tools: {ip: 'x', bird: 'BIRD version 2.0.12'}}), ['ip', 'bird']))
    assert.equal(ok, true, text)
    assert.match(text, /System meets minimum system requirements to run Calico!\n$/)
  })
})

describe('node status process detection', () => {
  it('recognises calico-felix, calico-node -felix and calicoctl node run', () => {
    assert.equal(isAgentCommandLine(['/usr/bin/calico-felix']), true)
    assert.equal(isAgentCommandLine(['calico-node', '-felix']), true)
    assert.equal(isAgentCommandLine(['/usr/local/bin/calicoctl', 'node', 'run', '--name', 'a']), true)
    assert.equal(isAgentCommandLine(['/usr/bin/node', '/work/bin/run.js', 'node', 'run']), true)
    assert.equal(isAgentCommandLine(['/usr/bin/node', '/work/bin/run.js', 'node', 'apply']), false)
    assert.equal(isAgentCommandLine(['calico-node', '-bird']), false)
  })
  it('a status file with a live PID means running; a dead PID does not', async () => {
    const live = join(dir, 'live.json')
    writeFileSync(live, JSON.stringify({pid: process.pid}))
    const empty = mkdtempSync(join(dir, 'proc-'))
    assert.equal(await agentRunning(live, empty), true)
    const dead = join(dir, 'dead.json')
    writeFileSync(dead, JSON.stringify({pid: 2 ** 22 + 12345}))
    assert.equal(await agentRunning(dead, empty), false)
    assert.equal(await agentRunning(join(dir, 'missing.json'), empty), false)
  })
})

describe('workload naming', () => {
  it('host interface is cali + 11 hex of a hash of the workload id', () => {
    const a = workloadInterfaceName('default', 'pod1')
    assert.match(a, /^cali[0-9a-f]{11}$/)
    assert.equal(a.length, 15)
    assert.equal(workloadInterfaceName('default', 'pod1'), a)
    assert.notEqual(workloadInterfaceName('other', 'pod1'), a)
  })
  it('WorkloadEndpoint name doubles dashes like Calico', () => {
    assert.equal(workloadEndpointName('node-1', 'my-pod'), 'node--1-calicoctl-my--pod-eth0')
  })
  it('labels parse k=v lists', () => {
    assert.deepEqual(parseLabels('app=web, tier=front'), {app: 'web', tier: 'front'})
    assert.throws(() => parseLabels('app'), /invalid label 'app'/)
  })
})

describe('pass report', () => {
  const base: NodePassResult = {node: 'n', ipv4Address: '198.51.100.95/24', dryRun: false, parts: [], changed: false, failed: false}
  it('says no changes when nothing changed', () => {
    const parts = (['node', 'routes'] as const).map((part) => ({part, status: 'unchanged' as const, changes: [], notes: []}))
    assert.deepEqual(formatNodePass({...base, parts}), {stdout: 'no changes\n', stderr: ''})
  })
  it('lists changes by part and failures with the part name', () => {
    const r = formatNodePass({
      ...base,
      changed: true,
      failed: true,
      parts: [
        {part: 'routes', status: 'changed', changes: ['add blackhole 192.168.0.0/26'], notes: []},
        {part: 'tunnel', status: 'failed', changes: [], notes: [], error: 'tunl0 is not available'},
      ],
    })
    assert.equal(r.stdout, 'routes:\n  add blackhole 192.168.0.0/26\n')
    assert.equal(r.stderr, 'tunnel: tunl0 is not available\n')
  })
  it('diags archive names carry the local time stamp', () => {
    assert.equal(diagsStamp(new Date(2024, 0, 2, 3, 4, 5)), '20240102_030405')
  })
})
