// Every kind the tool knows, looked up by kind, plural or alias (case-insensitive).
import {BGPConfiguration} from './kinds/bgpconfiguration.js'
import {BGPFilter} from './kinds/bgpfilter.js'
import {BGPPeer} from './kinds/bgppeer.js'
import {ClusterInformation} from './kinds/clusterinformation.js'
import {FelixConfiguration} from './kinds/felixconfiguration.js'
import {GlobalNetworkPolicy} from './kinds/globalnetworkpolicy.js'
import {GlobalNetworkSet} from './kinds/globalnetworkset.js'
import {HostEndpoint} from './kinds/hostendpoint.js'
import {IPPool} from './kinds/ippool.js'
import {IPReservation} from './kinds/ipreservation.js'
import {KubeControllersConfiguration} from './kinds/kubecontrollersconfiguration.js'
import {NetworkPolicy} from './kinds/networkpolicy.js'
import {NetworkSet} from './kinds/networkset.js'
import {Node} from './kinds/node.js'
import {Profile} from './kinds/profile.js'
import {StagedGlobalNetworkPolicy} from './kinds/stagedglobalnetworkpolicy.js'
import {StagedKubernetesNetworkPolicy} from './kinds/stagedkubernetesnetworkpolicy.js'
import {StagedNetworkPolicy} from './kinds/stagednetworkpolicy.js'
import {Tier} from './kinds/tier.js'
import {WorkloadEndpoint} from './kinds/workloadendpoint.js'
import type {KindDef} from './types.js'

/** Adding a kind: write its file under kinds/ and list it here. */
export const KINDS: KindDef[] = [IPPool, BGPPeer, BGPConfiguration, Node, FelixConfiguration, ClusterInformation, IPReservation, KubeControllersConfiguration,
  NetworkPolicy, GlobalNetworkPolicy, Profile, HostEndpoint, WorkloadEndpoint, GlobalNetworkSet, NetworkSet, Tier, BGPFilter, StagedGlobalNetworkPolicy, StagedNetworkPolicy,
  StagedKubernetesNetworkPolicy]

const byName = new Map<string, KindDef>()
for (const def of KINDS) for (const n of [def.kind, def.plural, ...def.aliases]) byName.set(n.toLowerCase(), def)

export function lookupKind(name: string): KindDef | undefined {
  return byName.get(name.toLowerCase())
}

export function kindByName(kind: string): KindDef | undefined {
  return KINDS.find((k) => k.kind === kind)
}

export function registerKind(def: KindDef): void {
  if (!KINDS.includes(def)) KINDS.push(def)
  for (const n of [def.kind, def.plural, ...def.aliases]) byName.set(n.toLowerCase(), def)
}
