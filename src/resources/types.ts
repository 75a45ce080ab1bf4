// What every Calico v3 resource looks like, and what a kind must say about itself.
import type {CalicoError, FieldError} from './errors.js'
import type {Fields} from './schema.js'
import type {RuleTable} from './rule-table.js'

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
  /** Whether a resource this one refers to is stored (or in the same input); absent offline. */
  exists?: (kind: string, name: string) => boolean
}

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
