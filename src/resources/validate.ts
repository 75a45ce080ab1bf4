// Field checks shared by many kinds.
import {isIP, isIPv4, isIPv6, parseCidr} from '../lib/ip.js'
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

// IP addresses and CIDRs: the rules are src/lib/ip.ts's (Go's net.ParseIP / ParseCIDR as cnet uses them).
export {CidrIndex, cidrRange, isIP, isIPv4, isIPv6, netsOverlap as cidrsOverlap, type ParsedCidr, parseCidr, parseNet} from '../lib/ip.js'

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
