// Typed resource storage on etcd with Calico's semantics: create = absent-guarded put,
// update = mod-revision-guarded put, uid/creationTimestamp set on create only.
import {AlreadyExistsError, type CalicoError, ConflictError, NotFoundError} from '../resources/errors.js'
import type {KindDef, Resource} from '../resources/types.js'
import {decodeResource, encodeResource} from './codec.js'
import {type EtcdDatastore, type KeyValue, opValue, type WriteOp, type WriteResult, type WriteValue} from './etcd.js'
import {listPrefix, parseResourceKey, resourceKey} from './keys.js'

/** A resource together with its kind. */
export interface Typed {
  def: KindDef
  resource: Resource
}

/** `revision`: the etcd revision the write landed at (what `--wait` waits for). */
export type WriteOutcome = {ok: true; resource: Resource; revision: string} | {ok: false; error: CalicoError}

export interface ResourceRef {
  def: KindDef
  name: string
  namespace?: string | undefined
  /** Delete only if the stored version still has this revision. */
  resourceVersion?: string | undefined
  /** The stored resource at that revision, when the caller has it: the deleted value reported back. */
  resource?: Resource | undefined
}

export function describe(def: KindDef, name: string, namespace?: string): string {
  return def.namespaced ? `${def.kind}(${namespace ?? 'default'}/${name})` : `${def.kind}(${name})`
}

function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z')
}

// Where a resource read from etcd actually lives, when that is not its canonical key (a policy
// written by Calico ≤ v3.31 under `default.<name>`): updates move it, deletes remove it there.
const storageKeys = new WeakMap<Resource, string>()

export class ResourceStore {
  constructor(readonly ds: EtcdDatastore) {}

  keyOf(def: KindDef, name: string, namespace?: string): string {
    return resourceKey(def, name, def.namespaced ? (namespace ?? 'default') : undefined)
  }

  async get(def: KindDef, name: string, namespace?: string): Promise<Resource | undefined> {
    const builtIn = def.builtIn?.().find((r) => r.metadata.name === name)
    if (builtIn) return builtIn
    const kv = await this.ds.get(this.keyOf(def, name, namespace))
    if (kv) return decodeResource(def, kv)
    for (const legacy of def.legacyKeyNames?.(name) ?? []) {
      const old = await this.ds.get(this.keyOf(def, legacy, namespace))
      if (old) return this.fromKV(def, old)
    }
    return undefined
  }

  /** Decodes one listed key as `list` does (legacy key names included). */
  fromKV(def: KindDef, kv: {key: string; value: string; modRevision: string; createRevision: string}): Resource {
    const r = decodeResource(def, kv)
    const k = parseResourceKey(kv.key)
    if (k) {
      r.metadata.name = def.nameFromKey?.(k.name, r) ?? r.metadata.name ?? k.name
      if (def.namespaced) r.metadata.namespace = k.namespace ?? r.metadata.namespace
    }
    if (kv.key !== this.keyOf(def, r.metadata.name, r.metadata.namespace)) storageKeys.set(r, kv.key)
    return r
  }

  /** All resources of a kind (in one namespace, or all when namespace is undefined). */
  async list(def: KindDef, namespace?: string): Promise<{items: Resource[]; revision: string}> {
    const {kvs, revision} = await this.ds.list(listPrefix(def, namespace))
    const items = kvs.filter((kv) => parseResourceKey(kv.key)).map((kv) => this.fromKV(def, kv))
    // Built-in resources come last, as Calico's etcd backend appends them.
    if (def.builtIn) items.push(...def.builtIn())
    return {items, revision}
  }

  /** Stamps a new resource: only name, namespace, labels and annotations come from the input. */
  prepareCreate(def: KindDef, r: Resource): Resource {
    const m = r.metadata
    const metadata: Resource['metadata'] = {name: m.name}
    if (def.namespaced) metadata.namespace = m.namespace ?? 'default'
    // node:crypto is loaded here, on first use: reads (get) never need it.
    metadata.uid = process.getBuiltinModule('node:crypto').randomUUID()
    metadata.creationTimestamp = nowTimestamp()
    if (m.labels && Object.keys(m.labels).length > 0) metadata.labels = m.labels
    if (m.annotations && Object.keys(m.annotations).length > 0) metadata.annotations = m.annotations
    return {...r, kind: def.kind, metadata}
  }

  /** An update keeps the stored metadata except labels and annotations, which come from the input. */
  prepareUpdate(stored: Resource, next: Resource): Resource {
    const metadata: Resource['metadata'] = {...stored.metadata}
    delete metadata.labels
    delete metadata.annotations
    if (next.metadata.labels && Object.keys(next.metadata.labels).length > 0) metadata.labels = next.metadata.labels
    if (next.metadata.annotations && Object.keys(next.metadata.annotations).length > 0) metadata.annotations = next.metadata.annotations
    const out = {...next, kind: stored.kind, metadata}
    const legacy = storageKeys.get(stored)
    if (legacy) storageKeys.set(out, legacy)
    return out
  }

  private outcome(def: KindDef, r: Resource, res: WriteResult, verb: 'create' | 'update' | 'delete'): WriteOutcome {
    if (res.ok) {
      if (verb === 'delete' && res.previous) return this.deletedOutcome(def, res.previous, res.revision)
      const out: Resource = r
      if (verb !== 'delete') out.metadata = {...out.metadata, resourceVersion: res.revision}
      return {ok: true, resource: out, revision: res.revision}
    }
    const id = describe(def, r.metadata.name, r.metadata.namespace)
    if (res.failure === 'exists') return {ok: false, error: new AlreadyExistsError(`resource already exists: ${id}`)}
    if (res.failure === 'notfound') return {ok: false, error: new NotFoundError(`resource does not exist: ${id}`)}
    return {ok: false, error: new ConflictError(`update conflict: ${id}`)}
  }

  /**
   * A delete's outcome carries the value that was deleted, decoded only when read: a bulk delete
   * by label never looks at it, and decoding 10,000 policies again cost more than deleting them.
   */
  private deletedOutcome(def: KindDef, previous: KeyValue, revision: string): WriteOutcome {
    let decoded: Resource | undefined
    const out = {ok: true, revision} as {ok: true; resource: Resource; revision: string}
    Object.defineProperty(out, 'resource', {
      enumerable: true,
      configurable: true,
      get: () => {
        decoded ??= this.fromKV(def, previous)
        return decoded
      },
    })
    return out
  }

  /** Creates resources that prepareCreate has stamped; one result per input, in order. */
  async createMany(items: Typed[], onProgress?: (n: number) => void): Promise<WriteOutcome[]> {
    const ops: WriteOp[] = items.map(({def, resource: r}) => ({type: 'create', key: this.keyOf(def, r.metadata.name, r.metadata.namespace), value: () => encodeResource(def, r)}))
    const results = await this.ds.writeBatch(ops, onProgress)
    return results.map((res, i) => this.outcome(items[i]!.def, items[i]!.resource, res, 'create'))
  }

  /** Updates resources guarded by their metadata.resourceVersion. */
  async updateMany(items: Typed[], onProgress?: (n: number) => void): Promise<WriteOutcome[]> {
    const ops: WriteOp[] = items.map(({def, resource: r}) => ({
      type: 'update',
      key: this.keyOf(def, r.metadata.name, r.metadata.namespace),
      value: () => encodeResource(def, r),
      modRevision: r.metadata.resourceVersion ?? '0',
    }))
    const results = await this.ds.writeBatch(ops, onProgress)
    // Resources found under a legacy key move to their canonical key in one transaction.
    for (const [i, item] of items.entries()) {
      const old = storageKeys.get(item.resource)
      if (!old || results[i]!.ok) continue
      const r = item.resource
      const moved = await this.ds.txn(
        [{key: old, modRevision: r.metadata.resourceVersion ?? '0'}, {key: ops[i]!.key, absent: true}],
        [{type: 'delete', key: old}, {type: 'put', key: ops[i]!.key, value: opValue(ops[i] as {value: WriteValue})}],
      )
      results[i] = moved.succeeded ? {ok: true, revision: moved.revision} : {ok: false, revision: moved.revision, failure: 'conflict'}
    }
    return results.map((res, i) => this.outcome(items[i]!.def, items[i]!.resource, res, 'update'))
  }

  async deleteMany(refs: ResourceRef[], onProgress?: (n: number) => void): Promise<WriteOutcome[]> {
    const ops: WriteOp[] = refs.map((ref) => ({type: 'delete', key: this.keyOf(ref.def, ref.name, ref.namespace), modRevision: ref.resourceVersion}))
    const results = await this.ds.writeBatch(ops, onProgress)
    // Not under its canonical key: it may live under a legacy one (older Calico policy names).
    for (const [i, ref] of refs.entries()) {
      if (results[i]!.failure !== 'notfound') continue
      for (const legacy of ref.def.legacyKeyNames?.(ref.name) ?? []) {
        const res = await this.ds.write({type: 'delete', key: this.keyOf(ref.def, legacy, ref.namespace), modRevision: ref.resourceVersion})
        if (res.ok || res.failure === 'conflict') {
          results[i] = res
          break
        }
      }
    }
    return results.map((res, i) => {
      const ref = refs[i]!
      const known = ref.resourceVersion !== undefined && ref.resourceVersion === ref.resource?.metadata.resourceVersion ? ref.resource : undefined
      const stub: Resource = known ?? {apiVersion: 'projectcalico.org/v3', kind: ref.def.kind, metadata: {name: ref.name, ...(ref.namespace ? {namespace: ref.namespace} : {})}}
      return this.outcome(ref.def, stub, res, 'delete')
    })
  }
}
