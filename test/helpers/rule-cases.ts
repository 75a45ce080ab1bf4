// Pairs each row of each kind's rule table (src/resources/rule-table.ts) with manifests of the
// parity corpus (test/faults/parity-corpus.ts): an accepted one that sets the row's field and
// passes the row, and a refused one that the row itself refuses. Used by
// test/unit/rule-tables.test.ts (every row, in-process) and
// test/integration/validation-parity-cli.test.ts (a sample per kind, through the CLI).
//
// NetworkPolicy, the staged policy kinds and Profile share rows with GlobalNetworkPolicy; their
// cases are its corpus cases with the kind changed (a NetworkPolicy is a GlobalNetworkPolicy
// without the global fields; a staged policy without stagedAction is checked as the policy it
// stages; a profile's rules are a policy's), plus their own.
import {CalicoError, ValidationError} from '../../src/resources/errors.js'
import {resourceFromDoc, splitDocuments} from '../../src/resources/manifest.js'
import {InputError, validateAll} from '../../src/service/crud.js'
import {KINDS} from '../../src/resources/registry.js'
import {METADATA_ROWS} from '../../src/resources/metadata-rules.js'
import {applyRow, placesOf, type RuleRow} from '../../src/resources/rule-table.js'
import type {KindDef, Resource, ValidateContext} from '../../src/resources/types.js'
import {type Case, CORPUS, manifest, STORED} from '../faults/parity-corpus.js'

const GLOBAL_ONLY = ['doNotTrack', 'preDNAT', 'applyOnForward', 'namespaceSelector']

/** Cases for the kinds whose rows are another kind's, derived from that kind's. */
function derived(): Case[] {
  const out: Case[] = []
  for (const c of CORPUS) {
    if (c.text !== undefined) continue
    const keys = Object.keys(c.spec ?? {})
    if (c.kind === 'GlobalNetworkPolicy') {
      out.push({...c, kind: 'StagedGlobalNetworkPolicy', why: `${c.why} (staged)`})
      if (keys.every((k) => !GLOBAL_ONLY.includes(k))) {
        out.push({...c, kind: 'NetworkPolicy', namespace: 'ns1', why: `${c.why} (namespaced)`})
        out.push({...c, kind: 'StagedNetworkPolicy', namespace: 'ns1', why: `${c.why} (staged, namespaced)`})
      }
    }
    if (c.kind === 'NetworkPolicy') out.push({...c, kind: 'StagedNetworkPolicy', why: `${c.why} (staged)`})
    if ((c.kind === 'GlobalNetworkPolicy' || c.kind === 'NetworkPolicy') && !c.name?.includes('.') && keys.length > 0 && keys.every((k) => k === 'ingress' || k === 'egress'))
      out.push({kind: 'Profile', spec: c.spec, ok: c.ok, src: c.src, why: `${c.why} (profile rules)`, field: c.field})
  }
  return out
}

export const RULE_CASES: Case[] = [...CORPUS, ...derived()]

/** The datastore the client's checks see: what the corpus says is stored. */
const exists = (kind: string, name: string) => STORED.has(`${kind}/${name}`)

export interface Parsed {
  c: Case
  def: KindDef
  /** As decoded, before defaults. */
  given: Resource
  /** After defaults, as the rows see it. */
  defaulted: Resource
  ctx: ValidateContext
}

/** Cases decoded into resources: the first document is the subject, the others of its kind count as stored. */
function parse(c: Case): Parsed | undefined {
  let docs
  try {
    docs = splitDocuments([{source: 'case', text: manifest(c)}]).map((d) => resourceFromDoc(d))
  } catch {
    return undefined // refused while decoding (duplicate keys, unknown fields): no row involved
  }
  const [first] = docs
  if (!first) return undefined
  const defaulted = docs.filter((d) => d.def === first.def).map((d) => {
    const r = structuredClone(d.resource)
    first.def.defaults?.(r)
    return r
  })
  return {c, def: first.def, given: structuredClone(first.resource), defaulted: defaulted[0]!, ctx: {exists, existing: defaulted}}
}

const parsed = RULE_CASES.map(parse).filter((p): p is Parsed => p !== undefined)

/**
 * Our verdict on a case, as `calicoctl apply -f` reaches it (service/crud.ts validateAll: the
 * input's resources of a kind count as existing): the resources as they would be stored, or
 * the error message.
 */
export function judgeText(text: string): {resources: Resource[]} | {message: string} {
  try {
    const items = splitDocuments([{source: 'manifest', text}]).map((d) => resourceFromDoc(d))
    validateAll(items, new Map(), exists)
    return {resources: items.map((i) => i.resource)}
  } catch (error) {
    if (error instanceof ValidationError || error instanceof CalicoError || error instanceof InputError) return {message: error.message}
    throw error
  }
}

export const judge = (c: Case) => judgeText(manifest(c))

export interface RowCases {
  /** The kind whose table holds the row; none for the metadata rows every kind shares. */
  def: KindDef | undefined
  row: RuleRow
  index: number
  /** Accepted manifests that set the row's field and pass it. */
  accepted: Parsed[]
  /** Refused manifests that the row refuses, with the field paths it names. */
  refused: Array<Parsed & {fields: string[]}>
}

function casesOf(row: RuleRow, index: number, def: KindDef | undefined, mine: Parsed[]): RowCases {
  const accepted = mine.filter((p) => p.c.ok && placesOf(p.given, row.field).length > 0 && applyRow(row, p.defaulted, p.ctx).length === 0)
  const refused = mine.flatMap((p) => {
    if (p.c.ok) return []
    const found = applyRow(row, p.defaulted, p.ctx)
    return found.length > 0 ? [{...p, fields: found.map((e) => e.field)}] : []
  })
  return {def, row, index, accepted, refused}
}

/** Every row of every kind with its cases. */
export function rowCases(): Array<RowCases & {def: KindDef}> {
  return KINDS.flatMap((def) => {
    const mine = parsed.filter((p) => p.def === def)
    return (def.rules ?? []).map((row, index) => ({...casesOf(row, index, def, mine), def}))
  })
}

/** The metadata rows (every kind's) with their cases, of any kind. */
export function metadataRowCases(): RowCases[] {
  return METADATA_ROWS.map((row, index) => casesOf(row, index, undefined, parsed))
}
