// A kind's validation rules as data: one row per upstream rule, naming the field it checks, what
// it demands and where upstream states it (projectcalico/calico at v3.32.1). A row's check is a
// small predicate on the field's value; `applyRules` walks the resource to every place the row's
// field path names and turns findings into one-line field errors. Tests enumerate the rows
// (test/unit/rule-tables.test.ts): every row needs a manifest upstream accepts and one it refuses.
import {isObject} from '../lib/objects.js'
import {type FieldError, fieldError} from './errors.js'
import type {At, Resource, RuleRow, RuleTable, ValidateContext} from './types.js'

type Obj = Record<string, unknown>

export type {At, Finding, RuleRow, RuleTable} from './types.js'

export interface Place {
  path: string
  value: unknown
  /** The object holding the field. */
  parent: Obj
  /** The object holding the parent (for a list item's field, the object holding the list). */
  grandparent: Obj | undefined
}

interface Segment {
  /** The path pattern up to and including this segment. */
  prefix: string
  names: string[] | '*'
  items: boolean
}

/** A path pattern parsed; `plain` when it is field names only (at most one place, found directly). */
interface Compiled {
  segs: Segment[]
  plain: boolean
}

const compiledCache = new Map<string, Compiled>()

function compile(pattern: string): Compiled {
  let c = compiledCache.get(pattern)
  if (c) return c
  const segs: Segment[] = []
  let prefix = ''
  // Alternatives may hold dots inside braces: split on dots outside them.
  for (const raw of pattern.match(/(\{[^}]*\}|[^.{])+/g) ?? []) {
    prefix = prefix ? `${prefix}.${raw}` : raw
    const items = raw.endsWith('[*]')
    const body = items ? raw.slice(0, -3) : raw
    const names = body === '*' ? '*' : body.startsWith('{') ? body.slice(1, -1).split(',') : [body]
    segs.push({prefix, names, items})
  }
  c = {segs, plain: segs.every((seg) => !seg.items && seg.names !== '*' && seg.names.length === 1)}
  compiledCache.set(pattern, c)
  return c
}

interface Node {
  path: string
  value: unknown
  parent: Obj | undefined
  grandparent: Obj | undefined
}

/**
 * Places already found in one resource, by path pattern: the rows of a table share prefixes
 * (`spec.{ingress,egress}[*]`…), walked once per resource.
 */
export type PlaceMemo = Map<string, Node[]>

/**
 * Every place a field path names in `root`. With `absent`, the last field is named also where
 * its holder exists and it does not (value undefined).
 */
export function placesOf(root: unknown, pattern: string, absent = false, memo?: PlaceMemo): Place[] {
  return placesBy(compile(pattern), root, pattern, absent, memo)
}

function placesBy({segs, plain}: Compiled, root: unknown, pattern: string, absent: boolean, memo?: PlaceMemo): Place[] {
  if (plain) return placeOfPlainPath(root, pattern, segs, absent)
  let here: Node[] = [{path: '', value: root, parent: undefined, grandparent: undefined}]
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!
    const last = i === segs.length - 1
    const known = last ? undefined : memo?.get(seg.prefix)
    if (known) {
      here = known
      continue
    }
    const next: Node[] = []
    for (const node of here) {
      if (!isObject(node.value)) continue
      const obj = node.value
      const names = seg.names === '*' ? Object.keys(obj) : seg.names
      for (const name of names) {
        const path = node.path ? `${node.path}.${name}` : name
        const v = obj[name]
        if (v === undefined || v === null) {
          if (last && absent && !seg.items) next.push({path, value: undefined, parent: obj, grandparent: node.parent})
          continue
        }
        if (!seg.items) next.push({path, value: v, parent: obj, grandparent: node.parent})
        else if (Array.isArray(v)) for (let j = 0; j < v.length; j++) next.push({path: `${path}[${j}]`, value: v[j], parent: obj, grandparent: node.parent})
      }
    }
    if (!last) memo?.set(seg.prefix, next)
    here = next
  }
  return here as Place[]
}

const NOWHERE: Place[] = []

/** placesOf for a path of plain field names (most rows): at most one place, found directly. */
function placeOfPlainPath(root: unknown, path: string, segs: Segment[], absent: boolean): Place[] {
  let parent: Obj | undefined
  let grandparent: Obj | undefined
  let value = root
  for (const seg of segs) {
    if (!isObject(value)) return NOWHERE
    grandparent = parent
    parent = value
    value = value[(seg.names as string[])[0]!]
  }
  if (value === null) value = undefined
  return value === undefined && !absent ? NOWHERE : [{path, value, parent: parent!, grandparent}]
}

/** One row's findings on a resource, as field errors. */
export function applyRow(row: RuleRow, r: Resource, ctx: ValidateContext, memo?: PlaceMemo, compiled = compile(row.field)): FieldError[] {
  const places = placesBy(compiled, r, row.field, row.absent === true, memo)
  if (places.length === 0) return NOWHERE as never[]
  const out: FieldError[] = []
  for (const place of places) {
    const found = row.check(place.value, {path: place.path, parent: place.parent, grandparent: place.grandparent, resource: r, ctx})
    if (found === undefined) continue
    if (typeof found === 'string') out.push(fieldError(place.path, found, typeof place.value === 'object' ? undefined : place.value))
    else out.push(...found)
  }
  return out
}

/** The same rows at a deeper place: `prefix` joined before each field path. */
export function under(prefix: string, rows: RuleTable): RuleRow[] {
  return rows.map((row) => ({...row, field: row.field ? `${prefix}.${row.field}` : prefix}))
}

/** Every row's findings, in table order. */
export function applyRules(table: RuleTable, r: Resource, ctx: ValidateContext = {}): FieldError[] {
  let compiled = compiledTables.get(table)
  if (!compiled) {
    compiled = table.map((row) => compile(row.field))
    compiledTables.set(table, compiled)
  }
  const memo: PlaceMemo = new Map()
  const out: FieldError[] = []
  for (let i = 0; i < table.length; i++) {
    const found = applyRow(table[i]!, r, ctx, memo, compiled[i])
    if (found.length > 0) out.push(...found)
  }
  return out
}

const compiledTables = new WeakMap<RuleTable, Compiled[]>()

/** A kind's `validate`: its table applied. */
export const tableValidator =
  (table: RuleTable) =>
  (r: Resource, ctx: ValidateContext): FieldError[] =>
    applyRules(table, r, ctx)

// Small checks many tables share; each says what it demands (`ruleOf`), for tables written compactly.
export type Check = RuleRow['check']

/** A check that says what it demands. */
export function described<C extends Check>(check: C, rule: string): C & {rule: string} {
  return Object.assign(check, {rule})
}

/** What a check demands, when it says. */
export const ruleOf = (check: Check): string | undefined => (check as {rule?: string}).rule

/** A string from a fixed set (an empty string counts as unset, as Go's omitempty). */
export const oneOf = (...allowed: string[]) =>
  described((v: unknown) => (v === '' || (typeof v === 'string' && allowed.includes(v)) ? undefined : `must be one of ${allowed.join(', ')}`), `one of ${allowed.join(', ')}`)

/** A number within bounds. */
export const between = (min: number, max: number) =>
  described((v: unknown) => (typeof v === 'number' && (v < min || v > max) ? `must be between ${min} and ${max}` : undefined), `${min} to ${max}`)

/** A non-empty string matching a pattern. */
export const matches = (re: RegExp, reason: string) => described((v: unknown) => (typeof v === 'string' && v !== '' && !re.test(v) ? reason : undefined), `matches ${re.source}`)

/** A field that must be given (not empty). Use with `absent: true`. */
export const required = described((v: unknown, at: At) => (v === undefined || v === '' || (Array.isArray(v) && v.length === 0) ? [fieldError(at.path, 'is required')] : undefined), 'required')

/** The findings a FieldError-pushing helper makes, or undefined when none. */
export function collect(f: (out: FieldError[]) => void): FieldError[] | undefined {
  const out: FieldError[] = []
  f(out)
  return out.length > 0 ? out : undefined
}

/** Lifts a FieldError-pushing helper (checkIP, checkCidr, …) into a check. */
export const pushing =
  (f: (v: unknown, field: string, out: FieldError[]) => void): Check =>
  (v, at) =>
    collect((out) => f(v, at.path, out))
