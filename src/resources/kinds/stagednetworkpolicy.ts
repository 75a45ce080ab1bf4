// StagedNetworkPolicy: a namespaced NetworkPolicy staged for review, never programmed
// (calicoctl/calicoctl/resourcemgr/stagednetworkpolicy.go; validator.go
// validateStagedNetworkPolicy). `node explain` shows what it would change.
import type {KindDef} from '../types.js'
import {tableValidator} from '../rule-table.js'
import {NETWORK_POLICY_ROWS} from '../rules.js'
import {
  networkPolicyNameProblem,
  networkPolicySpecFields,
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
const RULES = stagedPolicyRows(NETWORK_POLICY_ROWS)

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
  rules: RULES,
  validate: tableValidator(RULES),
  validateName: networkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
  references: policyTierReference,
}
