// Pure operations on one allocation block (no I/O): creation, assignment, release and the
// bookkeeping Calico does on every write (free cooled-down ordinals, compact attributes).
import type {AllocationAttribute, AllocationBlock} from './codec.js'
import {goTime} from './codec.js'
import {IpamError} from './errors.js'
import {type Cidr4, cidr4Contains, formatIPv4, netFamily, sizeV4} from '../lib/ip.js'
import {parseCidr4} from './net.js'

/** Calico's handle for addresses that Windows nodes pre-reserve; such blocks still count as empty. */
export const WINDOWS_RESERVED_HANDLE = 'windows-reserved-ipam-handle'

/** Reserved addresses (IPReservation `reservedCIDRs`) as merged half-open ranges. */
export class AddressFilter {
  private readonly ranges: Array<[number, number]>

  constructor(cidrs: readonly string[] = []) {
    const raw: Array<[number, number]> = []
    for (const text of cidrs) {
      if (netFamily(text) === 6) continue // IPv6 reservations do not affect IPv4 IPAM
      const c = parseCidr4(text)
      raw.push([c.base, c.base + sizeV4(c.prefix)])
    }
    raw.sort((a, b) => a[0] - b[0])
    const merged: Array<[number, number]> = []
    for (const r of raw) {
      const last = merged[merged.length - 1]
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1])
      else merged.push([r[0], r[1]])
    }
    this.ranges = merged
  }

  get empty(): boolean {
    return this.ranges.length === 0
  }

  matchesIp(ip: number): boolean {
    return this.ranges.some(([s, e]) => ip >= s && ip < e)
  }

  /** Number of reserved addresses in [start, end). */
  countIn(start: number, end: number): number {
    let n = 0
    for (const [s, e] of this.ranges) n += Math.max(0, Math.min(e, end) - Math.max(s, start))
    return n
  }

  coversWhole(c: Cidr4): boolean {
    return this.countIn(c.base, c.base + sizeV4(c.prefix)) === sizeV4(c.prefix)
  }
}

export const NO_RESERVATIONS = new AddressFilter()

export function blockCidr(b: AllocationBlock): Cidr4 {
  return parseCidr4(b.cidr)
}

export function numAddresses(b: AllocationBlock): number {
  return b.allocations.length
}

/** The node a block is affine to (`host:<node>`), or undefined. */
export function blockHost(b: AllocationBlock): string | undefined {
  return b.affinity?.startsWith('host:') ? b.affinity.slice(5) : undefined
}

export function hostAffinity(node: string): string {
  return `host:${node}`
}

/** A fresh nanosecond timestamp for a new block's sequence number. */
export function nowSequence(now: Date): bigint {
  return BigInt(now.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))
}

export function newBlock(cidr: string, node: string | undefined, now: Date): AllocationBlock {
  const c = parseCidr4(cidr, true)
  const n = sizeV4(c.prefix)
  const block: AllocationBlock = {
    cidr,
    affinity: node === undefined ? null : hostAffinity(node),
    allocations: new Array<number | null>(n).fill(null),
    unallocated: Array.from({length: n}, (_, i) => i),
    attributes: null,
    sequenceNumber: nowSequence(now),
    sequenceNumberForAllocation: new Map(),
    deleted: false,
  }
  if (node !== undefined) block.affinityClaimTime = goTime(now)
  return block
}

export function ordinalOf(b: AllocationBlock, ip: number): number | undefined {
  const c = blockCidr(b)
  return cidr4Contains(c, ip) && ip - c.base < b.allocations.length ? ip - c.base : undefined
}

export function ipOfOrdinal(b: AllocationBlock, ordinal: number): string {
  return formatIPv4(blockCidr(b).base + ordinal)
}

export function attributeOf(b: AllocationBlock, ordinal: number): AllocationAttribute | undefined {
  const idx = b.allocations[ordinal]
  return idx === null || idx === undefined ? undefined : b.attributes?.[idx]
}

function inCooldown(a: AllocationAttribute | undefined): boolean {
  return a?.releasedAt !== undefined
}

/**
 * What Calico does whenever it reads a block: ordinals released more than `cooldownSeconds`
 * ago become free (appended to `unallocated`), and unreferenced attributes are dropped with the
 * remaining indexes renumbered. Mutates the block.
 */
export function normalizeBlock(b: AllocationBlock, cooldownSeconds: number, now: Date): void {
  const attrs = b.attributes ?? []
  const used = new Set<number>()
  for (let o = 0; o < b.allocations.length; o++) {
    const idx = b.allocations[o]
    if (idx === null || idx === undefined) continue
    const a = attrs[idx]
    const released = a?.releasedAt
    if (released !== undefined && Date.parse(released) <= now.getTime() - cooldownSeconds * 1000) {
      b.allocations[o] = null
      b.unallocated.push(o)
      b.sequenceNumberForAllocation?.delete(String(o))
    } else used.add(idx)
  }
  const remap = new Map<number, number>()
  const kept: AllocationAttribute[] = []
  attrs.forEach((a, i) => {
    if (used.has(i)) {
      remap.set(i, kept.length)
      kept.push(a)
    }
  })
  b.allocations = b.allocations.map((idx) => (idx === null || idx === undefined ? null : (remap.get(idx) ?? null)))
  b.attributes = kept
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {})
  const kb = Object.keys(b ?? {})
  return ka.length === kb.length && ka.every((k) => a?.[k] === b?.[k])
}

function findOrAddAttribute(b: AllocationBlock, handleId: string | undefined, secondary: Record<string, string> | undefined): number {
  b.attributes ??= []
  const found = b.attributes.findIndex(
    (a) => a.handleId === handleId && sameMap(a.secondary, secondary) && a.alternateOwnerAttrs === undefined && a.releasedAt === undefined,
  )
  if (found >= 0) return found
  const attr: AllocationAttribute = {}
  if (handleId !== undefined) attr.handleId = handleId
  if (secondary && Object.keys(secondary).length > 0) attr.secondary = {...secondary}
  b.attributes.push(attr)
  return b.attributes.length - 1
}

/** Number of addresses that can still be handed out (free and not reserved). */
export function freeCount(b: AllocationBlock, reserved: AddressFilter = NO_RESERVATIONS): number {
  if (reserved.empty) return b.unallocated.length
  const base = blockCidr(b).base
  return b.unallocated.filter((o) => !reserved.matchesIp(base + o)).length
}

export function inUseCount(b: AllocationBlock): number {
  return b.allocations.length - b.unallocated.length
}

/** True when nothing but Windows' reserved addresses is allocated. */
export function isEmpty(b: AllocationBlock): boolean {
  return b.allocations.every((idx) => {
    if (idx === null) return true
    const h = b.attributes?.[idx]?.handleId
    return h !== undefined && h.toLowerCase() === WINDOWS_RESERVED_HANDLE
  })
}

/**
 * Takes up to `num` free, unreserved ordinals in `unallocated` order, recording the handle,
 * attributes and the block's current sequence number. Returns the ordinals taken.
 */
export function assignFree(
  b: AllocationBlock,
  num: number,
  handleId: string | undefined,
  secondary: Record<string, string> | undefined,
  reserved: AddressFilter = NO_RESERVATIONS,
): number[] {
  const base = blockCidr(b).base
  const taken: number[] = []
  const left: number[] = []
  let attrIdx: number | undefined
  for (const o of b.unallocated) {
    if (taken.length >= num || reserved.matchesIp(base + o)) {
      left.push(o)
      continue
    }
    attrIdx ??= findOrAddAttribute(b, handleId, secondary)
    b.allocations[o] = attrIdx
    setSequence(b, o)
    taken.push(o)
  }
  b.unallocated = left
  return taken
}

function setSequence(b: AllocationBlock, ordinal: number): void {
  b.sequenceNumberForAllocation ??= new Map()
  b.sequenceNumberForAllocation.set(String(ordinal), b.sequenceNumber)
}

/** Assigns one specific ordinal; throws when it is taken. */
export function assignOrdinal(b: AllocationBlock, ordinal: number, handleId: string | undefined, secondary: Record<string, string> | undefined): void {
  if (b.allocations[ordinal] !== null) throw new IpamError(`IP address ${ipOfOrdinal(b, ordinal)} is already assigned`)
  setSequence(b, ordinal)
  b.allocations[ordinal] = findOrAddAttribute(b, handleId, secondary)
  b.unallocated = b.unallocated.filter((o) => o !== ordinal)
}

/**
 * Frees the given ordinals (those not allocated are skipped). Freed ordinals go to the end of
 * `unallocated` in ascending order, as Calico does. Returns the ordinals freed and the number
 * freed per handle.
 */
export function releaseOrdinals(b: AllocationBlock, ordinals: Iterable<number>): {freed: number[]; byHandle: Map<string, number>} {
  const byHandle = new Map<string, number>()
  const freed = [...new Set(ordinals)].filter((o) => b.allocations[o] !== null && b.allocations[o] !== undefined && !inCooldown(attributeOf(b, o)))
  freed.sort((x, y) => x - y)
  for (const o of freed) {
    const h = attributeOf(b, o)?.handleId
    if (h !== undefined) byHandle.set(h, (byHandle.get(h) ?? 0) + 1)
    b.allocations[o] = null
    b.unallocated.push(o)
    b.sequenceNumberForAllocation?.delete(String(o))
  }
  if (freed.length > 0) normalizeBlock(b, 0, new Date(0))
  return {freed, byHandle}
}

/** Ordinals currently allocated to a handle. */
export function ordinalsOfHandle(b: AllocationBlock, handleId: string): number[] {
  const out: number[] = []
  b.allocations.forEach((idx, o) => {
    if (idx === null) return
    const a = b.attributes?.[idx]
    if (a && !inCooldown(a) && a.handleId?.split('\r')[0] === handleId) out.push(o)
  })
  return out
}

/** Allocated (not cooling down) ordinals with their attributes. */
export function allocatedOrdinals(b: AllocationBlock): Array<{ordinal: number; ip: string; attr: AllocationAttribute}> {
  const out: Array<{ordinal: number; ip: string; attr: AllocationAttribute}> = []
  b.allocations.forEach((idx, o) => {
    if (idx === null) return
    const a = b.attributes?.[idx] ?? {}
    if (!inCooldown(a)) out.push({ordinal: o, ip: ipOfOrdinal(b, o), attr: a})
  })
  return out
}
