// create / apply / replace / delete with calicoctl's per-resource semantics, done in batches:
// everything is parsed and validated first, then written in as few transactions as possible.

import {encodeResource} from '../datastore/codec.js'
import type {ResourceStore, Typed, WriteOutcome} from '../datastore/store.js'
import {describe} from '../datastore/store.js'
import {AlreadyExistsError, CalicoError, ConflictError, DatastoreError, NotFoundError, ValidationError} from '../resources/errors.js'
import {defaultAndValidate, readManifestFiles, resourceFromDoc, splitDocuments} from '../resources/manifest.js'
import type {KindDef, Resource} from '../resources/types.js'

export type Loaded = Typed

export type Verb = 'create' | 'apply' | 'replace' | 'delete'

export interface ResultRow {
  def: KindDef
  resource: Resource
  /** What happened (or, with --dry-run, would happen). */
  action?: 'created' | 'updated' | 'unchanged' | 'deleted' | 'skipped'
  /** The etcd revision of this row's write, when it wrote something. */
  revision?: string
  error?: CalicoError
}

/** Many problems found before writing, reported together, one line each. */
export class InputError extends CalicoError {}

export function loadManifests(path: string, opts: {recursive?: boolean; skipEmpty?: boolean; namespace?: string | undefined; readStdin?: () => string}): Loaded[] {
  const files = readManifestFiles(path, opts)
  const docs = splitDocuments(files)
  if (docs.length === 0 && !opts.skipEmpty) {
    if (path !== '-' && files.length === 0) throw new CalicoError(`no resources specified in directory ${path}`)
    throw new CalicoError(`no resources specified in file ${path}`)
  }
  const loaded: Loaded[] = []
  const problems: string[] = []
  for (const d of docs) {
    try {
      loaded.push(resourceFromDoc(d, opts.namespace))
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (problems.length > 0) throw new InputError(problems.join('\n'))
  return loaded
}

/** Defaults and validates every resource against what is stored; throws listing every problem. */
export function validateAll(items: Loaded[], existing: Map<KindDef, Resource[]>): void {
  const problems: string[] = []
  // Same-kind resources in this input count as existing too (two new overlapping pools); a
  // stored resource being replaced by one in the input is represented by the input's version.
  const contexts = new Map<KindDef, Resource[]>()
  for (const def of new Set(items.map((i) => i.def))) {
    const incoming = items.filter((o) => o.def === def).map((o) => o.resource)
    const names = new Set(incoming.map((r) => `${r.metadata.namespace ?? ''}/${r.metadata.name}`))
    const stored = (existing.get(def) ?? []).filter((r) => !names.has(`${r.metadata.namespace ?? ''}/${r.metadata.name}`))
    contexts.set(def, [...stored, ...incoming])
  }
  for (const {def, resource} of items) {
    try {
      defaultAndValidate(def, resource, {existing: contexts.get(def)!})
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (problems.length > 0) throw new InputError(problems.join('\n'))
}

function keyOf(def: KindDef, r: Resource): string {
  return `${def.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`
}

async function storedByKey(store: ResourceStore, items: Loaded[]): Promise<{byKey: Map<string, Resource>; byKind: Map<KindDef, Resource[]>}> {
  const byKey = new Map<string, Resource>()
  const byKind = new Map<KindDef, Resource[]>()
  const wantedByKind = new Map<KindDef, Loaded[]>()
  for (const i of items) {
    const list = wantedByKind.get(i.def)
    if (list) list.push(i)
    else wantedByKind.set(i.def, [i])
  }
  // The kinds are read concurrently; results are entered in input kind order.
  const reads = [...wantedByKind].map(async ([def, wanted]) => {
    // A few names: point reads; many: one prefix read of the kind.
    if (wanted.length <= 8 && !def.validate?.length) {
      return (await Promise.all(wanted.map((w) => store.get(def, w.resource.metadata.name, w.resource.metadata.namespace)))).filter((r): r is Resource => !!r)
    }
    return (await store.list(def)).items
  })
  const results = await Promise.all(reads)
  ;[...wantedByKind.keys()].forEach((def, k) => {
    const stored = results[k]!
    byKind.set(def, stored)
    for (const r of stored) byKey.set(keyOf(def, r), r)
  })
  return {byKey, byKind}
}

function sameContent(def: KindDef, a: Resource, b: Resource): boolean {
  return encodeResource(def, a) === encodeResource(def, b)
}

export interface WriteOptions {
  skipExists?: boolean
  dryRun?: boolean
  onProgress?: (done: number, total: number) => void
}

/** Calicoctl retries an update without a resourceVersion this many times on conflict. */
const UPDATE_RETRIES = 5

export async function writeResources(store: ResourceStore, verb: 'create' | 'apply' | 'replace', items: Loaded[], opts: WriteOptions = {}): Promise<ResultRow[]> {
  for (const {def, resource} of items)
    if (def.readOnly && verb !== 'create') throw new CalicoError(`operation ${verb} is not supported on ${describe(def, resource.metadata.name)}: ${def.readOnly}`)
  if (!opts.dryRun) store.ds.expectWrites(items.length)
  const {byKey, byKind} = await storedByKey(store, items)
  validateAll(items, byKind)

  const rows: ResultRow[] = items.map(({def, resource}) => ({def, resource}))
  const creates: number[] = []
  const updates: number[] = []
  const problems: string[] = []
  rows.forEach((row, i) => {
    const {def, resource} = row
    const stored = byKey.get(keyOf(def, resource))
    const userRv = resource.metadata.resourceVersion
    if (!stored) {
      if (verb === 'replace') row.error = new NotFoundError(`resource does not exist: ${describe(def, resource.metadata.name, resource.metadata.namespace)}`)
      else {
        row.resource = store.prepareCreate(def, resource)
        creates.push(i)
      }
      return
    }
    if (verb === 'create') {
      if (opts.skipExists) row.action = 'skipped'
      else row.error = new AlreadyExistsError(`resource already exists: ${describe(def, resource.metadata.name, resource.metadata.namespace)}`)
      return
    }
    if (def.readOnly) {
      row.error = new CalicoError(`operation ${verb} is not supported on ${describe(def, resource.metadata.name)}: ${def.readOnly}`)
      return
    }
    const errs = def.validateUpdate?.(stored, resource) ?? []
    if (errs.length > 0) {
      problems.push(new ValidationError(describe(def, resource.metadata.name, resource.metadata.namespace), errs).message)
      return
    }
    if (userRv && userRv !== stored.metadata.resourceVersion) {
      row.error = new ConflictError(`update conflict: ${describe(def, resource.metadata.name, resource.metadata.namespace)} (resourceVersion ${userRv} is out of date; latest is ${stored.metadata.resourceVersion})`)
      return
    }
    row.resource = store.prepareUpdate(stored, resource)
    if (sameContent(def, row.resource, stored)) {
      row.action = 'unchanged'
      row.resource = stored
      return
    }
    updates.push(i)
  })
  if (problems.length > 0) throw new InputError(problems.join('\n'))

  if (opts.dryRun) {
    for (const i of creates) rows[i]!.action = 'created'
    for (const i of updates) rows[i]!.action = 'updated'
    return rows
  }

  const total = creates.length + updates.length
  let done = 0
  // Writes land batch by batch; if etcd fails part-way, say how far we got (each resource is one
  // key, so every resource is either whole or absent, and re-running the same command finishes).
  let landed = 0
  const progress = (base: number) => (n: number) => {
    landed = Math.min(total, Math.max(landed, base + n))
    opts.onProgress?.(base + n, total)
  }
  try {
    return await writeAll()
  } catch (error) {
    if (!(error instanceof DatastoreError)) throw error
    throw new DatastoreError(
      `${error.message}; ${landed} of ${total} resource write(s) landed before the failure (every resource is either fully written or untouched): re-run the same command to finish`,
    )
  }

  async function writeAll(): Promise<ResultRow[]> {
    const created = await store.createMany(creates.map((i) => rows[i]!), progress(done))
    done += creates.length
    const retryAsUpdate: number[] = []
    created.forEach((o, j) => {
      const i = creates[j]!
      if (o.ok) Object.assign(rows[i]!, {resource: o.resource, action: 'created', revision: o.revision})
      else if (verb === 'apply' && o.error instanceof AlreadyExistsError) retryAsUpdate.push(i)
      else if (verb === 'create' && opts.skipExists && o.error instanceof AlreadyExistsError) rows[i]!.action = 'skipped'
      else rows[i]!.error = o.error
    })

    let pending = updates
    for (let attempt = 0; pending.length > 0 || retryAsUpdate.length > 0; attempt++) {
      // Someone created or changed it between our read and our write: read again and retry.
      for (const i of retryAsUpdate.splice(0)) {
        const row = rows[i]!
        const stored = await store.get(row.def, row.resource.metadata.name, row.resource.metadata.namespace)
        if (!stored) {
          row.error = new NotFoundError(`resource does not exist: ${describe(row.def, row.resource.metadata.name, row.resource.metadata.namespace)}`)
          continue
        }
        row.resource = store.prepareUpdate(stored, items[i]!.resource)
        pending.push(i)
      }
      if (pending.length === 0) break
      const outcomes: WriteOutcome[] = await store.updateMany(pending.map((i) => rows[i]!), progress(done))
      done += pending.length
      const again: number[] = []
      outcomes.forEach((o, j) => {
        const i = pending[j]!
        const row = rows[i]!
        if (o.ok) Object.assign(row, {resource: o.resource, action: 'updated', revision: o.revision})
        else if (o.error instanceof ConflictError && !items[i]!.resource.metadata.resourceVersion && attempt < UPDATE_RETRIES) again.push(i)
        else row.error = o.error
      })
      pending = []
      retryAsUpdate.push(...again)
    }
    return rows
  }
}

export interface DeleteOptions {
  skipNotExists?: boolean
  dryRun?: boolean
  onProgress?: (done: number, total: number) => void
}

export async function deleteResources(store: ResourceStore, targets: Loaded[], opts: DeleteOptions = {}): Promise<ResultRow[]> {
  const rows: ResultRow[] = targets.map(({def, resource}) => ({def, resource}))
  for (const row of rows) if (row.def.readOnly) row.error = new CalicoError(`operation delete is not supported on ${describe(row.def, row.resource.metadata.name)}: ${row.def.readOnly}`)
  const live = rows.filter((r) => !r.error)
  if (opts.dryRun) {
    const {byKey} = await storedByKey(store, live)
    for (const row of live) {
      if (byKey.has(keyOf(row.def, row.resource))) row.action = 'deleted'
      else if (opts.skipNotExists) row.action = 'skipped'
      else row.error = new NotFoundError(`resource does not exist: ${describe(row.def, row.resource.metadata.name, row.resource.metadata.namespace)}`)
    }
    return rows
  }
  const outcomes = await store.deleteMany(
    live.map((r) => ({def: r.def, name: r.resource.metadata.name, namespace: r.resource.metadata.namespace, resourceVersion: r.resource.metadata.resourceVersion, resource: r.resource})),
    (n) => opts.onProgress?.(n, live.length),
  )
  outcomes.forEach((o, j) => {
    const row = live[j]!
    if (o.ok) {
      // The deleted value stays undecoded until someone reads it (see ResourceStore.deleteMany).
      Object.defineProperty(row, 'resource', {
        enumerable: true,
        configurable: true,
        get: () => o.resource,
        set: (value: Resource) => Object.defineProperty(row, 'resource', {value, writable: true, enumerable: true, configurable: true}),
      })
      row.action = 'deleted'
      row.revision = o.revision
    } else if (o.error instanceof NotFoundError && opts.skipNotExists) row.action = 'skipped'
    else row.error = o.error
  })
  return rows
}

/** Offline validation of files: every problem in every document, or the count that passed. */
export function validateFiles(path: string, opts: {recursive?: boolean; skipEmpty?: boolean}): {count: number; kind?: string} {
  const loaded = loadManifests(path, opts)
  validateAll(loaded, new Map())
  const kinds = new Set(loaded.map((l) => l.def.kind))
  return kinds.size === 1 ? {count: loaded.length, kind: [...kinds][0]!} : {count: loaded.length}
}
