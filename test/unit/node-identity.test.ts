// Node identity: name precedence, --ip forms, and the calico-node autodetection methods over a
// fixed set of interfaces (no kernel access).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {autodetectAddress, type HostInterface, parseAutodetectMethod, resolveIdentity, resolveNodeName} from '../../src/node/identity.js'
import type {Resource} from '../../src/resources/types.js'

const IFACES: HostInterface[] = [
  {name: 'lo', index: 1, up: true, addresses: ['127.0.0.1/8']},
  {name: 'docker0', index: 2, up: true, addresses: ['172.17.0.1/16']},
  {name: 'eth0', index: 3, up: true, addresses: ['169.254.10.1/16', '198.51.100.95/24']},
  {name: 'ens5', index: 4, up: true, addresses: ['203.0.113.7/25']},
  {name: 'cali0123456789a', index: 5, up: true, addresses: ['192.168.1.1/32']},
  {name: 'tunl0', index: 6, up: true, addresses: ['192.168.0.1/32']},
]

const env = {} as NodeJS.ProcessEnv

describe('autodetection methods', () => {
  it('first-found skips excluded interfaces, loopback and link-local addresses', () => {
    assert.deepEqual(autodetectAddress(IFACES, parseAutodetectMethod('first-found')), {cidr: '198.51.100.95/24', interface: 'eth0'})
    assert.deepEqual(autodetectAddress(IFACES, parseAutodetectMethod('')), {cidr: '198.51.100.95/24', interface: 'eth0'})
  })
  it('interface= picks the first interface matching any regex, unanchored like Go', () => {
    assert.deepEqual(autodetectAddress(IFACES, parseAutodetectMethod('interface=ens.*')), {cidr: '203.0.113.7/25', interface: 'ens5'})
    assert.deepEqual(autodetectAddress(IFACES, parseAutodetectMethod('interface=nomatch,ns5')), {cidr: '203.0.113.7/25', interface: 'ens5'})
    assert.equal(autodetectAddress(IFACES, parseAutodetectMethod('interface=wlan.*')), undefined)
  })
  it('skip-interface= adds to the always-excluded list', () => {
    assert.deepEqual(autodetectAddress(IFACES, parseAutodetectMethod('skip-interface=eth.*')), {cidr: '203.0.113.7/25', interface: 'ens5'})
  })
  it('cidr= picks an address inside the given networks', () => {
    assert.deepEqual(autodetectAddress(IFACES, parseAutodetectMethod('cidr=203.0.113.0/24')), {cidr: '203.0.113.7/25', interface: 'ens5'})
  })
  it('can-reach= uses the source address the kernel chose, with its interface prefix', () => {
    const m = parseAutodetectMethod('can-reach=203.0.113.200')
    assert.deepEqual(m, {kind: 'can-reach', destination: '203.0.113.200'})
    assert.deepEqual(autodetectAddress(IFACES, m, '203.0.113.7'), {cidr: '203.0.113.7/25', interface: 'ens5'})
  })
  it('rejects unknown methods and bad regexes with a one-line message', () => {
    assert.throws(() => parseAutodetectMethod('bogus=1'), /invalid IP autodetection method 'bogus=1'/)
    assert.throws(() => parseAutodetectMethod('interface=('), /not a valid regular expression/)
    assert.throws(() => parseAutodetectMethod('can-reach='), /needs/)
    assert.throws(() => parseAutodetectMethod('cidr=10.0.0.0/33'), /not an IPv4 CIDR/)
  })
})

describe('resolveIdentity', () => {
  const node = (ipv4Address: string): Resource => ({apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: {name: 'h'}, spec: {bgp: {ipv4Address}}})

  it('name: --name, then NODENAME, then HOSTNAME, lower-cased', () => {
    assert.equal(resolveNodeName({name: 'Master', env: {NODENAME: 'x'}}), 'master')
    assert.equal(resolveNodeName({env: {NODENAME: 'Node-A', HOSTNAME: 'h'}}), 'node-a')
    assert.equal(resolveNodeName({env: {HOSTNAME: 'box1'}}), 'box1')
  })
  it('an --ip without prefix takes the prefix of the interface holding it', async () => {
    const id = await resolveIdentity({name: 'h', ip: '198.51.100.95', env}, undefined, {interfaces: IFACES})
    assert.equal(id.ipv4Address, '198.51.100.95/24')
    assert.equal(id.interface, 'eth0')
  })
  it('an --ip with prefix is kept; an address on no interface has no interface', async () => {
    const id = await resolveIdentity({name: 'h', ip: '198.51.100.50/24', env}, undefined, {interfaces: IFACES})
    assert.equal(id.ipv4Address, '198.51.100.50/24')
    assert.equal(id.interface, undefined)
  })
  it('IP from the environment, then the stored Node address, then autodetection', async () => {
    const fromEnv = await resolveIdentity({name: 'h', env: {IP: '203.0.113.7'}}, node('198.51.100.95/24'), {interfaces: IFACES})
    assert.equal(fromEnv.ipv4Address, '203.0.113.7/25')
    const stored = await resolveIdentity({name: 'h', env}, node('203.0.113.7/25'), {interfaces: IFACES})
    assert.equal(stored.ipv4Address, '203.0.113.7/25')
    assert.equal(stored.interface, 'ens5')
    const auto = await resolveIdentity({name: 'h', ip: 'autodetect', env: {IP_AUTODETECTION_METHOD: 'interface=ens5'}}, node('198.51.100.95/24'), {interfaces: IFACES})
    assert.equal(auto.ipv4Address, '203.0.113.7/25')
  })
  it('can-reach asks the injected resolver', async () => {
    const id = await resolveIdentity({name: 'h', autodetectionMethod: 'can-reach=203.0.113.200', env}, undefined, {
      interfaces: IFACES,
      reach: async (dest) => {
        assert.equal(dest, '203.0.113.200')
        return '203.0.113.7'
      },
    })
    assert.equal(id.ipv4Address, '203.0.113.7/25')
  })
  it('AS: --as over AS, validated', async () => {
    assert.equal((await resolveIdentity({name: 'h', ip: '198.51.100.95', as: '64513', env: {AS: '1'}}, undefined, {interfaces: IFACES})).asNumber, '64513')
    assert.equal((await resolveIdentity({name: 'h', ip: '198.51.100.95', env: {AS: '1.10'}}, undefined, {interfaces: IFACES})).asNumber, '1.10')
    await assert.rejects(resolveIdentity({name: 'h', ip: '198.51.100.95', as: 'abc', env}, undefined, {interfaces: IFACES}), /invalid AS number 'abc'/)
  })
  it('addressOnly (registration) reads the interfaces only when the address depends on them', async () => {
    let reads = 0
    const readInterfaces = async () => {
      reads++
      return IFACES
    }
    // An --ip with a prefix, or the stored address: known without the host's interfaces.
    assert.equal((await resolveIdentity({name: 'h', ip: '198.51.100.95/24', env}, undefined, {readInterfaces, addressOnly: true})).ipv4Address, '198.51.100.95/24')
    assert.equal((await resolveIdentity({name: 'h', env}, node('203.0.113.7/25'), {readInterfaces, addressOnly: true})).ipv4Address, '203.0.113.7/25')
    assert.equal(reads, 0)
    // Without a prefix the interface gives it; autodetection needs them all.
    assert.equal((await resolveIdentity({name: 'h', ip: '198.51.100.95', env}, undefined, {readInterfaces, addressOnly: true})).ipv4Address, '198.51.100.95/24')
    assert.equal((await resolveIdentity({name: 'h', env: {IP_AUTODETECTION_METHOD: 'interface=ens5'}}, undefined, {readInterfaces, addressOnly: true})).ipv4Address, '203.0.113.7/25')
    assert.equal(reads, 2)
    // Without addressOnly (a pass: BGP-mode routes need the interface) they are read once.
    assert.equal((await resolveIdentity({name: 'h', ip: '198.51.100.95/24', env}, undefined, {readInterfaces})).interface, 'eth0')
    assert.equal(reads, 3)
  })
  it('bad --ip and no address at all are clear errors', async () => {
    await assert.rejects(resolveIdentity({name: 'h', ip: '300.1.1.1', env}, undefined, {interfaces: IFACES}), /invalid --ip '300\.1\.1\.1'/)
    await assert.rejects(resolveIdentity({name: 'h', env}, undefined, {interfaces: [IFACES[0] as HostInterface]}), /no IPv4 address found/)
  })
})
