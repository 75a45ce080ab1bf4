// NetworkPolicy: namespaced policy, calicoctl aliases policy/np/pol.
import type {KindDef} from '../types.js'
import {NETWORK_POLICY_ROWS} from '../rules.js'
import {networkPolicyNameProblem, networkPolicySpecFields, policyDefaults, policyKind, refuseKubernetesPolicy} from './policy-common.js'

export const NetworkPolicy: KindDef = {
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  aliases: ['networkpolicy', 'networkpolicies', 'policy', 'policies', 'np', 'pol', 'pols'],
  namespaced: true,
  specFields: networkPolicySpecFields,
  defaults: policyDefaults,
  refuse: refuseKubernetesPolicy,
  validateName: networkPolicyNameProblem,
  ...policyKind(NETWORK_POLICY_ROWS),
}
