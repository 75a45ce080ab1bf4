// GlobalNetworkPolicy: cluster-wide policy with doNotTrack / preDNAT / applyOnForward.
import type {KindDef} from '../types.js'
import {GLOBAL_NETWORK_POLICY_ROWS} from '../rules.js'
import {tableValidator} from '../rule-table.js'
import {
  globalNetworkPolicyNameProblem,
  globalNetworkPolicySpecFields,
  policyCell,
  policyDefaults,
  policyLegacyKeyNames,
  policyNameFromKey,
  policyTierReference,
  withMetadataAnnotation,
} from './policy-common.js'

export const GlobalNetworkPolicy: KindDef = {
  kind: 'GlobalNetworkPolicy',
  plural: 'globalnetworkpolicies',
  aliases: ['globalnetworkpolicy', 'globalnetworkpolicies', 'gnp', 'gnps'],
  namespaced: false,
  specFields: globalNetworkPolicySpecFields,
  columns: ['NAME', 'TIER'],
  wideColumns: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
  cell: policyCell,
  defaults: policyDefaults,
  toStorage: withMetadataAnnotation,
  rules: GLOBAL_NETWORK_POLICY_ROWS,
  validate: tableValidator(GLOBAL_NETWORK_POLICY_ROWS),
  validateName: globalNetworkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
  references: policyTierReference,
}
