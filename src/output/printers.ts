// calicoctl's output formats: ps/wide tables (Go tabwriter layout), custom-columns, yaml, json.

import {documentSchema} from '../datastore/codec.js'
import {CalicoError} from '../resources/errors.js'
import {canonicalize} from '../resources/schema.js'
import {API_VERSION, type KindDef, type Resource} from '../resources/types.js'
import {dumpYaml} from './yaml-emit.js'

export type OutputFormat = {type: 'ps' | 'wide' | 'yaml' | 'json'} | {type: 'custom-columns'; columns: string[]}

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
  throw new CalicoError(`unrecognized output format '${text}'`)
}

/** Go's text/tabwriter with minwidth 5, padding 3: every cell, the last one too, is padded. */
export function tabwriter(rows: string[][]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length + 3, 5)))
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('')).join('\n') + '\n'
}

export function tableFor(def: KindDef, items: Resource[], format: OutputFormat, withNamespace: boolean): string {
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
  const rows = [columns, ...items.map((r) => columns.map((c) => (c === 'NAMESPACE' ? (r.metadata.namespace ?? '') : def.cell(r, c))))]
  return `${tabwriter(rows)}\n`
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
}

export function printResources(req: PrintRequest): string {
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
  return tableFor(def, items, format, req.withNamespace ?? false)
}
