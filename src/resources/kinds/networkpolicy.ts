// NetworkPolicy: namespaced policy, calicoctl aliases policy/np/pol.
import type {FieldError} from '../errors.js'
import type {KindDef} from '../types.js'
import {
  checkNotKubernetesPolicy,
  networkPolicyNameProblem,
  networkPolicySpecFields,
  orderCell,
  policyDefaults,
  policyLegacyKeyNames,
  policyNameFromKey,
  withMetadataAnnotation,
  validatePolicy,
} from './policy-common.js'

export const NetworkPolicy: KindDef = {
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  aliases: ['networkpolicy', 'networkpolicies', 'policy', 'policies', 'np', 'pol', 'pols'],
  namespaced: true,
  specFields: networkPolicySpecFields,
  columns: ['NAME', 'TIER'],
  wideColumns: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
  cell(r, col) {
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
  },
  defaults: policyDefaults,
  toStorage: withMetadataAnnotation,
  validate(r) {
    const out: FieldError[] = validatePolicy(r, false)
    checkNotKubernetesPolicy(r, out)
    return out
  },
  validateName: networkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
}
