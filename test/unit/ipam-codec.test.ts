import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {AddressFilter, assignFree, freeCount, isEmpty, newBlock, normalizeBlock, ordinalsOfHandle, releaseOrdinals} from '../../src/ipam/block.js'
import {
  decodeAffinity,
  decodeBlock,
  decodeConfig,
  decodeHandle,
  encodeAffinity,
  encodeBlock,
  encodeConfig,
  encodeHandle,
  goString,
  parseJsonKeepingBigInts,
} from '../../src/ipam/codec.js'
import {affinityKey, blockKey, cidrOfBlockKey, handleKey, parseAffinityKey} from '../../src/ipam/keys.js'
import {cidr4Around, formatCidr4} from '../../src/lib/ip.js'
import {parseCidr4, parseIp4} from '../../src/ipam/net.js'

const NOW = new Date('2026-01-02T03:04:05.678Z')

describe('ipam keys', () => {
  it('builds Calico key paths', () => {
    assert.equal(blockKey('10.0.0.0/26'), '/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26')
    assert.equal(affinityKey('node-1', '10.0.0.64/26'), '/calico/ipam/v2/host/node-1/ipv4/block/10.0.0.64-26')
    assert.equal(handleKey('ipip-tunnel-addr-n1'), '/calico/ipam/v2/handle/ipip-tunnel-addr-n1')
    assert.equal(cidrOfBlockKey('/calico/ipam/v2/assignment/ipv4/block/192.168.1.0-26'), '192.168.1.0/26')
    assert.deepEqual(parseAffinityKey('/calico/ipam/v2/host/a.b-c/ipv4/block/10.1.0.0-24'), {node: 'a.b-c', cidr: '10.1.0.0/24'})
    assert.equal(parseAffinityKey('/calico/ipam/v2/host/n1'), undefined)
    assert.throws(() => handleKey('a/b'))
  })
})

describe('ipam net', () => {
  it('parses and masks', () => {
    assert.equal(formatCidr4(parseCidr4('10.1.2.3/16')), '10.1.0.0/16')
    assert.throws(() => parseCidr4('10.1.2.3/16', true))
    assert.throws(() => parseCidr4('10.1.2/16'))
    assert.throws(() => parseIp4('256.0.0.1'))
    assert.equal(formatCidr4(cidr4Around(parseIp4('192.168.3.77'), 26)), '192.168.3.64/26')
    assert.equal(formatCidr4(parseCidr4('255.255.255.255/32')), '255.255.255.255/32')
  })
})

describe('ipam codec', () => {
  it('writes a new block exactly as Go encodes AllocationBlock', () => {
    const b = newBlock('10.0.0.0/30', 'node1', NOW)
    b.sequenceNumber = 1767323045678000123n
    assert.equal(
      encodeBlock(b),
      '{"cidr":"10.0.0.0/30","affinity":"host:node1","affinity_claim_time":"2026-01-02T03:04:05Z","allocations":[null,null,null,null],' +
        '"unallocated":[0,1,2,3],"attributes":null,"sequenceNumber":1767323045678000123,"sequenceNumberForAllocation":{},"deleted":false}',
    )
  })

  it('writes a block without affinity with null and no claim time', () => {
    const b = newBlock('10.0.0.0/31', undefined, NOW)
    b.sequenceNumber = 5n
    assert.equal(encodeBlock(b), '{"cidr":"10.0.0.0/31","affinity":null,"allocations":[null,null],"unallocated":[0,1],"attributes":null,"sequenceNumber":5,"sequenceNumberForAllocation":{},"deleted":false}')
  })

  it('round-trips a Calico-written block, keeping 64-bit sequence numbers exact and map keys sorted as strings', () => {
    const text =
      '{"cidr":"10.0.0.0/28","affinity":"host:n1","allocations":[0,null,1,null,null,null,null,null,null,null,0,null,null,null,null,null],' +
        '"unallocated":[1,3,4,5,6,7,8,9,11,12,13,14,15],"attributes":[{"handle_id":"k8s-pod-network.abc","secondary":{"namespace":"default","node":"n1","pod":"p\\u003c1\\u003e"}},' +
        '{"handle_id":"ipip-tunnel-addr-n1","secondary":{"node":"n1","type":"ipipTunnelAddress"}}],"sequenceNumber":1767323045678000999,' +
        '"sequenceNumberForAllocation":{"0":1767323045678000123,"10":1767323045678000124,"2":1767323045678000125},"deleted":false}'
    const b = decodeBlock(text)
    assert.equal(b.sequenceNumber, 1767323045678000999n)
    assert.equal(b.sequenceNumberForAllocation?.get('10'), 1767323045678000124n)
    assert.equal(b.attributes?.[0]?.secondary?.pod, 'p<1>')
    assert.equal(encodeBlock(b), text)
  })

  it('escapes like Go and keeps big integers inside strings untouched', () => {
    assert.equal(goString('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"')
    assert.deepEqual(parseJsonKeepingBigInts('{"s":"x:12345678901234567,","n":12345678901234567,"m":[1,-2.5e3]}'), {
      s: 'x:12345678901234567,',
      n: '12345678901234567',
      m: [1, -2500],
    })
  })

  it('encodes affinities, handles and config with Calico field names', () => {
    assert.equal(encodeAffinity({state: 'pendingDeletion', deleted: false}), '{"state":"pendingDeletion","deleted":false}')
    assert.deepEqual(decodeAffinity('{"state":"confirmed","deleted":false}'), {state: 'confirmed', deleted: false})
    assert.equal(encodeHandle({block: {'10.0.0.64/26': 2, '10.0.0.0/26': 1}, deleted: false}), '{"block":{"10.0.0.0/26":1,"10.0.0.64/26":2},"deleted":false}')
    assert.deepEqual(decodeHandle('{"block":{"10.0.0.0/26":3},"deleted":false}'), {block: {'10.0.0.0/26': 3}, deleted: false})
    assert.equal(encodeConfig({strictAffinity: false, autoAllocateBlocks: true, maxBlocksPerHost: 0}), '{"auto_allocate_blocks":true}')
    assert.equal(encodeConfig({strictAffinity: true, autoAllocateBlocks: true, maxBlocksPerHost: 4}), '{"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":4}')
    assert.deepEqual(decodeConfig('{"strict_affinity":true}'), {strictAffinity: true, autoAllocateBlocks: false, maxBlocksPerHost: 0})
    assert.throws(() => decodeAffinity('{"state":"weird"}'))
  })
})

describe('ipam block operations', () => {
  it('assigns in unallocated order, skipping reserved addresses, sharing one attribute per owner', () => {
    const b = newBlock('10.0.0.0/29', 'n1', NOW)
    const reserved = new AddressFilter(['10.0.0.0/31', '10.0.0.4/32'])
    assert.equal(freeCount(b, reserved), 5)
    const ords = assignFree(b, 3, 'h1', {node: 'n1'}, reserved)
    assert.deepEqual(ords, [2, 3, 5])
    assert.deepEqual(b.unallocated, [0, 1, 4, 6, 7])
    assert.deepEqual(b.allocations, [null, null, 0, 0, null, 0, null, null])
    assert.equal(b.attributes?.length, 1)
    assert.equal(b.sequenceNumberForAllocation?.get('5'), b.sequenceNumber)
    assert.deepEqual(assignFree(b, 1, 'h2', {node: 'n1'}, reserved), [6])
    assert.deepEqual(ordinalsOfHandle(b, 'h1'), [2, 3, 5])
  })

  it('releases to the end of unallocated in ordinal order and compacts attributes', () => {
    const b = newBlock('10.0.0.0/29', 'n1', NOW)
    assignFree(b, 2, 'h1', {node: 'n1'})
    assignFree(b, 2, 'h2', {node: 'n1'})
    assignFree(b, 1, 'h3', {node: 'n1'})
    const {freed, byHandle} = releaseOrdinals(b, [3, 0, 1, 7])
    assert.deepEqual(freed, [0, 1, 3])
    assert.deepEqual(Object.fromEntries(byHandle), {h1: 2, h2: 1})
    assert.deepEqual(b.unallocated, [5, 6, 7, 0, 1, 3])
    assert.deepEqual(b.attributes?.map((a) => a.handleId), ['h2', 'h3'])
    assert.deepEqual(b.allocations, [null, null, 0, null, 1, null, null, null])
    assert.equal(b.sequenceNumberForAllocation?.has('0'), false)
    assert.equal(isEmpty(b), false)
    releaseOrdinals(b, [2, 4])
    assert.equal(isEmpty(b), true)
    assert.deepEqual(b.attributes, [])
  })

  it('frees addresses whose cooldown has passed when normalising', () => {
    const b = newBlock('10.0.0.0/30', 'n1', NOW)
    assignFree(b, 2, 'h1', undefined)
    b.attributes?.push({releasedAt: '2026-01-02T03:00:00Z'})
    b.allocations[1] = 1
    normalizeBlock(b, 60, NOW)
    assert.deepEqual(b.allocations, [0, null, null, null])
    assert.deepEqual(b.unallocated, [2, 3, 1])
    const c = newBlock('10.0.0.0/30', 'n1', NOW)
    c.attributes = [{releasedAt: '2026-01-02T03:04:00Z'}]
    c.allocations[0] = 0
    c.unallocated = [1, 2, 3]
    normalizeBlock(c, 60, NOW)
    assert.deepEqual(c.allocations, [0, null, null, null], 'still cooling down')
  })
})
