// StagedNetworkPolicy: a namespaced NetworkPolicy staged for review, never programmed
// (calicoctl/calicoctl/resourcemgr/stagednetworkpolicy.go; validator.go
// validateStagedNetworkPolicy). `node explain` shows what it would change.
import type {KindDef} from '../types.js'
import {
  networkPolicyNameProblem,
  networkPolicySpecFields,
  policyCell,
  policyLegacyKeyNames,
  policyNameFromKey,
  policyTierReference,
  STAGED_DESCRIPTION,
  STAGED_POLICY_ROWS,
  stagedPolicyDefaults,
  stagedSpecFields,
  validateStagedPolicy,
  withMetadataAnnotation,
} from './policy-common.js'

export const StagedNetworkPolicy: KindDef = {
  kind: 'StagedNetworkPolicy',
  plural: 'stagednetworkpolicies',
  aliases: ['stagednetworkpolicy', 'stagednetworkpolicies', 'stagedpolicy', 'snp', 'stagedpolicies', 'spol', 'spols'],
  description: STAGED_DESCRIPTION,
  namespaced: true,
  specFields: stagedSpecFields(networkPolicySpecFields),
  columns: ['NAME', 'TIER'],
  wideColumns: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
  cell: policyCell,
  defaults: stagedPolicyDefaults,
  toStorage: withMetadataAnnotation,
  rules: STAGED_POLICY_ROWS,
  validate: validateStagedPolicy,
  validateName: networkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
  references: policyTierReference,
}
