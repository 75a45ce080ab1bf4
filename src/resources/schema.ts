// A small schema language for Calico's JSON documents. One schema per kind drives three jobs:
// strict parsing (unknown fields and wrong types are errors), Calico's key order when encoding,
// and Go's `omitempty` when encoding (zero values vanish unless the Go field is a pointer).
import {isObject} from '../lib/objects.js'
import {type FieldError, fieldError} from './errors.js'

/** `always`: a Go field tagged without omitempty, written (as its zero value) even when absent. */
export type FieldType =
  | {t: 'string'; ptr?: boolean; always?: boolean}
  | {t: 'bool'; ptr?: boolean; always?: boolean}
  | {t: 'int'; ptr?: boolean; min?: number; max?: number; always?: boolean}
  | {t: 'number'; ptr?: boolean; always?: boolean}
  /** An int or a string (Go's intstr / numorstring types, e.g. ports, AS numbers, protocols). */
  | {t: 'intOrString'; ptr?: boolean}
  | {t: 'array'; of: FieldType; ptr?: boolean}
  | {t: 'map'; of: FieldType}
  | {t: 'object'; fields: Fields; ptr?: boolean}
  /** Free-form JSON that this tool passes through unchanged (e.g. managedFields). */
  | {t: 'any'}

/** Field name → type, in the order Calico's Go struct declares them. */
export type Fields = ReadonlyArray<readonly [string, FieldType]>

export const str: FieldType = {t: 'string'}
export const strPtr: FieldType = {t: 'string', ptr: true}
export const bool: FieldType = {t: 'bool'}
export const boolPtr: FieldType = {t: 'bool', ptr: true}
export const int: FieldType = {t: 'int'}
export const intPtr: FieldType = {t: 'int', ptr: true}
export const num: FieldType = {t: 'number'}
export const numPtr: FieldType = {t: 'number', ptr: true}
export const intOrStr: FieldType = {t: 'intOrString'}
export const anyJson: FieldType = {t: 'any'}
export const strList: FieldType = {t: 'array', of: str}
export const strMap: FieldType = {t: 'map', of: str}
export const obj = (fields: Fields, ptr = false): FieldType => ({t: 'object', fields, ptr})
export const list = (of: FieldType): FieldType => ({t: 'array', of})

export const objectMetaFields: Fields = [
  ['name', str],
  ['generateName', str],
  ['namespace', str],
  ['selfLink', str],
  ['uid', str],
  ['resourceVersion', str],
  ['generation', int],
  ['creationTimestamp', strPtr],
  ['deletionTimestamp', str],
  ['deletionGracePeriodSeconds', intPtr],
  ['labels', strMap],
  ['annotations', strMap],
  ['ownerReferences', list(anyJson)],
  ['finalizers', strList],
  ['managedFields', list(anyJson)],
]

const typeName = (t: FieldType) =>
  ({string: 'a string', bool: 'a boolean', int: 'an integer', number: 'a number', intOrString: 'a number or string', array: 'a list', map: 'a map', object: 'an object', any: 'a value'})[t.t]

const fieldMaps = new WeakMap<Fields, Map<string, FieldType>>()
function fieldMap(fields: Fields): Map<string, FieldType> {
  let m = fieldMaps.get(fields)
  if (!m) {
    m = new Map(fields)
    fieldMaps.set(fields, m)
  }
  return m
}

/** Checks a value against a type; returns field errors (unknown fields, wrong types). */
export function checkType(value: unknown, type: FieldType, path: string, out: FieldError[]): void {
  if (value === null || value === undefined) return
  switch (type.t) {
    case 'any':
      return
    case 'string':
      if (typeof value !== 'string') out.push(fieldError(path, `must be ${typeName(type)}`, value))
      return
    case 'bool':
      if (typeof value !== 'boolean') out.push(fieldError(path, `must be ${typeName(type)}`, value))
      return
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) out.push(fieldError(path, `must be ${typeName(type)}`, value))
      else if ((type.min !== undefined && value < type.min) || (type.max !== undefined && value > type.max))
        out.push(fieldError(path, `must be between ${type.min} and ${type.max}`, value))
      return
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) out.push(fieldError(path, `must be ${typeName(type)}`, value))
      return
    case 'intOrString':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) out.push(fieldError(path, `must be ${typeName(type)}`, value))
      return
    case 'array':
      if (!Array.isArray(value)) {
        out.push(fieldError(path, `must be ${typeName(type)}`, value))
        return
      }
      value.forEach((v, i) => checkType(v, type.of, `${path}[${i}]`, out))
      return
    case 'map':
      if (!isObject(value)) {
        out.push(fieldError(path, `must be ${typeName(type)}`, value))
        return
      }
      for (const [k, v] of Object.entries(value)) checkType(v, type.of, `${path}.${k}`, out)
      return
    case 'object': {
      if (!isObject(value)) {
        out.push(fieldError(path, `must be ${typeName(type)}`, value))
        return
      }
      const known = fieldMap(type.fields)
      for (const [k, v] of Object.entries(value)) {
        const ft = known.get(k)
        const p = path ? `${path}.${k}` : k
        if (!ft) out.push(fieldError(p, 'field is not recognised (unknown field or wrong location)'))
        else checkType(v, ft, p, out)
      }
      return
    }
  }
}

/** What Go keeps for a JSON null in a list or map element: a string stays "", anything else null. */
function nullAs(t: FieldType): unknown {
  return t.t === 'string' ? '' : null
}

function isZero(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === '' ||
    v === false ||
    v === 0 ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && Object.keys(v).length === 0)
  )
}

/**
 * Re-emits a value in schema key order, dropping empty fields as Go's omitempty does: pointer
 * fields keep false/0/"" (only absent is dropped), struct fields that are empty vanish.
 */
export function canonicalize(value: unknown, type: FieldType): unknown {
  if (value === null || value === undefined) return undefined
  switch (type.t) {
    case 'array':
      return Array.isArray(value) ? value.map((v) => canonicalize(v, type.of) ?? nullAs(type.of)) : value
    case 'map': {
      if (!isObject(value)) return value
      const out: Record<string, unknown> = {}
      for (const k of Object.keys(value).sort()) out[k] = canonicalize(value[k], type.of) ?? nullAs(type.of)
      return out
    }
    case 'object': {
      if (!isObject(value)) return value
      const out: Record<string, unknown> = {}
      for (const [k, ft] of type.fields) {
        // Go emits a non-pointer struct field even when empty (`"source":{}`).
        const embedded = ft.t === 'object' && !ft.ptr
        const v = canonicalize(embedded ? (value[k] ?? {}) : value[k], ft)
        if (v === undefined) {
          if ('always' in ft && ft.always) out[k] = ft.t === 'string' ? '' : ft.t === 'bool' ? false : 0
          continue
        }
        const keep = embedded || ('ptr' in ft && ft.ptr) || !isZero(v)
        if (keep) out[k] = v
      }
      return out
    }
    default:
      return value
  }
}
