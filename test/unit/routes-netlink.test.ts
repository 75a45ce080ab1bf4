import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {ensureWorkloadInterfaceSysctls, NetlinkError, netlinkErrorCode, splitCidr} from '../../src/dataplane/netlink.js'

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

  describe('workload interface sysctls', () => {
    const root = mkdtempSync(join(tmpdir(), 'routes-proc-'))
    after(() => rmSync(root, {recursive: true, force: true}))
    const conf = join(root, 'sys/net/ipv4/conf/cali1')
    const neigh = join(root, 'sys/net/ipv4/neigh/cali1')
    mkdirSync(conf, {recursive: true})
    mkdirSync(neigh, {recursive: true})
    writeFileSync(join(conf, 'proxy_arp'), '0\n')
    writeFileSync(join(neigh, 'proxy_delay'), '80\n')

    test('a dry run counts the changes and writes nothing', async () => {
      assert.equal(await ensureWorkloadInterfaceSysctls('cali1', {procRoot: root, dryRun: true}), 2)
      assert.equal(readFileSync(join(conf, 'proxy_arp'), 'utf8'), '0\n')
    })

    test('proxy ARP on, no proxy delay; a second call writes nothing', async () => {
      assert.equal(await ensureWorkloadInterfaceSysctls('cali1', {procRoot: root}), 2)
      assert.equal(readFileSync(join(conf, 'proxy_arp'), 'utf8').trim(), '1')
      assert.equal(readFileSync(join(neigh, 'proxy_delay'), 'utf8').trim(), '0')
      assert.equal(await ensureWorkloadInterfaceSysctls('cali1', {procRoot: root}), 0)
    })

    test('names that could escape the /proc directory are refused', async () => {
      await assert.rejects(ensureWorkloadInterfaceSysctls('..', {procRoot: root}), /invalid interface name/)
      await assert.rejects(ensureWorkloadInterfaceSysctls('a/../../x', {procRoot: root}), /invalid interface name/)
    })
  })
})
