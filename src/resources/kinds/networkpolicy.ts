// NetworkPolicy: namespaced policy, calicoctl aliases policy/np/pol.
import type {FieldError} from '../errors.js'
import type {KindDef} from '../types.js'
import {
  checkNotKubernetesPolicy,
  networkPolicyNameProblem,
  networkPolicySpecFields,
  policyCell,
  policyDefaults,
  policyLegacyKeyNames,
  policyNameFromKey,
  policyTierReference,
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
  cell: policyCell,
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
  references: policyTierReference,
}
