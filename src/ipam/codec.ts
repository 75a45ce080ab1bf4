// Encoding and decoding of Calico's IPAM values, byte-for-byte as Go's encoding/json writes
// them: struct fields in declaration order, `omitempty` honoured, map keys sorted, HTML
// characters escaped, and the 64-bit sequence numbers kept exact (as bigint).
import {IpamError} from './errors.js'

export type AffinityState = 'confirmed' | 'pending' | 'pendingDeletion'

export interface AllocationAttribute {
  /** `handle_id` */
  handleId?: string | undefined
  /** `secondary`: the owner's attributes (node, pod, namespace, type, ...). */
  secondary?: Record<string, string> | undefined
  alternateOwnerAttrs?: Record<string, string> | undefined
  /** Set by newer Calico while a released address cools down. */
  releasedAt?: string | undefined
}

export interface AllocationBlock {
  cidr: string
  /** `host:<node>` or null. */
  affinity: string | null
  /** `affinity_claim_time`, RFC 3339 (omitted when absent). */
  affinityClaimTime?: string | undefined
  allocations: Array<number | null>
  unallocated: number[]
  attributes: AllocationAttribute[] | null
  sequenceNumber: bigint
  /** Keyed by ordinal as a decimal string. */
  sequenceNumberForAllocation: Map<string, bigint> | null
  deleted: boolean
  /** Deprecated form of affinity kept only when read. */
  hostAffinity?: string | undefined
}

export interface BlockAffinity {
  state: AffinityState
  deleted: boolean
}

export interface IpamHandle {
  /** Block CIDR → number of the handle's addresses in it. */
  block: Record<string, number>
  deleted: boolean
}

export interface IpamConfig {
  strictAffinity: boolean
  autoAllocateBlocks: boolean
  /** 0 means "not set". */
  maxBlocksPerHost: number
  kubeVirtVMAddressPersistence?: string | undefined
  ipCooldownSeconds?: number | undefined
}

// ---------------------------------------------------------------------------------------------
// Go-compatible JSON writing

/** A JSON string as Go writes it (escapes <, >, &, U+2028 and U+2029). */
export function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function goStringMap(m: Record<string, string>): string {
  const keys = Object.keys(m).sort()
  return `{${keys.map((k) => `${goString(k)}:${goString(m[k] as string)}`).join(',')}}`
}

function nonEmpty(m: Record<string, string> | undefined): m is Record<string, string> {
  return m !== undefined && Object.keys(m).length > 0
}

/** metav1.Time: RFC 3339 in UTC, whole seconds. */
export function goTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`
}

function encodeAttribute(a: AllocationAttribute): string {
  const parts: string[] = []
  if (a.handleId !== undefined) parts.push(`"handle_id":${goString(a.handleId)}`)
  if (nonEmpty(a.secondary)) parts.push(`"secondary":${goStringMap(a.secondary)}`)
  if (nonEmpty(a.alternateOwnerAttrs)) parts.push(`"alternateOwnerAttrs":${goStringMap(a.alternateOwnerAttrs)}`)
  if (a.releasedAt !== undefined) parts.push(`"releasedAt":${goString(a.releasedAt)}`)
  return `{${parts.join(',')}}`
}

export function encodeBlock(b: AllocationBlock): string {
  const parts: string[] = [`"cidr":${goString(b.cidr)}`, `"affinity":${b.affinity === null ? 'null' : goString(b.affinity)}`]
  if (b.affinityClaimTime) parts.push(`"affinity_claim_time":${goString(b.affinityClaimTime)}`)
  parts.push(`"allocations":${JSON.stringify(b.allocations)}`)
  parts.push(`"unallocated":${JSON.stringify(b.unallocated)}`)
  parts.push(`"attributes":${b.attributes === null ? 'null' : `[${b.attributes.map(encodeAttribute).join(',')}]`}`)
  parts.push(`"sequenceNumber":${b.sequenceNumber.toString()}`)
  if (b.sequenceNumberForAllocation === null) parts.push('"sequenceNumberForAllocation":null')
  else {
    const keys = [...b.sequenceNumberForAllocation.keys()].sort()
    const body = keys.map((k) => `${goString(k)}:${(b.sequenceNumberForAllocation as Map<string, bigint>).get(k)!.toString()}`)
    parts.push(`"sequenceNumberForAllocation":{${body.join(',')}}`)
  }
  parts.push(`"deleted":${b.deleted}`)
  if (b.hostAffinity !== undefined) parts.push(`"hostAffinity":${goString(b.hostAffinity)}`)
  return `{${parts.join(',')}}`
}

export function encodeAffinity(a: BlockAffinity): string {
  return `{"state":${goString(a.state)},"deleted":${a.deleted}}`
}

export function encodeHandle(h: IpamHandle): string {
  const keys = Object.keys(h.block).sort()
  return `{"block":{${keys.map((k) => `${goString(k)}:${h.block[k]}`).join(',')}},"deleted":${h.deleted}}`
}

export function encodeConfig(c: IpamConfig): string {
  const parts: string[] = []
  if (c.strictAffinity) parts.push('"strict_affinity":true')
  if (c.autoAllocateBlocks) parts.push('"auto_allocate_blocks":true')
  if (c.maxBlocksPerHost) parts.push(`"maxBlocksPerHost":${c.maxBlocksPerHost}`)
  if (c.kubeVirtVMAddressPersistence !== undefined) parts.push(`"kubeVirtVMAddressPersistence":${goString(c.kubeVirtVMAddressPersistence)}`)
  if (c.ipCooldownSeconds) parts.push(`"ipCooldownSeconds":${c.ipCooldownSeconds}`)
  return `{${parts.join(',')}}`
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * JSON.parse, except that integers too long to be exact as doubles come back as strings of
 * digits (the block's sequence numbers are nanosecond timestamps, beyond 2^53).
 */
export function parseJsonKeepingBigInts(text: string): unknown {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      out += text.slice(i, j + 1)
      i = j + 1
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1
      while (j < text.length && /[0-9.eE+-]/.test(text[j] as string)) j++
      const num = text.slice(i, j)
      out += /^-?\d{16,}$/.test(num) ? `"${num}"` : num
      i = j
    } else {
      out += c
      i++
    }
  }
  return JSON.parse(out)
}

function bad(what: string, detail: string): never {
  throw new IpamError(`malformed IPAM ${what}: ${detail}`)
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(what, 'not a JSON object')
  return v as Record<string, unknown>
}

function toBig(v: unknown, what: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v)
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v)
  if (v === undefined || v === null) return 0n
  return bad(what, `bad sequence number ${JSON.stringify(v)}`)
}

function stringMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined
  const o = obj(v, what)
  const out: Record<string, string> = {}
  for (const [k, val] of Object.entries(o)) out[k] = typeof val === 'string' ? val : String(val)
  return out
}

export function decodeBlock(text: string): AllocationBlock {
  const o = obj(parseJsonKeepingBigInts(text), 'block')
  if (typeof o.cidr !== 'string') bad('block', 'no cidr')
  const allocations = Array.isArray(o.allocations) ? (o.allocations as unknown[]) : []
  const attributes =
    o.attributes === null || o.attributes === undefined
      ? null
      : Array.isArray(o.attributes)
        ? o.attributes.map((raw) => {
            const a = obj(raw, 'block attribute')
            const attr: AllocationAttribute = {}
            if (typeof a.handle_id === 'string') attr.handleId = a.handle_id
            const sec = stringMap(a.secondary, 'block attribute')
            if (sec) attr.secondary = sec
            const alt = stringMap(a.alternateOwnerAttrs, 'block attribute')
            if (alt) attr.alternateOwnerAttrs = alt
            if (typeof a.releasedAt === 'string') attr.releasedAt = a.releasedAt
            return attr
          })
        : bad('block', 'attributes is not a list')
  let seqMap: Map<string, bigint> | null = null
  if (o.sequenceNumberForAllocation !== null && o.sequenceNumberForAllocation !== undefined) {
    seqMap = new Map()
    for (const [k, v] of Object.entries(obj(o.sequenceNumberForAllocation, 'block'))) seqMap.set(k, toBig(v, 'block'))
  }
  const block: AllocationBlock = {
    cidr: o.cidr,
    affinity: typeof o.affinity === 'string' ? o.affinity : typeof o.hostAffinity === 'string' ? `host:${o.hostAffinity}` : null,
    allocations: allocations.map((a) => (typeof a === 'number' ? a : null)),
    unallocated: Array.isArray(o.unallocated) ? (o.unallocated as unknown[]).filter((n): n is number => typeof n === 'number') : [],
    attributes,
    sequenceNumber: toBig(o.sequenceNumber, 'block'),
    sequenceNumberForAllocation: seqMap,
    deleted: o.deleted === true,
  }
  if (typeof o.affinity_claim_time === 'string') block.affinityClaimTime = o.affinity_claim_time
  return block
}

export function decodeAffinity(text: string): BlockAffinity {
  const o = obj(parseJsonKeepingBigInts(text), 'affinity')
  const state = o.state
  if (state !== 'confirmed' && state !== 'pending' && state !== 'pendingDeletion') bad('affinity', `unknown state ${JSON.stringify(state)}`)
  return {state, deleted: o.deleted === true}
}

export function decodeHandle(text: string): IpamHandle {
  const o = obj(parseJsonKeepingBigInts(text), 'handle')
  const block: Record<string, number> = {}
  if (o.block !== null && o.block !== undefined)
    for (const [k, v] of Object.entries(obj(o.block, 'handle'))) block[k] = typeof v === 'number' ? v : Number(v)
  return {block, deleted: o.deleted === true}
}

export const DEFAULT_IPAM_CONFIG: IpamConfig = {strictAffinity: false, autoAllocateBlocks: true, maxBlocksPerHost: 0}

export function decodeConfig(text: string): IpamConfig {
  const o = obj(parseJsonKeepingBigInts(text), 'config')
  const c: IpamConfig = {
    strictAffinity: o.strict_affinity === true,
    autoAllocateBlocks: o.auto_allocate_blocks === true,
    maxBlocksPerHost: typeof o.maxBlocksPerHost === 'number' ? o.maxBlocksPerHost : 0,
  }
  if (typeof o.kubeVirtVMAddressPersistence === 'string') c.kubeVirtVMAddressPersistence = o.kubeVirtVMAddressPersistence
  if (typeof o.ipCooldownSeconds === 'number' && o.ipCooldownSeconds) c.ipCooldownSeconds = o.ipCooldownSeconds
  return c
}
