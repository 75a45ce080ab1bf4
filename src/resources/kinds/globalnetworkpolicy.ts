// GlobalNetworkPolicy: cluster-wide policy with doNotTrack / preDNAT / applyOnForward.
import type {FieldError} from '../errors.js'
import type {KindDef} from '../types.js'
import {
  globalNetworkPolicyNameProblem,
  globalNetworkPolicySpecFields,
  orderCell,
  policyDefaults,
  policyLegacyKeyNames,
  policyNameFromKey,
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
  cell(r, col) {
    const s = (r.spec ?? {}) as {tier?: string; order?: number; selector?: string}
    switch (col) {
      case 'NAME':
        return r.metadata.name
      case 'TIER':
        return s.tier ?? ''
      case 'ORDER':
        return orderCell(s.order)
      case 'SELECTOR':
        return s.selector ?? ''
      default:
        return ''
    }
  },
  defaults: policyDefaults,
  toStorage: withMetadataAnnotation,
  validate(r) {
    const out: FieldError[] = validatePolicy(r, true)
    return out
  },
  validateName: globalNetworkPolicyNameProblem,
  legacyKeyNames: policyLegacyKeyNames,
  nameFromKey: policyNameFromKey,
}
