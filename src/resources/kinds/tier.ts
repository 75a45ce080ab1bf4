// Tier: an ordered group of policies with a default action. Names are single DNS labels.
import {goFloat} from '../../lib/go-float.js'
import {fieldError} from '../errors.js'
import {anyJson, list, type FieldType, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'
import {labelNameProblem} from '../validate.js'
import {type At, oneOf, type RuleRow, tableValidator} from '../rule-table.js'

const specFields: Fields = [
  ['order', {t: 'number', ptr: true} satisfies FieldType],
  ['defaultAction', {t: 'string', ptr: true} satisfies FieldType],
]

/** Tier.status is a non-pointer struct tagged omitempty, so Go always writes `"status":{}`. */
const statusFields: Fields = [['conditions', list(anyJson)]]

export const DEFAULT_TIER_ORDER = 1_000_000

/** Tiers Calico creates itself, with the order and default action each must keep. */
export const STATIC_TIERS: Readonly<Record<string, {order: number; defaultAction: string}>> = {
  default: {order: DEFAULT_TIER_ORDER, defaultAction: 'Deny'},
  'kube-admin': {order: 1_000, defaultAction: 'Pass'},
  'kube-baseline': {order: 10_000_000, defaultAction: 'Pass'},
}

interface TierSpec {
  order?: number
  defaultAction?: string
}

const fixedTier = (at: At) => STATIC_TIERS[at.resource.metadata.name]

/** Tier's rules: the CRD's enum and validator.go validateTier for Calico's own tiers. */
export const RULES: readonly RuleRow[] = [
  {field: 'spec.defaultAction', rule: 'Deny or Pass', source: 'api/pkg/apis/projectcalico/v3/tier.go defaultAction (+kubebuilder:validation:Enum=Deny;Pass)', check: oneOf('Deny', 'Pass')},
  {
    field: 'spec.order',
    rule: "Calico's own tiers keep their order",
    source: 'libcalico-go/lib/validator/v3/validator.go validateTier',
    absent: true,
    check: (v, at) => {
      const fixed = fixedTier(at)
      return fixed && v !== fixed.order ? [fieldError(at.path, `${at.resource.metadata.name} tier order must be ${goFloat(fixed.order)}`, v)] : undefined
    },
  },
  {
    field: 'spec.defaultAction',
    rule: "Calico's own tiers keep their default action",
    source: 'libcalico-go/lib/validator/v3/validator.go validateTier',
    absent: true,
    check: (v, at) => {
      const fixed = fixedTier(at)
      return fixed && v !== fixed.defaultAction ? [fieldError(at.path, `The '${at.resource.metadata.name}' tier must have default action '${fixed.defaultAction}'`, v)] : undefined
    },
  },
]

export const Tier: KindDef = {
  kind: 'Tier',
  plural: 'tiers',
  aliases: ['tier', 'tiers'],
  namespaced: false,
  specFields,
  statusFields,
  columns: ['NAME', 'ORDER'],
  wideColumns: ['NAME', 'ORDER'],
  cell(r, col) {
    const s = (r.spec ?? {}) as TierSpec
    if (col === 'NAME') return r.metadata.name
    if (col === 'ORDER') return typeof s.order === 'number' ? goFloat(s.order) : ''
    return ''
  },
  defaults(r) {
    r.spec ??= {}
    const s = r.spec as TierSpec
    // A tier without an order sorts like the default tier (Calico's DefaultTierFields).
    if (s.order === undefined || s.order === null) s.order = DEFAULT_TIER_ORDER
    s.defaultAction ??= 'Deny'
  },
  rules: RULES,
  validate: tableValidator(RULES),
  validateName: labelNameProblem,
  // calicoctl lists tiers by order, lowest first; a tier without one goes last (resourcemgr/tier.go).
  listOrder: (items) => items.toSorted((a, b) => orderOf(a) - orderOf(b)),
}

const orderOf = (r: {spec?: TierSpec}) => (typeof r.spec?.order === 'number' ? r.spec.order : Number.POSITIVE_INFINITY)
