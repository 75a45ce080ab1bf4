// What every Calico v3 resource looks like, and what a kind must say about itself.
import type {CalicoError, FieldError} from './errors.js'
import {type FieldType, type Fields, obj, objectMetaFields, str} from './schema.js'

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

/** A resource's spec, or an empty one when it has none, typed by the caller (`specOf<IPPoolSpec>(r)`). */
export function specOf<S extends object = Record<string, any>>(r: {spec?: unknown} | undefined): S {
  return (r?.spec ?? {}) as S
}

/** What a kind's validation may consult beyond the resource itself. */
export interface ValidateContext {
  /** Other resources of the same kind already stored (for overlap checks); absent offline. */
  existing?: Resource[]
  /** Whether a resource this one refers to is stored (or in the same input); absent offline. */
  exists?: (kind: string, name: string) => boolean
}

// A kind's validation rules as data (applied by rule-table.ts).

/** Where a check runs: the field's concrete path, the object holding it, the whole resource. */
export interface At {
  path: string
  parent: Record<string, unknown>
  /** The object holding the parent (for a field of a list item, the object holding the list). */
  grandparent: Record<string, unknown> | undefined
  resource: Resource
  ctx: ValidateContext
}

/** A reason (reported on the row's field, with its value when that is a scalar), or findings naming their own fields. */
export type Finding = string | FieldError[] | undefined

export interface RuleRow {
  /**
   * Field path from the resource's root: `.` between fields, `[*]` for every item of a list,
   * `*` for every key of a map, `{a,b}` for either field (e.g. `spec.{ingress,egress}[*].action`).
   */
  field: string
  /** What upstream demands, in a few words. */
  rule: string
  /** Upstream's source at v3.32.1: file and function, tag or CRD marker. */
  source: string
  /** Checked also where the field is absent (a required field; a rule on its absence). */
  absent?: boolean
  check(value: unknown, at: At): Finding
}

export type RuleTable = readonly RuleRow[]

/** A resource this one names and that must exist when it is written (upstream client checks). */
export interface Reference {
  kind: string
  /** The kind's plural in etcd keys (the kind may be one this tool does not manage). */
  plural: string
  name: string
  field: string
}

/** The verbs a kind may refuse. */
export type WriteVerb = 'create' | 'apply' | 'update' | 'delete'

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
  /** The kind's validation rules, one row per upstream rule (see rule-table.ts). */
  rules?: RuleTable
  /** Field checks on one resource, all errors at once (the rules, applied: `tableValidator`). */
  validate?(r: Resource, ctx: ValidateContext): FieldError[]
  /** Resources this one names that must exist (a policy's tier, a peer's filters). */
  references?(r: Resource): Reference[]
  /** Checks that depend on the stored version (immutable fields). */
  validateUpdate?(stored: Resource, next: Resource): FieldError[]
  /** Name rule when it differs from a DNS-1123 subdomain. */
  validateName?(name: string): string | undefined
  /**
   * Calicoctl's refusal of a write to this resource, whatever its content (ClusterInformation,
   * `knp.default.*` policies, the built-in profile); `stored` says whether it exists. Checked
   * before validation; `update` is a replace, patch or label, `apply` an apply.
   */
  refuse?(verb: WriteVerb, r: Resource, stored: boolean): CalicoError | undefined
  /** The order calicoctl lists this kind in, when not the datastore's (tiers: by spec.order). */
  listOrder?(items: Resource[]): Resource[]
  /** Resources the datastore presents without storing them (get and list include them). */
  builtIn?(): Resource[]
  /** What the kind does beyond its fields (shown in calicoctl-resources(7)). */
  description?: string
  /** The name used in the etcd key, when it differs from metadata.name (older policy forms). */
  legacyKeyNames?(name: string): string[]
  /** Adjusts the document written to etcd only (e.g. Calico's policy name annotation). */
  toStorage?(r: Resource): Resource
  /** Called when a resource is read from etcd with its key name (e.g. strip `default.`). */
  nameFromKey?(keyName: string, r: Resource): string
}

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
