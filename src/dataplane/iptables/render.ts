// Turning rules into iptables-restore text, and the stable identities (rule hashes, length-limited
// chain and set names) that let a later run recognise what it wrote.
import {createHash} from 'node:crypto'

import type {IptChain, IptRule} from './types.js'

export const CHAIN_PREFIX = 'cali-'
export const MAX_CHAIN_NAME = 28
export const MAX_IPSET_NAME = 31
export const HASH_LENGTH = 16
/** Main-set prefix and temporary-set prefix (IPv4). */
export const IPSET_MAIN_PREFIX = 'cali40'
export const IPSET_TEMP_PREFIX = 'cali4t'

export const MARK_ACCEPT = 0x10000
export const MARK_PASS = 0x20000
export const MARK_DROP = 0x40000
export const MARK_SCRATCH0 = 0x80000
export const MARK_ALL = MARK_ACCEPT | MARK_PASS | MARK_DROP | MARK_SCRATCH0

export const hex = (n: number): string => `0x${n.toString(16)}`

function b64url(buf: Buffer): string {
  return buf.toString('base64url')
}

/**
 * `prefix + suffix` when that fits in maxLength; otherwise `prefix + "_" + base64url(sha256(suffix))`
 * cut to maxLength, so long policy/profile names still give distinct, stable chain names.
 */
export function lengthLimitedName(prefix: string, suffix: string, maxLength = MAX_CHAIN_NAME): string {
  const plain = prefix + suffix
  if (plain.length <= maxLength && /^[A-Za-z0-9_.:/-]*$/.test(suffix)) return plain
  return memo(nameCache, `${maxLength}\0${prefix}\0${suffix}`, () => {
    const digest = b64url(createHash('sha256').update(suffix).digest())
    return (prefix + '_' + digest).slice(0, maxLength)
  })
}

/** The name of a selector-style ipset for an arbitrary identity string. */
export function ipsetNameFor(kind: string, identity: string): string {
  return memo(nameCache, `set\0${kind}:${identity}`, () => {
    const digest = b64url(createHash('sha224').update(`${kind}:${identity}`).digest())
    return `${IPSET_MAIN_PREFIX}${kind}:${digest}`.slice(0, MAX_IPSET_NAME)
  })
}

// Names are pure functions of their inputs and hashing is the costly part: cached in a bounded
// LRU (Map keeps insertion order; a hit moves the entry to the end).
const MAX_CACHED = 50_000
const nameCache = new Map<string, string>()

function memo<V>(cache: Map<string, V>, key: string, make: () => V): V {
  const hit = cache.get(key)
  if (hit !== undefined) {
    cache.delete(key)
    cache.set(key, hit)
    return hit
  }
  const v = make()
  cache.set(key, v)
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string)
  return v
}

/** Comments may only hold a safe character set; anything else becomes `_`. */
export function sanitizeComment(text: string): string {
  return text.replace(/[^\w @%+=:,./-]/g, '_').slice(0, 256)
}

function quoteToken(token: string): string {
  if (token === '') return '""'
  if (/[\s"'\\]/.test(token)) return `"${token.replace(/["\\]/g, (c) => `\\${c}`)}"`
  return token
}

/** The rule text that is hashed: text comment, matches and action, without chain or hash. */
export function ruleBody(rule: IptRule): string {
  const tokens: string[] = []
  if (rule.comment !== undefined) tokens.push('-m', 'comment', '--comment', sanitizeComment(rule.comment))
  tokens.push(...rule.match, ...rule.action)
  return tokens.map(quoteToken).join(' ')
}

/**
 * Chained rule hashes: the seed is a digest of the chain name; each rule's digest covers the
 * previous digest and the rule's text, so a rule's identity includes its position.
 */
export function ruleHashes(chain: string, rules: readonly IptRule[]): string[] {
  return bodyHashes(chain, rules.map(ruleBody))
}

/** Digest bytes whose base64url is exactly HASH_LENGTH characters. */
const HASH_BYTES = (HASH_LENGTH / 4) * 3

function bodyHashes(chain: string, bodies: readonly string[]): string[] {
  let prev = createHash('sha224').update(chain).digest()
  return bodies.map((body) => {
    prev = createHash('sha224').update(prev).update(`-A ${chain} ${body}`).digest()
    // Encoding just the bytes needed, not slicing a longer text: a slice would keep its parent
    // alive for as long as the hash is remembered (every rule of every chain).
    return prev.toString('base64url', 0, HASH_BYTES)
  })
}

/** One restore-script line (`-A`, `-I` or `-D` on `chain`) carrying the rule's hash comment. */
export function renderRule(op: '-A' | '-I' | '-D', chain: string, rule: IptRule, hash: string): string {
  return bodyLine(op, chain, ruleBody(rule), hash)
}

function bodyLine(op: '-A' | '-I' | '-D', chain: string, body: string, hash: string): string {
  return `${op} ${chain} -m comment --comment "cali:${hash}"${body ? ` ${body}` : ''}`
}

// Hashes by chain object: a syncer plans and then records the same chain objects (never
// mutated), and the model keeps the objects of chains that did not change. Nothing else is
// cached: a cache by content (a digest of each chain's rules) cost more to key on a first pass
// than the hashing it saved, and kept every version of every chain it had seen.
const chainObjects = new WeakMap<IptChain, string[]>()

/**
 * The hashes of a whole owned chain and, when they were computed just now, its rule texts: a
 * chain not seen before is usually written, and its lines are made from these (not kept).
 */
export function hashChain(chain: IptChain): {hashes: string[]; bodies?: string[]} {
  const known = chainObjects.get(chain)
  if (known) return {hashes: known}
  const bodies = chain.rules.map(ruleBody)
  const hashes = bodyHashes(chain.name, bodies)
  chainObjects.set(chain, hashes)
  return {hashes, bodies}
}

/** The `-A` restore lines of a chain with its hashes (from `bodies` when the caller has them). */
export function chainLines(chain: IptChain, hashes: readonly string[], bodies: readonly string[] = chain.rules.map(ruleBody)): string[] {
  return bodies.map((body, i) => bodyLine('-A', chain.name, body, hashes[i] as string))
}
