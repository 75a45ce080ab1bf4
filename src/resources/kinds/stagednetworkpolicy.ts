// StagedNetworkPolicy: a namespaced NetworkPolicy staged for review, never programmed
// (calicoctl/calicoctl/resourcemgr/stagednetworkpolicy.go; validator.go
// validateStagedNetworkPolicy). `node explain` shows what it would change.
import type {KindDef} from '../types.js'
import {NETWORK_POLICY_ROWS} from '../rules.js'
import {networkPolicyNameProblem, networkPolicySpecFields, policyKind, STAGED_DESCRIPTION, stagedPolicyDefaults, stagedPolicyRows, stagedSpecFields} from './policy-common.js'

export const StagedNetworkPolicy: KindDef = {
  kind: 'StagedNetworkPolicy',
  plural: 'stagednetworkpolicies',
  aliases: ['stagednetworkpolicy', 'stagednetworkpolicies', 'stagedpolicy', 'snp', 'stagedpolicies', 'spol', 'spols'],
  description: STAGED_DESCRIPTION,
  namespaced: true,
  specFields: stagedSpecFields(networkPolicySpecFields),
  defaults: stagedPolicyDefaults,
  validateName: networkPolicyNameProblem,
  /** The enforced kind's rules, skipped with stagedAction Delete, and Delete's own. */
  ...policyKind(stagedPolicyRows(NETWORK_POLICY_ROWS)),
}
