// src/lib/ip.ts: the one IP/CIDR module. Table tests pin each rule to upstream Calico v3.32.1
// (Go's net.ParseIP / net.ParseCIDR as libcalico-go/lib/net wraps them, and
// libcalico-go/lib/validator/v3/validator.go); fast-check properties (seeded from TEST_SEED,
// printed below) cover round trips, containment, the subnet arithmetic IPAM blocks rely on and
// the number conversions. Node's own net.isIP and the WHATWG URL serializer serve as
// independent oracles for the grammar and the RFC 5952 text.
import assert from 'node:assert/strict'
import net from 'node:net'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {
  type Cidr4,
  CidrIndex,
  canonicalIP,
  cidr4Around,
  cidr4Contains,
  cidr4Covers,
  cidr4Overlap,
  cidr4SortKey,
  cidrRange,
  formatCidr4,
  formatIP,
  formatIPv4,
  formatIPv6,
  formatNet4,
  ipFamily,
  isIP,
  isIPv4,
  isIPv6,
  maskV4,
  netContains,
  netFamily,
  networkOf,
  networkV4,
  netsOverlap,
  parseCidr,
  parseIP,
  parseIPv4,
  parseIPv6,
  parseNet,
  parseNet4,
  sizeV4,
  splitCidr4,
} from '../../src/lib/ip.js'
import {fcSeed, TEST_SEED} from '../helpers/random.js'

const SEED = fcSeed('lib/ip')
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000)
fc.configureGlobal({seed: SEED, numRuns: RUNS})
console.log(`# lib/ip properties: fast-check seed ${SEED} from TEST_SEED=${TEST_SEED}, ${RUNS} runs`)

const U32 = fc.integer({min: 0, max: 0xffffffff})
const U128 = fc.bigInt(0n, (1n << 128n) - 1n)
/** IPv6 numbers that are not IPv4-mapped (those are IPv4 addresses, as Go's To4 says). */
const V6 = U128.filter((n) => n >> 32n !== 0xffffn)
const PREFIX4 = fc.integer({min: 0, max: 32})
const PREFIX6 = fc.integer({min: 0, max: 128})

describe('lib/ip: the rules, by upstream', () => {
  // Go's netip.ParseAddr (under net.ParseIP since Go 1.22): four decimal fields, no leading zeros.
  it('IPv4 text is exactly four decimal fields 0-255 without leading zeros', () => {
    for (const ok of ['0.0.0.0', '10.0.0.1', '255.255.255.255', '192.0.2.1']) assert.equal(parseIPv4(ok) !== undefined, true, ok)
    for (const bad of ['010.0.0.1', '10.0.0', '10.0.0.1.1', '256.0.0.1', '0xa.0.0.1', '167772161', ' 10.0.0.1', '10.0.0.1 ', '1..2.3', '', '-1.0.0.0', '+1.0.0.0', '1.2.3.4/32'])
      assert.equal(parseIPv4(bad), undefined, bad)
    assert.equal(parseIPv4('10.1.2.3'), 0x0a010203)
  })

  // net.ParseIP / net.ParseCIDR refuse any zone ("fe80::1%eth0"); validator.go's validateIPv6 too.
  it('refuses zones', () => {
    for (const bad of ['fe80::1%eth0', 'fe80::%1', 'fe80::1%eth0/64']) {
      assert.equal(isIP(bad), false, bad)
      assert.equal(parseCidr(bad), undefined, bad)
      assert.equal(parseNet(bad), undefined, bad)
    }
  })

  // cnet.ParseIP keeps ip.To4() and IP.Version() is 4 for ::ffff:a.b.c.d; validator.go's
  // validateIPv4 is `ParseIP(n).To4() != nil`, validateIPv6 the opposite.
  it('IPv4-mapped IPv6 is IPv4; IPv4-compatible (::a.b.c.d) stays IPv6', () => {
    for (const t of ['::ffff:192.0.2.1', '::FFFF:c000:201', '0:0:0:0:0:ffff:192.0.2.1']) {
      assert.equal(isIPv4(t), true, t)
      assert.equal(isIPv6(t), false, t)
      assert.equal(canonicalIP(t), '192.0.2.1', t)
      assert.deepEqual(parseNet(t), {family: 4, address: '192.0.2.1', prefix: 32, text: '192.0.2.1/32', masked: true})
    }
    assert.equal(isIPv6('::192.0.2.1'), true)
    assert.equal(canonicalIP('::192.0.2.1'), '::c000:201')
    // Go's IPNet.String() prints the mapped /120 as the IPv4 /24; below /96 the mapping is masked away.
    assert.deepEqual(parseCidr('::ffff:192.0.2.7/120'), {family: 4, address: '192.0.2.7', prefix: 24, text: '192.0.2.0/24', masked: false})
    assert.equal(parseCidr('::ffff:192.0.2.0/80')?.family, 6)
    assert.equal(parseCidr('::ffff:192.0.2.0/80')?.text, '::/80')
    // The embedded dotted quad follows the IPv4 rules.
    assert.equal(isIP('::ffff:010.0.0.1'), false)
    assert.equal(isIP('::ffff:1.2.3'), false)
    // An address is not a CIDR, even a full-length one.
    for (const bad of ['::ffff:192.0.2.1/128', '2001:db8::1/128', '192.0.2.1/32']) assert.equal(isIP(bad) || isIPv4(bad) || isIPv6(bad), false, bad)
  })

  // Go's netip IPv6 grammar: 1-4 hex digits a field, one `::` standing for at least one field.
  it('IPv6 grammar', () => {
    for (const ok of ['::', '::1', '1::', '2001:db8::1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '0001:0db8::', '64:ff9b::192.0.2.1', 'ABCD::EF'])
      assert.equal(isIPv6(ok), true, ok)
    for (const bad of ['00001::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1::2::3', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', ':1::', '1::2:', 'g::', '1:2:3:4:5:6:1.2.3.4:8', '1.2.3.4::', '[::1]'])
      assert.equal(isIPv6(bad), false, bad)
  })

  // net.ParseCIDR: prefix via dtoi (digits, leading zeros allowed), at most the address length.
  it('prefix lengths', () => {
    assert.equal(parseCidr('10.0.0.0/016')?.text, '10.0.0.0/16')
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/+8', '10.0.0.0/8/8', '10.0.0.0/ 8', 'fd00::/129', '10.0.0.0/99999999999999999999'])
      assert.equal(parseCidr(bad), undefined, bad)
    assert.equal(parseCidr('fd00::/128')?.prefix, 128)
    assert.equal(parseCidr('0.0.0.0/0')?.text, '0.0.0.0/0')
  })

  // net.ParseCIDR accepts host bits and returns the masked network; validator.go's
  // validateIPv4Network / validateIPNetwork then compare it with the address (`masked`).
  it('host bits are allowed and reported', () => {
    assert.deepEqual(parseCidr('10.1.2.3/8'), {family: 4, address: '10.1.2.3', prefix: 8, text: '10.0.0.0/8', masked: false})
    assert.deepEqual(parseCidr('fd00::1/64'), {family: 6, address: 'fd00::1', prefix: 64, text: 'fd00::/64', masked: false})
    assert.equal(parseCidr('10.0.0.0/8')?.masked, true)
  })

  // net.ParseCIDR needs the slash; cnet.ParseCIDROrIP takes a bare address as /32 or /128.
  it('bare addresses only where ParseCIDROrIP is the rule', () => {
    assert.equal(parseCidr('10.0.0.1'), undefined)
    assert.equal(parseNet('10.0.0.1')?.text, '10.0.0.1/32')
    assert.equal(parseNet('2001:DB8::1')?.text, '2001:db8::1/128')
    assert.deepEqual(parseNet4('192.0.2.9'), {ip: 0xc0000209, cidr: {base: 0xc0000209, prefix: 32}})
    assert.equal(parseNet4('2001:db8::/64'), undefined)
  })

  it('families', () => {
    assert.equal(ipFamily('192.0.2.1'), 4)
    assert.equal(ipFamily('2001:db8::1'), 6)
    assert.equal(ipFamily('192.0.2.0/24'), undefined)
    assert.equal(netFamily('192.0.2.0/24'), 4)
    assert.equal(netFamily('2001:db8::/32'), 6)
    assert.equal(netFamily('nonsense'), undefined)
  })

  it('prefix math', () => {
    assert.equal(maskV4(0), 0)
    assert.equal(maskV4(26), 0xffffffc0)
    assert.equal(maskV4(32), 0xffffffff)
    assert.equal(networkV4(0xc0a80377, 26), 0xc0a80340)
    assert.equal(formatCidr4(cidr4Around(parseIPv4('192.168.3.77')!, 26)), '192.168.3.64/26')
    assert.equal(sizeV4(26), 64)
    assert.equal(formatNet4({base: 0x0a000001, prefix: 32}), '10.0.0.1')
    assert.equal(formatNet4({base: 0x0a000000, prefix: 8}), '10.0.0.0/8')
    assert.deepEqual(splitCidr4({base: 0x0a000000, prefix: 8}, 2).map(formatCidr4), ['10.0.0.0/10', '10.64.0.0/10', '10.128.0.0/10', '10.192.0.0/10'])
    assert.deepEqual(splitCidr4({base: 0, prefix: 31}, 2), [])
    assert.equal(networkOf(6, parseIPv6('2001:db8::ff')!, 120), parseIPv6('2001:db8::'))
    assert.deepEqual(cidrRange('10.0.0.0/30'), {family: 4, start: 0x0a000000n, end: 0x0a000003n})
    assert.equal(netsOverlap('10.0.0.0/8', '10.1.0.0/16'), true)
    assert.equal(netsOverlap('10.0.0.0/8', '11.0.0.0/8'), false)
    assert.equal(netsOverlap('::/0', '0.0.0.0/0'), false)
    assert.equal(netContains('2001:db8::/32', '2001:db8:ffff::1'), true)
    assert.equal(netContains('10.0.0.0/8', '2001:db8::1'), false)
    assert.equal(netContains('10.0.0.5', '10.0.0.5'), true)
    assert.ok(cidr4SortKey('10.0.0.0/8') < cidr4SortKey('10.0.0.0/9'))
    assert.ok(cidr4SortKey('10.0.0.0/9') < cidr4SortKey('10.0.0.1/32'))
    assert.equal(cidr4SortKey('fd00::/8'), -1)
  })
})

describe('lib/ip: properties (fast-check)', () => {
  it('IPv4: number → text → number, and text → number → text', () => {
    fc.assert(fc.property(U32, (n) => parseIPv4(formatIPv4(n)) === n && net.isIPv4(formatIPv4(n))))
    fc.assert(
      fc.property(fc.array(fc.integer({min: 0, max: 255}), {minLength: 4, maxLength: 4}), (o) => {
        const text = o.join('.')
        return formatIPv4(parseIPv4(text)!) === text
      }),
    )
  })

  it('IPv6: number → RFC 5952 text (as the WHATWG URL serializer writes it) → number', () => {
    fc.assert(
      fc.property(V6, (n) => {
        const text = formatIPv6(n)
        assert.equal(text, new URL(`http://[${text}]/`).hostname.slice(1, -1))
        assert.equal(parseIPv6(text), n)
        assert.deepEqual(parseIP(text), {family: 6, value: n})
        assert.equal(formatIP({family: 6, value: n}), text)
      }),
    )
  })

  it('IPv6: every spelling of an address (uncompressed, padded, upper case, embedded IPv4) parses to it', () => {
    fc.assert(
      fc.property(V6, fc.boolean(), fc.boolean(), fc.boolean(), (n, pad, upper, dotted) => {
        const fields = Array.from({length: 8}, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn))
        let parts = fields.map((f) => (pad ? f.toString(16).padStart(4, '0') : f.toString(16)))
        if (dotted) parts = [...parts.slice(0, 6), formatIPv4(Number(n & 0xffffffffn))]
        let text = parts.join(':')
        if (upper) text = text.toUpperCase()
        assert.equal(parseIPv6(text), n, text)
      }),
    )
  })

  it('IPv4-mapped numbers are IPv4 addresses', () => {
    fc.assert(fc.property(U32, (n) => parseIPv4(formatIPv6((0xffffn << 32n) | BigInt(n))) === n))
  })

  it('the grammar agrees with node:net on strings near the grammar (no zones in either)', () => {
    const piece = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''), '::', '255', '192.0.2.1', 'ffff', '0:', '1:', '00')
    fc.assert(fc.property(fc.array(piece, {maxLength: 16}), (a) => isIP(a.join('')) === (net.isIP(a.join('')) !== 0)), {numRuns: RUNS * 20})
  })

  it('CIDR text round trips, masked and not', () => {
    fc.assert(
      fc.property(U32, PREFIX4, (n, prefix) => {
        const p = parseCidr(`${formatIPv4(n)}/${prefix}`)!
        const base = networkV4(n, prefix)
        assert.equal(p.text, `${formatIPv4(base)}/${prefix}`)
        assert.equal(p.masked, base === n)
        assert.deepEqual(parseCidr(p.text), {family: 4, address: formatIPv4(base), prefix, text: p.text, masked: true})
        assert.deepEqual(parseNet4(p.text)?.cidr, {base, prefix})
      }),
    )
    fc.assert(
      fc.property(V6, PREFIX6, (n, prefix) => {
        const p = parseCidr(`${formatIPv6(n)}/${prefix}`)!
        const base = networkOf(6, n, prefix)
        assert.equal(p.family, base >> 32n === 0xffffn && prefix >= 96 ? 4 : 6)
        if (p.family === 6) assert.equal(p.text, `${formatIPv6(base)}/${prefix}`)
        assert.equal(p.masked, base === n)
        assert.equal(parseCidr(p.text)?.text, p.text)
      }),
    )
  })

  it('a CIDR contains its first and last address and not the one before or after', () => {
    fc.assert(
      fc.property(U32, PREFIX4, (n, prefix) => {
        const c: Cidr4 = cidr4Around(n, prefix)
        const last = c.base + sizeV4(prefix) - 1
        assert.ok(cidr4Contains(c, c.base) && cidr4Contains(c, last) && cidr4Contains(c, n))
        if (c.base > 0) assert.ok(!cidr4Contains(c, c.base - 1))
        if (last < 0xffffffff) assert.ok(!cidr4Contains(c, last + 1))
        const text = formatCidr4(c)
        assert.ok(netContains(text, formatIPv4(c.base)) && netContains(text, formatIPv4(last)))
        if (c.base > 0) assert.ok(!netContains(text, formatIPv4(c.base - 1)))
        if (last < 0xffffffff) assert.ok(!netContains(text, formatIPv4(last + 1)))
      }),
    )
    fc.assert(
      fc.property(V6, PREFIX6, (n, prefix) => {
        const r = cidrRange(`${formatIPv6(n)}/${prefix}`)!
        fc.pre(r.family === 6)
        const text = `${formatIPv6(r.start)}/${prefix}`
        // IPv4-mapped numbers are IPv4 addresses, outside every IPv6 network (Go's IPNet.Contains
        // compares the To4() form's length), so they are left out of the edge checks.
        const mapped = (v: bigint) => v >> 32n === 0xffffn
        const at = (v: bigint) => netContains(text, formatIPv6(v))
        for (const v of [r.start, r.end, n]) if (!mapped(v)) assert.ok(at(v), formatIPv6(v))
        assert.equal(r.end - r.start + 1n, 1n << BigInt(128 - prefix))
        if (r.start > 0n && !mapped(r.start - 1n)) assert.ok(!at(r.start - 1n))
        if (r.end < (1n << 128n) - 1n && !mapped(r.end + 1n)) assert.ok(!at(r.end + 1n))
        if (mapped(r.end)) assert.ok(!netContains(text, formatIPv4(Number(r.end & 0xffffffffn))))
      }),
    )
  })

  // IPAM blocks: a pool splits into 2^k blocks that tile it, each the block around any of its
  // addresses; merging them back (the network of the parent prefix) gives the pool.
  it('subnet split and merge', () => {
    fc.assert(
      fc.property(U32, fc.integer({min: 0, max: 24}), fc.integer({min: 0, max: 8}), (n, prefix, bits) => {
        const pool = cidr4Around(n, prefix)
        const parts = splitCidr4(pool, bits)
        assert.equal(parts.length, 2 ** bits)
        assert.equal(parts[0]!.base, pool.base)
        let next = pool.base
        for (const p of parts) {
          assert.equal(p.base, next, 'contiguous, in order')
          assert.equal(p.prefix, prefix + bits)
          assert.ok(cidr4Covers(pool, p))
          assert.deepEqual(cidr4Around(p.base + sizeV4(p.prefix) - 1, p.prefix), p)
          assert.deepEqual(cidr4Around(p.base, prefix), pool)
          next = p.base + sizeV4(p.prefix)
        }
        assert.equal(next, pool.base + sizeV4(prefix), 'they cover the pool exactly')
        if (parts.length > 1) assert.ok(!cidr4Overlap(parts[0]!, parts[1]!))
        assert.equal(parts.reduce((s, p) => s + sizeV4(p.prefix), 0), sizeV4(prefix))
      }),
    )
  })

  it('u32 and bigint views agree', () => {
    fc.assert(
      fc.property(U32, PREFIX4, (n, prefix) => {
        assert.deepEqual(parseIP(formatIPv4(n)), {family: 4, value: BigInt(n)})
        assert.equal(networkOf(4, BigInt(n), prefix), BigInt(networkV4(n, prefix)))
        const r = cidrRange(`${formatIPv4(n)}/${prefix}`)!
        const c = cidr4Around(n, prefix)
        assert.equal(r.start, BigInt(c.base))
        assert.equal(r.end, BigInt(c.base + sizeV4(prefix) - 1))
        assert.equal((n & maskV4(prefix)) >>> 0, c.base)
      }),
    )
  })

  it('overlap: Cidr4, text and CidrIndex agree with brute force', () => {
    const cidr = fc.tuple(fc.integer({min: 0, max: 255}), fc.integer({min: 0, max: 8})).map(([b, len]) => cidr4Around(b << 24, len))
    fc.assert(
      fc.property(fc.array(cidr, {maxLength: 12}), cidr, (entries, q) => {
        const brute = entries.filter((e) => {
          const a0 = e.base
          const a1 = e.base + sizeV4(e.prefix) - 1
          return a0 <= q.base + sizeV4(q.prefix) - 1 && q.base <= a1
        })
        assert.deepEqual(entries.filter((e) => cidr4Overlap(e, q)), brute)
        assert.deepEqual(entries.filter((e) => netsOverlap(formatCidr4(e), formatCidr4(q))), brute)
        const idx = new CidrIndex(entries.map((e, i) => [formatCidr4(e), i] as const))
        const got = idx.overlapping(formatCidr4(q)).map((i) => entries[i]!)
        assert.deepEqual(new Set(got), new Set(brute))
      }),
    )
  })
})
