import type {ResourceStore} from '../datastore/store.js'
import {describe} from '../datastore/store.js'
import {parseOutputFormat, printResources, printTemplate, templateObjects} from '../output/printers.js'
import {CalicoError} from '../resources/errors.js'
import {DEFAULT_AS} from '../resources/kinds/node.js'
import {kindByName} from '../resources/registry.js'
import type {CellContext, KindDef, Resource} from '../resources/types.js'
import {checkNames, namespaceFor, resolveKind, selectByLabels} from './targets.js'

export interface GetRequest {
  kind?: string | undefined
  names: string[]
  filename?: string | undefined
  recursive?: boolean
  skipEmpty?: boolean
  output: string
  namespace?: string | undefined
  allNamespaces?: boolean
  selector?: string | undefined
  exportMode?: boolean
}

export async function runGet(store: ResourceStore, req: GetRequest, preflight: () => Promise<void>): Promise<{stdout: string; errors: string[]}> {
  const format = parseOutputFormat(req.output)
  const errors: string[] = []
  let groups: Array<{def: KindDef; names: string[]; namespace: string | undefined}>
  if (req.filename) {
    if (req.kind) throw new CalicoError('give either a kind and names or --filename, not both')
    // Manifest reading (a YAML parser, the CRUD service) loads only for -f.
    const {loadManifests} = await import('./crud.js')
    const loaded = loadManifests(req.filename, {recursive: req.recursive, skipEmpty: req.skipEmpty, namespace: req.namespace})
    groups = loaded.map((l) => ({def: l.def, names: [l.resource.metadata.name], namespace: l.resource.metadata.namespace}))
  } else {
    if (!req.kind) throw new CalicoError('missing resource kind: e.g. get ippools, or --filename')
    // calicoctl reports a bad kind or an empty name as a failure to get resources (commands/get.go).
    let def: KindDef
    try {
      def = resolveKind(req.kind)
      checkNames(req.names)
    } catch (error) {
      if (error instanceof CalicoError) throw new CalicoError(`failed to get resources: ${error.message}`)
      throw error
    }
    groups = [{def, names: req.names, namespace: namespaceFor(def, req, req.names)}]
  }
  await preflight()
  const template = format.type === 'go-template' || format.type === 'go-template-file' ? format : undefined
  const objects: unknown[] = []
  let stdout = ''
  for (const g of groups) {
    let items: Resource[]
    let revision: string | undefined
    if (g.names.length === 0) {
      if (req.selector) items = await selectByLabels(store, g.def, req.selector, g.namespace)
      else ({items, revision} = await store.list(g.def, g.namespace))
      if (g.def.listOrder) items = g.def.listOrder(items)
    } else {
      items = []
      for (const name of g.names) {
        const r = await store.get(g.def, name, g.namespace)
        if (r) items.push(r)
        else errors.push(`resource does not exist: ${describe(g.def, name, g.namespace)} with error: <nil>`)
      }
    }
    if (g.names.length > 0 && items.length === 0) continue
    const shape = g.names.length === 0 ? 'list' : g.names.length === 1 && groups.length === 1 ? 'one' : 'many'
    const req2 = {def: g.def, items, format, shape, withNamespace: g.def.namespaced && (req.allNamespaces || req.namespace !== undefined), exportMode: req.exportMode} as const
    const print = revision === undefined ? req2 : {...req2, listRevision: revision}
    if (template) objects.push(...templateObjects(print))
    else stdout += await printResources(showsInheritedAS(g.def, items, format) ? {...print, cellContext: await cellContext(store)} : print)
  }
  if (template) stdout = await printTemplate(template, objects, () => cellContext(store))
  return {stdout, errors}
}

/** A node table's ASN column shows the inherited AS number for nodes with BGP but no AS of their own. */
function showsInheritedAS(def: KindDef, items: Resource[], format: ReturnType<typeof parseOutputFormat>): boolean {
  if (def.kind !== 'Node') return false
  const asn = format.type === 'wide' || (format.type === 'custom-columns' && format.columns.some((c) => c.toUpperCase() === 'ASN'))
  return asn && items.some((r) => {
    const bgp = (r.spec as {bgp?: {asNumber?: unknown}} | undefined)?.bgp
    return bgp !== undefined && bgp.asNumber === undefined
  })
}

/** calicoctl's `config "asnumber"`: the default BGPConfiguration's AS number, 64512 when it has none, `unknown` when unreadable. */
export async function cellContext(store: ResourceStore): Promise<CellContext> {
  try {
    const bgp = await store.get(kindByName('BGPConfiguration')!, 'default')
    const asNumber = (bgp?.spec as {asNumber?: number | string} | undefined)?.asNumber
    return {asNumber: asNumber === undefined ? DEFAULT_AS : String(asNumber)}
  } catch {
    return {asNumber: 'unknown'}
  }
}
