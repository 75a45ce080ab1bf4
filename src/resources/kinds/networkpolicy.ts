// NetworkPolicy: namespaced policy, calicoctl aliases policy/np/pol.
import {POLICY_ROWS} from '../rules.js'
import type {KindDef} from '../types.js'
import {
  networkPolicyNameProblem,
  networkPolicySpecFields,
  policyCell,
  policyDefaults,
  policyLegacyKeyNames,
  policyNameFromKey,
  policyTierReference,
  refuseKubernetesPolicy,
  validatePolicy,
  withMetadataAnnotation,
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
  rules: POLICY_ROWS,
  validate: validatePolicy,
  refuse: refuseKubernetesPolicy,
  validateName: networkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
  references: policyTierReference,
}
