// calicoctl's output formats: ps/wide tables (Go tabwriter layout, src/output/table.ts), custom-columns, yaml, json,
// go-template and go-template-file (src/output/go-template.ts).

import {CalicoError} from '../resources/errors.js'
import {canonicalize, type FieldType} from '../resources/schema.js'
import {API_VERSION, type CellContext, documentSchema, type KindDef, type Resource} from '../resources/types.js'
import type {goJoin, TemplateFunc} from './go-template.js'
import {dumpYaml} from './yaml-emit.js'

export type OutputFormat =
  | {type: 'ps' | 'wide' | 'yaml' | 'json'}
  | {type: 'custom-columns'; columns: string[]}
  | {type: 'go-template'; template: string}
  | {type: 'go-template-file'; file: string}

export function parseOutputFormat(text: string): OutputFormat {
  if (text === 'ps' || text === 'wide' || text === 'json') return {type: text}
  if (text === 'yaml' || text === 'yml') return {type: 'yaml'}
  if (text.startsWith('custom-columns=')) {
    const columns = text
      .slice('custom-columns='.length)
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean)
    if (columns.length === 0) throw new CalicoError('need to specify at least one column')
    return {type: 'custom-columns', columns}
  }
  if (text.startsWith('go-template=') || text === 'go-template') {
    const template = text.slice('go-template='.length)
    if (!template) throw new CalicoError('need to specify a template')
    return {type: 'go-template', template}
  }
  if (text.startsWith('go-template-file=') || text === 'go-template-file') {
    const file = text.slice('go-template-file='.length)
    if (!file) throw new CalicoError('need to specify a template file')
    return {type: 'go-template-file', file}
  }
  throw new CalicoError(`unrecognized output format '${text}'`)
}

/** `get`'s table (-o ps, wide or custom-columns) for some resources of one kind. */
export async function tableFor(def: KindDef, items: Resource[], format: OutputFormat, withNamespace: boolean, ctx?: CellContext): Promise<string> {
  let columns: string[]
  if (format.type === 'custom-columns') {
    const valid = [...new Set([...(def.namespaced ? ['NAMESPACE'] : []), ...def.wideColumns, ...def.columns])]
    for (const c of format.columns) {
      if (!valid.includes(c.toUpperCase())) throw new CalicoError(`unknown heading ${c}, valid values are: ${valid.join(', ')}`)
    }
    columns = format.columns.map((c) => c.toUpperCase())
  } else {
    columns = format.type === 'wide' ? def.wideColumns : def.columns
    if (withNamespace && def.namespaced) columns = ['NAMESPACE', ...columns]
  }
  const rows = [columns, ...items.map((r) => columns.map((c) => (c === 'NAMESPACE' ? (r.metadata.namespace ?? '') : def.cell(r, c, ctx))))]
  const {tabTable} = await import('./table.js')
  // calicoctl leaves a blank line after each table.
  return `${tabTable(rows)}\n`
}

const EXPORT_STRIPPED = ['namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const

/** The document as calicoctl prints it: Go field order, empty fields omitted. */
export function outputDocument(def: KindDef, r: Resource, exportMode = false): Record<string, unknown> {
  const doc = canonicalize({...r, kind: def.kind, apiVersion: API_VERSION}, documentSchema(def)) as Record<string, any>
  if (exportMode) for (const k of EXPORT_STRIPPED) delete doc.metadata[k]
  return doc
}

export function serialize(value: unknown, type: 'yaml' | 'json'): string {
  // Like sigs.k8s.io/yaml, YAML output has sorted keys; JSON keeps Go's field order.
  if (type === 'json') return `${JSON.stringify(value, null, 2)}\n`
  // Byte for byte js-yaml's dump with sorted keys (the same default sort), without a copy.
  return dumpYaml(value)
}

export interface PrintRequest {
  def: KindDef
  items: Resource[]
  format: OutputFormat
  /** 'one': a single named get; 'many': several names; 'list': no names. */
  shape: 'one' | 'many' | 'list'
  listRevision?: string
  withNamespace?: boolean
  exportMode?: boolean
  cellContext?: CellContext
}

/**
 * The document as the Go struct a template reads: a field the JSON leaves out (omitempty) has its
 * Go zero value (false, 0, "", an empty list or map, a struct of zero values), except pointers,
 * which are nil.
 */
export function withGoZeroValues(value: unknown, type: FieldType): unknown {
  if (value === undefined || value === null) {
    if ('ptr' in type && type.ptr) return null
    switch (type.t) {
      case 'string':
        return ''
      case 'bool':
        return false
      case 'int':
      case 'number':
      case 'intOrString':
        return 0
      case 'array':
        return []
      case 'map':
        return {}
      case 'object':
        return withGoZeroValues({}, type)
      default:
        return null
    }
  }
  if (type.t === 'array' && Array.isArray(value)) return value.map((v) => withGoZeroValues(v, type.of))
  if (type.t === 'object' && typeof value === 'object' && !Array.isArray(value)) {
    const doc = value as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const [k, t] of type.fields) out[k] = withGoZeroValues(doc[k], t)
    for (const k of Object.keys(doc)) if (!(k in out)) out[k] = doc[k]
    return out
  }
  return value
}

/** What calicoctl hands a go-template for one kind: the list object when no names were given, else each resource. */
export function templateObjects(req: PrintRequest): unknown[] {
  const schema = documentSchema(req.def)
  const docs = req.items.map((r) => withGoZeroValues(outputDocument(req.def, r, req.exportMode && req.shape !== 'list'), schema))
  if (req.shape !== 'list') return docs
  return [{apiVersion: API_VERSION, kind: `${req.def.kind}List`, metadata: {resourceVersion: req.listRevision ?? ''}, items: docs}]
}

/** Runs a go-template over every object of a get at once (as calicoctl runs one template over its results). */
export async function printTemplate(format: Extract<OutputFormat, {type: 'go-template' | 'go-template-file'}>, objects: unknown[], ctx: () => Promise<CellContext>): Promise<string> {
  let text: string
  if (format.type === 'go-template') text = format.template
  else {
    const {readFileSync} = await import('node:fs')
    try {
      text = readFileSync(format.file, 'utf8')
    } catch (e) {
      throw new CalicoError(`open ${format.file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`)
    }
  }
  const {goJoin, parseGoTemplate} = await import('./go-template.js')
  // calicoctl's `config "asnumber"`: read from the cluster only when the template calls it.
  const asNumber = /\bconfig\b/.test(text) ? (await ctx()).asNumber : undefined
  return parseGoTemplate(text, calicoctlTemplateFuncs(asNumber, goJoin)).execute(objects)
}

/** The functions calicoctl adds to its templates: join, joinAndTruncate and config "asnumber". */
export function calicoctlTemplateFuncs(asNumber: string | undefined, join: typeof goJoin): Record<string, TemplateFunc> {
  return {
    join: (items, sep) => join(items, sep),
    joinAndTruncate: (items, sep, max) => join(items, sep, max),
    config: (name) => {
      if (String(name).toLowerCase() !== 'asnumber') throw new Error(`unhandled config type ${String(name)}`)
      return asNumber ?? 'unknown'
    },
  }
}

export async function printResources(req: PrintRequest): Promise<string> {
  const {def, items, format} = req
  if (format.type === 'yaml' || format.type === 'json') {
    const docs = items.map((r) => outputDocument(def, r, req.exportMode && req.shape === 'one'))
    let value: unknown
    if (req.shape === 'one') value = docs[0] ?? null
    else if (req.shape === 'many') value = docs
    else value = {apiVersion: API_VERSION, kind: `${def.kind}List`, items: docs, metadata: {resourceVersion: req.listRevision ?? ''}}
    if (value === null) return ''
    return serialize(value, format.type)
  }
  if (format.type === 'go-template' || format.type === 'go-template-file') throw new CalicoError(`output format ${format.type} is for get (use calicoctl get ... -o ${format.type}=...)`)
  // calicoctl prints a list as one table, and each resource asked for by name as a table of its own.
  const table = (rs: Resource[]) => tableFor(def, rs, format, req.withNamespace ?? false, req.cellContext)
  if (req.shape === 'list') return table(items)
  let out = ''
  for (const r of items) out += await table([r])
  return out
}
