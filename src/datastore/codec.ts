// Resources to and from the exact JSON Calico's etcdv3 backend stores: compact, Go struct key
// order, omitempty, no resourceVersion (that is the key's mod revision).
import {DatastoreError} from '../resources/errors.js'
import {canonicalize} from '../resources/schema.js'
import {API_VERSION, documentSchema, type KindDef, type Resource} from '../resources/types.js'
import type {KeyValue} from './etcd.js'

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
