import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, test} from 'node:test'
import {desiredRoutes, type RouteModelInput} from '../../src/dataplane/routes/model.js'
import {formatRoute} from '../../src/dataplane/routes/types.js'

const fixture = (name: string): RouteModelInput => JSON.parse(readFileSync(new URL(`../fixtures/routes/${name}`, import.meta.url), 'utf8'))

const show = (input: RouteModelInput) => desiredRoutes(input).map(formatRoute)

function withMode(input: RouteModelInput, ipipMode: 'Always' | 'CrossSubnet' | 'Never'): RouteModelInput {
  return {...input, pools: input.pools.map((p) => ({...p, ipipMode}))}
}

describe('routes model', () => {
  test('IPIP Always: tunnel routes to remote blocks, blackhole for ours, /32 per workload', () => {
    assert.deepEqual(show(fixture('seed-master.json')), [
      '192.168.9.0/26 via 198.51.100.96 dev tunl0 onlink',
      'blackhole 192.168.10.64/26',
      '192.168.10.65/32 dev cali0f9e8d7c6b5 scope link',
      '192.168.10.66/32 dev cali1a2b3c4d5e6 scope link',
      '192.168.20.0/26 via 203.0.113.7 dev tunl0 onlink',
    ])
  })

  test('CrossSubnet: same-subnet node via the parent interface, other subnets via tunl0', () => {
    const routes = show(withMode(fixture('seed-master.json'), 'CrossSubnet'))
    assert.ok(routes.includes('192.168.9.0/26 via 198.51.100.96 dev eth0 onlink'))
    assert.ok(routes.includes('192.168.20.0/26 via 203.0.113.7 dev tunl0 onlink'))
  })

  test('Never: no remote block routes from us (BIRD installs them), local routes stay', () => {
    assert.deepEqual(show(withMode(fixture('seed-master.json'), 'Never')), [
      'blackhole 192.168.10.64/26',
      '192.168.10.65/32 dev cali0f9e8d7c6b5 scope link',
      '192.168.10.66/32 dev cali1a2b3c4d5e6 scope link',
    ])
  })

  test('blocks without affinity, without a pool, or of a node with no known address get no route', () => {
    const input = fixture('seed-master.json')
    input.blocks = [
      {cidr: '192.168.30.0/26', affinityNode: undefined},
      {cidr: '10.99.0.0/26', affinityNode: 'node'},
      {cidr: '192.168.40.0/26', affinityNode: 'ghost'},
    ]
    input.nodes.push({name: 'ghost'})
    input.workloads = []
    assert.deepEqual(show(input), [])
  })

  test('the most specific pool decides the mode', () => {
    const input = fixture('seed-master.json')
    input.pools.push({name: 'plain', cidr: '192.168.9.0/24', ipipMode: 'Never', vxlanMode: 'Never', disabled: false, blockSize: 26})
    const routes = show(input)
    assert.ok(!routes.some((r) => r.startsWith('192.168.9.0/26')))
    assert.ok(routes.includes('192.168.20.0/26 via 203.0.113.7 dev tunl0 onlink'))
  })

  test('a disabled pool keeps the routes of its existing blocks', () => {
    const input = fixture('seed-master.json')
    input.pools = input.pools.map((p) => ({...p, disabled: true}))
    assert.ok(show(input).includes('192.168.9.0/26 via 198.51.100.96 dev tunl0 onlink'))
  })

  test('an own /32 block gets no blackhole; a workload route wins a destination clash', () => {
    const input = fixture('seed-master.json')
    input.blocks = [
      {cidr: '192.168.50.1/32', affinityNode: 'master'},
      {cidr: '192.168.50.2/32', affinityNode: 'node'},
    ]
    input.workloads = [{ip: '192.168.50.2', interfaceName: 'cali1'}]
    assert.deepEqual(show(input), ['192.168.50.2/32 dev cali1 scope link'])
  })

  test('block CIDRs are canonicalised and IPv6 entries ignored', () => {
    const input = fixture('seed-master.json')
    input.pools.push({name: 'v6', cidr: 'fd00::/48', ipipMode: 'Never', vxlanMode: 'Never', disabled: false, blockSize: 122})
    input.blocks = [
      {cidr: '192.168.9.5/26', affinityNode: 'node'},
      {cidr: 'fd00::/122', affinityNode: 'node'},
    ]
    input.workloads = [{ip: 'fd00::5', interfaceName: 'cali1'}]
    assert.deepEqual(show(input), ['192.168.9.0/26 via 198.51.100.96 dev tunl0 onlink'])
  })

  test('rejects a node address that is not a CIDR and unsafe interface names', () => {
    assert.throws(() => desiredRoutes({...fixture('seed-master.json'), nodeIPv4: 'nonsense'}), /invalid IPv4 address 'nonsense'/)
    const bad = fixture('seed-master.json')
    bad.workloads = [{ip: '192.168.10.70', interfaceName: '../../etc'}]
    assert.throws(() => desiredRoutes(bad), /invalid interface name/)
  })
})
