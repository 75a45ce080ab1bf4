// `datastore migrate import`: loads a file written by `datastore migrate export` into an empty
// etcdv3 datastore. (Upstream calicoctl imports only into a Kubernetes datastore; this tool
// speaks etcd alone, so the target here is etcdv3.)
//
// The file has three sections separated by `===` lines: v3 resources as YAML, ClusterInformation
// `default` as JSON, the IPAM state as JSON. The IPAM section is read in either form:
//   ours:     {"ipam": [{"key": "/calico/ipam/v2/...", "value": "<stored JSON>"}, ...]}
//   upstream: {"blocks": [{"Key": ..., "Value": {...}}], "block_affinities": [...], "handles": [...], "config": {...}}
//
// Order of work, so that a bad file writes nothing:
//   1. every section parsed, every resource defaulted and validated, every IPAM value decoded;
//      all problems reported together, one line each;
//   2. the target checked to hold no Calico resources and no IPAM keys;
//   3. ClusterInformation written first, locked (datastoreReady: false), carrying the exported
//      GUID, version and cluster type, so Calico components keep off while the rest lands;
//   4. resources and IPAM keys created in as few transactions as etcd allows (128 operations
//      each; one transaction for small clusters). If any write fails, what this import wrote
//      is taken back (guarded by the revision it wrote), the ClusterInformation included.
import {encodeResource} from '../datastore/codec.js'
import {type KeyValue, opValue, type WriteOp, type WriteResult} from '../datastore/etcd.js'
import {listPrefix} from '../datastore/keys.js'
import type {ResourceStore, Typed} from '../datastore/store.js'
import {describe} from '../datastore/store.js'
import {decodeAffinity, decodeBlock, decodeConfig, decodeHandle, encodeAffinity, encodeBlock, encodeConfig, encodeHandle, parseJsonKeepingBigInts} from '../ipam/codec.js'
import {IPAM_ROOT} from '../ipam/keys.js'
import {CalicoError} from '../resources/errors.js'
import {resourceFromDoc, splitDocuments} from '../resources/manifest.js'
import {STATIC_TIERS} from '../resources/kinds/tier.js'
import {KINDS, kindByName} from '../resources/registry.js'
import type {Resource} from '../resources/types.js'
import {InputError, validateAll} from './crud.js'

export interface IpamEntry {
  key: string
  value: string
}

export interface ImportFile {
  resources: Typed[]
  /** The exported ClusterInformation spec; undefined when the section is empty. */
  clusterInfo?: Record<string, unknown> | undefined
  ipam: IpamEntry[]
}

type IpamKind = 'block' | 'affinity' | 'handle' | 'config' | 'other'

function ipamKind(key: string): IpamKind {
  if (/^\/calico\/ipam\/v2\/assignment\/ipv[46]\/block\/[^/]+$/.test(key)) return 'block'
  if (/^\/calico\/ipam\/v2\/host\/[^/]+\/ipv[46]\/block\/[^/]+$/.test(key)) return 'affinity'
  if (/^\/calico\/ipam\/v2\/handle\/[^/]+$/.test(key)) return 'handle'
  if (key === '/calico/ipam/v2/config') return 'config'
  return 'other'
}

/** The stored form of an IPAM value given as an object (upstream's export): decoded, then encoded as Go writes it. */
function encodeIpamObject(kind: IpamKind, value: unknown): string {
  const text = JSON.stringify(value)
  switch (kind) {
    case 'block':
      return encodeBlock(decodeBlock(text))
    case 'affinity':
      return encodeAffinity(decodeAffinity(text))
    case 'handle':
      return encodeHandle(decodeHandle(text))
    case 'config':
      return encodeConfig(decodeConfig(text))
    default:
      return text
  }
}

/** Checks a stored-form IPAM value: it must decode as what its key says it is. */
function checkIpamValue(kind: IpamKind, text: string): void {
  if (kind === 'block') decodeBlock(text)
  else if (kind === 'affinity') decodeAffinity(text)
  else if (kind === 'handle') decodeHandle(text)
  else if (kind === 'config') decodeConfig(text)
  else parseJsonKeepingBigInts(text)
}

const UPSTREAM_IPAM_SECTIONS = ['block_affinities', 'blocks', 'handles'] as const

/** The IPAM section as key/value pairs in stored form; problems are pushed one line each. */
export function parseIpamSection(text: string, problems: string[]): IpamEntry[] {
  if (text.trim() === '') return []
  let doc: unknown
  try {
    doc = parseJsonKeepingBigInts(text)
  } catch (error) {
    problems.push(`IPAM section: invalid JSON: ${(error as Error).message}`)
    return []
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    problems.push('IPAM section: expected a JSON object')
    return []
  }
  const o = doc as Record<string, unknown>
  const raw: Array<{key: unknown; value: unknown; where: string; stored: boolean}> = []
  if ('ipam' in o) {
    if (!Array.isArray(o.ipam)) problems.push('IPAM section: ipam: expected a list of {key, value}')
    else
      o.ipam.forEach((e, i) => {
        const entry = (e ?? {}) as {key?: unknown; value?: unknown}
        raw.push({key: entry.key, value: entry.value, where: `ipam[${i}]`, stored: true})
      })
  }
  for (const section of UPSTREAM_IPAM_SECTIONS) {
    const list = o[section]
    if (list === undefined || list === null) continue
    if (!Array.isArray(list)) {
      problems.push(`IPAM section: ${section}: expected a list`)
      continue
    }
    list.forEach((e, i) => {
      const entry = (e ?? {}) as {Key?: unknown; Value?: unknown}
      raw.push({key: entry.Key, value: entry.Value, where: `${section}[${i}]`, stored: false})
    })
  }
  if (o.config !== undefined && o.config !== null) {
    const entry = o.config as {Key?: unknown; Value?: unknown}
    raw.push({key: entry.Key ?? '/calico/ipam/v2/config', value: entry.Value, where: 'config', stored: false})
  }
  const out: IpamEntry[] = []
  const seen = new Set<string>()
  for (const {key, value, where, stored} of raw) {
    if (typeof key !== 'string' || !key.startsWith(IPAM_ROOT) || key.length === IPAM_ROOT.length) {
      problems.push(`IPAM ${where}: key: must be a key under ${IPAM_ROOT} (got ${JSON.stringify(key) ?? 'nothing'})`)
      continue
    }
    if (seen.has(key)) {
      problems.push(`IPAM ${key}: given more than once`)
      continue
    }
    seen.add(key)
    const kind = ipamKind(key)
    try {
      if (stored) {
        if (typeof value !== 'string') throw new CalicoError('value: must be the stored JSON as a string')
        checkIpamValue(kind, value)
        out.push({key, value})
      } else {
        if (!value || typeof value !== 'object') throw new CalicoError('Value: must be a JSON object')
        out.push({key, value: encodeIpamObject(kind, value)})
      }
    } catch (error) {
      problems.push(`IPAM ${key}: ${(error as Error).message}`)
    }
  }
  return out
}

/** Parses and validates a whole export file; throws one InputError listing every problem. */
export function parseImportFile(text: string, source: string): ImportFile {
  const sections = text.split('===\n')
  if (sections.length !== 3)
    throw new CalicoError(`error while reading migration file: ${source} is improperly formatted (expected three sections separated by '===' lines). Try recreating it with 'calicoctl datastore migrate export'`)
  const problems: string[] = []
  const resources: Typed[] = []
  try {
    for (const d of splitDocuments([{source, text: sections[0]!}])) {
      try {
        const item = resourceFromDoc(d)
        if (item.def.kind === 'ClusterInformation') problems.push(`${describe(item.def, item.resource.metadata.name)}: resource is readonly; it belongs in the ClusterInformation section`)
        else resources.push(item)
      } catch (error) {
        problems.push((error as Error).message)
      }
    }
  } catch (error) {
    problems.push((error as Error).message)
  }
  let clusterInfo: Record<string, unknown> | undefined
  if (sections[1]!.trim() !== '') {
    try {
      const ci = JSON.parse(sections[1]!) as {kind?: unknown; spec?: unknown}
      if (!ci || typeof ci !== 'object' || (ci.kind !== undefined && ci.kind !== 'ClusterInformation')) problems.push('ClusterInformation section: expected a ClusterInformation resource')
      else if (ci.spec !== undefined && (typeof ci.spec !== 'object' || ci.spec === null || Array.isArray(ci.spec))) problems.push('ClusterInformation section: spec: expected an object')
      else clusterInfo = {...((ci.spec ?? {}) as Record<string, unknown>)}
    } catch (error) {
      problems.push(`ClusterInformation section: invalid JSON: ${(error as Error).message}`)
    }
  }
  // Upstream's import applies the file through calicoctl apply, so libcalico-go's client checks
  // run (a policy's tier, a BGPPeer's filters must exist: clientv3/{networkpolicy,
  // globalnetworkpolicy,bgppeer}.go). The target is empty but for Calico's own tiers, which
  // references already count, so what is referred to must be in the file.
  const inFile = new Set(resources.map(({def, resource}) => `${def.kind}/${resource.metadata.name}`))
  try {
    validateAll(resources, new Map(), (kind, name) => inFile.has(`${kind}/${name}`))
  } catch (error) {
    problems.push(...(error as Error).message.split('\n'))
  }
  const names = new Set<string>()
  for (const {def, resource} of resources) {
    const id = describe(def, resource.metadata.name, resource.metadata.namespace)
    if (names.has(id)) problems.push(`${id}: given more than once`)
    names.add(id)
  }
  const ipam = parseIpamSection(sections[2]!, problems)
  if (problems.length > 0) throw new InputError(problems.join('\n'))
  return {resources, clusterInfo, ipam}
}

/** What the target may already hold: Calico's own tiers (replaced by the file's) and Kubernetes policies. */
function tolerated(kind: string, name: string): boolean {
  return (kind === 'Tier' && name in STATIC_TIERS) || (kind === 'NetworkPolicy' && name.startsWith('knp.default.'))
}

/** Refuses a target that holds Calico data; returns the stored resources the file may replace. */
async function checkTargetEmpty(store: ResourceStore): Promise<Map<string, KeyValue>> {
  const replaceable = new Map<string, KeyValue>()
  for (const def of KINDS) {
    if (def.kind === 'ClusterInformation') continue
    const {kvs} = await store.ds.list(listPrefix(def))
    for (const kv of kvs) {
      const r = store.fromKV(def, kv)
      if (!tolerated(def.kind, r.metadata.name))
        throw new CalicoError(
          `datastore already has Calico resources: found existing ${describe(def, r.metadata.name, r.metadata.namespace)}. Import needs an empty datastore: delete every Calico resource and IPAM key first`,
        )
      replaceable.set(kv.key, kv)
    }
  }
  const {kvs} = await store.ds.list(IPAM_ROOT)
  if (kvs.length > 0) throw new CalicoError(`datastore already has Calico resources: found existing IPAM resources (${kvs[0]!.key}). Import needs an empty datastore: delete every Calico resource and IPAM key first`)
  return replaceable
}

export interface ImportResult {
  resources: number
  ipam: number
}

/** Writes what parseImportFile read into an empty datastore, all or nothing (see the file header). */
export async function importDatastore(store: ResourceStore, file: ImportFile, say: (line: string) => void = () => {}): Promise<ImportResult> {
  const replaceable = await checkTargetEmpty(store)
  const ciDef = kindByName('ClusterInformation')!
  const ds = store.ds

  // 1. ClusterInformation, locked.
  const ciKey = store.keyOf(ciDef, 'default')
  const ciBefore = await ds.get(ciKey)
  const base = ciBefore ? store.fromKV(ciDef, ciBefore) : store.prepareCreate(ciDef, {apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: {name: 'default'}, spec: {}})
  const spec: Record<string, unknown> = {...((base.spec ?? {}) as Record<string, unknown>), ...(file.clusterInfo ?? {})}
  spec.clusterGUID ??= process.getBuiltinModule('node:crypto').randomBytes(16).toString('hex')
  spec.clusterType ??= 'etcd,bgp'
  spec.datastoreReady = false
  const ci: Resource = {...base, spec}
  const ciWrite = ciBefore
    ? await ds.write({type: 'update', key: ciKey, value: encodeResource(ciDef, ci), modRevision: ciBefore.modRevision})
    : await ds.write({type: 'create', key: ciKey, value: encodeResource(ciDef, ci)})
  if (!ciWrite.ok) throw new CalicoError('ClusterInformation(default) changed while the import started: try again')
  say('Datastore locked for the import.')

  // 2. Resources and IPAM keys.
  const ops: WriteOp[] = []
  for (const {def, resource} of file.resources) {
    const key = store.keyOf(def, resource.metadata.name, resource.metadata.namespace)
    const stored = replaceable.get(key)
    if (stored) {
      const next = store.prepareUpdate(store.fromKV(def, stored), resource)
      ops.push({type: 'update', key, value: () => encodeResource(def, next), modRevision: stored.modRevision})
    } else {
      const created = store.prepareCreate(def, resource)
      ops.push({type: 'create', key, value: () => encodeResource(def, created)})
    }
  }
  for (const e of file.ipam) ops.push({type: 'create', key: e.key, value: e.value})
  ds.expectWrites(ops.length)
  let results: WriteResult[] = []
  let failure: string | undefined
  try {
    results = await ds.writeBatch(ops)
    const bad = results.findIndex((r) => !r.ok)
    if (bad >= 0) failure = `${ops[bad]!.key} was written by someone else during the import`
  } catch (error) {
    failure = (error as Error).message
  }
  if (failure !== undefined) {
    const undone = await rollback(store, ops, results, replaceable, {key: ciKey, before: ciBefore, revision: ciWrite.revision})
    throw new CalicoError(`failed to import: ${failure}; ${undone}`)
  }
  const nResources = file.resources.length
  const kinds = new Set(file.resources.map((r) => r.def.kind))
  say(kinds.size === 1 ? `Successfully applied ${nResources} '${[...kinds][0]}' resource(s)` : `Successfully applied ${nResources} resource(s)`)
  say('Importing IPAM resources')
  say(`Successfully applied ${file.ipam.length} IPAM resource(s)`)
  return {resources: nResources, ipam: file.ipam.length}
}

/** Takes back the writes of a failed import, each only if it is still the value we wrote. */
async function rollback(
  store: ResourceStore,
  ops: WriteOp[],
  results: WriteResult[],
  replaced: Map<string, KeyValue>,
  ci: {key: string; before: KeyValue | undefined; revision: string},
): Promise<string> {
  const undo: WriteOp[] = []
  try {
    // Without per-write results (etcd failed mid-way), a key counts as ours when it holds our
    // value at a revision after the ClusterInformation write.
    const landed = await Promise.all(
      ops.map(async (op, i) => {
        const r = results[i]
        if (r) return r.ok ? r.revision : undefined
        const kv = await store.ds.get(op.key)
        return kv && op.type !== 'delete' && kv.value === opValue(op) && BigInt(kv.modRevision) > BigInt(ci.revision) ? kv.modRevision : undefined
      }),
    )
    landed.forEach((revision, i) => {
      if (revision === undefined) return
      const op = ops[i]!
      const before = replaced.get(op.key)
      undo.push(before ? {type: 'update', key: op.key, value: before.value, modRevision: revision} : {type: 'delete', key: op.key, modRevision: revision})
    })
    undo.push(ci.before ? {type: 'update', key: ci.key, value: ci.before.value, modRevision: ci.revision} : {type: 'delete', key: ci.key, modRevision: ci.revision})
    const out = await store.ds.writeBatch(undo)
    const left = out.filter((r) => !r.ok).length
    return left === 0 ? `nothing was imported (the ${undo.length} write(s) made were taken back)` : `${left} key(s) changed by someone else since the import wrote them were left as they are`
  } catch (error) {
    return `taking back the write(s) made also failed (${(error as Error).message}): the target may hold part of the file`
  }
}
