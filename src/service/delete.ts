import type {ResourceStore} from '../datastore/store.js'
import {type Summary, summarize} from './summary.js'
import {CalicoError} from '../resources/errors.js'
import {API_VERSION} from '../resources/types.js'
import {deleteCascades} from './cascades.js'
import {deleteResources, type Loaded, loadManifests} from './crud.js'
import {checkNames, namespaceFor, resolveKind, selectByLabels} from './targets.js'

export interface DeleteRequest {
  kind?: string | undefined
  names: string[]
  filename?: string | undefined
  recursive?: boolean
  skipEmpty?: boolean
  skipNotExists?: boolean
  namespace?: string | undefined
  selector?: string | undefined
  dryRun?: boolean
}


export async function runDelete(store: ResourceStore, req: DeleteRequest): Promise<Summary> {
  let targets: Loaded[]
  if (req.filename) {
    if (req.kind) throw new CalicoError('give either a kind and names or --filename, not both')
    // Delete by the name in the file; a resourceVersion there must still be the stored one
    // (else an update conflict, nothing deleted), as calicoctl's delete -f.
    targets = loadManifests(req.filename, {recursive: req.recursive, skipEmpty: req.skipEmpty, namespace: req.namespace})
  } else {
    if (!req.kind) throw new CalicoError('missing resource kind: e.g. delete ippool NAME, or --filename')
    const def = resolveKind(req.kind)
    checkNames(req.names)
    if (req.selector) {
      if (req.names.length > 0) throw new CalicoError('give either names or --selector, not both')
      const ns = def.namespaced ? (req.namespace ?? 'default') : namespaceFor(def, req)
      // Delete exactly the versions we selected: a resource changed since is not deleted.
      targets = (await selectByLabels(store, def, req.selector, ns)).map((resource) => ({def, resource}))
    } else {
      if (req.names.length === 0) throw new CalicoError(`no names given: delete ${req.kind} NAME..., or use --selector`)
      const ns = namespaceFor(def, req, req.names)
      targets = req.names.map((name) => ({def, resource: {apiVersion: API_VERSION, kind: def.kind, metadata: {name, ...(ns ? {namespace: ns} : {})}}}))
    }
  }
  for (const kind of new Set(targets.map((t) => t.def.kind))) {
    const cascade = deleteCascades.get(kind)
    if (cascade) await cascade(store, targets.filter((t) => t.def.kind === kind), req.dryRun ?? false)
  }
  const rows = await deleteResources(store, targets, {skipNotExists: req.skipNotExists, dryRun: req.dryRun})
  return summarize('delete', rows, req.dryRun)
}
