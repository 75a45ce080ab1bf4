// Field checks shared by many kinds.
import ipaddr from 'ipaddr.js'
import {type FieldError, fieldError} from './errors.js'

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`)
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`)

/** Problem with a resource name as a DNS-1123 subdomain, or undefined when fine. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'name is required'
  if (name.length > 253) return `name is too long by ${name.length - 253} bytes (at most 253)`
  if (!DNS1123_SUBDOMAIN.test(name))
    return "name must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
  return undefined
}

export function labelNameProblem(name: string): string | undefined {
  if (name.length > 63) return `name is too long by ${name.length - 63} bytes (at most 63)`
  if (!DNS1123_LABEL_RE.test(name)) return "name must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
  return undefined
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/

/** Kubernetes' rule for label keys (a qualified name: optional DNS-subdomain prefix and '/'),
 *  which Calico's validator applies to metadata.labels. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/')
  const name = slash >= 0 ? key.slice(slash + 1) : key
  if (slash >= 0) {
    const prefix = key.slice(0, slash)
    if (prefix === '' || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) return 'label key prefix must be a DNS subdomain (lower case alphanumeric, - and .)'
  }
  if (name === '' || name.length > 63 || !LABEL_NAME.test(name))
    return "label key must be at most 63 characters from A-Z, a-z, 0-9, '-', '_' and '.', starting and ending with an alphanumeric character, with an optional DNS prefix and '/'"
  return undefined
}

/** Annotations as validator.go validateObjectMetaAnnotations checks them: each key (lower-cased)
 *  a qualified name, and keys plus values at most 256 KiB in all. */
export function checkAnnotations(annotations: unknown, field: string, out: FieldError[]): void {
  if (!annotations || typeof annotations !== 'object') return
  let total = 0
  for (const [k, v] of Object.entries(annotations)) {
    const p = labelKeyProblem(k.toLowerCase())
    if (p) out.push(fieldError(`${field}.${k.length > 60 ? `${k.slice(0, 57)}...` : k}`, p.replace('label key', 'annotation key')))
    total += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0)
  }
  const limit = 256 * 1024
  if (total > limit) out.push(fieldError(field, `total size of annotations is too large by ${total - limit} bytes`))
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/

/** A timestamp as Go's time.Parse(time.RFC3339, …) takes it (metav1.Time's JSON form). */
export function isRFC3339(text: string): boolean {
  const m = RFC3339.exec(text)
  if (!m) return false
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate()
  const zoneOk = m[8] === 'Z' || (Number(m[9]) < 24 && Number(m[10]) < 60)
  return mo >= 1 && mo <= 12 && d >= 1 && d <= days && h < 24 && mi < 60 && sec < 60 && zoneOk
}

/** Kubernetes' rule for label values: empty, or at most 63 characters like a label key name. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined
  if (value.length > 63 || !LABEL_NAME.test(value))
    return "label value must be empty or at most 63 characters from A-Z, a-z, 0-9, '-', '_' and '.', starting and ending with an alphanumeric character"
  return undefined
}

export interface ParsedCidr {
  family: 4 | 6
  address: string
  prefix: number
  /** Canonical text, e.g. `10.0.0.0/16`, `fd00::/64`. */
  text: string
  /** True when no host bits are set. */
  masked: boolean
}

// The common case, a four-part decimal IPv4 CIDR (no leading zeros, as isValidFourPartDecimal
// requires), parsed without ipaddr's regexes and objects; anything else goes the long way.
const IPV4_CIDR = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\/(\d{1,2})$/

function fastIPv4Cidr(text: string): ParsedCidr | undefined {
  const m = IPV4_CIDR.exec(text)
  if (!m) return undefined
  const prefix = Number(m[5])
  if (prefix > 32) return undefined
  const o = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])]
  if (o[0]! > 255 || o[1]! > 255 || o[2]! > 255 || o[3]! > 255) return undefined
  const addr = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  const net = (addr & mask) >>> 0
  const address = `${o[0]}.${o[1]}.${o[2]}.${o[3]}`
  const network = `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}`
  return {family: 4, address, prefix, text: `${network}/${prefix}`, masked: net === addr}
}

export function parseCidr(text: string): ParsedCidr | undefined {
  if (typeof text !== 'string' || text.includes('%')) return undefined
  const fast = fastIPv4Cidr(text)
  if (fast) return fast
  try {
    // Only IPv6 text has a colon and IPv4 text never does: parse with the one parser that can
    // succeed (ipaddr.parseCIDR tries IPv6 first and pays for a thrown error on every IPv4 CIDR).
    const family = text.includes(':') ? 6 : 4
    // ipaddr.js also takes "10.0.0", "0xa000000" and "012.0.0.1"; Go's net.ParseCIDR does not.
    if (family === 4 && !ipaddr.IPv4.isValidFourPartDecimal(text.slice(0, text.indexOf('/') >>> 0))) return undefined
    const [addr, prefix] = family === 4 ? ipaddr.IPv4.parseCIDR(text) : ipaddr.IPv6.parseCIDR(text)
    const network = family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text)
    const masked = network.toNormalizedString() === addr.toNormalizedString()
    return {family, address: addr.toString(), prefix, text: `${network.toString()}/${prefix}`, masked}
  } catch {
    return undefined
  }
}

/** A CIDR or a bare IP (taken as /32 or /128). */
export function parseNet(text: string): ParsedCidr | undefined {
  if (typeof text === 'string' && !text.includes('/') && isIP(text)) {
    const a = ipaddr.parse(text)
    return parseCidr(`${a.toString()}/${a.kind() === 'ipv4' ? 32 : 128}`)
  }
  return parseCidr(text)
}

export function isIPv4(text: string): boolean {
  return typeof text === 'string' && ipaddr.IPv4.isValidFourPartDecimal(text)
}

/** An IPv6 address as Go's net.ParseIP takes it: no zone (`%eth0`), which ipaddr.js would allow. */
export function isIPv6(text: string): boolean {
  return typeof text === 'string' && !text.includes('%') && ipaddr.IPv6.isValid(text)
}

export function isIP(text: string): boolean {
  return typeof text === 'string' && (ipaddr.IPv4.isValidFourPartDecimal(text) || isIPv6(text))
}

/** Go's net.ParseMAC: 6, 8 or 20 bytes as hex pairs split by ':' or '-', or hex quads split by '.'. */
export function isMAC(text: string): boolean {
  const pairs = /^[0-9a-fA-F]{2}(?:([:-])[0-9a-fA-F]{2})+$/.exec(text)
  if (pairs) {
    const n = text.split(pairs[1]!).length
    return (n === 6 || n === 8 || n === 20) && !text.includes(pairs[1] === ':' ? '-' : ':')
  }
  if (/^[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4})+$/.test(text)) {
    const n = text.split('.').length
    return n === 3 || n === 4 || n === 10
  }
  return false
}

/** A WireGuard key as wgtypes.ParseKey takes it: 32 bytes in standard, padded base64. */
export function isWireguardKey(text: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(text)
}

/** Interface names (validator.go interfaceRegex) and interface filters (ifaceFilterRegex). */
export const INTERFACE_NAME = /^[a-zA-Z0-9_.-]{1,15}$/
export const IFACE_FILTER = /^[a-zA-Z0-9:._+-]{1,15}$/
/** BGPConfiguration ignoredInterfaces and BGPFilter interfaces (ignoredInterfaceRegex). */
export const IGNORED_INTERFACE = /^[a-zA-Z0-9_.*-]{1,15}$/

/**
 * Whether Go's regexp package would compile the text. JavaScript's syntax is close; RE2's
 * inline flags are accepted, look-arounds and back-references are not (RE2 has none).
 */
export function compilesAsGoRegexp(text: string): boolean {
  if (/\\(?:[1-9]|k<)|\(\?<?[=!]/.test(text)) return false
  try {
    new RegExp(text.replace(/^\(\?[imsU]+\)/, ''))
    return true
  } catch {
    return false
  }
}

/** A canonical dotted-quad IPv4 address (as ParsedCidr.address has it) as an unsigned 32-bit number. */
function ipv4Number(address: string): number {
  const [a, b, c, d] = address.split('.')
  return ((Number(a) << 24) | (Number(b) << 16) | (Number(c) << 8) | Number(d)) >>> 0
}

export function cidrsOverlap(a: string, b: string): boolean {
  const pa = parseCidr(a)
  const pb = parseCidr(b)
  if (!pa || !pb || pa.family !== pb.family) return false
  const shorter = Math.min(pa.prefix, pb.prefix)
  if (pa.family === 4) {
    const mask = shorter === 0 ? 0 : (0xffffffff << (32 - shorter)) >>> 0
    return ((ipv4Number(pa.address) & mask) >>> 0) === ((ipv4Number(pb.address) & mask) >>> 0)
  }
  const x = ipaddr.parse(pa.address)
  const y = ipaddr.parse(pb.address)
  return x.match(y, shorter)
}

/** A 32-bit AS number, plain (`64512`) or dotted (`1.10`); returns the numeric value. */
export function parseAsNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? v : undefined
  if (typeof v !== 'string') return undefined
  const plain = /^\d+$/.exec(v)
  if (plain) {
    const n = Number(v)
    return n <= 0xffffffff ? n : undefined
  }
  const dotted = /^(\d+)\.(\d+)$/.exec(v)
  if (dotted) {
    const hi = Number(dotted[1])
    const lo = Number(dotted[2])
    return hi <= 0xffff && lo <= 0xffff ? hi * 65536 + lo : undefined
  }
  return undefined
}

export function checkAsNumber(v: unknown, field: string, out: FieldError[]): void {
  if (v === undefined || v === null) return
  if (parseAsNumber(v) === undefined) out.push(fieldError(field, 'must be an AS number: 0-4294967295 or dotted 0-65535.0-65535', v))
}

export function checkIP(v: unknown, field: string, out: FieldError[], family?: 4 | 6): void {
  if (v === undefined || v === '') return
  const ok = typeof v === 'string' && (family === 4 ? isIPv4(v) : family === 6 ? isIPv6(v) : isIP(v))
  if (!ok) out.push(fieldError(field, `must be a valid IPv${family ?? '4 or IPv6'} address`, v))
}

export function checkCidr(v: unknown, field: string, out: FieldError[], family?: 4 | 6): void {
  if (v === undefined || v === '') return
  const p = typeof v === 'string' ? parseCidr(v) : undefined
  if (!p || (family && p.family !== family)) out.push(fieldError(field, `must be a valid IPv${family ?? '4 or IPv6'} CIDR`, v))
}

function toBigInt(addr: string): bigint {
  const bytes = ipaddr.parse(addr).toByteArray()
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n)
}

/** The first and last address of a CIDR as numbers (any host bits are masked off). */
export function cidrRange(text: string): {family: 4 | 6; start: bigint; end: bigint} | undefined {
  const p = parseCidr(text)
  if (!p) return undefined
  const bits = p.family === 4 ? 32 : 128
  const size = 1n << BigInt(bits - p.prefix)
  const start = ((p.family === 4 ? BigInt(ipv4Number(p.address)) : toBigInt(p.address)) / size) * size
  return {family: p.family, start, end: start + size - 1n}
}

/** Finds the entries whose CIDR overlaps a given one, in O(log n) plus the matches. */
export class CidrIndex<T> {
  private readonly byFamily = new Map<4 | 6, {starts: bigint[]; ends: bigint[]; maxEnd: bigint[]; values: T[]}>()

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
