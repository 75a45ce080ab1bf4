// StagedGlobalNetworkPolicy: a GlobalNetworkPolicy staged for review, never programmed
// (calicoctl/calicoctl/resourcemgr/stagedglobalnetworkpolicy.go; validator.go
// validateStagedGlobalNetworkPolicy). `node explain` shows what it would change.
import type {KindDef} from '../types.js'
import {tableValidator} from '../rule-table.js'
import {GLOBAL_NETWORK_POLICY_ROWS} from '../rules.js'
import {
  globalNetworkPolicyNameProblem,
  globalNetworkPolicySpecFields,
  policyCell,
  policyLegacyKeyNames,
  policyNameFromKey,
  policyTierReference,
  STAGED_DESCRIPTION,
  stagedPolicyRows,
  stagedPolicyDefaults,
  stagedSpecFields,
  withMetadataAnnotation,
} from './policy-common.js'

/** The enforced kind's rules, skipped with stagedAction Delete, and Delete's own. */
const RULES = stagedPolicyRows(GLOBAL_NETWORK_POLICY_ROWS)

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
  rules: RULES,
  validate: tableValidator(RULES),
  validateName: globalNetworkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
  references: policyTierReference,
}
