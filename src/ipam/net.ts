// IPAM's view of IPv4: the rules live in src/lib/ip.ts; these only turn bad input into IpamErrors.
import {type Cidr4, parseIPv4, parseNet4} from '../lib/ip.js'
import {IpamError} from './errors.js'

export function parseIp4(text: string): number {
  const n = parseIPv4(text)
  if (n === undefined) throw new IpamError(`invalid IPv4 address: ${text}`)
  return n
}

/**
 * Parses an IPv4 CIDR (a bare address means /32). With `strict`, host bits must be zero;
 * otherwise they are masked off.
 */
export function parseCidr4(text: string, strict = false): Cidr4 {
  const parsed = parseNet4(text)
  if (!parsed) throw new IpamError(`invalid IPv4 CIDR: ${text}`)
  if (strict && parsed.cidr.base !== parsed.ip) throw new IpamError(`CIDR is not strictly masked: ${text}`)
  return parsed.cidr
}

