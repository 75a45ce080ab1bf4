import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {desiredTunnel, hostMtuFromLinks, ipipNeeded, type TunnelPoolInput} from '../../src/dataplane/tunnel/model.js'
import {type ActualTunnel, formatTunnelOp, planTunnel, type TunnelOp} from '../../src/dataplane/tunnel/planner.js'

const pool = (ipipMode: TunnelPoolInput['ipipMode'], extra: Partial<TunnelPoolInput> = {}): TunnelPoolInput => ({
  cidr: '192.168.0.0/16',
  ipipMode,
  disabled: false,
  ...extra,
})

/** The device after the ops, as the kernel would report it. */
function applyOps(actual: ActualTunnel, ops: TunnelOp[]): ActualTunnel {
  const s: ActualTunnel = {...actual, addresses: [...actual.addresses]}
  for (const op of ops) {
    if (op.op === 'create') Object.assign(s, {exists: true, mtu: 1480, up: false, addresses: []})
    else if (op.op === 'set-mtu') s.mtu = op.mtu
    else if (op.op === 'set-up') s.up = true
    else if (op.op === 'add-address') s.addresses.push(op.cidr)
    else s.addresses = s.addresses.filter((a) => a !== op.cidr)
  }
  return s
}

describe('tunnel model', () => {
  test('IPIP is needed only for an enabled IPv4 pool with Always or CrossSubnet', () => {
    assert.equal(ipipNeeded([pool('Always')]), true)
    assert.equal(ipipNeeded([pool('Never'), pool('CrossSubnet')]), true)
    assert.equal(ipipNeeded([pool('Never')]), false)
    assert.equal(ipipNeeded([pool('Always', {disabled: true})]), false)
    assert.equal(ipipNeeded([pool('Always', {cidr: 'fd00::/48'})]), false)
    assert.equal(ipipNeeded([]), false)
  })

  test('MTU is the host MTU minus 20 unless configured', () => {
    assert.equal(desiredTunnel({pools: [pool('Always')], hostMtu: 1500}).mtu, 1480)
    assert.equal(desiredTunnel({pools: [pool('Always')], hostMtu: 9000, configuredMtu: 1400}).mtu, 1400)
    assert.equal(desiredTunnel({pools: [pool('Always')], hostMtu: 1460, configuredMtu: 0}).mtu, 1440)
  })

  test('exactly the tunnel address as a /32 while needed; no address otherwise', () => {
    assert.deepEqual(desiredTunnel({pools: [pool('Always')], hostMtu: 1500, tunnelAddress: '192.168.10.64'}), {
      present: true,
      addresses: ['192.168.10.64/32'],
      mtu: 1480,
      up: true,
    })
    assert.deepEqual(desiredTunnel({pools: [pool('Never')], hostMtu: 1500, tunnelAddress: '192.168.10.64'}).addresses, [])
    assert.throws(() => desiredTunnel({pools: [pool('Always')], hostMtu: 1500, tunnelAddress: '192.168.10.64/32'}), /invalid IPIP tunnel address/)
  })

  test('host MTU: the parent interface, else the smallest up uplink, else 1460', () => {
    const links = [
      {name: 'lo', mtu: 65536, up: true},
      {name: 'eth0', mtu: 1500, up: true},
      {name: 'ens3', mtu: 1450, up: true},
      {name: 'eth9', mtu: 1200, up: false},
      {name: 'uplink', mtu: 9000, up: true},
    ]
    assert.equal(hostMtuFromLinks(links, 'uplink'), 9000)
    assert.equal(hostMtuFromLinks(links), 1450)
    assert.equal(hostMtuFromLinks(links, 'missing'), 1450)
    assert.equal(hostMtuFromLinks([{name: 'lo', mtu: 65536, up: true}]), 1460)
  })
})

describe('tunnel planner', () => {
  const want = desiredTunnel({pools: [pool('Always')], hostMtu: 1500, tunnelAddress: '192.168.10.64'})

  test('missing device: create, size, address, up — in that order', () => {
    assert.deepEqual(planTunnel(want, {exists: false, addresses: []}).map(formatTunnelOp), [
      'create tunl0 (ipip)',
      'set tunl0 mtu 1480',
      'add address 192.168.10.64/32 to tunl0',
      'set tunl0 up',
    ])
  })

  test('device as the ipip module leaves it (down, 1480, no address): address and up only', () => {
    assert.deepEqual(planTunnel(want, {exists: true, mtu: 1480, up: false, addresses: []}), [
      {op: 'add-address', cidr: '192.168.10.64/32'},
      {op: 'set-up'},
    ])
  })

  test('a converged device plans nothing', () => {
    assert.deepEqual(planTunnel(want, {exists: true, mtu: 1480, up: true, addresses: ['192.168.10.64/32']}), [])
  })

  test('stray addresses are removed and a wrong MTU fixed', () => {
    const ops = planTunnel(want, {exists: true, mtu: 1440, up: true, addresses: ['192.168.10.64/32', '10.0.0.1/32', '192.168.7.1/24']})
    assert.deepEqual(ops.map(formatTunnelOp), [
      'set tunl0 mtu 1480',
      'delete address 10.0.0.1/32 from tunl0',
      'delete address 192.168.7.1/24 from tunl0',
    ])
  })

  test('IPIP no longer needed: addresses go, the device stays as it is', () => {
    const off = desiredTunnel({pools: [pool('Never')], hostMtu: 1500, tunnelAddress: '192.168.10.64'})
    assert.deepEqual(planTunnel(off, {exists: true, mtu: 1480, up: true, addresses: ['192.168.10.64/32']}), [
      {op: 'delete-address', cidr: '192.168.10.64/32'},
    ])
    assert.deepEqual(planTunnel(off, {exists: false, addresses: []}), [])
  })

  test('idempotent: planning against the post-apply state yields nothing', () => {
    for (const start of [
      {exists: false, addresses: []},
      {exists: true, mtu: 1500, up: false, addresses: ['10.1.1.1/32']},
    ] satisfies ActualTunnel[]) {
      const after = applyOps(start, planTunnel(want, start))
      assert.deepEqual(planTunnel(want, after), [])
    }
  })
})
