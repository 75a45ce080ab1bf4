import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {ensureIpForwarding, ensureWorkloadInterfaceSysctls, NetlinkError, netlinkErrorCode, parseRouteMessage, splitCidr} from '../../src/dataplane/netlink.js'

/** An RTM_NEWROUTE payload as the kernel sends it: rtmsg header, then attributes. */
function routeMessage(h: {dstLen: number; table: number; protocol: number; scope: number; type: number; flags?: number}, attrs: [number, Buffer][]): Buffer {
  const head = Buffer.alloc(12)
  head[0] = 2 // AF_INET
  head[1] = h.dstLen
  head[4] = h.table
  head[5] = h.protocol
  head[6] = h.scope
  head[7] = h.type
  head.writeUInt32LE(h.flags ?? 0, 8)
  const parts = attrs.map(([type, value]) => {
    const a = Buffer.alloc((4 + value.length + 3) & ~3)
    a.writeUInt16LE(4 + value.length, 0)
    a.writeUInt16LE(type, 2)
    value.copy(a, 4)
    return a
  })
  return Buffer.concat([head, ...parts])
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}


describe('netlink helpers', () => {
  test('errno names are recovered from the package error text', () => {
    assert.equal(netlinkErrorCode(new Error('Request rejected: EEXIST')), 'EEXIST')
    assert.equal(netlinkErrorCode(new Error('Request rejected: ENOTSUP')), 'ENOTSUP')
    assert.equal(netlinkErrorCode(new Error('socket closed')), undefined)
    assert.equal(new NetlinkError('ENODEV', 'add route 10.0.0.0/24').message, 'add route 10.0.0.0/24: ENODEV (no such device)')
  })

  test('CIDRs are validated before they reach the kernel', () => {
    assert.deepEqual(splitCidr('192.168.1.0/26'), {ip: '192.168.1.0', len: 26})
    assert.deepEqual(splitCidr('192.168.1.5'), {ip: '192.168.1.5', len: 32})
    assert.throws(() => splitCidr('192.168.1.0/33'), /invalid IPv4 CIDR/)
    assert.throws(() => splitCidr('192.168.300.0/24'), /invalid IPv4 address/)
  })

  test('route dumps are parsed from the header and the four attributes used', () => {
    const onlink = routeMessage({dstLen: 26, table: 254, protocol: 80, scope: 0, type: 1, flags: 4}, [
      [15, u32(254)],
      [1, Buffer.from([10, 1, 2, 64])],
      [5, Buffer.from([198, 51, 100, 2])],
      [4, u32(7)],
    ])
    assert.deepEqual(parseRouteMessage(onlink, 80), {
      dst: '10.1.2.64/26',
      type: 'unicast',
      gateway: '198.51.100.2',
      ifindex: 7,
      onlink: true,
      scope: 'universe',
      protocol: 80,
      table: 254,
    })
    // Another protocol is skipped when one is asked for, kept (as a number) otherwise.
    assert.equal(parseRouteMessage(onlink, 12), undefined)
    const blackhole = routeMessage({dstLen: 32, table: 254, protocol: 12, scope: 253, type: 6}, [[1, Buffer.from([10, 9, 9, 9])]])
    assert.deepEqual(parseRouteMessage(blackhole), {dst: '10.9.9.9/32', type: 'blackhole', onlink: false, scope: 'link', protocol: 12, table: 254})
    // No RTA_DST: the default route.
    assert.equal(parseRouteMessage(routeMessage({dstLen: 0, table: 254, protocol: 4, scope: 0, type: 1}, [[5, Buffer.from([192, 0, 2, 1])]]))?.dst, '0.0.0.0/0')
    // A table above 255 is only in RTA_TABLE (the header says 252): not the main table.
    assert.equal(parseRouteMessage(routeMessage({dstLen: 24, table: 252, protocol: 80, scope: 0, type: 1}, [[15, u32(1000)], [1, Buffer.from([10, 0, 0, 0])]])), undefined)
    // A truncated attribute ends the parse rather than reading past the message.
    const cut = onlink.subarray(0, onlink.length - 2)
    assert.equal(parseRouteMessage(cut, 80)?.ifindex, undefined)
  })

  describe('workload interface sysctls', () => {
    const root = mkdtempSync(join(tmpdir(), 'routes-proc-'))
    after(() => rmSync(root, {recursive: true, force: true}))
    const conf = join(root, 'sys/net/ipv4/conf/cali1')
    const neigh = join(root, 'sys/net/ipv4/neigh/cali1')
    mkdirSync(conf, {recursive: true})
    mkdirSync(neigh, {recursive: true})
    writeFileSync(join(conf, 'proxy_arp'), '0\n')
    writeFileSync(join(conf, 'forwarding'), '0\n')
    writeFileSync(join(neigh, 'proxy_delay'), '80\n')
    writeFileSync(join(root, 'sys/net/ipv4/ip_forward'), '0\n')

    test('a dry run counts the changes and writes nothing', async () => {
      assert.equal(await ensureWorkloadInterfaceSysctls('cali1', {procRoot: root, dryRun: true}), 3)
      assert.equal(readFileSync(join(conf, 'proxy_arp'), 'utf8'), '0\n')
      assert.equal(await ensureIpForwarding({procRoot: root, dryRun: true}), true)
      assert.equal(readFileSync(join(root, 'sys/net/ipv4/ip_forward'), 'utf8'), '0\n')
    })

    test('forwarding and proxy ARP on, no proxy delay; a second call writes nothing', async () => {
      assert.equal(await ensureWorkloadInterfaceSysctls('cali1', {procRoot: root}), 3)
      assert.equal(readFileSync(join(conf, 'proxy_arp'), 'utf8').trim(), '1')
      assert.equal(readFileSync(join(conf, 'forwarding'), 'utf8').trim(), '1')
      assert.equal(readFileSync(join(neigh, 'proxy_delay'), 'utf8').trim(), '0')
      assert.equal(await ensureWorkloadInterfaceSysctls('cali1', {procRoot: root}), 0)
    })

    test('net.ipv4.ip_forward is switched on once (Felix IPForwarding=Enabled)', async () => {
      assert.equal(await ensureIpForwarding({procRoot: root}), true)
      assert.equal(readFileSync(join(root, 'sys/net/ipv4/ip_forward'), 'utf8').trim(), '1')
      assert.equal(await ensureIpForwarding({procRoot: root}), false)
    })

    test('names that could escape the /proc directory are refused', async () => {
      await assert.rejects(ensureWorkloadInterfaceSysctls('..', {procRoot: root}), /invalid interface name/)
      await assert.rejects(ensureWorkloadInterfaceSysctls('a/../../x', {procRoot: root}), /invalid interface name/)
    })
  })
})
