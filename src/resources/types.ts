// What every Calico v3 resource looks like, and what a kind must say about itself.
import type {FieldError} from './errors.js'
import type {Fields} from './schema.js'

export const API_VERSION = 'projectcalico.org/v3'

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  creationTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  [other: string]: unknown
}

export interface Resource<S = any> {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  spec?: S
  status?: unknown
}

/** What a kind's validation may consult beyond the resource itself. */
export interface ValidateContext {
  /** Other resources of the same kind already stored (for overlap checks); absent offline. */
  existing?: Resource[]
}

/** Cluster values table cells may show (calicoctl's template function `config`). */
export interface CellContext {
  /** The AS number nodes inherit: the default BGPConfiguration's, 64512 when it sets none, or `unknown`. */
  asNumber?: string
}

export interface KindDef {
  kind: string
  /** The plural used in etcd keys and by calicoctl, e.g. `ippools`. */
  plural: string
  /** Lower-case names accepted on the command line besides kind and plural. */
  aliases: string[]
  namespaced: boolean
  specFields: Fields
  statusFields?: Fields
  /** Table columns for `-o ps` (the default) and `-o wide`. */
  columns: string[]
  wideColumns: string[]
  /** One table cell; `ctx` carries what a cell reads from elsewhere in the cluster. */
  cell(r: Resource, column: string, ctx?: CellContext): string
  /** Fills Calico's defaults in place; applied on write and on read. */
  defaults?(r: Resource): void
  /** Field checks on one resource, all errors at once. */
  validate?(r: Resource, ctx: ValidateContext): FieldError[]
  /** Checks that depend on the stored version (immutable fields). */
  validateUpdate?(stored: Resource, next: Resource): FieldError[]
  /** Name rule when it differs from a DNS-1123 subdomain. */
  validateName?(name: string): string | undefined
  /** Reason the kind cannot be written by users, if it cannot. */
  readOnly?: string
  /** The name used in the etcd key, when it differs from metadata.name (older policy forms). */
  legacyKeyNames?(name: string): string[]
  /** Adjusts the document written to etcd only (e.g. Calico's policy name annotation). */
  toStorage?(r: Resource): Resource
  /** Called when a resource is read from etcd with its key name (e.g. strip `default.`). */
  nameFromKey?(keyName: string, r: Resource): string
}
