// IPv4 arithmetic for IPAM: addresses as unsigned 32-bit numbers, CIDRs as {base, prefix}.
import {IpamError} from './errors.js'

export interface Cidr4 {
  /** Network address as an unsigned 32-bit integer (host bits zero). */
  base: number
  prefix: number
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

/** Parses a dotted quad; undefined when it is not one. */
export function tryParseIp4(text: string): number | undefined {
  const m = IPV4.exec(text.trim())
  if (!m) return undefined
  let n = 0
  for (let i = 1; i <= 4; i++) {
    const part = m[i] as string
    if (part.length > 1 && part.startsWith('0')) return undefined
    const octet = Number(part)
    if (octet > 255) return undefined
    n = n * 256 + octet
  }
  return n
}

export function parseIp4(text: string): number {
  const n = tryParseIp4(text)
  if (n === undefined) throw new IpamError(`invalid IPv4 address: ${text}`)
  return n
}

export function formatIp4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

export function isIp4(text: string): boolean {
  return tryParseIp4(text) !== undefined
}

export function size(prefix: number): number {
  return 2 ** (32 - prefix)
}

/** Masks an address down to the network of the given prefix length. */
export function maskIp4(ip: number, prefix: number): number {
  const span = size(prefix)
  return ip - (ip % span)
}

/**
 * Parses `a.b.c.d/n` (a bare address means /32) into the address as written and its network;
 * undefined when it is not an IPv4 CIDR.
 */
export function tryParseCidr4(text: string): {ip: number; cidr: Cidr4} | undefined {
  const [addr, len, extra] = text.trim().split('/')
  const prefix = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : Number.NaN
  const ip = addr === undefined ? undefined : tryParseIp4(addr)
  if (ip === undefined || extra !== undefined || !(prefix >= 0 && prefix <= 32)) return undefined
  return {ip, cidr: {base: maskIp4(ip, prefix), prefix}}
}

/**
 * Parses `a.b.c.d/n` (a bare address means /32). With `strict`, host bits must be zero;
 * otherwise they are masked off.
 */
export function parseCidr4(text: string, strict = false): Cidr4 {
  const parsed = tryParseCidr4(text)
  if (!parsed) throw new IpamError(`invalid IPv4 CIDR: ${text}`)
  if (strict && parsed.cidr.base !== parsed.ip) throw new IpamError(`CIDR is not strictly masked: ${text}`)
  return parsed.cidr
}

export function formatCidr4(c: Cidr4): string {
  return `${formatIp4(c.base)}/${c.prefix}`
}

export function cidrContains(c: Cidr4, ip: number): boolean {
  return ip >= c.base && ip < c.base + size(c.prefix)
}

/** True when `inner` lies wholly inside `outer`. */
export function cidrCovers(outer: Cidr4, inner: Cidr4): boolean {
  return inner.prefix >= outer.prefix && cidrContains(outer, inner.base)
}

export function cidrsOverlap(a: Cidr4, b: Cidr4): boolean {
  return cidrContains(a, b.base) || cidrContains(b, a.base)
}

/** The block of the given size that holds the address. */
export function blockCidrFor(ip: number, blockSize: number): Cidr4 {
  return {base: maskIp4(ip, blockSize), prefix: blockSize}
}

/** Canonical text of a CIDR (host bits masked). */
export function canonicalCidr4(text: string): string {
  return formatCidr4(parseCidr4(text))
}
