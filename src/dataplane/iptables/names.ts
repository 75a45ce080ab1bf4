// The names of the iptables chains this agent owns: the one place that spells them, for the
// model, the pending-interface guard and `node explain`. Felix's names (v3.32.1
// felix/rules/rule_defs.go): policy chains cali-pi-/cali-po-, profile chains cali-pri-/cali-pro-,
// workload endpoint chains cali-tw- (to the workload) / cali-fw- (from it).
import {lengthLimitedName} from './render.js'

export type Direction = 'ingress' | 'egress'

/** The fixed chains, hooked from the kernel's chains or jumped to from ours. */
export const CHAIN = {
  input: 'cali-INPUT',
  forward: 'cali-FORWARD',
  output: 'cali-OUTPUT',
  prerouting: 'cali-PREROUTING',
  postrouting: 'cali-POSTROUTING',
  natOutgoing: 'cali-nat-outgoing',
  fromWorkloadDispatch: 'cali-from-wl-dispatch',
  toWorkloadDispatch: 'cali-to-wl-dispatch',
  workloadToHost: 'cali-wl-to-host',
} as const

/** A policy's identity in its chain names: tier/name, or tier/namespace/name when namespaced. */
export function policyId(tier: string, name: string, namespace?: string): string {
  return `${tier}/${namespace ? `${namespace}/` : ''}${name}`
}

/** The chain of a policy's ingress (cali-pi-) or egress (cali-po-) rules. */
export function policyChainName(dir: Direction, id: string): string {
  return lengthLimitedName(dir === 'ingress' ? 'cali-pi-' : 'cali-po-', id)
}

/** The chain of a profile's ingress (cali-pri-) or egress (cali-pro-) rules. */
export function profileChainName(dir: Direction, profile: string): string {
  return lengthLimitedName(dir === 'ingress' ? 'cali-pri-' : 'cali-pro-', profile)
}

/** A workload interface's chain: ingress is traffic to it (cali-tw-), egress from it (cali-fw-). */
export function endpointChainName(dir: Direction, iface: string): string {
  return `${dir === 'ingress' ? 'cali-tw-' : 'cali-fw-'}${iface}`
}
