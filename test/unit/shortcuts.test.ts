// Pure parts of the shortcuts and --wait: mode mapping, AS parsing, peer names, argv, wait evaluation.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {normalizeWaitArgv} from '../../src/cli/wait-flag.js'
import {nodeStatusKey, parseNodeStatus, statusFromPass} from '../../src/node/node-status-key.js'
import {parseAsn, peerName, poolModeSpec, poolSpec} from '../../src/service/shortcuts.js'
import {evaluateWait} from '../../src/service/wait.js'

describe('shortcuts', () => {
  test('pool modes', () => {
    assert.deepEqual(poolModeSpec('bgp'), {ipipMode: 'Never', vxlanMode: 'Never'})
    assert.deepEqual(poolModeSpec('ipip'), {ipipMode: 'Always', vxlanMode: 'Never'})
    assert.deepEqual(poolModeSpec('cross-subnet'), {ipipMode: 'CrossSubnet', vxlanMode: 'Never'})
    assert.deepEqual(poolSpec({name: 'p', cidr: '10.0.0.0/16', natOutgoing: false, blockSize: 24}), {cidr: '10.0.0.0/16', blockSize: 24})
  })
  test('AS numbers and peer names', () => {
    assert.equal(parseAsn('64512'), 64512)
    assert.equal(parseAsn('1.10'), 65546)
    assert.throws(() => parseAsn('0'), /invalid AS number/)
    assert.throws(() => parseAsn('4294967296'), /invalid AS number/)
    assert.equal(peerName({peerIP: '198.51.100.1'}), 'peer-198-51-100-1')
    assert.equal(peerName({peerIP: '2001:db8::1', node: 'n1'}), 'n1.peer-2001-db8-1')
  })
})

describe('--wait', () => {
  test('bare --wait gets the default timeout; values and positionals are kept', () => {
    assert.deepEqual(normalizeWaitArgv(['p1', 'bgp', '--wait']), ['p1', 'bgp', '--wait=60s'])
    assert.deepEqual(normalizeWaitArgv(['--wait=5s', 'x']), ['--wait=5s', 'x'])
    assert.deepEqual(normalizeWaitArgv(['--', '--wait']), ['--', '--wait'])
  })
  test('status keys round-trip and wait evaluation compares revisions numerically', () => {
    const s = statusFromPass({node: 'n1', failed: false, changed: true, parts: []}, '100', {passes: 2})
    const stored = parseNodeStatus(nodeStatusKey('n1'), JSON.stringify(s), '7')!
    assert.equal(stored.revision, '100')
    assert.equal(parseNodeStatus('/calico/felix/v2/no-region/host/n1/other', '{}', '1'), undefined)
    const failed = parseNodeStatus(nodeStatusKey('n2'), JSON.stringify(statusFromPass({node: 'n2', failed: true, changed: false, parts: [{part: 'routes', status: 'failed', error: 'boom'}]}, '200', {passes: 1})), '8')!
    const stopped = {...stored, node: 'n3', state: 'stopped' as const}
    const m = new Map([['n1', stored], ['n2', failed], ['n3', stopped]])
    assert.deepEqual(evaluateWait(m, '99').map((n) => n.state), ['converged', 'failed'])
    assert.deepEqual(evaluateWait(m, '101').map((n) => [n.node, n.state]), [['n1', 'pending'], ['n2', 'failed']])
    // 1000 > 999 as numbers, not as strings.
    assert.equal(evaluateWait(new Map([['n1', {...stored, revision: '1000'}]]), '999')[0]!.state, 'converged')
    assert.equal(failed.errors[0], 'routes: boom')
  })
})
