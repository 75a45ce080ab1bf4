// Tier: an ordered group of policies with a default action. Names are single DNS labels.
import {goFloat} from '../../lib/go-float.js'
import {type FieldError, fieldError} from '../errors.js'
import {anyJson, list, type FieldType, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'
import {checkOneOf, labelNameProblem} from '../validate.js'

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
  validate(r) {
    const s = (r.spec ?? {}) as TierSpec
    const out: FieldError[] = []
    checkOneOf(s.defaultAction, ['Deny', 'Pass'], 'spec.defaultAction', out)
    const fixed = STATIC_TIERS[r.metadata.name]
    if (fixed) {
      if (s.order !== fixed.order) out.push(fieldError('spec.order', `${r.metadata.name} tier order must be ${goFloat(fixed.order)}`, s.order))
      if (s.defaultAction !== fixed.defaultAction)
        out.push(fieldError('spec.defaultAction', `The '${r.metadata.name}' tier must have default action '${fixed.defaultAction}'`, s.defaultAction))
    }
    return out
  },
  validateName: labelNameProblem,
  // calicoctl lists tiers by order, lowest first; a tier without one goes last (resourcemgr/tier.go).
  listOrder: (items) => items.toSorted((a, b) => orderOf(a) - orderOf(b)),
}

const orderOf = (r: {spec?: TierSpec}) => (typeof r.spec?.order === 'number' ? r.spec.order : Number.POSITIVE_INFINITY)
