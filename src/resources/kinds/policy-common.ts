// What NetworkPolicy, GlobalNetworkPolicy, their staged forms and Profile share: the Rule and
// EntityRule schemas in Calico's Go field order, policy defaulting, policy names in etcd keys
// across Calico versions, and a few table-cell helpers.
import {type CalicoError, fieldError, NotFoundError, NotSupportedError} from '../errors.js'
import {inferPolicyTypes} from '../rules.js'
import type {PolicyType} from '../policy-types.js'
import {bool, intOrStr, list, num, obj, str, strList, strMap, type FieldType, type Fields} from '../schema.js'
import type {KindDef, Reference, Resource, WriteVerb} from '../types.js'
import {goFloat} from '../../lib/go-float.js'
import {STATIC_TIERS} from './tier.js'
import {type RuleRow, type RuleTable, tableValidator} from '../rule-table.js'

const intP: FieldType = {t: 'int', ptr: true}
const numP: FieldType = {t: 'number', ptr: true}
const protoP: FieldType = {t: 'intOrString', ptr: true}
void num

const icmpFields: Fields = [
  ['type', intP],
  ['code', intP],
]

/** Calico's EntityRule, in struct order. */
export const entityRuleFields: Fields = [
  ['nets', strList],
  ['selector', str],
  ['namespaceSelector', str],
  ['services', obj([['name', str], ['namespace', str]], true)],
  ['ports', list(intOrStr)],
  ['notNets', strList],
  ['notSelector', str],
  ['notPorts', list(intOrStr)],
  ['serviceAccounts', obj([['names', strList], ['selector', str]], true)],
]

/**
 * Calico's Rule, in struct order. `source` and `destination` are tagged `omitzero` since
 * v3.32: an absent entity rule is not written, one that was given (even `{}` after dropping
 * empty lists) is. Modelled as pointer fields plus `dropZeroEntities` in defaulting.
 */
export const ruleFields: Fields = [
  ['action', str],
  ['ipVersion', intP],
  ['protocol', protoP],
  ['icmp', obj(icmpFields, true)],
  ['notProtocol', protoP],
  ['notICMP', obj(icmpFields, true)],
  ['source', obj(entityRuleFields, true)],
  ['destination', obj(entityRuleFields, true)],
  ['http', obj([['methods', strList], ['paths', list(obj([['exact', str], ['prefix', str]]))]], true)],
  ['metadata', obj([['annotations', strMap]], true)],
]

export const ruleList: FieldType = list(obj(ruleFields))

/** NetworkPolicySpec in struct order. */
export const networkPolicySpecFields: Fields = [
  ['tier', str],
  ['order', numP],
  ['ingress', ruleList],
  ['egress', ruleList],
  ['selector', str],
  ['types', strList],
  ['serviceAccountSelector', str],
  ['performanceHints', strList],
]

/** GlobalNetworkPolicySpec in struct order. */
export const globalNetworkPolicySpecFields: Fields = [
  ['tier', str],
  ['order', numP],
  ['ingress', ruleList],
  ['egress', ruleList],
  ['selector', str],
  ['types', strList],
  ['doNotTrack', bool],
  ['preDNAT', bool],
  ['applyOnForward', bool],
  ['serviceAccountSelector', str],
  ['namespaceSelector', str],
  ['performanceHints', strList],
]

export const TIER_LABEL = 'projectcalico.org/tier'
/** Annotation in which Calico (v3.30+) records the policy name the user gave. */
export const METADATA_ANNOTATION = 'projectcalico.org/metadata'
export const DEFAULT_TIER = 'default'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Go's `omitzero` on a rule's source and destination: an entity rule whose fields are all unset
 * (`{}`, null) is not written; one holding even an empty list is not zero and is written as `{}`.
 */
function dropZeroEntities(rules: unknown): void {
  if (!Array.isArray(rules)) return
  for (const r of rules) {
    if (!isObj(r)) continue
    for (const side of ['source', 'destination']) {
      const e = r[side]
      if (e === null || (isObj(e) && Object.values(e).every((v) => v === null || v === undefined))) delete r[side]
    }
  }
}

/** Calico's numorstring.Protocol: a string of digits that fits a byte is stored as a number. */
export function normalizeProtocol(v: unknown): unknown {
  return typeof v === 'string' && /^\d+$/.test(v) && Number(v) <= 255 ? Number(v) : v
}

/** Calico's numorstring.Port: "80" and "80:80" are stored as 80; other ranges and names as text. */
export function normalizePort(v: unknown): unknown {
  if (typeof v !== 'string') return v
  if (/^\d+$/.test(v)) return Number(v) <= 65535 ? Number(v) : v
  const m = /^(\d+):(\d+)$/.exec(v)
  if (m && m[1] !== undefined && Number(m[1]) === Number(m[2]) && Number(m[1]) <= 65535) return Number(m[1])
  return v
}

function normalizeRules(rules: unknown): void {
  if (!Array.isArray(rules)) return
  for (const r of rules) {
    if (!isObj(r)) continue
    for (const k of ['protocol', 'notProtocol']) if (k in r) r[k] = normalizeProtocol(r[k])
    for (const side of ['source', 'destination']) {
      const e = r[side]
      if (!isObj(e)) continue
      for (const k of ['ports', 'notPorts']) if (Array.isArray(e[k])) e[k] = (e[k] as unknown[]).map(normalizePort)
    }
  }
}

/** Rule normalisation Calico's JSON types imply: zero entity rules dropped, numeric text made numbers. */
export function ruleDefaults(spec: Obj): void {
  for (const dir of ['ingress', 'egress']) {
    dropZeroEntities(spec[dir])
    normalizeRules(spec[dir])
  }
}

// Resources whose name was taken from the metadata annotation while decoding; the key name
// must then not override it (see nameFromKey).
const namedByAnnotation = new WeakSet<Resource>()

/**
 * Reads and removes the `projectcalico.org/metadata` annotation. Calico uses the name recorded
 * there when reading; we adopt it only when it is the same policy (equal, or the stored name is
 * it with a tier prefix), so a copied annotation cannot rename a resource on write.
 */
function takeMetadataAnnotation(r: Resource, tier: string): void {
  const ann = r.metadata.annotations
  if (!ann || !(METADATA_ANNOTATION in ann)) return
  const raw = ann[METADATA_ANNOTATION]
  delete ann[METADATA_ANNOTATION]
  if (Object.keys(ann).length === 0) delete r.metadata.annotations
  let recorded: unknown
  try {
    recorded = (JSON.parse(raw ?? '') as {name?: unknown}).name
  } catch {
    return
  }
  if (typeof recorded !== 'string' || recorded === '') return
  const name = r.metadata.name
  if (name === recorded || name === `${tier}.${recorded}` || name === `${DEFAULT_TIER}.${recorded}`) {
    r.metadata.name = recorded
    namedByAnnotation.add(r)
  }
}

/** Calico's policy defaulting: tier, inferred types, the tier label; annotation stripped. */
export function policyDefaults(r: Resource): void {
  r.spec ??= {}
  const spec = r.spec as Obj
  if (typeof spec.tier !== 'string' || spec.tier === '') spec.tier = DEFAULT_TIER
  const tier = spec.tier as string
  if (!Array.isArray(spec.types) || spec.types.length === 0) {
    spec.types = inferPolicyTypes({
      ingress: Array.isArray(spec.ingress) ? spec.ingress : [],
      egress: Array.isArray(spec.egress) ? spec.egress : [],
    }) satisfies PolicyType[]
  }
  r.metadata.labels = {...r.metadata.labels, [TIER_LABEL]: tier}
  ruleDefaults(spec)
  takeMetadataAnnotation(r, tier)
}

/**
 * The stored form carries the annotation Calico v3.30+ writes with every policy,
 * `{"name":"<name>"}`; reading strips it (policyDefaults), so printed documents do not show it.
 */
export function withMetadataAnnotation(r: Resource): Resource {
  if (!r.metadata.name) return r
  return {...r, metadata: {...r.metadata, annotations: {...r.metadata.annotations, [METADATA_ANNOTATION]: JSON.stringify({name: r.metadata.name})}}}
}

/** Keys to try for a name that is not stored under itself: Calico ≤ v3.31 wrote `default.<name>`. */
export function policyLegacyKeyNames(name: string): string[] {
  return name.startsWith(`${DEFAULT_TIER}.`) ? [] : [`${DEFAULT_TIER}.${name}`]
}

/** The policy name for a key, as Calico's determinePolicyName: annotation first, else trim `default.`. */
export function policyNameFromKey(keyName: string, r: Resource): string {
  if (namedByAnnotation.has(r)) return r.metadata.name
  const tier = ((r.spec ?? {}) as Obj).tier
  if ((tier === undefined || tier === '' || tier === DEFAULT_TIER) && keyName.startsWith(`${DEFAULT_TIER}.`)) {
    return keyName.slice(DEFAULT_TIER.length + 1)
  }
  return keyName
}

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const SUBDOMAIN = `${LABEL}(\\.${LABEL})*`
const NETWORK_POLICY_NAME = new RegExp(`^((${LABEL})(\\.${LABEL})?|((?:knp|ossg)\\.default\\.(${SUBDOMAIN})))$`)
const GLOBAL_POLICY_NAME = new RegExp(`^(${LABEL}\\.)?${LABEL}$`)

function policyNameProblem(name: string, re: RegExp): string | undefined {
  if (name.length > 253) return `name is too long by ${name.length - 253} bytes`
  if (!re.test(name)) return `name must consist of lower case alphanumeric characters or '-' (regex: ${LABEL}), with at most one '.' separating a tier prefix`
  return undefined
}

export const networkPolicyNameProblem = (name: string) => policyNameProblem(name, NETWORK_POLICY_NAME)
export const globalNetworkPolicyNameProblem = (name: string) => policyNameProblem(name, GLOBAL_POLICY_NAME)

/**
 * In etcd, `knp.default.*` names carry Kubernetes network policies: calicoctl refuses to create,
 * update or delete them (calicoctl/calicoctl/resourcemgr/networkpolicy.go). Its apply and replace
 * read the policy first, so an absent one is "does not exist".
 */
export function refuseKubernetesPolicy(verb: WriteVerb, r: Resource, stored: boolean): CalicoError | undefined {
  if (!r.metadata.name?.startsWith('knp.default.')) return undefined
  const id = `NetworkPolicy(${r.metadata.namespace ?? 'default'}/${r.metadata.name})`
  if ((verb === 'apply' || verb === 'update') && !stored) return new NotFoundError(`resource does not exist: ${id}`)
  const op = {create: 'create or apply', apply: 'apply or replace', update: 'apply or replace', delete: 'delete'}[verb]
  return new NotSupportedError(op, id, 'kubernetes network policies must be managed through the kubernetes API')
}

// ---------------------------------------------------------------------------------------------
// Table cells

/** calicoctl's `joinAndTruncate`: items joined by `sep`, cut to `max` characters ending `...`. */
export function joinAndTruncate(items: readonly unknown[] | undefined, sep: string, max = 0): string {
  let out = ''
  for (const [i, item] of (items ?? []).entries()) {
    if (i > 0) out += sep
    out += String(item)
    if (max > 0 && out.length > max) return `${out.slice(0, max - 3)}...`
  }
  return out
}

export function orderCell(order: unknown): string {
  return typeof order === 'number' ? goFloat(order) : ''
}

/** Table cells shared by NetworkPolicy and GlobalNetworkPolicy. */
export function policyCell(r: Resource, col: string): string {
  const s = (r.spec ?? {}) as {tier?: string; order?: number; selector?: string}
  switch (col) {
    case 'NAME':
      return r.metadata.name
    case 'TIER':
      return s.tier ?? ''
    case 'ORDER':
      return orderCell(s.order)
    case 'SELECTOR':
      return s.selector ?? ''
    default:
      return ''
  }
}

/**
 * The tier a policy names must exist when it is written (libcalico-go/lib/clientv3/networkpolicy.go
 * and globalnetworkpolicy.go Create). Calico creates the static tiers itself, so they always count.
 */
export function policyTierReference(r: Resource): Reference[] {
  const tier = ((r.spec ?? {}) as Obj).tier
  if (typeof tier !== 'string' || tier === '' || Object.hasOwn(STATIC_TIERS, tier)) return []
  return [{kind: 'Tier', plural: 'tiers', name: tier, field: 'spec.tier'}]
}

// ---------------------------------------------------------------------------------------------
// Staged policies (api/pkg/apis/projectcalico/v3/staged*.go): a policy as it would be if
// enforced, plus `stagedAction`. Set (or empty) stages the policy of the same name; Delete stages
// its removal and then carries nothing but the tier. Learn and Ignore are accepted and stored
// (upstream's enum) and change nothing in the would-be set.

/**
 * What every policy kind's definition shares (NetworkPolicy, GlobalNetworkPolicy and their staged
 * forms): table columns and cells, the metadata annotation stored with it, its names in etcd keys,
 * the tier it references, and its rule table with the validator over that table.
 */
export function policyKind(rules: RuleTable) {
  return {
    columns: ['NAME', 'TIER'],
    wideColumns: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
    cell: policyCell,
    toStorage: withMetadataAnnotation,
    rules,
    validate: tableValidator(rules),
    legacyKeyNames: policyLegacyKeyNames,
    nameFromKey: policyNameFromKey,
    references: policyTierReference,
  } satisfies Partial<KindDef>
}

export const STAGED_DESCRIPTION =
  'A policy staged for review: stored, never programmed. spec.stagedAction Set (or empty) stands for the enforced policy of the same name, Delete for its removal (then only the tier may be set); Learn and Ignore are stored and change nothing. node explain shows the verdict the staged policies would give next to the enforced one.'
/** The spec fields of a staged form: `stagedAction` first, then the enforced kind's. */
export const stagedSpecFields = (enforced: Fields): Fields => [['stagedAction', str], ...enforced]

/** Upstream's Create/Update: policy defaulting, then Delete drops the defaulted types. */
export function stagedPolicyDefaults(r: Resource): void {
  policyDefaults(r)
  const spec = r.spec as Obj
  if (spec.stagedAction === 'Delete') delete spec.types
}

/** The enforced spec a staged one stands for (stagedAction removed). */
export function enforcedSpec(r: Resource): Obj {
  const {stagedAction: _, ...rest} = (r.spec ?? {}) as Obj
  return rest
}

const isDelete = (r: Resource) => (r.spec as Obj | undefined)?.stagedAction === 'Delete'

/**
 * validator.go validateStaged(Global)NetworkPolicy: with Delete every field but the tier must
 * be empty; otherwise the enforced form is checked as that kind would be (the tier must exist
 * either way: the client's check).
 */
export function stagedPolicyRows(enforced: RuleTable): RuleTable {
  return [
  {
    field: 'spec.stagedAction',
    rule: 'with Delete, only the tier',
    source: 'libcalico-go/lib/validator/v3/validator.go validateStagedNetworkPolicy, validateStagedGlobalNetworkPolicy',
    check: (v, at) => {
      if (v !== 'Delete') return undefined
      const extra = Object.entries(enforcedSpec(at.resource)).filter(([k, x]) => k !== 'tier' && x !== undefined && x !== null && !(Array.isArray(x) && x.length === 0) && x !== false && x !== '')
      return extra.length > 0 ? [fieldError('spec', `Spec fields, except Tier, should all be zero-value if stagedAction is Delete (found ${extra.map(([k]) => k).join(', ')})`)] : undefined
    },
  },
  ...enforced.map((row): RuleRow => (row.rule === 'the tier exists' ? row : {...row, check: (v, at) => (isDelete(at.resource) ? undefined : row.check(v, at))})),
]
}
