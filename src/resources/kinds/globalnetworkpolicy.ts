// GlobalNetworkPolicy: cluster-wide policy with doNotTrack / preDNAT / applyOnForward.
import {POLICY_ROWS} from '../rules.js'
import type {KindDef} from '../types.js'
import {
  globalNetworkPolicyNameProblem,
  globalNetworkPolicySpecFields,
  policyCell,
  policyDefaults,
  policyLegacyKeyNames,
  policyNameFromKey,
  policyTierReference,
  validatePolicy,
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
  rules: POLICY_ROWS,
  validate: validatePolicy,
  validateName: globalNetworkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
  references: policyTierReference,
}
