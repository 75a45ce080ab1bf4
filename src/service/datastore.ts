// `datastore migrate lock|unlock|export`: the datastore lock is ClusterInformation `default`'s
// spec.datastoreReady (false = locked), which IPAM maintenance commands require.
//
// Export layout (as calicoctl's, for etcd):
//   1. one `<Kind>List` YAML document per kind, each followed by a `---` line (export form:
//      no uid, resourceVersion or creationTimestamp). WorkloadEndpoints and Profiles are not
//      exported. This part alone can be fed to `calicoctl apply -f`.
//   2. a `===` line, then ClusterInformation `default` as indented JSON.
//   3. a `===` line, then the IPAM state as indented JSON:
//      {"ipam": [{"key": "/calico/ipam/v2/...", "value": "<the stored JSON, verbatim>"}, ...]}
//      Values stay strings so that 64-bit sequence numbers survive a round trip; writing the
//      pairs back under the same keys restores blocks, affinities, handles and config exactly.
import type {ResourceStore} from '../datastore/store.js'
import {outputDocument, serialize} from '../output/printers.js'
import {CalicoError, ConflictError} from '../resources/errors.js'
import {KINDS, kindByName} from '../resources/registry.js'
import {API_VERSION, type Resource} from '../resources/types.js'
import {ipamState} from './ipam.js'
import {clusterInformation, ensureInitialized} from './version.js'

/** Kinds calicoctl leaves out of an export (and ClusterInformation, which gets its own section). */
const NOT_EXPORTED = new Set(['WorkloadEndpoint', 'Profile', 'ClusterInformation'])

async function setReady(store: ResourceStore, ready: boolean): Promise<void> {
  const what = ready ? 'unlocking' : 'locking'
  try {
    await ensureInitialized(store)
  } catch (err) {
    throw new CalicoError(`Unable to initialize cluster information for the datastore migration: ${(err as Error).message}`)
  }
  const def = kindByName('ClusterInformation')
  if (!def) throw new CalicoError('resource kind ClusterInformation is not known')
  for (let attempt = 0; attempt < 5; attempt++) {
    const info = await clusterInformation(store)
    if (!info) throw new CalicoError(`Error retrieving ClusterInformation for ${what}: resource does not exist: ClusterInformation(default)`)
    const next: Resource = {...info, spec: {...((info.spec ?? {}) as object), datastoreReady: ready}}
    const [res] = await store.updateMany([{def, resource: next}])
    if (res?.ok) return
    if (res && !(res.error instanceof ConflictError)) throw new CalicoError(`Error updating ClusterInformation for ${what}: ${res.error.message}`)
  }
  throw new CalicoError(`Error updating ClusterInformation for ${what}: update conflict: ClusterInformation(default)`)
}

export async function lockDatastore(store: ResourceStore): Promise<string> {
  await setReady(store, false)
  return 'Datastore locked.\n'
}

export async function unlockDatastore(store: ResourceStore): Promise<string> {
  await setReady(store, true)
  return 'Datastore unlocked.\n'
}

export async function isLocked(store: ResourceStore): Promise<boolean> {
  const info = await clusterInformation(store)
  return (info?.spec as {datastoreReady?: boolean} | undefined)?.datastoreReady === false
}

export async function exportDatastore(store: ResourceStore): Promise<string> {
  if (!(await isLocked(store))) throw new CalicoError('datastore is not locked. Run the `calicoctl datastore migrate lock` command in order to begin migration')
  const parts: string[] = []
  for (const def of KINDS) {
    if (NOT_EXPORTED.has(def.kind)) continue
    const {items, revision} = await store.list(def)
    const docs = items.map((r) => {
      const doc = outputDocument(def, r, true)
      // Unlike `get --export`, a migration export keeps namespaces (upstream's export.go clears
      // only uid, resourceVersion and the timestamps): `migrate import` puts each back where it was.
      if (def.namespaced) (doc.metadata as Record<string, unknown>).namespace = r.metadata.namespace
      return doc
    })
    parts.push(serialize({apiVersion: API_VERSION, items: docs, kind: `${def.kind}List`, metadata: {resourceVersion: revision}}, 'yaml'))
    parts.push('---\n')
  }
  parts.push('===\n')
  const info = await clusterInformation(store)
  const ciDef = kindByName('ClusterInformation')
  if (info && ciDef) parts.push(`${JSON.stringify(outputDocument(ciDef, info), null, 2)}\n`)
  parts.push('===\n')
  parts.push(`${JSON.stringify({ipam: await ipamState(store)}, null, 2)}\n`)
  return parts.join('')
}
