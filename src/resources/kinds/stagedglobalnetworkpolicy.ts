// StagedGlobalNetworkPolicy: a GlobalNetworkPolicy staged for review, never programmed
// (calicoctl/calicoctl/resourcemgr/stagedglobalnetworkpolicy.go; validator.go
// validateStagedGlobalNetworkPolicy). `node explain` shows what it would change.
import type {KindDef} from '../types.js'
import {
  globalNetworkPolicyNameProblem,
  globalNetworkPolicySpecFields,
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

export const StagedGlobalNetworkPolicy: KindDef = {
  kind: 'StagedGlobalNetworkPolicy',
  plural: 'stagedglobalnetworkpolicies',
  aliases: ['stagedglobalnetworkpolicy', 'stagedglobalnetworkpolicies', 'sgnp', 'sgnps'],
  description: STAGED_DESCRIPTION,
  namespaced: false,
  specFields: stagedSpecFields(globalNetworkPolicySpecFields),
  columns: ['NAME', 'TIER'],
  wideColumns: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
  cell: policyCell,
  defaults: stagedPolicyDefaults,
  toStorage: withMetadataAnnotation,
  rules: STAGED_POLICY_ROWS,
  validate: validateStagedPolicy,
  validateName: globalNetworkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
  references: policyTierReference,
}
