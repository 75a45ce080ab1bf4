// The staged policy resources of upstream calicoctl's calicoctl/tests/st/utils/data.py (v3.32.1),
// named as there. Each one is its unstaged counterpart in upstream-data.ts with `stagedAction:
// Set` and "staged" in its name, as upstream writes them.
import {API} from './upstream.js'
import * as d from './upstream-data.js'

type Res = {apiVersion: string; kind: string; metadata: Record<string, any>; spec: Record<string, any>}

const staged = (kind: string, from: Res, metadata: Record<string, unknown>): Res => ({
  apiVersion: API,
  kind,
  metadata: {...from.metadata, ...metadata},
  spec: {stagedAction: 'Set', ...from.spec},
})

export const stagednetworkpolicy_name1_rev1 = staged('StagedNetworkPolicy', d.networkpolicy_name1_rev1, {name: 'default.policy-mystagedpolicy1'})
export const stagednetworkpolicy_name1_rev2 = staged('StagedNetworkPolicy', d.networkpolicy_name1_rev2, {name: 'default.policy-mystagedpolicy1'})
export const stagednetworkpolicy_name2_rev1 = staged('StagedNetworkPolicy', d.networkpolicy_name2_rev1, {name: 'default.policy-mystagedpolicy2'})
export const stagednetworkpolicy_tiered_name2_rev1 = staged('StagedNetworkPolicy', d.networkpolicy_tiered_name2_rev1, {name: 'admin.mystagedpolicy2'})

export const stagedglobalnetworkpolicy_name1_rev1 = staged('StagedGlobalNetworkPolicy', d.globalnetworkpolicy_name1_rev1, {name: 'default.policy-mystagedpolicy1'})
export const stagedglobalnetworkpolicy_name1_rev2 = staged('StagedGlobalNetworkPolicy', d.globalnetworkpolicy_name1_rev2, {name: 'default.policy-mystagedpolicy1'})
// Upstream's tiered staged GNP also sets doNotTrack and applyOnForward (its unstaged twin does not).
export const stagedglobalnetworkpolicy_tiered_name2_rev1 = staged('StagedGlobalNetworkPolicy', d.globalnetworkpolicy_tiered_name2_rev1, {name: 'admin.mystagedpolicy2'})
stagedglobalnetworkpolicy_tiered_name2_rev1.spec = {...stagedglobalnetworkpolicy_tiered_name2_rev1.spec, doNotTrack: true, applyOnForward: true}

// Kubernetes-shaped (networking.k8s.io NetworkPolicySpec) with a stagedAction.
const k8sSpec = (from: Record<string, unknown>) => ({
  stagedAction: 'Set',
  podSelector: {matchLabels: {role: 'db'}},
  ingress: [{from: [{namespaceSelector: {matchLabels: {project: 'test'}}, ...from}], ports: [{port: 6379, protocol: 'TCP'}]}],
})
export const stagedk8snetworkpolicy_name1_rev1: Res = {
  apiVersion: API,
  kind: 'StagedKubernetesNetworkPolicy',
  metadata: {name: 'mystagedk8spolicy1', namespace: 'default'},
  spec: k8sSpec({podSelector: {matchLabels: {role: 'frontend'}}}),
}
export const stagedk8snetworkpolicy_name1_rev2: Res = {...stagedk8snetworkpolicy_name1_rev1, spec: k8sSpec({})}
