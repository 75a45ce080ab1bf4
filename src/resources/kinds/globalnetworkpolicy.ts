// GlobalNetworkPolicy: cluster-wide policy with doNotTrack / preDNAT / applyOnForward.
import type {FieldError} from '../errors.js'
import type {KindDef} from '../types.js'
import {
  globalNetworkPolicyNameProblem,
  globalNetworkPolicySpecFields,
  policyCell,
  policyDefaults,
  policyLegacyKeyNames,
  policyNameFromKey,
  policyTierReference,
  withMetadataAnnotation,
  validatePolicy,
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
  validate(r) {
    const out: FieldError[] = validatePolicy(r, true)
    return out
  },
  validateName: globalNetworkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
  references: policyTierReference,
}
