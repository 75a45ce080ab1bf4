// Calico IPAM over etcd: blocks claimed by node affinity, addresses handed out from them, handles
// counting what each owner holds. Every change is a compare-and-swap on the mod revisions of the
// keys it touches (block and handle together in one transaction), retried with a fresh read on
// conflict, so any number of processes can allocate at once without sharing an address or block.
import type {EtcdDatastore, KeyValue, WriteOp} from '../datastore/etcd.js'
import {type Compare, prefixEnd, type RequestOp} from '../datastore/transport.js'
import {
  AddressFilter,
  allocatedOrdinals,
  assignFree,
  assignOrdinal,
  attributeOf,
  blockHost,
  freeCount,
  hostAffinity,
  inUseCount,
  ipOfOrdinal,
  isEmpty,
  newBlock,
  normalizeBlock,
  ordinalOf,
  ordinalsOfHandle,
  releaseOrdinals,
} from './block.js'
import {
  type AffinityState,
  type AllocationBlock,
  DEFAULT_IPAM_CONFIG,
  decodeAffinity,
  decodeBlock,
  decodeConfig,
  decodeHandle,
  encodeAffinity,
  encodeBlock,
  encodeConfig,
  encodeHandle,
  type IpamConfig,
  type IpamHandle,
} from './codec.js'
import {DEFAULT_ALLOWED_USES} from '../resources/kinds/ippool.js'
import {parseSelector, SelectorError} from '../resources/selector.js'
import {BlockLimitError, ContentionError, InsufficientAddressesError, IpamError} from './errors.js'
import {
  AFFINITY_ROOT,
  affinityKey,
  BLOCK_PREFIX_V4,
  blockKey,
  CONFIG_KEY,
  cidrOfBlockKey,
  HANDLE_PREFIX,
  handleIdOfKey,
  handleKey,
  hostAffinityPrefix,
  ipamHostKey,
  parseAffinityKey,
} from './keys.js'
import {type Cidr4, cidr4Around, cidr4Contains, cidr4Covers, cidr4Overlap, formatCidr4, formatIPv4, netFamily, sizeV4} from '../lib/ip.js'
import {parseCidr4, parseIp4} from './net.js'
import type {
  AssignIpArgs,
  AssignmentInfo,
  AutoAssignArgs,
  AutoAssignResult,
  BlockInfo,
  BorrowedAddress,
  IpamConfigUpdate,
  IpamPool,
  IpamUse,
  PoolUsage,
  ReleaseResult,
  SelectsFn,
} from './types.js'
import {sleep} from '../lib/sleep.js'

/** Calico's safeguard when no `maxBlocksPerHost` is configured. */
export const DEFAULT_MAX_BLOCKS_PER_HOST = 20
const DEFAULT_MAX_RETRIES = 100
/** Re-reads of a node's affinities while one of them is pending (being claimed by another process). */
const PENDING_WAITS = 25

type Guard = {key: string; modRevision: string} | {key: string; absent: true}

export interface IpamOptions {
  /** Evaluates pool node selectors (tests give a stand-in); the default is poolNodeSelects. */
  selects?: SelectsFn
  /** Clock for claim times and sequence numbers. */
  now?: () => Date
  /** Compare-and-swap attempts per operation before giving up. */
  maxRetries?: number
}

/**
 * Whether a pool's node selector selects the node, as libcalico-go's IPAM decides it (v3.32.1
 * lib/ipam/pools.go SelectsNode; ipam.go stops the assignment on its error): a selector that does
 * not parse fails the assignment, naming it, rather than selecting nothing as Felix reads it
 * (resources/selector.ts, selects).
 */
export function poolNodeSelects(selector: string, labels: Record<string, string>): boolean {
  try {
    return parseSelector(selector).matches(labels)
  } catch (error) {
    if (error instanceof SelectorError) throw new IpamError(`cannot evaluate node selector '${selector}': ${error.message}`)
    throw error
  }
}

export interface AffinityRecord {
  node: string
  cidr: string
  state: AffinityState
  modRevision: string
}

export interface BlockRecord {
  block: AllocationBlock
  kv: KeyValue
}

type ClaimOutcome = 'claimed' | 'ours' | 'taken' | 'retry'


function affinityValue(state: AffinityState): string {
  return encodeAffinity({state, deleted: false})
}

export class Ipam {
  private readonly selects: SelectsFn
  private readonly now: () => Date
  private readonly maxRetries: number

  constructor(
    readonly ds: EtcdDatastore,
    opts: IpamOptions = {},
  ) {
    this.selects = opts.selects ?? poolNodeSelects
    this.now = opts.now ?? (() => new Date())
    this.maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES
  }

  private async backoff(attempt: number): Promise<void> {
    await sleep(Math.random() * Math.min(50, 2 + attempt * 2))
  }

  private contention(what: string): never {
    throw new ContentionError(`${what}: gave up after ${this.maxRetries} conflicting concurrent updates`)
  }

  // -------------------------------------------------------------------------------------------
  // Configuration

  private async readConfig(): Promise<{config: IpamConfig; kv?: KeyValue | undefined}> {
    const kv = await this.ds.get(CONFIG_KEY)
    return {config: kv ? decodeConfig(kv.value) : {...DEFAULT_IPAM_CONFIG}, kv}
  }

  /** The global IPAM configuration (Calico's defaults when none is stored; reading never writes). */
  async getConfig(): Promise<IpamConfig> {
    return (await this.readConfig()).config
  }

  /** Changes some settings; refuses combinations Calico refuses. Returns the stored result. */
  async setConfig(update: IpamConfigUpdate): Promise<IpamConfig> {
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const {config: current, kv} = await this.readConfig()
      const next: IpamConfig = {...current}
      if (update.strictAffinity !== undefined) next.strictAffinity = update.strictAffinity
      if (update.autoAllocateBlocks !== undefined) next.autoAllocateBlocks = update.autoAllocateBlocks
      if (update.maxBlocksPerHost !== undefined) next.maxBlocksPerHost = update.maxBlocksPerHost
      if (update.kubeVirtVMAddressPersistence !== undefined) next.kubeVirtVMAddressPersistence = update.kubeVirtVMAddressPersistence
      if (update.ipCooldownSeconds !== undefined) next.ipCooldownSeconds = update.ipCooldownSeconds
      if (!Number.isInteger(next.maxBlocksPerHost) || next.maxBlocksPerHost < 0) throw new IpamError('maxBlocksPerHost must be a non-negative integer')
      if (!next.strictAffinity && !next.autoAllocateBlocks) throw new IpamError("Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time")
      if (next.maxBlocksPerHost > 0 && !next.strictAffinity) throw new IpamError('MaxBlocksPerHost requires StrictAffinity to be enabled')
      const value = encodeConfig(next)
      if (kv && kv.value === value) return next
      const guard: Guard = kv ? {key: CONFIG_KEY, modRevision: kv.modRevision} : {key: CONFIG_KEY, absent: true}
      const r = await this.ds.txn([guard], [{type: 'put', key: CONFIG_KEY, value}])
      if (r.succeeded) return next
      await this.backoff(attempt)
    }
    this.contention('updating the IPAM configuration')
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private async readBlock(cidr: string, cooldownSeconds = 0): Promise<BlockRecord | undefined> {
    const kv = await this.ds.get(blockKey(cidr))
    if (!kv) return undefined
    const block = decodeBlock(kv.value)
    normalizeBlock(block, cooldownSeconds, this.now())
    return {block, kv}
  }

  /** Every IPv4 block as stored, in key order. */
  async listBlockRecords(): Promise<BlockRecord[]> {
    const {kvs} = await this.ds.list(BLOCK_PREFIX_V4)
    return kvs.filter((kv) => cidrOfBlockKey(kv.key) !== undefined).map((kv) => ({block: decodeBlock(kv.value), kv}))
  }

  private info(r: BlockRecord): BlockInfo {
    const node = blockHost(r.block)
    return {
      cidr: r.block.cidr,
      ...(node !== undefined ? {node} : {}),
      affinity: r.block.affinity,
      capacity: r.block.allocations.length,
      inUse: inUseCount(r.block),
      free: freeCount(r.block),
      modRevision: r.kv.modRevision,
    }
  }

  /** One stored block key as `listBlocks` reports it; undefined for a key that is not a block. */
  blockInfoOf(kv: KeyValue): BlockInfo | undefined {
    return cidrOfBlockKey(kv.key) === undefined ? undefined : this.info({block: decodeBlock(kv.value), kv})
  }

  /** All IPv4 blocks with their owner and fill. */
  async listBlocks(): Promise<BlockInfo[]> {
    return (await this.listBlockRecords()).map((r) => this.info(r))
  }

  /** The blocks affine to one node (from the blocks themselves). */
  async blocksOfNode(node: string): Promise<BlockInfo[]> {
    return (await this.listBlocks()).filter((b) => b.node === node)
  }

  /** A node's affinity records, any state. */
  async affinitiesOfNode(node: string): Promise<AffinityRecord[]> {
    const {kvs} = await this.ds.list(hostAffinityPrefix(node))
    return this.parseAffinities(kvs)
  }

  /** Every node's affinity records. */
  async listAffinities(): Promise<AffinityRecord[]> {
    const {kvs} = await this.ds.list(AFFINITY_ROOT)
    return this.parseAffinities(kvs)
  }

  private parseAffinities(kvs: KeyValue[]): AffinityRecord[] {
    const out: AffinityRecord[] = []
    for (const kv of kvs) {
      const k = parseAffinityKey(kv.key)
      if (!k) continue
      out.push({...k, state: decodeAffinity(kv.value).state, modRevision: kv.modRevision})
    }
    return out
  }

  async getHandle(handleId: string): Promise<IpamHandle | undefined> {
    const kv = await this.ds.get(handleKey(handleId))
    return kv ? decodeHandle(kv.value) : undefined
  }

  /** Every handle, by ID. */
  async listHandles(): Promise<Map<string, IpamHandle>> {
    const {kvs} = await this.ds.list(HANDLE_PREFIX)
    const out = new Map<string, IpamHandle>()
    for (const kv of kvs) {
      const id = handleIdOfKey(kv.key)
      if (id) out.set(id, decodeHandle(kv.value))
    }
    return out
  }

  /** Addresses held by a handle, found through the blocks its record names. */
  async ipsByHandle(handleId: string): Promise<string[]> {
    const handle = await this.getHandle(handleId)
    if (!handle) return []
    const ips: string[] = []
    for (const cidr of Object.keys(handle.block)) {
      const rec = await this.readBlock(cidr)
      if (rec) for (const o of ordinalsOfHandle(rec.block, handleId)) ips.push(ipOfOrdinal(rec.block, o))
    }
    return ips
  }

  private findBlockFor(records: BlockRecord[], ip: number): BlockRecord | undefined {
    return records.find((r) => cidr4Contains(parseCidr4(r.block.cidr), ip))
  }

  /** Who holds an address, or undefined when it is not assigned. */
  async getAssignmentAttributes(ip: string): Promise<AssignmentInfo | undefined> {
    const n = parseIp4(ip)
    const rec = this.findBlockFor(await this.listBlockRecords(), n)
    if (!rec) return undefined
    const o = ordinalOf(rec.block, n)
    if (o === undefined) return undefined
    const attr = attributeOf(rec.block, o)
    if (!attr || attr.releasedAt !== undefined) return undefined
    const info: AssignmentInfo = {ip, block: rec.block.cidr, blockAffinity: rec.block.affinity, attrs: {...(attr.secondary ?? {})}}
    if (attr.handleId !== undefined) info.handleId = attr.handleId.split('\r')[0]
    if (attr.alternateOwnerAttrs) info.alternateOwnerAttrs = {...attr.alternateOwnerAttrs}
    const seq = rec.block.sequenceNumberForAllocation?.get(String(o))
    if (seq !== undefined) info.sequenceNumber = seq
    return info
  }

  // -------------------------------------------------------------------------------------------
  // Pools

  /** The pools a request may draw from: IPv4, enabled, for this use, selecting the node. */
  eligiblePools(args: {
    pools: readonly IpamPool[]
    node: string
    nodeLabels?: Record<string, string> | undefined
    use?: IpamUse | undefined
    requestedPools?: readonly string[] | undefined
  }): IpamPool[] {
    const use = args.use ?? 'Workload'
    const wanted = args.requestedPools && args.requestedPools.length > 0 ? new Set(args.requestedPools) : undefined
    return args.pools.filter((p) => {
      if (netFamily(p.cidr) !== 4 || p.disabled) return false
      if (wanted && !wanted.has(p.name) && !wanted.has(p.cidr)) return false
      if (!wanted && p.assignmentMode === 'Manual') return false
      const uses = p.allowedUses && p.allowedUses.length > 0 ? p.allowedUses : DEFAULT_ALLOWED_USES
      if (!uses.includes(use)) return false
      if (p.blockSize < parseCidr4(p.cidr).prefix || p.blockSize > 32) return false
      return this.selects(p.nodeSelector || 'all()', args.nodeLabels ?? {})
    })
  }

  // -------------------------------------------------------------------------------------------
  // Claiming blocks

  private rawTxn(compare: unknown[], success: unknown[]): Promise<{succeeded: boolean; revision: string}> {
    return this.ds.rawTxn(compare as Compare[], success as RequestOp[])
  }

  /** The first block-sized CIDR of the pools that no block occupies and that is not all reserved. */
  private findFreeBlock(pools: readonly IpamPool[], blocks: Cidr4[], reserved: AddressFilter, skip: Set<string>): string | undefined {
    const existing = new Set(blocks.map(formatCidr4))
    for (const pool of pools) {
      const pc = parseCidr4(pool.cidr)
      const odd = blocks.filter((b) => b.prefix !== pool.blockSize && cidr4Overlap(b, pc))
      const step = sizeV4(pool.blockSize)
      for (let base = pc.base; base < pc.base + sizeV4(pc.prefix); base += step) {
        const c: Cidr4 = {base, prefix: pool.blockSize}
        const text = formatCidr4(c)
        if (existing.has(text) || skip.has(text)) continue
        if (odd.some((b) => cidr4Overlap(b, c))) continue
        if (reserved.coversWhole(c)) continue
        return text
      }
    }
    return undefined
  }

  /**
   * Claims the first free block of the given pools for the node and returns its CIDR, or
   * undefined when the pools have no free block. The pools are used as given (see
   * eligiblePools). With `maxBlocks`, the claim fails with BlockLimitError once the node holds
   * that many affinities; the check is part of the claiming transaction, so concurrent claims
   * for one node cannot overshoot it.
   */
  async claimBlock(
    node: string,
    pools: readonly IpamPool[],
    opts: {reservations?: readonly string[] | AddressFilter | undefined; maxBlocks?: number | undefined} = {},
  ): Promise<string | undefined> {
    const reserved = opts.reservations instanceof AddressFilter ? opts.reservations : new AddressFilter(opts.reservations ?? [])
    const limit = opts.maxBlocks ?? 0
    const skip = new Set<string>()
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const [blocks, affs] = await Promise.all([this.ds.list(BLOCK_PREFIX_V4), this.ds.list(hostAffinityPrefix(node))])
      if (limit > 0 && affs.kvs.length >= limit)
        throw new BlockLimitError(`Need to allocate an IPAM block but could not - limit of ${limit} blocks reached for this node`)
      const cidrs = blocks.kvs.map((kv) => cidrOfBlockKey(kv.key)).filter((c): c is string => c !== undefined)
      const candidate = this.findFreeBlock(pools, cidrs.map((c) => parseCidr4(c)), reserved, skip)
      if (!candidate) return undefined
      const outcome = await this.claimCidr(node, candidate, limit > 0 ? affs.revision : undefined)
      if (outcome === 'claimed' || outcome === 'ours') return candidate
      if (outcome === 'retry') await this.backoff(attempt)
    }
    this.contention(`claiming a block for node ${node}`)
  }

  /**
   * Calico's claim protocol for one block: a pending affinity (created only if absent and, with
   * `limitRevision`, only if no affinity of the node appeared since that revision), then the
   * block created only if absent together with the affinity confirmed, in one transaction
   * guarded on the pending affinity. On losing the block the pending affinity is removed.
   */
  private async claimCidr(node: string, cidr: string, limitRevision?: string): Promise<ClaimOutcome> {
    const affK = affinityKey(node, cidr)
    const bK = blockKey(cidr)
    const compare: unknown[] = [{key: Buffer.from(affK), target: 'Version', result: 'Equal', version: 0}]
    if (limitRevision !== undefined) {
      const prefix = hostAffinityPrefix(node)
      compare.push({
        key: Buffer.from(prefix),
        range_end: prefixEnd(prefix),
        target: 'Mod',
        result: 'Less',
        mod_revision: String(BigInt(limitRevision) + 1n),
      })
    }
    const created = await this.rawTxn(compare, [{request_put: {key: Buffer.from(affK), value: Buffer.from(affinityValue('pending'))}}])
    let affRev: string
    if (created.succeeded) affRev = created.revision
    else {
      const cur = await this.ds.get(affK)
      if (!cur) return 'retry' // the node gained an affinity meanwhile: recount
      if (decodeAffinity(cur.value).state === 'confirmed') {
        const b = await this.ds.get(bK)
        if (b && decodeBlock(b.value).affinity === hostAffinity(node)) return 'ours'
      }
      // A leftover of an interrupted claim by this node: take it over.
      const r = await this.ds.txn([{key: affK, modRevision: cur.modRevision}], [{type: 'put', key: affK, value: affinityValue('pending')}])
      if (!r.succeeded) return 'retry'
      affRev = r.revision
    }
    const block = newBlock(cidr, node, this.now())
    const r2 = await this.ds.txn(
      [
        {key: bK, absent: true},
        {key: affK, modRevision: affRev},
      ],
      [
        {type: 'create', key: bK, value: encodeBlock(block)},
        {type: 'put', key: affK, value: affinityValue('confirmed')},
      ],
    )
    if (r2.succeeded) return 'claimed'
    const existing = await this.ds.get(bK)
    if (existing && decodeBlock(existing.value).affinity === hostAffinity(node)) {
      const a = await this.ds.get(affK)
      if (a && decodeAffinity(a.value).state !== 'confirmed')
        await this.ds.txn([{key: affK, modRevision: a.modRevision}], [{type: 'put', key: affK, value: affinityValue('confirmed')}])
      return 'ours'
    }
    await this.ds.txn([{key: affK, modRevision: affRev}], [{type: 'delete', key: affK}])
    return existing ? 'taken' : 'retry'
  }

  // -------------------------------------------------------------------------------------------
  // Assigning

  /**
   * Takes up to `want` addresses from one block in a single transaction that also updates the
   * handle. `affine` only uses the block while it is affine to the node.
   */
  private async assignFromBlock(
    cidr: string,
    want: number,
    mode: 'affine' | 'borrow',
    ctx: {node: string; handleId?: string | undefined; attrs: Record<string, string>; reserved: AddressFilter; cooldown: number; maxPerHandle?: number | undefined},
  ): Promise<{ips: string[]; handleFull: boolean}> {
    const bK = blockKey(cidr)
    const hK = ctx.handleId !== undefined ? handleKey(ctx.handleId) : undefined
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const [kv, hkv] = await Promise.all([this.ds.get(bK), hK ? this.ds.get(hK) : Promise.resolve(undefined)])
      if (!kv) return {ips: [], handleFull: false}
      const block = decodeBlock(kv.value)
      normalizeBlock(block, ctx.cooldown, this.now())
      if (mode === 'affine' && block.affinity !== hostAffinity(ctx.node)) return {ips: [], handleFull: false}
      const handle: IpamHandle = hkv ? decodeHandle(hkv.value) : {block: {}, deleted: false}
      let n = want
      if (ctx.maxPerHandle !== undefined) {
        const held = Object.values(handle.block).reduce((a, b) => a + b, 0)
        n = Math.min(n, ctx.maxPerHandle - held)
        if (n <= 0) return {ips: [], handleFull: true}
      }
      const ords = assignFree(block, n, ctx.handleId, ctx.attrs, ctx.reserved)
      if (ords.length === 0) return {ips: [], handleFull: false}
      block.sequenceNumber += 1n
      const guards: Guard[] = [{key: bK, modRevision: kv.modRevision}]
      const writes: WriteOp[] = [{type: 'update', key: bK, value: encodeBlock(block), modRevision: kv.modRevision}]
      if (hK) {
        handle.block[cidr] = (handle.block[cidr] ?? 0) + ords.length
        guards.push(hkv ? {key: hK, modRevision: hkv.modRevision} : {key: hK, absent: true})
        writes.push({type: 'put', key: hK, value: encodeHandle(handle)})
      }
      const r = await this.ds.txn(guards, writes)
      if (r.succeeded) return {ips: ords.map((o) => ipOfOrdinal(block, o)), handleFull: false}
      await this.backoff(attempt)
    }
    this.contention(`assigning from block ${cidr}`)
  }

  /**
   * Assigns `num` IPv4 addresses to a node: from its affine blocks first, then from newly
   * claimed blocks (while `autoAllocateBlocks` and the block limit allow), then, only when
   * `strictAffinity` is off, from other nodes' blocks. On a shortfall the addresses taken are
   * released again and an error is thrown, unless `partial` is set.
   */
  async autoAssign(args: AutoAssignArgs): Promise<AutoAssignResult> {
    if (args.ipVersion !== undefined && args.ipVersion !== 4) throw new IpamError('only IPv4 assignment is supported')
    if (!Number.isInteger(args.num) || args.num < 0) throw new IpamError(`invalid number of addresses: ${args.num}`)
    const result: AutoAssignResult = {ips: [], cidrs: [], messages: []}
    if (args.num === 0) return result
    const node = args.node
    const config = await this.getConfig()
    const reserved = new AddressFilter(args.reservations ?? [])
    const pools = this.eligiblePools(args)
    let maxBlocks = config.maxBlocksPerHost
    if (args.maxBlocks && args.maxBlocks > 0 && (maxBlocks === 0 || args.maxBlocks < maxBlocks)) maxBlocks = args.maxBlocks
    if (maxBlocks === 0) maxBlocks = DEFAULT_MAX_BLOCKS_PER_HOST
    const poolCidrs = pools.map((p) => parseCidr4(p.cidr))
    const inPools = (cidr: string) => {
      const c = parseCidr4(cidr)
      return poolCidrs.some((p) => cidr4Covers(p, c))
    }
    const ctx = {
      node,
      handleId: args.handleId,
      attrs: args.attrs ?? {node},
      reserved,
      cooldown: config.ipCooldownSeconds ?? 0,
      maxPerHandle: args.maxPerHandle,
    }
    const tried = new Set<string>()
    let limitHit = false
    let handleFull = false
    let waits = 0
    let limitRetries = 0
    const take = async (cidr: string, mode: 'affine' | 'borrow') => {
      const got = await this.assignFromBlock(cidr, args.num - result.ips.length, mode, ctx)
      const prefix = cidr.slice(cidr.indexOf('/'))
      for (const ip of got.ips) {
        result.ips.push(ip)
        result.cidrs.push(ip + prefix)
      }
      if (got.handleFull) handleFull = true
    }
    const done = () => result.ips.length >= args.num || handleFull

    if (pools.length === 0) result.messages.push(`no configured Calico pools for node ${node}`)
    else
      for (;;) {
        const affs = await this.affinitiesOfNode(node)
        const fresh = affs.filter((a) => a.state === 'confirmed' && !tried.has(a.cidr) && inPools(a.cidr))
        for (const a of fresh) {
          tried.add(a.cidr)
          await take(a.cidr, 'affine')
          if (done()) break
        }
        if (done()) break
        if (fresh.length > 0) continue // new affinities may have appeared meanwhile
        // Another process of this node is claiming a block right now: wait for it rather than
        // claim one more (or give up at the block limit) while that block is about to appear.
        if (affs.some((a) => a.state !== 'confirmed' && inPools(a.cidr)) && waits < PENDING_WAITS) {
          await this.backoff(++waits)
          continue
        }
        if (!config.autoAllocateBlocks) {
          result.messages.push('No more free affine blocks and automatic block allocation is disabled')
          break
        }
        if (affs.length >= maxBlocks) {
          limitHit = true
          break
        }
        try {
          const claimed = await this.claimBlock(node, pools, {reservations: reserved, maxBlocks})
          if (!claimed) {
            result.messages.push(config.strictAffinity ? 'No more free affine blocks and strict affinity enabled' : 'No free blocks left in the pools')
            break
          }
        } catch (error) {
          if (!(error instanceof BlockLimitError)) throw error
          // The node reached its limit meanwhile: look again at its (new) blocks first.
          if (++limitRetries > PENDING_WAITS) {
            limitHit = true
            break
          }
        }
      }

    if (!done() && !config.strictAffinity && !limitHit && pools.length > 0) {
      for (const rec of await this.listBlockRecords()) {
        const cidr = rec.block.cidr
        if (tried.has(cidr) || !inPools(cidr) || freeCount(rec.block, reserved) === 0) continue
        tried.add(cidr)
        await take(cidr, 'borrow')
        if (done()) break
      }
    }

    if (handleFull && args.handleId !== undefined) {
      const held = await this.ipsByHandle(args.handleId)
      const prefixOf = new Map(result.cidrs.map((c) => [c.split('/')[0], c]))
      const recs = await this.listBlockRecords()
      return {
        ips: held,
        cidrs: held.map((ip) => prefixOf.get(ip) ?? `${ip}/${this.findBlockFor(recs, parseIp4(ip))?.block.cidr.split('/')[1] ?? '32'}`),
        messages: result.messages,
      }
    }
    if (result.ips.length < args.num) {
      const why = limitHit
        ? `Need to allocate an IPAM block but could not - limit of ${maxBlocks} blocks reached for this node`
        : (result.messages[result.messages.length - 1] ?? 'no free addresses')
      if (!result.messages.includes(why)) result.messages.push(why)
      if (args.partial) return result
      if (result.ips.length > 0) await this.releaseIPs(result.ips)
      const msg = `assigned ${result.ips.length} of ${args.num} requested IPv4 addresses: ${why}`
      throw limitHit ? new BlockLimitError(msg) : new InsufficientAddressesError(msg, args.num, result.ips.length)
    }
    return result
  }

  /**
   * Assigns one given address. Its pool decides the block; a missing block is claimed for the
   * node first. With strictAffinity the block must be affine to the node.
   */
  async assignIP(args: AssignIpArgs): Promise<void> {
    const ip = parseIp4(args.ip)
    const pool = args.pools.find((p) => netFamily(p.cidr) === 4 && cidr4Contains(parseCidr4(p.cidr), ip))
    if (!pool) throw new IpamError(`The provided IP address ${args.ip} is not in a configured pool`)
    const cidr = formatCidr4(cidr4Around(ip, pool.blockSize))
    const config = await this.getConfig()
    const bK = blockKey(cidr)
    const hK = args.handleId !== undefined ? handleKey(args.handleId) : undefined
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const [kv, hkv] = await Promise.all([this.ds.get(bK), hK ? this.ds.get(hK) : Promise.resolve(undefined)])
      if (!kv) {
        const outcome = await this.claimCidr(args.node, cidr)
        if (outcome === 'retry') await this.backoff(attempt)
        continue
      }
      const block = decodeBlock(kv.value)
      normalizeBlock(block, config.ipCooldownSeconds ?? 0, this.now())
      if (config.strictAffinity && block.affinity !== hostAffinity(args.node))
        throw new IpamError(`cannot assign ${args.ip}: block ${cidr} is not affine to node ${args.node} and strict affinity is enabled`)
      const o = ordinalOf(block, ip) as number
      assignOrdinal(block, o, args.handleId, args.attrs ?? {node: args.node})
      block.sequenceNumber += 1n
      const guards: Guard[] = [{key: bK, modRevision: kv.modRevision}]
      const writes: WriteOp[] = [{type: 'update', key: bK, value: encodeBlock(block), modRevision: kv.modRevision}]
      if (hK) {
        const handle: IpamHandle = hkv ? decodeHandle(hkv.value) : {block: {}, deleted: false}
        handle.block[cidr] = (handle.block[cidr] ?? 0) + 1
        guards.push(hkv ? {key: hK, modRevision: hkv.modRevision} : {key: hK, absent: true})
        writes.push({type: 'put', key: hK, value: encodeHandle(handle)})
      }
      if ((await this.ds.txn(guards, writes)).succeeded) return
      await this.backoff(attempt)
    }
    this.contention(`assigning ${args.ip}`)
  }

  // -------------------------------------------------------------------------------------------
  // Releasing

  /**
   * Frees addresses in one block, decrementing (or deleting) their handles in the same
   * transaction. With `onlyHandle`, addresses now held by another handle are left alone.
   */
  private async releaseFromBlock(cidr: string, ips: number[], onlyHandle?: string): Promise<ReleaseResult> {
    const bK = blockKey(cidr)
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const config = await this.getConfig()
      const rec = await this.readBlock(cidr, config.ipCooldownSeconds ?? 0)
      if (!rec) return {released: [], notAssigned: ips.map((n) => formatIPv4(n))}
      const {block, kv} = rec
      let ords = ips.map((n) => ordinalOf(block, n)).filter((o): o is number => o !== undefined)
      if (onlyHandle !== undefined) {
        const mine = new Set(ordinalsOfHandle(block, onlyHandle))
        ords = ords.filter((o) => mine.has(o))
      }
      const {freed, byHandle} = releaseOrdinals(block, ords)
      const freedIps = new Set(freed.map((o) => ipOfOrdinal(block, o)))
      const notAssigned = ips.map((n) => formatIPv4(n)).filter((ip) => !freedIps.has(ip))
      if (freed.length === 0) return {released: [], notAssigned}
      const guards: Guard[] = [{key: bK, modRevision: kv.modRevision}]
      const writes: WriteOp[] = []
      if (isEmpty(block) && block.affinity === null) writes.push({type: 'delete', key: bK, modRevision: kv.modRevision})
      else {
        block.sequenceNumber += 1n
        writes.push({type: 'update', key: bK, value: encodeBlock(block), modRevision: kv.modRevision})
      }
      const handleIds = [...byHandle.keys()]
      const hkvs = await Promise.all(handleIds.map((h) => this.ds.get(handleKey(h))))
      handleIds.forEach((h, i) => {
        const hk = handleKey(h)
        const hkv = hkvs[i]
        if (!hkv) {
          guards.push({key: hk, absent: true})
          return
        }
        guards.push({key: hk, modRevision: hkv.modRevision})
        const handle = decodeHandle(hkv.value)
        const left = (handle.block[cidr] ?? 0) - (byHandle.get(h) ?? 0)
        if (left > 0) handle.block[cidr] = left
        else delete handle.block[cidr]
        if (Object.keys(handle.block).length === 0) writes.push({type: 'delete', key: hk, modRevision: hkv.modRevision})
        else writes.push({type: 'put', key: hk, value: encodeHandle(handle)})
      })
      if ((await this.ds.txn(guards, writes)).succeeded) return {released: [...freedIps], notAssigned}
      await this.backoff(attempt)
    }
    this.contention(`releasing addresses in block ${cidr}`)
  }

  /** Frees the given addresses. Addresses not assigned are reported, not treated as errors. */
  async releaseIPs(ips: readonly string[]): Promise<ReleaseResult> {
    const out: ReleaseResult = {released: [], notAssigned: []}
    if (ips.length === 0) return out
    const records = await this.listBlockRecords()
    const byBlock = new Map<string, number[]>()
    for (const ip of ips) {
      const n = parseIp4(ip)
      const rec = this.findBlockFor(records, n)
      if (!rec) {
        out.notAssigned.push(ip)
        continue
      }
      const list = byBlock.get(rec.block.cidr) ?? []
      if (!list.includes(n)) list.push(n)
      byBlock.set(rec.block.cidr, list)
    }
    for (const [cidr, nums] of byBlock) {
      const r = await this.releaseFromBlock(cidr, nums)
      out.released.push(...r.released)
      out.notAssigned.push(...r.notAssigned)
    }
    return out
  }

  /** Frees every address of a handle and removes the handle. Returns the addresses freed. */
  async releaseByHandle(handleId: string): Promise<string[]> {
    const hK = handleKey(handleId)
    const released: string[] = []
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const hkv = await this.ds.get(hK)
      if (!hkv) return released
      const handle = decodeHandle(hkv.value)
      for (const cidr of Object.keys(handle.block)) {
        const rec = await this.readBlock(cidr)
        const ords = rec ? ordinalsOfHandle(rec.block, handleId) : []
        if (!rec || ords.length === 0) continue
        const base = parseCidr4(rec.block.cidr).base
        const r = await this.releaseFromBlock(cidr, ords.map((o) => base + o), handleId)
        released.push(...r.released)
      }
      // Freeing the last address deletes the handle. What may be left is a record naming
      // blocks that no longer hold its addresses: delete it, unless addresses were added
      // to the handle meanwhile (then go round again).
      const after = await this.ds.get(hK)
      if (!after) return released
      let holding = false
      for (const cidr of Object.keys(decodeHandle(after.value).block)) {
        const rec = await this.readBlock(cidr)
        if (rec && ordinalsOfHandle(rec.block, handleId).length > 0) holding = true
      }
      if (!holding && (await this.ds.txn([{key: hK, modRevision: after.modRevision}], [{type: 'delete', key: hK}])).succeeded) return released
      await this.backoff(attempt)
    }
    this.contention(`releasing handle ${handleId}`)
  }

  /**
   * Drops a node's affinity to one block: an empty block is deleted, a block still holding
   * addresses is kept without affinity. Block and affinity change in one transaction.
   */
  async releaseBlockAffinity(node: string, cidr: string, mustBeEmpty = false): Promise<'released' | 'notEmpty' | 'absent' | 'stale'> {
    const aK = affinityKey(node, cidr)
    const bK = blockKey(cidr)
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const config = await this.getConfig()
      const [akv, rec] = await Promise.all([this.ds.get(aK), this.readBlock(cidr, config.ipCooldownSeconds ?? 0)])
      if (!akv) return 'absent'
      if (!rec || rec.block.affinity !== hostAffinity(node)) {
        const r = await this.ds.txn([{key: aK, modRevision: akv.modRevision}], [{type: 'delete', key: aK}])
        if (r.succeeded) return rec ? 'stale' : 'released'
        await this.backoff(attempt)
        continue
      }
      const {block, kv} = rec
      if (mustBeEmpty && !isEmpty(block)) return 'notEmpty'
      const writes: WriteOp[] = []
      if (isEmpty(block)) writes.push({type: 'delete', key: bK, modRevision: kv.modRevision})
      else {
        block.affinity = null
        delete block.affinityClaimTime
        block.sequenceNumber += 1n
        writes.push({type: 'update', key: bK, value: encodeBlock(block), modRevision: kv.modRevision})
      }
      writes.push({type: 'delete', key: aK, modRevision: akv.modRevision})
      const r = await this.ds.txn(
        [
          {key: bK, modRevision: kv.modRevision},
          {key: aK, modRevision: akv.modRevision},
        ],
        writes,
      )
      if (r.succeeded) return 'released'
      await this.backoff(attempt)
    }
    this.contention(`releasing block ${cidr} of node ${node}`)
  }

  /** Releases all of a node's block affinities (as when the node is deleted). */
  async releaseHostAffinities(node: string, mustBeEmpty = false): Promise<{released: string[]; kept: string[]}> {
    const out = {released: [] as string[], kept: [] as string[]}
    for (const a of await this.affinitiesOfNode(node)) {
      const r = await this.releaseBlockAffinity(node, a.cidr, mustBeEmpty)
      if (r === 'notEmpty') out.kept.push(a.cidr)
      else out.released.push(a.cidr)
    }
    return out
  }

  /** Releases a node's affinities and removes its IPAM host entry (Calico's RemoveIPAMHost). */
  async removeIpamHost(node: string): Promise<void> {
    await this.releaseHostAffinities(node, false)
    const kv = await this.ds.get(ipamHostKey(node))
    if (kv) await this.ds.txn([{key: kv.key, modRevision: kv.modRevision}], [{type: 'delete', key: kv.key}])
  }

  /** Releases every node's affinity to blocks inside a pool CIDR (before the pool is deleted). */
  async releasePoolAffinities(poolCidr: string): Promise<number> {
    const pc = parseCidr4(poolCidr)
    let n = 0
    for (const rec of await this.listBlockRecords()) {
      const host = blockHost(rec.block)
      if (host === undefined || !cidr4Covers(pc, parseCidr4(rec.block.cidr))) continue
      if ((await this.releaseBlockAffinity(host, rec.block.cidr)) === 'released') n++
    }
    // Affinities left without a block of theirs (interrupted claims) go too.
    for (const a of await this.listAffinities()) {
      if (!cidr4Covers(pc, parseCidr4(a.cidr))) continue
      await this.releaseBlockAffinity(a.node, a.cidr)
    }
    return n
  }

  // -------------------------------------------------------------------------------------------
  // Reports

  /**
   * Utilisation per pool (for `ipam show`): capacity is the whole pool, free counts what can
   * still be handed out (free addresses in blocks plus unblocked space, less reservations).
   * Blocks in no given pool are reported under `orphaned allocation blocks`.
   */
  async usage(pools: readonly IpamPool[], reservations: readonly string[] = []): Promise<PoolUsage[]> {
    const reserved = new AddressFilter(reservations)
    const records = await this.listBlockRecords()
    const v4 = pools.filter((p) => netFamily(p.cidr) === 4)
    const out: PoolUsage[] = v4.map((p) => ({name: p.name, cidr: canonical(p.cidr), capacity: 0, inUse: 0, free: 0, reserved: 0, blocks: []}))
    const orphan: PoolUsage = {name: 'orphaned allocation blocks', cidr: '0.0.0.0/0', capacity: 0, inUse: 0, free: 0, reserved: 0, blocks: []}
    for (const {block} of records) {
      const bc = parseCidr4(block.cidr)
      const idx = v4.findIndex((p) => cidr4Overlap(parseCidr4(p.cidr), bc))
      const target = idx >= 0 ? (out[idx] as PoolUsage) : orphan
      const node = blockHost(block)
      target.blocks.push({
        cidr: block.cidr,
        ...(node !== undefined ? {node} : {}),
        capacity: block.allocations.length,
        inUse: inUseCount(block),
        free: freeCount(block, reserved),
        reserved: reserved.countIn(bc.base, bc.base + sizeV4(bc.prefix)),
      })
    }
    for (const u of out) {
      const pc = parseCidr4(u.cidr)
      const start = pc.base
      const end = pc.base + sizeV4(pc.prefix)
      u.capacity = sizeV4(pc.prefix)
      u.reserved = reserved.countIn(start, end)
      let blocked = 0
      let reservedInBlocks = 0
      for (const b of u.blocks) {
        const bc = parseCidr4(b.cidr)
        const s = Math.max(start, bc.base)
        const e = Math.min(end, bc.base + sizeV4(bc.prefix))
        blocked += Math.max(0, e - s)
        reservedInBlocks += reserved.countIn(s, e)
        u.inUse += b.inUse
        u.free += b.free
      }
      u.free += end - start - blocked - (u.reserved - reservedInBlocks)
    }
    if (orphan.blocks.length > 0) {
      for (const b of orphan.blocks) {
        orphan.capacity += b.capacity
        orphan.inUse += b.inUse
        orphan.free += b.free
      }
      out.push(orphan)
    }
    return out
  }

  /** Addresses allocated from blocks not affine to the node named in their `node` attribute. */
  async borrowedAddresses(): Promise<BorrowedAddress[]> {
    const out: BorrowedAddress[] = []
    for (const {block} of await this.listBlockRecords()) {
      const owner = blockHost(block) ?? ''
      for (const a of allocatedOrdinals(block)) {
        const node = a.attr.secondary?.node ?? ''
        if (owner !== '' && node === owner) continue
        const item: BorrowedAddress = {ip: a.ip, borrowingNode: node, block: block.cidr, blockOwner: owner, attrs: {...(a.attr.secondary ?? {})}}
        if (a.attr.handleId !== undefined) item.handleId = a.attr.handleId
        out.push(item)
      }
    }
    return out
  }
}

function canonical(cidr: string): string {
  return formatCidr4(parseCidr4(cidr))
}
