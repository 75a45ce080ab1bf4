// Which parts of a `node run` pass read what changed in the datastore (partsForChanges), and how
// a pass reports the parts it did not run.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {CacheChanges, SnapshotField} from '../../src/node/cache.js'
import {formatPassTimes, type NodePassResult, PART_NAMES, PASS_REASONS, type PassReason, partsForChanges, passMode} from '../../src/node/pass.js'

const changes = (fields: SnapshotField[], o: Partial<CacheChanges> = {}): CacheChanges => ({all: false, fields: new Set(fields), nodes: new Set(), ipamNodes: new Set(), ...o})
const parts = (c: CacheChanges) => [...partsForChanges(c, 'host-0')]

describe('partsForChanges', () => {
  it('a full list or a pool change runs every part', () => {
    assert.deepEqual(parts(changes([], {all: true})), [...PART_NAMES])
    assert.deepEqual(parts(changes(['pools'])), [...PART_NAMES])
  })

  it('policy-side kinds run only iptables', () => {
    for (const f of ['networkPolicies', 'globalNetworkPolicies', 'profiles', 'tiers', 'hostEndpoints', 'networkSets', 'globalNetworkSets'] as const) {
      assert.deepEqual(parts(changes([f])), ['iptables'], f)
    }
  })

  it('this node runs every part; another node routes, BIRD and iptables', () => {
    assert.deepEqual(parts(changes(['nodes'], {nodes: new Set(['host-0'])})), [...PART_NAMES])
    assert.deepEqual(parts(changes(['nodes'], {nodes: new Set(['host-7'])})), ['routes', 'bird', 'iptables'])
  })

  it('IPAM, BGP, Felix and endpoint changes map to the parts that read them', () => {
    assert.deepEqual(parts(changes(['blocks'], {ipamNodes: new Set(['host-0'])})), ['ipam', 'routes', 'bird'])
    assert.deepEqual(parts(changes([], {ipamNodes: new Set([''])})), ['ipam'])
    assert.deepEqual(parts(changes(['reservations'])), ['ipam'])
    assert.deepEqual(parts(changes(['bgpConfigurations'])), ['bird'])
    assert.deepEqual(parts(changes(['bgpPeers'])), ['bird'])
    assert.deepEqual(parts(changes(['bgpFilters'])), ['bird'])
    assert.deepEqual(parts(changes(['felixConfigurations'])), ['tunnel', 'iptables'])
    assert.deepEqual(parts(changes(['workloadEndpoints'])), ['routes', 'iptables'])
    assert.deepEqual(parts(changes([])), [])
  })

  it("another node's new block and affinity leave IPAM alone; a freed block does not", () => {
    const host7 = {ipamNodes: new Set(['host-7'])}
    assert.deepEqual(parts(changes(['nodes', 'blocks'], {nodes: new Set(['host-7']), ...host7})), ['routes', 'bird', 'iptables'])
    assert.deepEqual(parts(changes([], host7)), [])
    assert.deepEqual(parts(changes(['blocks'], {ipamNodes: new Set(['host-7', ''])})), ['ipam', 'routes', 'bird'])
  })
})

describe('formatPassTimes', () => {
  it('says which parts were not run', () => {
    const r: NodePassResult = {
      node: 'host-0',
      dryRun: false,
      changed: true,
      failed: false,
      snapshotMs: 1,
      parts: PART_NAMES.map((p) => (p === 'iptables' ? {part: p, status: 'changed', changes: ['updated table filter'], notes: [], ms: 12} : {part: p, status: 'unchanged', changes: [], notes: [], ms: 0, notRun: true})),
    }
    assert.equal(formatPassTimes(r), 'snapshot 1 ms, node not run, ipam not run, tunnel not run, routes not run, bird not run, iptables 12 ms')
  })
})

describe('passMode', () => {
  it('datastore changes alone run the parts that read them; any other reason runs every part', () => {
    assert.deepEqual(passMode(['datastore change', 'pending']), {full: false, verify: false, reload: false})
    for (const r of Object.keys(PASS_REASONS) as PassReason[]) {
      if (r === 'datastore change' || r === 'pending') continue
      assert.equal(passMode(['datastore change', r]).full, true, r)
    }
  })

  it('a resync lists the datastore again and re-reads iptables; a retry re-reads iptables; a drift check neither', () => {
    assert.deepEqual(passMode(['resync']), {full: true, verify: true, reload: true})
    assert.deepEqual(passMode(['retry', 'datastore change']), {full: true, verify: true, reload: false})
    assert.deepEqual(passMode(['drift check']), {full: true, verify: false, reload: false})
    assert.deepEqual(passMode([]), {full: false, verify: false, reload: false})
  })
})
