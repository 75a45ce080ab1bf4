// NetworkPolicy: namespaced policy, calicoctl aliases policy/np/pol.
import type {KindDef} from '../types.js'
import {NETWORK_POLICY_ROWS} from '../rules.js'
import {tableValidator} from '../rule-table.js'
import {
  networkPolicyNameProblem,
  networkPolicySpecFields,
  policyCell,
  policyDefaults,
  policyLegacyKeyNames,
  policyNameFromKey,
  policyTierReference,
  refuseKubernetesPolicy,
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
  rules: NETWORK_POLICY_ROWS,
  validate: tableValidator(NETWORK_POLICY_ROWS),
  refuse: refuseKubernetesPolicy,
  validateName: networkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
  references: policyTierReference,
}
