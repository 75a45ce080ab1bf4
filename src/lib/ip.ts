// IP addresses and CIDRs: the one place that parses, formats and does prefix math on them.
//
// The rules are Go's, as upstream Calico v3.32.1 applies them: net.ParseIP / net.ParseCIDR
// (Go's netip grammar underneath) wrapped by libcalico-go/lib/net (cnet.ParseIP, ParseCIDR,
// ParseCIDROrIP) and used by libcalico-go/lib/validator/v3/validator.go. Decisions where the
// copies this module replaced disagreed:
//  - IPv4 is exactly four decimal fields 0-255 without leading zeros: "010.0.0.1" is refused,
//    as netip.ParseAddr refuses it ("IPv4 field has octet with leading zero"); so are "10.0.0",
//    hex and octal forms that ipaddr.js would read.
//  - Zones ("fe80::1%eth0") are refused: net.ParseIP and net.ParseCIDR reject any zone.
//  - An IPv4-mapped IPv6 address ("::ffff:1.2.3.4", "::ffff:102:304") is an IPv4 address:
//    cnet.ParseIP keeps ip.To4() and IP.Version() says 4. As a CIDR, "::ffff:1.2.3.0/120" is the
//    IPv4 CIDR 1.2.3.0/24 (Go's IPNet.String() prints it so); with a prefix below /96 the mapping
//    is masked away and the network is IPv6. "::1.2.3.4" (IPv4-compatible) stays IPv6 (To4 is nil).
//  - A CIDR's prefix is one or more decimal digits, leading zeros allowed ("/016" is /16, as Go's
//    dtoi reads it), at most 32 (IPv4) or 128 (IPv6): "/33" is refused.
//  - Host bits may be set in a CIDR (net.ParseCIDR accepts "10.0.0.1/8" and returns the masked
//    network beside the address); `masked` says whether they were, for the fields whose upstream
//    validator demands a strictly masked network (validateIPv4Network and friends).
//  - A bare address stands for /32 or /128 only where upstream uses cnet.ParseCIDROrIP (parseNet).
//
// Two representations: IPv4 as an unsigned 32-bit number (the IPAM allocator and the route and
// iptables planners work on these; the parsing fast path never builds an object), and any family
// as a bigint (validation, IPv6). Formatting of IPv6 is ipaddr.js's RFC 5952 text, which is what
// Go's IP.String() prints.
import ipaddr from 'ipaddr.js'

export type Family = 4 | 6

/** Address length in bits. */
export function familyBits(family: Family): 32 | 128 {
  return family === 4 ? 32 : 128
}

// ---------------------------------------------------------------------------------------------
// Text → numbers (Go's netip grammar)

const DOT = 46
const COLON = 58
const ZERO = 48
const NINE = 57

/** Four decimal fields in text[start, end): the IPv4 as an unsigned 32-bit number, or undefined. */
function dottedQuad(text: string, start: number, end: number): number | undefined {
  let n = 0
  let fields = 0
  let i = start
  while (fields < 4) {
    const first = i
    let v = 0
    while (i < end) {
      const c = text.charCodeAt(i)
      if (c < ZERO || c > NINE) break
      v = v * 10 + (c - ZERO)
      i++
      if (v > 255) return undefined
    }
    const digits = i - first
    // A field is 1-3 digits, and "0" is the only one that may start with a zero.
    if (digits === 0 || (digits > 1 && text.charCodeAt(first) === ZERO)) return undefined
    n = n * 256 + v
    fields++
    if (fields < 4) {
      if (i >= end || text.charCodeAt(i) !== DOT) return undefined
      i++
    }
  }
  return i === end ? n : undefined
}

function hexValue(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO
  const l = c | 0x20
  return l >= 97 && l <= 102 ? l - 87 : -1
}

/**
 * IPv6 text (RFC 4291 forms, as netip.ParseAddr takes them without a zone) as eight 16-bit
 * fields, or undefined. Fields are 1-4 hex digits, `::` appears at most once and stands for at
 * least one field, a trailing dotted quad fills the last two fields.
 */
function ipv6Fields(text: string): number[] | undefined {
  const end = text.length
  const out: number[] = []
  let ellipsis = -1
  let i = 0
  if (end >= 2 && text.charCodeAt(0) === COLON && text.charCodeAt(1) === COLON) {
    ellipsis = 0
    i = 2
    if (i === end) return [0, 0, 0, 0, 0, 0, 0, 0]
  }
  while (out.length < 8) {
    const first = i
    let v = 0
    while (i < end) {
      const h = hexValue(text.charCodeAt(i))
      if (h < 0) break
      v = v * 16 + h
      i++
      if (i - first > 4) return undefined
    }
    if (i === first) return undefined
    if (i < end && text.charCodeAt(i) === DOT) {
      // An embedded IPv4 address: only as the last two fields.
      if ((ellipsis < 0 && out.length !== 6) || out.length > 6) return undefined
      const v4 = dottedQuad(text, first, end)
      if (v4 === undefined) return undefined
      out.push(Math.floor(v4 / 65536), v4 & 0xffff)
      i = end
      break
    }
    out.push(v)
    if (i === end) break
    if (text.charCodeAt(i) !== COLON || i + 1 === end) return undefined
    i++
    if (text.charCodeAt(i) === COLON) {
      if (ellipsis >= 0) return undefined
      ellipsis = out.length
      i++
      if (i === end) break
    }
  }
  if (i !== end) return undefined
  if (out.length < 8) {
    if (ellipsis < 0) return undefined
    out.splice(ellipsis, 0, ...new Array<number>(8 - out.length).fill(0))
  } else if (ellipsis >= 0) return undefined
  return out
}

function fieldsToBigInt(fields: readonly number[]): bigint {
  let n = 0n
  for (const f of fields) n = (n << 16n) | BigInt(f)
  return n
}

const LOW_32 = 0xffffffffn

/** True for ::ffff:a.b.c.d, the IPv6 addresses Go's To4() turns into IPv4. */
function isV4Mapped(n: bigint): boolean {
  return n >> 32n === 0xffffn
}

/** Go's dtoi on text[start, end): one or more decimal digits; undefined past `max`. */
function prefixLength(text: string, start: number, end: number, max: number): number | undefined {
  if (start >= end) return undefined
  let v = 0
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c < ZERO || c > NINE) return undefined
    v = v * 10 + (c - ZERO)
    if (v > max) return undefined
  }
  return v
}

/** A parsed network in its numeric form: IPv4 as a number, IPv6 as a bigint. */
type RawNet = {family: 4; ip: number; prefix: number} | {family: 6; ip: bigint; prefix: number}

/**
 * Go's net.ParseCIDR (a slash required), or with `bare` cnet.ParseCIDROrIP (an address alone is
 * /32 or /128), with cnet's IPv4-mapped handling (see the header).
 */
function parseRaw(text: string, bare: boolean): RawNet | undefined {
  if (typeof text !== 'string') return undefined
  const slash = text.indexOf('/')
  if (slash < 0 && !bare) return undefined
  const addrEnd = slash < 0 ? text.length : slash
  const v4 = dottedQuad(text, 0, addrEnd)
  if (v4 !== undefined) {
    const prefix = slash < 0 ? 32 : prefixLength(text, slash + 1, text.length, 32)
    return prefix === undefined ? undefined : {family: 4, ip: v4, prefix}
  }
  const fields = ipv6Fields(slash < 0 ? text : text.slice(0, slash))
  if (!fields) return undefined
  const prefix = slash < 0 ? 128 : prefixLength(text, slash + 1, text.length, 128)
  if (prefix === undefined) return undefined
  const ip = fieldsToBigInt(fields)
  if (isV4Mapped(ip) && prefix >= 96) return {family: 4, ip: Number(ip & LOW_32), prefix: prefix - 96}
  return {family: 6, ip, prefix}
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** An address of either family as a number. */
export interface IP {
  family: Family
  value: bigint
}

/** An IPv4 address (Go's ParseIP(text).To4()) as an unsigned 32-bit number, or undefined. */
export function parseIPv4(text: string): number | undefined {
  if (typeof text !== 'string') return undefined
  const n = dottedQuad(text, 0, text.length)
  if (n !== undefined || !text.includes(':') || text.includes('/')) return n
  const r = parseRaw(text, true)
  return r?.family === 4 ? r.ip : undefined
}

/** An IPv6 address that is not IPv4 (Go's ParseIP(text) with To4() nil) as a bigint, or undefined. */
export function parseIPv6(text: string): bigint | undefined {
  if (typeof text !== 'string' || !text.includes(':') || text.includes('/')) return undefined
  const r = parseRaw(text, true)
  return r?.family === 6 ? r.ip : undefined
}

/** An address of either family (Go's net.ParseIP; IPv4-mapped addresses are IPv4), or undefined. */
export function parseIP(text: string): IP | undefined {
  const r = typeof text === 'string' && !text.includes('/') ? parseRaw(text, true) : undefined
  if (!r) return undefined
  return r.family === 4 ? {family: 4, value: BigInt(r.ip)} : {family: 6, value: r.ip}
}

export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

/** RFC 5952 text of an IPv6 address (lower case, the longest run of two or more zero fields as `::`). */
export function formatIPv6(n: bigint): string {
  const parts: number[] = []
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((n >> shift) & 0xffffn))
  return new ipaddr.IPv6(parts).toRFC5952String()
}

export function formatIP(ip: IP): string {
  return ip.family === 4 ? formatIPv4(Number(ip.value)) : formatIPv6(ip.value)
}

/** The address part of an IPv4 CIDR or bare address, in canonical text; undefined when it is not IPv4. */
export function ipv4Of(cidrOrIP: string | undefined): string | undefined {
  const r = cidrOrIP === undefined ? undefined : parseRaw(cidrOrIP, true)
  return r?.family === 4 ? formatIPv4(r.ip) : undefined
}

/** The family of an address, or undefined when the text is not one. */
export function ipFamily(text: string): Family | undefined {
  return parseIP(text)?.family
}

export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== undefined
}

export function isIPv6(text: string): boolean {
  return parseIPv6(text) !== undefined
}

export function isIP(text: string): boolean {
  return parseIP(text) !== undefined
}

/** Canonical text of an address (IPv4-mapped ones as dotted quads), or undefined. */
export function canonicalIP(text: string): string | undefined {
  const ip = parseIP(text)
  return ip && formatIP(ip)
}

/**
 * The special-purpose range an address falls in, by ipaddr.js's names ('unicast', 'loopback',
 * 'linkLocal', 'multicast', 'unspecified', 'private', ...), or undefined when it is not an address.
 */
export function ipRange(text: string): string | undefined {
  const ip = parseIP(text)
  return ip && ipaddr.parse(formatIP(ip)).range()
}

// ---------------------------------------------------------------------------------------------
// IPv4 prefix math on unsigned 32-bit numbers (the fast paths)

/** An IPv4 network: its address with host bits zero, and its prefix length. */
export interface Cidr4 {
  base: number
  prefix: number
}

/** Number of addresses in an IPv4 prefix of this length. */
export function sizeV4(prefix: number): number {
  return 2 ** (32 - prefix)
}

/** The netmask of a prefix length as an unsigned 32-bit number. */
export function maskV4(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

/** The network address of `ip` under a prefix length (host bits cleared). */
export function networkV4(ip: number, prefix: number): number {
  return (ip & maskV4(prefix)) >>> 0
}

/**
 * An IPv4 CIDR or bare address (cnet.ParseCIDROrIP restricted to IPv4): the address as written
 * and its network; undefined when it is not IPv4.
 */
export function parseNet4(text: string): {ip: number; cidr: Cidr4} | undefined {
  const r = parseRaw(text, true)
  return r?.family === 4 ? {ip: r.ip, cidr: {base: networkV4(r.ip, r.prefix), prefix: r.prefix}} : undefined
}

export function formatCidr4(c: Cidr4): string {
  return `${formatIPv4(c.base)}/${c.prefix}`
}

export function cidr4Contains(c: Cidr4, ip: number): boolean {
  return ip >= c.base && ip < c.base + sizeV4(c.prefix)
}

/** True when `inner` lies wholly inside `outer`. */
export function cidr4Covers(outer: Cidr4, inner: Cidr4): boolean {
  return inner.prefix >= outer.prefix && cidr4Contains(outer, inner.base)
}

export function cidr4Overlap(a: Cidr4, b: Cidr4): boolean {
  return cidr4Contains(a, b.base) || cidr4Contains(b, a.base)
}

/** The network of the given prefix length that holds the address (an IPAM block). */
export function cidr4Around(ip: number, prefix: number): Cidr4 {
  return {base: networkV4(ip, prefix), prefix}
}

/** `2^bits` equal subnets of a network, in address order (IPAM pool splits and block walks). */
export function splitCidr4(c: Cidr4, bits: number): Cidr4[] {
  const prefix = c.prefix + bits
  if (bits < 0 || prefix > 32) return []
  const step = sizeV4(prefix)
  return Array.from({length: 2 ** bits}, (_, i) => ({base: c.base + i * step, prefix}))
}

/** Text of an IPv4 network as iptables and ipset print it: a bare address for /32. */
export function formatNet4(c: Cidr4): string {
  return c.prefix === 32 ? formatIPv4(c.base) : formatCidr4(c)
}

// ---------------------------------------------------------------------------------------------
// Either family

export interface ParsedCidr {
  family: Family
  /** The address as written, in canonical text. */
  address: string
  prefix: number
  /** Canonical text of the network, e.g. `10.0.0.0/16`, `fd00::/64`. */
  text: string
  /** True when no host bits are set. */
  masked: boolean
}

function toParsed(r: RawNet): ParsedCidr {
  if (r.family === 4) {
    const net = networkV4(r.ip, r.prefix)
    return {family: 4, address: formatIPv4(r.ip), prefix: r.prefix, text: `${formatIPv4(net)}/${r.prefix}`, masked: net === r.ip}
  }
  const net = networkV6(r.ip, r.prefix)
  return {family: 6, address: formatIPv6(r.ip), prefix: r.prefix, text: `${formatIPv6(net)}/${r.prefix}`, masked: net === r.ip}
}

/** Go's net.ParseCIDR: `address/prefix`, host bits allowed (see `masked`). */
export function parseCidr(text: string): ParsedCidr | undefined {
  const r = parseRaw(text, false)
  return r && toParsed(r)
}

/** cnet.ParseCIDROrIP: a CIDR, or a bare address taken as /32 or /128. */
export function parseNet(text: string): ParsedCidr | undefined {
  const r = parseRaw(text, true)
  return r && toParsed(r)
}

const V6_ALL = (1n << 128n) - 1n

function maskV6(prefix: number): bigint {
  return (V6_ALL << BigInt(128 - prefix)) & V6_ALL
}

function networkV6(ip: bigint, prefix: number): bigint {
  return ip & maskV6(prefix)
}

/** The network of `ip` under a prefix length, any family (numbers as bigint). */
export function networkOf(family: Family, ip: bigint, prefix: number): bigint {
  return family === 4 ? BigInt(networkV4(Number(ip), prefix)) : networkV6(ip, prefix)
}

export interface NetRange {
  family: Family
  /** First address (the network address). */
  start: bigint
  /** Last address (the broadcast address for IPv4). */
  end: bigint
}

/** The first and last address of a CIDR or bare address (host bits masked off). */
export function cidrRange(text: string): NetRange | undefined {
  const r = parseRaw(text, true)
  if (!r) return undefined
  const start = networkOf(r.family, BigInt(r.ip), r.prefix)
  return {family: r.family, start, end: start + (1n << BigInt(familyBits(r.family) - r.prefix)) - 1n}
}

function rangesOverlap(a: NetRange, b: NetRange): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end
}

/** Whether two CIDRs (or addresses) share an address; false across families or on bad input. */
export function netsOverlap(a: string, b: string): boolean {
  const ra = cidrRange(a)
  const rb = cidrRange(b)
  return !!ra && !!rb && rangesOverlap(ra, rb)
}

/** Whether a CIDR (or address) holds an address; false across families or on bad input. */
export function netContains(net: string, ip: string): boolean {
  const r = cidrRange(net)
  const a = parseIP(ip)
  return !!r && !!a && r.family === a.family && r.start <= a.value && a.value <= r.end
}

/** Finds the entries whose CIDR overlaps a given one, in O(log n) plus the matches. */
export class CidrIndex<T> {
  private readonly byFamily = new Map<Family, {starts: bigint[]; ends: bigint[]; maxEnd: bigint[]; values: T[]}>()

  constructor(entries: ReadonlyArray<readonly [string, T]>) {
    const rows = entries.flatMap(([c, v]) => {
      const r = cidrRange(c)
      return r ? [{...r, v}] : []
    })
    for (const family of [4, 6] as const) {
      const fam = rows.filter((r) => r.family === family).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
      const maxEnd: bigint[] = []
      fam.forEach((r, i) => maxEnd.push(i === 0 || r.end > maxEnd[i - 1]! ? r.end : maxEnd[i - 1]!))
      this.byFamily.set(family, {starts: fam.map((r) => r.start), ends: fam.map((r) => r.end), maxEnd, values: fam.map((r) => r.v)})
    }
  }

  overlapping(cidr: string): T[] {
    const q = cidrRange(cidr)
    if (!q) return []
    const f = this.byFamily.get(q.family)!
    // Last entry starting at or before the query's end; walk back while an earlier one can reach it.
    let lo = 0
    let hi = f.starts.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (f.starts[mid]! <= q.end) lo = mid + 1
      else hi = mid
    }
    const out: T[] = []
    for (let i = lo - 1; i >= 0 && f.maxEnd[i]! >= q.start; i--) if (f.ends[i]! >= q.start) out.push(f.values[i]!)
    return out.reverse()
  }
}

/** Sort key of an IPv4 CIDR or address: by address, then prefix length; -1 when it is not IPv4. */
export function cidr4SortKey(text: string): number {
  const r = parseRaw(text, true)
  return r?.family === 4 ? r.ip * 64 + r.prefix : -1
}

/** The family of a CIDR or bare address (cnet.ParseCIDROrIP's Version()), or undefined when it is neither. */
export function netFamily(text: string): Family | undefined {
  return parseRaw(text, true)?.family
}
