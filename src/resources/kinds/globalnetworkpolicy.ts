// GlobalNetworkPolicy: cluster-wide policy with doNotTrack / preDNAT / applyOnForward.
import type {KindDef} from '../types.js'
import {GLOBAL_NETWORK_POLICY_ROWS} from '../rules.js'
import {globalNetworkPolicyNameProblem, globalNetworkPolicySpecFields, policyDefaults, policyKind} from './policy-common.js'

export const GlobalNetworkPolicy: KindDef = {
  kind: 'GlobalNetworkPolicy',
  plural: 'globalnetworkpolicies',
  aliases: ['globalnetworkpolicy', 'globalnetworkpolicies', 'gnp', 'gnps'],
  namespaced: false,
  specFields: globalNetworkPolicySpecFields,
  defaults: policyDefaults,
  validateName: globalNetworkPolicyNameProblem,
  ...policyKind(GLOBAL_NETWORK_POLICY_ROWS),
}
