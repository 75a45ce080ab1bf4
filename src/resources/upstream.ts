// Upstream Calico's published API as data (src/resources/upstream-schema.ts, made by
// scripts/gen-upstream-schema.mjs from projectcalico/calico v3.32.1 api/config/crd/*.yaml with
// keys in the Go structs' order): field names, value constraints (enum, pattern, bounds,
// lengths, required) and which fields are Go durations. Three uses here:
//  - field names matched case-insensitively and rewritten canonically, as calicoctl's decoder
//    (Go's encoding/json) does;
//  - the constraints checked on every kind that has a CRD;
//  - Go's time.Duration parsed and printed as Go does (metav1.Duration fields).
import {formatGoDuration, parseGoDuration} from '../lib/go-duration.js'
import {type FieldError, fieldError} from './errors.js'
import {goString} from '../lib/go-float.js'
import {UPSTREAM} from './upstream-schema.js'
import type {UpstreamSchema} from './upstream-types.js'
import {parsePort, PortError} from './rules.js'
import {parseAsNumber} from './validate.js'
import type {FieldType, Fields} from './schema.js'

const data = UPSTREAM

export function upstreamSchema(kind: string): {spec?: UpstreamSchema; status?: UpstreamSchema} | undefined {
  return data.kinds[kind]
}


/**
 * Rewrites values in the form Go's encoder writes them (per the schema): durations as
 * Duration.String prints them, AS numbers as plain numbers. Invalid values are left for
 * validation to report.
 */
export function normalizeGoValues(value: unknown, s: UpstreamSchema | undefined): void {
  if (!s || value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    // A list of numorstring.ASNumber (BGPFilter asPathPrefix, prependASPath.prefix).
    if (s.items?.asn) {
      for (const [i, v] of value.entries()) {
        const n = typeof v === 'string' ? parseAsNumber(v) : undefined
        if (n !== undefined) value[i] = n
      }
    } else if (s.items) for (const v of value) normalizeGoValues(v, s.items)
    return
  }
  const o = value as Record<string, unknown>
  for (const [k, ps] of s.props ?? []) {
    const v = o[k]
    if (ps.duration && typeof v === 'string') {
      const ns = parseGoDuration(v)
      if (ns !== undefined) o[k] = formatGoDuration(ns)
    } else if (ps.asn && typeof v === 'string') {
      const n = parseAsNumber(v)
      if (n !== undefined) o[k] = n
    } else normalizeGoValues(v, ps)
  }
  if (s.values) for (const v of Object.values(o)) normalizeGoValues(v, s.values)
}

// ---------------------------------------------------------------------------------------------
// Our field schema from the upstream one (kinds whose fields are all listed upstream).

export function fieldTypeFromUpstream(s: UpstreamSchema): FieldType {
  const ptr = s.ptr === true || s.keep === true
  const always = s.keep === true
  // numorstring.ASNumber decodes numbers and strings ("64512", "1.10"); the CRD says integer.
  if (s.asn) return {t: 'intOrString', ptr}
  switch (s.t) {
    case 'string':
      return {t: 'string', ptr, always}
    case 'boolean':
      return {t: 'bool', ptr, always}
    case 'integer':
      return {t: 'int', ptr, always}
    case 'number':
      return {t: 'number', ptr, always}
    case 'intOrString':
      return {t: 'intOrString', ptr}
    case 'array':
      return {t: 'array', of: s.items ? fieldTypeFromUpstream(s.items) : {t: 'any'}, ptr}
    case 'object':
      if (s.props && !s.open) return {t: 'object', fields: fieldsFromUpstream(s), ptr}
      if (s.values) return {t: 'map', of: fieldTypeFromUpstream(s.values)}
      return {t: 'any'}
    default:
      return {t: 'any'}
  }
}

/** Our field list from upstream's, in Go's order; `overrides` replace fields whose Go type
 *  decodes more forms than the CRD's type says (e.g. numorstring.ASNumber takes "1.10"). */
export function fieldsFromUpstream(s: UpstreamSchema, overrides: Record<string, FieldType> = {}): Fields {
  return (s.props ?? []).map(([k, v]) => [k, overrides[k] ?? fieldTypeFromUpstream(v)] as const)
}

// ---------------------------------------------------------------------------------------------
// Case-insensitive field names (Go's encoding/json matches struct fields so; map keys exactly).

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The names an object may hold, from our schema and upstream's, and how to descend into each. */
interface Shape {
  names: ReadonlySet<string>
  /** Lower-cased name → the name. */
  lower: ReadonlyMap<string, string>
  child(name: string): Shape | undefined
  items?: Shape | undefined
  values?: Shape | undefined
  /** Elements (list items or map values) are strings: a JSON null among them reads as "". */
  strings?: boolean
  /** Fields whose Go type is a plain string (not a duration, not an int-or-string). */
  stringFields?: ReadonlySet<string>
}

// Shapes are built once per (our type, upstream schema) pair: a manifest walk only looks them up.
const NONE = {}
const shapeCache = new WeakMap<object, WeakMap<object, Shape | null>>()

export function shapeOf(ft: FieldType | undefined, us: UpstreamSchema | undefined): Shape | undefined {
  const f = ft && ft.t !== 'any' ? ft : undefined
  if (!f && !us) return undefined
  let inner = shapeCache.get(f ?? NONE)
  if (!inner) {
    inner = new WeakMap()
    shapeCache.set(f ?? NONE, inner)
  }
  const cached = inner.get(us ?? NONE)
  if (cached !== undefined) return cached ?? undefined
  const made = makeShape(f, us)
  inner.set(us ?? NONE, made ?? null)
  return made
}

const EMPTY_NAMES: ReadonlySet<string> = new Set()
const EMPTY_LOWER: ReadonlyMap<string, string> = new Map()

function makeShape(f: FieldType | undefined, us: UpstreamSchema | undefined): Shape | undefined {
  if (f?.t === 'array' || (!f && us?.t === 'array')) {
    const items = shapeOf(f?.t === 'array' ? f.of : undefined, us?.items)
    const strings = f?.t === 'array' ? f.of.t === 'string' : us?.items?.t === 'string'
    return {names: EMPTY_NAMES, lower: EMPTY_LOWER, child: () => undefined, items, strings}
  }
  if (f?.t === 'map' || (!f && us?.values && !us.props)) {
    const values = shapeOf(f?.t === 'map' ? f.of : undefined, us?.values)
    const strings = f?.t === 'map' ? f.of.t === 'string' : us?.values?.t === 'string'
    return {names: EMPTY_NAMES, lower: EMPTY_LOWER, child: () => undefined, values, strings}
  }
  const ours = f?.t === 'object' ? f.fields : []
  const theirs = us?.props ?? []
  if (ours.length === 0 && theirs.length === 0) return undefined
  const names = new Set([...ours.map(([k]) => k), ...theirs.map(([k]) => k)])
  const oursBy = new Map(ours)
  const theirsBy = new Map(theirs)
  const plainString = (n: string) => {
    const o = oursBy.get(n)
    const t = theirsBy.get(n)
    return (o ? o.t === 'string' : t?.t === 'string') && !t?.duration
  }
  return {
    names,
    lower: new Map([...names].map((n) => [n.toLowerCase(), n])),
    child: (name) => shapeOf(oursBy.get(name), theirsBy.get(name)),
    stringFields: new Set([...names].filter(plainString)),
  }
}

/**
 * Renames keys that differ from a known field only in case to the field's own spelling, at every
 * depth, in place; fields given as null are dropped (Go leaves them at their zero value). A later key overwrites an earlier one of the same field, as Go's decoder does.
 * A number or boolean where Go has a plain string becomes that string as calicoctl's YAML decoder
 * writes it (sigs.k8s.io/yaml convertToJSONableObject; goString).
 * With `seen` (for documents whose nodes YAML aliases may share), a shared node is visited once,
 * so an alias bomb costs no more than its text.
 */
export function canonicalKeys(value: unknown, shape: Shape | undefined, seen?: Map<object, unknown>): unknown {
  if (!shape || value === null || typeof value !== 'object') return value
  if (seen) {
    const done = seen.get(value)
    if (done !== undefined) return done
    seen.set(value, value)
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = element(value[i], shape, shape.items, seen)
    return value
  }
  const o = value as Obj
  if (shape.values || shape.strings) {
    for (const k of Object.keys(o)) o[k] = element(o[k], shape, shape.values, seen)
    return o
  }
  const {names, lower, stringFields} = shape
  const keys = Object.keys(o)
  const renamed = keys.some((k) => !names.has(k) && lower.has(k.toLowerCase()))
  const dropNulls = keys.some((k) => o[k] === null)
  const out: Obj = renamed || dropNulls ? {} : o
  for (const k of keys) {
    // A JSON null leaves a Go struct field at its zero value: as if it were not given.
    const given = o[k]
    if (given === null) continue
    const canon = names.has(k) ? k : (lower.get(k.toLowerCase()) ?? k)
    const v = (typeof given === 'number' || typeof given === 'boolean') && stringFields?.has(canon) ? goString(given) : canonicalKeys(given, shape.child(canon), seen)
    if (canon === '__proto__') Object.defineProperty(out, canon, {value: v, writable: true, enumerable: true, configurable: true})
    else out[canon] = v
  }
  if (out !== o) seen?.set(value, out)
  return out
}

/** An element of a list or map; of a list or map of strings, null reads as "", a number or boolean as its text. */
function element(v: unknown, shape: Shape, inner: Shape | undefined, seen: Map<object, unknown> | undefined): unknown {
  if (shape.strings && (v === null || typeof v === 'number' || typeof v === 'boolean')) return v === null ? '' : goString(v)
  return canonicalKeys(v, inner, seen)
}

// ---------------------------------------------------------------------------------------------
// Constraint checks.

const patterns = new Map<string, RegExp | null>()
function compilePattern(p: string): RegExp | null {
  let re = patterns.get(p)
  if (re === undefined) {
    // RE2's leading `(?i)` is a flag in JavaScript.
    const ci = p.includes('(?i)')
    try {
      re = new RegExp(p.replaceAll('(?i)', ''), ci ? 'ui' : 'u')
    } catch {
      try {
        re = new RegExp(p.replaceAll('(?i)', ''), ci ? 'i' : '')
      } catch {
        re = null
      }
    }
    patterns.set(p, re)
  }
  return re
}

const INT32 = 2 ** 31
const propMaps = new WeakMap<UpstreamSchema, Map<string, UpstreamSchema>>()
const GO_INT_BOUNDS: Record<string, [number, number]> = {uint8: [0, 255], uint16: [0, 65535], uint32: [0, 2 ** 32 - 1], int8: [-128, 127], int16: [-32768, 32767], int32: [-INT32, INT32 - 1]}

/**
 * Checks `value` against upstream's constraints: enums, patterns, bounds, lengths, required
 * fields, unknown fields and durations. Type mismatches are left to our own schema (upstream's
 * Go types accept more forms than its CRD, e.g. `asNumber: "1.10"`).
 */
export function checkUpstream(value: unknown, s: UpstreamSchema, path: string, out: FieldError[]): void {
  if (value === null || value === undefined) return
  // Go drops the zero value of an omitempty field before anything sees it (`types: []`, `""`).
  if (!s.ptr && !s.keep && (value === '' || value === 0 || value === false || (Array.isArray(value) && value.length === 0))) return
  if (s.duration) {
    if (typeof value === 'string' && parseGoDuration(value) === undefined)
      out.push(fieldError(path, 'must be a duration such as 90s, 1m30s or 250ms', value))
    return
  }
  if (s.port && (typeof value === 'number' || typeof value === 'string')) {
    try {
      parsePort(value)
    } catch (e) {
      if (!(e instanceof PortError)) throw e
      out.push(fieldError(path, e.message, value))
    }
    return
  }
  if (typeof value === 'string' && (s.t === 'string' || s.t === 'intOrString')) {
    if (s.enum && !s.enum.includes(value)) out.push(fieldError(path, `must be one of ${s.enum.join(', ')}`, value))
    else if (s.pattern && !compilePattern(s.pattern)?.test(value)) out.push(fieldError(path, `must match ${s.pattern}`, value))
    else if (s.maxLength !== undefined && [...value].length > s.maxLength) out.push(fieldError(path, `must be at most ${s.maxLength} characters`, value))
    else if (s.minLength !== undefined && [...value].length < s.minLength) out.push(fieldError(path, `must be at least ${s.minLength} characters`, value))
    return
  }
  if (typeof value === 'number' && (s.t === 'integer' || s.t === 'number' || s.t === 'intOrString')) {
    const bounds = s.goInt ? GO_INT_BOUNDS[s.goInt] : undefined
    if (bounds && (value < bounds[0] || value > bounds[1])) out.push(fieldError(path, `must be between ${bounds[0]} and ${bounds[1]}`, value))
    else if (s.enum && !s.enum.includes(value)) out.push(fieldError(path, `must be one of ${s.enum.join(', ')}`, value))
    else if (s.min !== undefined && value < s.min) out.push(fieldError(path, `must be at least ${s.min}`, value))
    else if (s.max !== undefined && value > s.max) out.push(fieldError(path, `must be at most ${s.max}`, value))
    return
  }
  if (Array.isArray(value) && s.t === 'array') {
    if (s.maxItems !== undefined && value.length > s.maxItems) out.push(fieldError(path, `must have at most ${s.maxItems} items`))
    if (s.minItems !== undefined && value.length < s.minItems) out.push(fieldError(path, `must have at least ${s.minItems} items`))
    if (s.items) value.forEach((v, i) => checkUpstream(v, s.items!, `${path}[${i}]`, out))
    return
  }
  if (isObj(value) && s.t === 'object') {
    if (s.values) for (const [k, v] of Object.entries(value)) checkUpstream(v, s.values, `${path}.${k}`, out)
    if (!s.props) return
    let known = propMaps.get(s)
    if (!known) {
      known = new Map(s.props)
      propMaps.set(s, known)
    }
    for (const [k, v] of Object.entries(value)) {
      const ps = known.get(k)
      if (ps) checkUpstream(v, ps, `${path}.${k}`, out)
      else if (!s.open && !s.values) out.push(fieldError(`${path}.${k}`, 'field is not recognised (unknown field or wrong location)'))
    }
    for (const req of s.required ?? []) if (value[req] === undefined || value[req] === null) out.push(fieldError(`${path}.${req}`, 'is required'))
  }
}

/** Adds upstream's findings for fields that have none yet (one line per field). */
export function addUpstreamFindings(value: unknown, s: UpstreamSchema | undefined, path: string, errors: FieldError[]): void {
  if (!s) return
  const found: FieldError[] = []
  checkUpstream(value, s, path, found)
  // A field (or one above it) that our own checks already reported gets no second line.
  const covered = (field: string) => errors.some((e) => field === e.field || field.startsWith(`${e.field}.`) || field.startsWith(`${e.field}[`))
  for (const e of found) if (!covered(e.field)) errors.push(e)
}
