// Resources to and from the exact JSON Calico's etcdv3 backend stores: compact, Go struct key
// order, omitempty, no resourceVersion (that is the key's mod revision).
import {DatastoreError} from '../resources/errors.js'
import {canonicalize, type FieldType, objectMetaFields, obj, str} from '../resources/schema.js'
import {API_VERSION, type KindDef, type Resource} from '../resources/types.js'
import type {KeyValue} from './etcd.js'

const schemas = new WeakMap<KindDef, FieldType>()

/** The whole-document schema of a kind. A kind with no spec fields keeps its spec free-form. */
export function documentSchema(def: KindDef): FieldType {
  let s = schemas.get(def)
  if (!s) {
    const fields: Array<readonly [string, FieldType]> = [
      ['kind', str],
      ['apiVersion', str],
      ['metadata', obj(objectMetaFields)],
      ['spec', def.specFields.length > 0 ? obj(def.specFields) : {t: 'any'}],
    ]
    if (def.statusFields) fields.push(['status', obj(def.statusFields)])
    s = obj(fields)
    schemas.set(def, s)
  }
  return s
}

/** Go's encoding/json escapes these for HTML safety; Calico's stored values carry the escapes. */
function goJsonEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export function encodeResource(def: KindDef, r: Resource): string {
  const stored = def.toStorage ? def.toStorage(r) : r
  const doc = {...stored, kind: def.kind, apiVersion: API_VERSION, metadata: {...stored.metadata}, spec: stored.spec ?? {}}
  delete doc.metadata.resourceVersion
  delete doc.metadata.selfLink
  return goJsonEscape(JSON.stringify(canonicalize(doc, documentSchema(def))))
}

export function decodeResource(def: KindDef, kv: KeyValue): Resource {
  let r: Resource
  try {
    r = JSON.parse(kv.value) as Resource
  } catch {
    throw new DatastoreError(`stored value at ${kv.key} is not valid JSON`)
  }
  r.metadata ??= {name: ''}
  r.metadata.resourceVersion = kv.modRevision
  r.spec ??= {}
  def.defaults?.(r)
  return r
}
