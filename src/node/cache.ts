// The datastore as a node pass reads it, held in memory: listed once at one revision, then kept
// current key by key from watch events (a put carries the value, a delete the key), decoding only
// the keys that changed with the same decoders a plain read uses. The Snapshot handed to a pass
// rebuilds the per-kind array only for kinds that changed since the last one, and says which.
import type {KeyValue} from '../datastore/etcd.js'
import {listPrefix, parseResourceKey, resourceKey} from '../datastore/keys.js'
import type {ResourceStore} from '../datastore/store.js'
import type {BlockInfo, Ipam} from '../ipam/index.js'
import {BLOCK_PREFIX_V4, IPAM_ROOT, parseAffinityKey} from '../ipam/keys.js'
import {kindByName} from '../resources/registry.js'
import type {Resource} from '../resources/types.js'
import type {Snapshot} from './snapshot.js'
import type {WatchEvent} from './watch.js'

export type ResourceField = Exclude<keyof Snapshot, 'blocks'>
export type SnapshotField = keyof Snapshot

/** The resource kind behind each snapshot field. */
export const KIND_OF: Record<ResourceField, string> = {
  pools: 'IPPool',
  nodes: 'Node',
  bgpConfigurations: 'BGPConfiguration',
  bgpPeers: 'BGPPeer',
  bgpFilters: 'BGPFilter',
  felixConfigurations: 'FelixConfiguration',
  networkPolicies: 'NetworkPolicy',
  globalNetworkPolicies: 'GlobalNetworkPolicy',
  profiles: 'Profile',
  tiers: 'Tier',
  workloadEndpoints: 'WorkloadEndpoint',
  hostEndpoints: 'HostEndpoint',
  networkSets: 'NetworkSet',
  globalNetworkSets: 'GlobalNetworkSet',
  reservations: 'IPReservation',
}

const FIELDS = [...(Object.keys(KIND_OF) as ResourceField[]), 'blocks'] as const satisfies readonly SnapshotField[]

/** What changed since the previous `snapshot()`. */
export interface CacheChanges {
  /** Everything (a fresh list): treat as a full change. */
  all: boolean
  fields: Set<SnapshotField>
  /** Names of Node resources that changed. */
  nodes: Set<string>
  /**
   * Nodes whose IPAM data changed: the owners (before and after) of changed blocks and
   * affinities; '' for what no single node holds: a deleted block (space freed), a block without
   * an owner, handles, the IPAM config.
   */
  ipamNodes: Set<string>
}

/** A watch event: puts carry the value, so the cache needs no read of the key. */
export type CacheEvent = WatchEvent

interface Entry {
  rev: bigint
  item: Resource | BlockInfo
}

function noChanges(): CacheChanges {
  return {all: false, fields: new Set(), nodes: new Set(), ipamNodes: new Set()}
}

export class SnapshotCache {
  private readonly maps = new Map<SnapshotField, Map<string, Entry>>(FIELDS.map((f) => [f, new Map()]))
  /** Keys of a field in key order (the order a range read returns); undefined = re-sort. */
  private readonly order = new Map<SnapshotField, string[] | undefined>()
  /** Revision of each deleted key, so that an older put replayed later cannot bring it back. */
  private readonly tombstones = new Map<string, bigint>()
  private current: Snapshot | undefined
  private changes: CacheChanges = {...noChanges(), all: true}
  /** Events that arrive while a list is in flight, applied after it. */
  private buffered: CacheEvent[] | undefined
  /** The revision of the last full list: events at or below it are already in. */
  loadedRevision = 0n

  constructor(
    private readonly store: ResourceStore,
    private readonly ipam: Ipam,
  ) {}

  /** plural → field, built when needed: kinds can be registered after this module loads. */
  private plurals(): Map<string, ResourceField> {
    const m = new Map<string, ResourceField>()
    for (const [field, kind] of Object.entries(KIND_OF) as Array<[ResourceField, string]>) {
      const def = kindByName(kind)
      if (def) m.set(def.plural, field)
    }
    return m
  }

  private fieldOf(key: string, plurals = this.plurals()): SnapshotField | undefined {
    if (key.startsWith(BLOCK_PREFIX_V4)) return 'blocks'
    const k = parseResourceKey(key)
    return k ? plurals.get(k.plural) : undefined
  }

  /** Decodes one key; undefined when it is not something a snapshot holds. */
  private decode(field: SnapshotField, kv: KeyValue): Resource | BlockInfo | undefined {
    if (field === 'blocks') return this.ipam.blockInfoOf(kv)
    const def = kindByName(KIND_OF[field])
    return def ? this.store.fromKV(def, kv) : undefined
  }

  private prefixes(): string[] {
    const out: string[] = []
    for (const kind of Object.values(KIND_OF)) {
      const def = kindByName(kind)
      if (def) out.push(listPrefix(def))
    }
    return [...out, BLOCK_PREFIX_V4]
  }

  /** Records a changed key; `was`/`now`: its item before and after (undefined: absent). */
  private mark(field: SnapshotField, key: string, was: Entry['item'] | undefined, now: Entry['item'] | undefined): void {
    this.changes.fields.add(field)
    if (field === 'nodes') {
      const name = parseResourceKey(key)?.name
      if (name) this.changes.nodes.add(name)
    }
    if (field === 'blocks') {
      for (const b of [was, now] as Array<BlockInfo | undefined>) if (b) this.changes.ipamNodes.add(b.node ?? '')
      if (!now) this.changes.ipamNodes.add('')
    }
  }

  /** Reads prefixes at one revision (the current one). */
  private async read(prefixes: string[]): Promise<{kvs: KeyValue[]; revision: bigint}> {
    const revision = await this.store.ds.revision()
    const lists = await Promise.all(prefixes.map((p) => this.store.ds.list(p, {revision})))
    return {kvs: lists.flatMap((l) => l.kvs), revision: BigInt(revision)}
  }

  /**
   * Full list (start, resync, a lost watch): replaces everything; events seen meanwhile are
   * applied after. Keys whose revision the cache already holds keep their decoded item (no
   * decode, and the same object for the incremental models). Returns whether anything differed
   * from what the cache held (a key added, removed or at another revision).
   */
  async load(): Promise<boolean> {
    this.buffered ??= []
    let differs = false
    try {
      const {kvs, revision} = await this.read(this.prefixes())
      const plurals = this.plurals()
      const next = new Map<SnapshotField, Map<string, Entry>>(FIELDS.map((f) => [f, new Map()]))
      for (const kv of kvs) {
        const field = this.fieldOf(kv.key, plurals)
        if (!field) continue
        const rev = BigInt(kv.modRevision)
        const had = this.maps.get(field)?.get(kv.key)
        if (had && had.rev === rev) {
          next.get(field)?.set(kv.key, had)
          continue
        }
        const item = this.decode(field, kv)
        if (item) next.get(field)?.set(kv.key, {rev, item})
      }
      for (const f of FIELDS) {
        const was = this.maps.get(f) as Map<string, Entry>
        const now = next.get(f) as Map<string, Entry>
        if (was.size !== now.size || [...now].some(([k, e]) => was.get(k) !== e)) differs = true
        was.clear()
        for (const [k, e] of now) was.set(k, e)
      }
      this.tombstones.clear()
      this.loadedRevision = revision
      if (differs || !this.current) {
        this.order.clear()
        this.current = undefined
        this.changes = {...noChanges(), all: true}
      }
    } finally {
      const pending = this.buffered ?? []
      this.buffered = undefined
      for (const e of pending) this.apply(e)
    }
    return differs
  }

  /**
   * Re-reads some prefixes now (what a pass itself just wrote), so the pass sees its own writes
   * without waiting for the watch; the watch's later copies of those writes are then no-ops.
   */
  async reread(prefixes: string[]): Promise<void> {
    const {kvs, revision} = await this.read(prefixes)
    const plurals = this.plurals()
    const seen = new Set<string>()
    for (const kv of kvs) {
      seen.add(kv.key)
      this.apply({type: 'put', key: kv.key, value: kv.value, revision: kv.modRevision, createRevision: kv.createRevision}, plurals)
    }
    // Keys under the prefixes that the read no longer has were deleted at or before `revision`.
    for (const [field, m] of this.maps) {
      for (const [key, e] of m) {
        if (!seen.has(key) && e.rev <= revision && prefixes.some((p) => key.startsWith(p))) {
          m.delete(key)
          this.tombstones.set(key, revision)
          this.order.set(field, undefined)
          this.mark(field, key, e.item, undefined)
        }
      }
    }
  }

  /** Applies one watch event; returns whether the snapshot changed. */
  apply(e: CacheEvent, plurals?: Map<string, ResourceField>): boolean {
    if (this.buffered) {
      this.buffered.push(e)
      return false
    }
    const rev = BigInt(e.revision)
    if (rev <= this.loadedRevision) return false
    const field = this.fieldOf(e.key, plurals)
    if (!field) {
      // Handles, affinities and the IPAM config are not in the snapshot, but the IPAM part reads them.
      if (e.key.startsWith(IPAM_ROOT)) {
        this.changes.ipamNodes.add(parseAffinityKey(e.key)?.node ?? '')
        return true
      }
      return false
    }
    const m = this.maps.get(field) as Map<string, Entry>
    const had = m.get(e.key)
    // Already newer (a re-read got there first, or the event is a replay).
    if ((had && had.rev >= rev) || (this.tombstones.get(e.key) ?? -1n) >= rev) return false
    let item: Resource | BlockInfo | undefined
    if (e.type === 'put' && e.value !== undefined) {
      try {
        item = this.decode(field, {key: e.key, value: e.value, modRevision: e.revision, createRevision: e.createRevision ?? e.revision})
      } catch {
        // An undecodable value is left out, as if deleted; a full read would report it.
        item = undefined
      }
    }
    if (item) {
      if (!had) this.order.set(field, undefined)
      m.set(e.key, {rev, item})
      this.tombstones.delete(e.key)
    } else {
      if (!had) return false
      m.delete(e.key)
      this.order.set(field, undefined)
      this.tombstones.set(e.key, rev)
    }
    this.mark(field, e.key, had?.item, item)
    return true
  }

  /** The snapshot now and what changed since the previous call (arrays are rebuilt only for changed kinds). */
  snapshot(): {snapshot: Snapshot; changes: CacheChanges} {
    const changes = this.changes
    this.changes = noChanges()
    const rebuild = (f: SnapshotField) => {
      const m = this.maps.get(f) as Map<string, Entry>
      let keys = this.order.get(f)
      if (!keys) {
        keys = [...m.keys()].sort()
        this.order.set(f, keys)
      }
      return keys.map((k) => (m.get(k) as Entry).item)
    }
    const fields = !this.current || changes.all ? FIELDS : [...changes.fields]
    const next = {...(this.current ?? {})} as Record<SnapshotField, unknown>
    for (const f of fields) next[f] = rebuild(f)
    this.current = next as unknown as Snapshot
    return {snapshot: this.current, changes}
  }

  /** Key prefixes a pass writes for node `name` (its Node resource, the IPAM blocks). */
  static ownWritePrefixes(name: string): string[] {
    const def = kindByName('Node')
    return [...(def ? [resourceKey(def, name)] : []), BLOCK_PREFIX_V4]
  }
}

/** Reads the snapshot: one range read per kind plus one for the IPAM blocks, all at one revision. */
export async function readSnapshot(store: ResourceStore, ipam: Ipam): Promise<Snapshot> {
  const cache = new SnapshotCache(store, ipam)
  await cache.load()
  return cache.snapshot().snapshot
}
