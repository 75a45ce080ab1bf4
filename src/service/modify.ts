// patch and label: read, change, validate, write guarded by the revision read; on a
// concurrent change, read again and redo the change (it is relative, so that is safe).
import {describe, type ResourceStore} from '../datastore/store.js'
import {CalicoError, ConflictError, NotFoundError, ValidationError} from '../resources/errors.js'
import {defaultAndValidate, resourceFromDoc} from '../resources/manifest.js'
import type {KindDef, Resource} from '../resources/types.js'
import {isObject} from '../lib/objects.js'
import {sleep} from '../lib/sleep.js'

// Enough for many writers changing one resource at once (8 `label` processes on one key): each
// retry redoes a relative change, so retrying is safe; a little jitter keeps them from lockstep.
const RETRIES = 20
const jitter = (attempt: number) => sleep(Math.random() * 10 * Math.min(attempt, 5))

async function readModifyWrite(
  store: ResourceStore,
  def: KindDef,
  name: string,
  namespace: string | undefined,
  change: (r: Resource) => Resource,
  dryRun = false,
): Promise<Resource> {
  for (let attempt = 0; ; attempt++) {
    const stored = await store.get(def, name, namespace)
    if (!stored) throw new NotFoundError(`resource does not exist: ${describe(def, name, namespace)}`)
    const refused = def.refuse?.('update', stored, true)
    if (refused) throw refused
    const changed = change(structuredClone(stored))
    // The changed document must still be a valid resource of the same identity.
    const {resource} = resourceFromDoc({source: describe(def, name, namespace), doc: changed as unknown as Record<string, unknown>})
    if (resource.metadata.name !== name || (def.namespaced && resource.metadata.namespace !== (namespace ?? 'default')))
      throw new CalicoError(`${describe(def, name, namespace)}: a patch may not change metadata.name or metadata.namespace`)
    resource.metadata.resourceVersion = stored.metadata.resourceVersion
    defaultAndValidate(def, resource, {existing: (await store.list(def)).items})
    const errs = def.validateUpdate?.(stored, resource) ?? []
    if (errs.length > 0) throw new ValidationError(describe(def, name, namespace), errs)
    const next = store.prepareUpdate(stored, resource)
    if (dryRun) return next
    const [o] = await store.updateMany([{def, resource: next}])
    if (o!.ok) return o!.resource
    if (!(o!.error instanceof ConflictError) || attempt >= RETRIES) throw o!.error
    await jitter(attempt + 1)
  }
}

// ---------- patch ----------

/** RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch
  const out: Record<string, unknown> = isObject(target) ? {...target} : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

function pointer(path: string): string[] {
  if (path === '') return []
  if (!path.startsWith('/')) throw new CalicoError(`invalid JSON patch path '${path}': must start with /`)
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}

function walk(doc: unknown, parts: string[], path: string): {parent: any; key: string} {
  let cur: any = doc
  for (const p of parts.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(p)] : isObject(cur) ? cur[p] : undefined
    if (cur === undefined) throw new CalicoError(`JSON patch path '${path}' does not exist`)
  }
  return {parent: cur, key: parts[parts.length - 1]!}
}

/** RFC 6902 JSON patch: add, remove, replace, move, copy, test. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new CalicoError('a JSON patch must be a list of operations')
  let root = structuredClone(doc)
  const get = (path: string) => {
    const parts = pointer(path)
    if (parts.length === 0) return root
    const {parent, key} = walk(root, parts, path)
    const v = Array.isArray(parent) ? parent[Number(key)] : parent?.[key]
    if (v === undefined) throw new CalicoError(`JSON patch path '${path}' does not exist`)
    return v
  }
  const remove = (path: string) => {
    const {parent, key} = walk(root, pointer(path), path)
    if (Array.isArray(parent)) parent.splice(Number(key), 1)
    else if (isObject(parent) && key in parent) delete parent[key]
    else throw new CalicoError(`JSON patch path '${path}' does not exist`)
  }
  const add = (path: string, value: unknown, replace: boolean) => {
    const parts = pointer(path)
    if (parts.length === 0) {
      root = structuredClone(value)
      return
    }
    const {parent, key} = walk(root, parts, path)
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key)
      if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new CalicoError(`JSON patch index '${key}' out of range at '${path}'`)
      if (replace) parent[i] = structuredClone(value)
      else parent.splice(i, 0, structuredClone(value))
    } else if (isObject(parent)) {
      if (replace && !(key in parent)) throw new CalicoError(`JSON patch path '${path}' does not exist`)
      parent[key] = structuredClone(value)
    } else throw new CalicoError(`JSON patch path '${path}' does not exist`)
  }
  for (const [i, raw] of ops.entries()) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new CalicoError(`JSON patch operation ${i} needs op and path`)
    const {op, path} = raw
    switch (op) {
      case 'add':
        add(path, raw.value, false)
        break
      case 'replace':
        add(path, raw.value, true)
        break
      case 'remove':
        remove(path)
        break
      case 'move': {
        const v = get(String(raw.from))
        remove(String(raw.from))
        add(path, v, false)
        break
      }
      case 'copy':
        add(path, get(String(raw.from)), false)
        break
      case 'test':
        if (JSON.stringify(get(path)) !== JSON.stringify(raw.value)) throw new CalicoError(`JSON patch test failed at '${path}'`)
        break
      default:
        throw new CalicoError(`unknown JSON patch op '${op}'`)
    }
  }
  return root
}

export type PatchType = 'strategic' | 'merge' | 'json'

export async function patchResource(store: ResourceStore, def: KindDef, name: string, namespace: string | undefined, patchText: string, type: PatchType, dryRun = false): Promise<Resource> {
  let patch: unknown
  try {
    patch = JSON.parse(patchText)
  } catch (error) {
    throw new CalicoError(`invalid patch: not valid JSON: ${(error as Error).message}`)
  }
  if (type !== 'json' && !isObject(patch)) throw new CalicoError('invalid patch: a merge patch must be a JSON object')
  return readModifyWrite(
    store,
    def,
    name,
    namespace,
    (r) => {
      const doc = r as unknown as Record<string, unknown>
      const {resourceVersion: _rv, ...meta} = r.metadata
      const base = {...doc, metadata: meta}
      if (type === 'json') return jsonPatch(base, patch) as Resource
      const merged = mergePatch(base, patch) as Resource
      if (type === 'strategic') {
        // Strategic merge on Calico resources unions labels and annotations (calicoctl's behaviour).
        const p = (patch as {metadata?: {labels?: unknown; annotations?: unknown}}).metadata
        for (const f of ['labels', 'annotations'] as const) {
          if (p && p[f] === null) continue
          const union = {...r.metadata[f], ...(merged.metadata?.[f] ?? {})}
          for (const [k, v] of Object.entries(isObject(p?.[f]) ? (p![f] as Record<string, unknown>) : {})) if (v === null) delete union[k]
          if (Object.keys(union).length > 0) merged.metadata[f] = union
        }
      }
      return merged
    },
    dryRun,
  )
}

// ---------- label ----------

export interface LabelChange {
  key: string
  value?: string | undefined
  overwrite?: boolean
  remove?: boolean
}

export function parseLabelArg(arg: string, remove: boolean): {key: string; value?: string} {
  const parts = arg.split('=')
  if (parts.length > 2) throw new CalicoError(`invalid label ${arg}: use key=value`)
  if (remove) {
    if (parts.length !== 1) throw new CalicoError(`invalid label ${arg}: --remove takes only the key`)
    return {key: arg}
  }
  if (parts.length !== 2 || parts[0] === '') throw new CalicoError(`invalid label ${arg}: use key=value`)
  return {key: parts[0]!, value: parts[1]!}
}

export async function labelResource(store: ResourceStore, def: KindDef, name: string, namespace: string | undefined, ch: LabelChange): Promise<string> {
  const kind = def.kind.toLowerCase()
  let message = ''
  await readModifyWrite(store, def, name, namespace, (r) => {
    const labels = {...r.metadata.labels}
    if (ch.remove) {
      if (!(ch.key in labels)) throw new CalicoError(`cannot remove label of ${kind} ${name}, key ${ch.key} does not exist`)
      delete labels[ch.key]
      message = `Successfully removed label ${ch.key} from ${kind} ${name}`
    } else {
      if (ch.key in labels && !ch.overwrite)
        throw new CalicoError(`failed to update label of ${kind} ${name}, key ${ch.key} is already present. please use '--overwrite' to set a new value`)
      message = ch.key in labels ? `Successfully updated label ${ch.key} on ${kind} ${name}` : `Successfully set label ${ch.key} on ${kind} ${name}`
      labels[ch.key] = ch.value ?? ''
    }
    const {resourceVersion: _rv, ...meta} = r.metadata
    return {...r, metadata: {...meta, labels}}
  })
  return message
}
