// create / apply / replace / delete with calicoctl's per-resource semantics, done in batches:
// everything is parsed and validated first, then written in as few transactions as possible.

import {encodeResource} from '../datastore/codec.js'
import {confirmedWrites} from '../datastore/etcd.js'
import type {ResourceStore, Typed, WriteOutcome} from '../datastore/store.js'
import {describe} from '../datastore/store.js'
import {AlreadyExistsError, CalicoError, ConflictError, DatastoreError, joinProblems, NotFoundError, ValidationError} from '../resources/errors.js'
import {defaultAndValidate, readManifestFiles, resourceFromDoc, splitDocuments} from '../resources/manifest.js'
import type {KindDef, Resource, ValidateContext} from '../resources/types.js'
import {RESOURCE_PREFIX} from '../datastore/keys.js'
import {ensureInitialized} from './initialize.js'
import {afterFailure} from './landed.js'

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
export class InputError extends CalicoError {
  /** How many of the input's resources the problems concern, when counted. */
  constructor(
    message: string,
    readonly failed?: number,
  ) {
    super(message)
  }
}

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
  if (problems.length > 0) throw new InputError(joinProblems(problems))
  return loaded
}

/** Defaults and validates every resource against what is stored; throws listing every problem. */
export function validateAll(items: Loaded[], existing: Map<KindDef, Resource[]>, exists?: ValidateContext['exists']): void {
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
      defaultAndValidate(def, resource, {existing: contexts.get(def)!, exists})
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (problems.length > 0) throw new InputError(joinProblems(problems), problems.length)
}

/**
 * What the input refers to and must exist (a policy's tier, a BGPPeer's filters: upstream's
 * client checks), each read once by key; resources in the input itself count as existing.
 */
async function referencedResources(store: ResourceStore, items: Loaded[]): Promise<ValidateContext['exists']> {
  const wanted = new Map<string, string>()
  for (const {def, resource} of items) for (const ref of def.references?.(resource) ?? []) wanted.set(`${ref.kind}/${ref.name}`, `${RESOURCE_PREFIX}${ref.plural}/${ref.name}`)
  if (wanted.size === 0) return undefined
  const found = new Set(items.map(({def, resource}) => `${def.kind}/${resource.metadata.name}`))
  await Promise.all([...wanted].filter(([k]) => !found.has(k)).map(async ([k, key]) => (await store.ds.get(key)) && found.add(k)))
  return (kind, name) => found.has(`${kind}/${name}`)
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

/** A write or delete naming a resourceVersion that is no longer the stored one. */
function staleVersion(def: KindDef, r: Resource, rv: string, stored: Resource): ConflictError {
  return new ConflictError(
    `update conflict: ${describe(def, r.metadata.name, r.metadata.namespace)} (resourceVersion ${rv} is out of date; latest is ${stored.metadata.resourceVersion}): get the resource again, or leave resourceVersion out`,
  )
}

function sameContent(def: KindDef, a: Resource, b: Resource): boolean {
  return encodeResource(def, a) === encodeResource(def, b)
}

export interface WriteOptions {
  skipExists?: boolean
  /** Initialise the cluster first, as calicoctl's create/apply/replace do (ensureInitialized). */
  initialize?: boolean
  dryRun?: boolean
  onProgress?: (done: number, total: number) => void
}

/** Calicoctl retries an update without a resourceVersion this many times on conflict. */
const UPDATE_RETRIES = 5

/**
 * A manifest refused before anything was written, worded as calicoctl words a failed write
 * ("failed to apply 'BGPPeer' resource: ...", "failed to apply any 'BGPPeer' resources:"), then
 * one line per problem.
 */
function refusedManifest(verb: Verb | 'validate', items: Loaded[], problems: string): InputError {
  const kinds = new Set(items.map((i) => i.def.kind))
  const kind = kinds.size === 1 ? ` '${[...kinds][0]}'` : ''
  if (items.length === 1) return new InputError(`failed to ${verb}${kind} resource: ${problems}`)
  return new InputError(`failed to ${verb} any${kind} resources:\n${problems.replace(/^/gm, '  ')}`)
}

/** The refusal calicoctl gives this write whatever the resource holds (see KindDef.refuse). */
function refusal(verb: Verb, def: KindDef, resource: Resource, stored: boolean): CalicoError | undefined {
  return def.refuse?.(verb === 'replace' ? 'update' : verb, resource, stored)
}

export async function writeResources(store: ResourceStore, verb: 'create' | 'apply' | 'replace', items: Loaded[], opts: WriteOptions = {}): Promise<ResultRow[]> {
  if (!opts.dryRun) store.ds.expectWrites(items.length)
  const {byKey, byKind} = await storedByKey(store, items)
  const rows: ResultRow[] = items.map(({def, resource}) => ({def, resource}))
  // Refused resources are reported as calicoctl does, per resource, and never validated.
  for (const row of rows) {
    const refused = refusal(verb, row.def, row.resource, byKey.has(keyOf(row.def, row.resource)))
    if (refused instanceof AlreadyExistsError && verb === 'create' && opts.skipExists) row.action = 'skipped'
    else if (refused) row.error = refused
  }
  const toValidate = items.filter((_, i) => !rows[i]!.error && !rows[i]!.action)
  try {
    validateAll(toValidate, byKind, await referencedResources(store, toValidate))
  } catch (error) {
    throw error instanceof InputError ? refusedManifest(verb, items, error.message) : error
  }

  const creates: number[] = []
  const updates: number[] = []
  const problems: string[] = []
  rows.forEach((row, i) => {
    if (row.error || row.action) return
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
    const errs = def.validateUpdate?.(stored, resource) ?? []
    if (errs.length > 0) {
      problems.push(new ValidationError(describe(def, resource.metadata.name, resource.metadata.namespace), errs).message)
      return
    }
    if (userRv && userRv !== stored.metadata.resourceVersion) {
      row.error = staleVersion(def, resource, userRv, stored)
      return
    }
    row.resource = store.prepareUpdate(stored, resource)
    updates.push(i)
  })
  if (problems.length > 0) throw refusedManifest(verb, items, joinProblems(problems))

  if (opts.dryRun) {
    for (const i of creates) rows[i]!.action = 'created'
    // An update is written even when nothing changed (a new revision, as calicoctl's); a dry
    // run says which updates would change no content.
    for (const i of updates) rows[i]!.action = sameContent(rows[i]!.def, rows[i]!.resource, byKey.get(keyOf(rows[i]!.def, rows[i]!.resource))!) ? 'unchanged' : 'updated'
    return rows
  }
  // Calicoctl initialises the cluster before it writes (never for a manifest it refuses whole).
  // As calicoctl, a failed initialisation does not stop the write (it is retried next time).
  if (opts.initialize && creates.length + updates.length > 0) await ensureInitialized(store).catch(() => undefined)

  const total = creates.length + updates.length
  let done = 0
  const progress = (base: number) => (n: number) => opts.onProgress?.(base + n, total)
  try {
    return await writeAll()
  } catch (error) {
    if (!(error instanceof DatastoreError)) throw error
    // etcd failed part-way: say exactly what landed, read back by key and revision (landed.ts).
    const confirmed = confirmedWrites(error)
    const attempted = [...creates, ...updates].map((i) => {
      const {def, resource, action} = rows[i]!
      const etcdKey = store.keyOf(def, resource.metadata.name, resource.metadata.namespace)
      return {def, resource, before: byKey.get(keyOf(def, resource)), confirmed: action !== undefined || confirmed.has(etcdKey)}
    })
    store.ds.graceForReadBack()
    throw await afterFailure(error, attempted, async () => (await storedByKey(store, attempted)).byKey, (a) => keyOf(a.def, a.resource))
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
  for (const row of rows) row.error = refusal('delete', row.def, row.resource, true)
  const live = rows.filter((r) => !r.error)
  if (opts.dryRun) {
    const {byKey} = await storedByKey(store, live)
    for (const row of live) {
      const stored = byKey.get(keyOf(row.def, row.resource))
      const rv = row.resource.metadata.resourceVersion
      if (stored && rv && rv !== stored.metadata.resourceVersion) row.error = staleVersion(row.def, row.resource, rv, stored)
      else if (stored) row.action = 'deleted'
      else if (opts.skipNotExists) row.action = 'skipped'
      else row.error = new NotFoundError(`resource does not exist: ${describe(row.def, row.resource.metadata.name, row.resource.metadata.namespace)}`)
    }
    return rows
  }
  const outcomes = await store
    .deleteMany(
      live.map((r) => ({def: r.def, name: r.resource.metadata.name, namespace: r.resource.metadata.namespace, resourceVersion: r.resource.metadata.resourceVersion, resource: r.resource})),
      (n) => opts.onProgress?.(n, live.length),
    )
    .catch(async (error: unknown) => {
      if (!(error instanceof DatastoreError)) throw error
      // Failed part-way: which are gone, read back (landed.ts).
      const attempted = live.map(({def, resource}) => ({def, resource, confirmed: false, deletion: true}))
      store.ds.graceForReadBack()
      throw await afterFailure(error, attempted, async () => (await storedByKey(store, attempted)).byKey, (a) => keyOf(a.def, a.resource))
    })
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
  let loaded: Loaded[]
  try {
    loaded = loadManifests(path, opts)
  } catch (error) {
    // As calicoctl validate words a file it cannot read or decode.
    throw error instanceof CalicoError ? new InputError(`failed to execute command: ${error.message}`) : error
  }
  try {
    validateAll(loaded, new Map())
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    const ok = loaded.length - (error.failed ?? loaded.length)
    if (ok <= 0) throw refusedManifest('validate', loaded, error.message)
    throw new InputError(`Partial success: validated ${ok} out of ${loaded.length} resources; hit error(s):\n${error.message.replace(/^/gm, '  ')}`)
  }
  const kinds = new Set(loaded.map((l) => l.def.kind))
  return kinds.size === 1 ? {count: loaded.length, kind: [...kinds][0]!} : {count: loaded.length}
}
