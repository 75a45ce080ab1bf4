// Reading manifests: files, directories or stdin; multi-document YAML or JSON; single
// resources, arrays, and `<Kind>List` objects. Everything is parsed and checked before any write.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import yaml from 'js-yaml'
import {checkAliasExpansion, GO_YAML_SCHEMA} from './go-yaml.js'
import {CalicoError, type FieldError, fieldError, ValidationError} from './errors.js'
import {kindByName} from './registry.js'
import {checkType} from './schema.js'
import {API_VERSION, documentSchema, type KindDef, type Resource, type ValidateContext} from './types.js'
import {addUpstreamFindings, canonicalKeys, shapeOf, upstreamSchema} from './upstream.js'
import type {UpstreamSchema} from './upstream-types.js'
import {METADATA_ROWS} from './metadata-rules.js'
import {nameProblem} from './validate.js'
import {applyRules} from './rule-table.js'

export interface ManifestFile {
  source: string
  text: string
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i

export function readManifestFiles(path: string, opts: {recursive?: boolean; readStdin?: () => string} = {}): ManifestFile[] {
  if (path === '-') return [{source: 'stdin', text: opts.readStdin ? opts.readStdin() : readFileSync(0, 'utf8')}]
  let st
  try {
    st = statSync(path)
  } catch {
    throw new CalicoError(`cannot read ${path}: no such file or directory`)
  }
  if (!st.isDirectory()) return [{source: path, text: readFileSync(path, 'utf8')}]
  const out: ManifestFile[] = []
  for (const entry of readdirSync(path, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(path, entry.name)
    if (entry.isDirectory()) {
      if (opts.recursive) out.push(...readManifestFiles(p, opts))
    } else if (MANIFEST_EXT.test(entry.name)) out.push({source: p, text: readFileSync(p, 'utf8')})
  }
  return out
}

export interface SourcedDoc {
  source: string
  doc: Record<string, unknown>
  /** Shares no object with another document (its YAML has no alias to an object), so it is used, not copied. */
  owned?: boolean
}

/** More resource documents than anyone applies at once. */
const MAX_DOCUMENTS = 250_000

/** Splits files into single resource documents (lists and arrays flattened). */
export function splitDocuments(files: ManifestFile[]): SourcedDoc[] {
  const out: SourcedDoc[] = []
  const push = (source: string, doc: unknown, owned: boolean) => {
    if (doc === null || doc === undefined) return
    if (out.length >= MAX_DOCUMENTS) throw new CalicoError(`${source}: more than ${MAX_DOCUMENTS} resource documents (a YAML alias bomb?)`)
    if (Array.isArray(doc)) {
      for (const d of doc) push(source, d, owned)
      return
    }
    if (typeof doc !== 'object') throw new CalicoError(`${source}: expected a resource document, got ${clipText(JSON.stringify(doc) ?? String(doc))}`)
    const d = doc as Record<string, unknown>
    if (typeof d.kind === 'string' && d.kind.endsWith('List') && Array.isArray(d.items)) {
      for (const item of d.items) push(source, item, owned)
      return
    }
    out.push(owned ? {source, doc: d, owned} : {source, doc: d})
  }
  for (const f of files) {
    try {
      // calicoctl's YAML (YAML 1.1 scalars, duplicate keys refused, aliases bounded): go-yaml.ts.
      // A document without shared objects is handed on as it is; the others are copied per
      // resource. Without a `*` in the text there is no alias, so nothing to count.
      const aliases = f.text.includes('*')
      for (const d of yaml.loadAll(f.text, undefined, {schema: GO_YAML_SCHEMA})) push(f.source, d, !aliases || !checkAliasExpansion(d))
    } catch (error) {
      if (error instanceof CalicoError) throw error
      const m = (error as Error).message.split('\n')[0]
      throw new CalicoError(`${f.source}: invalid YAML/JSON: ${m}`)
    }
  }
  return out
}

/** How -n/-A combine with a resource's own namespace (calicoctl's rules). */
export function resolveNamespace(def: KindDef, docNamespace: string | undefined, flagNamespace: string | undefined): string | undefined {
  if (!def.namespaced) {
    if (docNamespace) throw new CalicoError(`namespace should not be specified for a non-namespaced resource. ${def.kind} is not a namespaced resource`)
    if (flagNamespace) throw new CalicoError(`${def.kind} is not namespaced`)
    return undefined
  }
  if (docNamespace && flagNamespace && docNamespace !== flagNamespace)
    throw new CalicoError(`resource namespace does not match client namespace. ${docNamespace} != ${flagNamespace}`)
  return docNamespace || flagNamespace || 'default'
}

/** Input quoted in a message, cut short: one line stays one short line. */
function clipText(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

function label(kind: string, doc: Record<string, unknown>): string {
  const md = (doc.metadata ?? {}) as {name?: unknown; namespace?: unknown}
  const name = typeof md.name === 'string' ? md.name : '<no name>'
  return typeof md.namespace === 'string' && md.namespace ? `${kind}(${md.namespace}/${name})` : `${kind}(${name})`
}

/**
 * A deep copy of a parsed document: plain objects and arrays copied, scalars as they are, anything
 * else (a YAML timestamp's Date) through structuredClone. structuredClone of every document was
 * about a tenth of a 10,000-resource apply.
 */
function copyDocument<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copyDocument) as T
  if (v === null || typeof v !== 'object') return v
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return structuredClone(v)
  const out: Record<string, unknown> = {}
  for (const [k, value] of Object.entries(v)) {
    // An own "__proto__" key stays a key, as structuredClone keeps it.
    if (k === '__proto__') Object.defineProperty(out, k, {value: copyDocument(value), writable: true, enumerable: true, configurable: true})
    else out[k] = copyDocument(value)
  }
  return out as T
}

const shapes = new WeakMap<KindDef, ReturnType<typeof shapeOf>>()
function documentShape(def: KindDef) {
  let s = shapes.get(def)
  if (!s) {
    const up = upstreamSchema(def.kind)
    const props: Array<[string, UpstreamSchema]> = []
    if (up?.spec) props.push(['spec', up.spec])
    if (up?.status) props.push(['status', up.status])
    s = shapeOf(documentSchema(def), {t: 'object', props})
    shapes.set(def, s)
  }
  return s
}

/** Strict structural parse of one document into a resource of a known kind. */
export function resourceFromDoc(d: SourcedDoc, flagNamespace?: string): {def: KindDef; resource: Resource} {
  const {doc} = d
  const kind = typeof doc.kind === 'string' ? doc.kind : ''
  const def = kindByName(kind)
  if (doc.apiVersion !== API_VERSION || !def)
    throw new CalicoError(`${d.source}: unknown resource type (${clipText(kind || '<none>')}) and/or version (${clipText(String(doc.apiVersion ?? '<none>'))})`)
  const errors: FieldError[] = []
  // calicoctl decodes with Go's encoding/json: field names match whatever their case. Renaming
  // in place is safe before the copy (a node shared by aliases gets the same names everywhere).
  const named = canonicalKeys(doc, documentShape(def), d.owned ? undefined : new Map()) as Record<string, unknown>
  checkType(named, documentSchema(def), '', errors)
  const md = named.metadata as Record<string, unknown> | undefined
  if (!md || typeof md !== 'object') errors.push(fieldError('metadata', 'is required'))
  if (errors.length > 0) throw new ValidationError(label(def.kind, named), errors)
  const resource = (d.owned ? named : copyDocument(named)) as unknown as Resource
  const ns = resolveNamespace(def, resource.metadata.namespace, flagNamespace)
  if (ns !== undefined) resource.metadata.namespace = ns
  resource.spec ??= {}
  return {def, resource}
}

/** Defaults then validation; throws one ValidationError listing every problem. */
export function defaultAndValidate(def: KindDef, r: Resource, ctx: ValidateContext = {}): Resource {
  const errors: FieldError[] = []
  // Defaults first: some kinds derive the name (WorkloadEndpoint).
  def.defaults?.(r)
  const name = r.metadata.name
  // Kind validators read the name: without one there is nothing more to check.
  if (typeof name !== 'string' || name === '') throw new ValidationError(`${def.kind}(<no name>)`, [fieldError('metadata.name', 'is required')])
  errors.push(...applyRules(METADATA_ROWS, r, ctx))
  // Ours, not upstream's (validator.go validateObjectMeta leaves the namespace alone): the
  // namespace is a segment of the etcd key, so it is held to the name rule.
  if (r.metadata.namespace !== undefined) {
    const p = nameProblem(r.metadata.namespace)
    if (p) errors.push(fieldError('metadata.namespace', p.replace('name', 'namespace'), r.metadata.namespace))
  }
  errors.push(...(def.validate?.(r, ctx) ?? []))
  addUpstreamFindings(r.spec, upstreamSchema(def.kind)?.spec, 'spec', errors)
  // Whether what the resource refers to exists (a policy's tier, a peer's filters) is a row of its kind's rules.
  if (errors.length > 0) throw new ValidationError(`${def.kind}(${r.metadata.namespace ? `${r.metadata.namespace}/` : ''}${name || '<no name>'})`, errors)
  return r
}
