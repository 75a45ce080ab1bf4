// StagedGlobalNetworkPolicy: a GlobalNetworkPolicy staged for review, never programmed
// (calicoctl/calicoctl/resourcemgr/stagedglobalnetworkpolicy.go; validator.go
// validateStagedGlobalNetworkPolicy). `node explain` shows what it would change.
import type {KindDef} from '../types.js'
import {GLOBAL_NETWORK_POLICY_ROWS} from '../rules.js'
import {globalNetworkPolicyNameProblem, globalNetworkPolicySpecFields, policyKind, STAGED_DESCRIPTION, stagedPolicyDefaults, stagedPolicyRows, stagedSpecFields} from './policy-common.js'

export const StagedGlobalNetworkPolicy: KindDef = {
  kind: 'StagedGlobalNetworkPolicy',
  plural: 'stagedglobalnetworkpolicies',
  aliases: ['stagedglobalnetworkpolicy', 'stagedglobalnetworkpolicies', 'sgnp', 'sgnps'],
  description: STAGED_DESCRIPTION,
  namespaced: false,
  specFields: stagedSpecFields(globalNetworkPolicySpecFields),
  defaults: stagedPolicyDefaults,
  validateName: globalNetworkPolicyNameProblem,
  /** The enforced kind's rules, skipped with stagedAction Delete, and Delete's own. */
  ...policyKind(stagedPolicyRows(GLOBAL_NETWORK_POLICY_ROWS)),
}
