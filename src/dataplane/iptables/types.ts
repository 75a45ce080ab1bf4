// Shapes shared by the iptables model, planner and executor. Plain data only.
import type {HostEndpointSpec, PolicySpec, ProfileSpec, WorkloadEndpointSpec} from '../../resources/policy-types.js'

export const TABLES = ['raw', 'mangle', 'filter', 'nat'] as const
export type TableName = (typeof TABLES)[number]

/** A compiled label selector, as produced by the selector parser (or a test fake). */
export interface CompiledSelector {
  matches(labels: Record<string, string>): boolean
  /** Stable identity of the selector (same selector text → same id). */
  id: string
}
export type SelectorCompiler = (text: string) => CompiledSelector

export interface TierInput {
  name: string
  order?: number
  defaultAction?: 'Deny' | 'Pass'
}

export interface PolicyInput {
  kind: 'NetworkPolicy' | 'GlobalNetworkPolicy'
  namespace?: string
  name: string
  spec: PolicySpec
}

export interface ProfileInput {
  name: string
  spec: ProfileSpec
  labels?: Record<string, string>
}

export interface WorkloadEndpointInput {
  name: string
  namespace: string
  labels: Record<string, string>
  spec: WorkloadEndpointSpec
}

export interface HostEndpointInput {
  name: string
  labels: Record<string, string>
  spec: HostEndpointSpec
}

export interface NetworkSetInput {
  name: string
  /** Absent for GlobalNetworkSet. */
  namespace?: string
  labels: Record<string, string>
  nets: string[]
}

export interface NamespaceInput {
  name: string
  labels: Record<string, string>
}

export interface PoolInput {
  cidr: string
  natOutgoing: boolean
  ipipMode: 'Always' | 'CrossSubnet' | 'Never' | string
  disabled: boolean
}

export interface IptablesInput {
  nodeName: string
  tiers: TierInput[]
  policies: PolicyInput[]
  profiles: ProfileInput[]
  /** All workload endpoints (for ipset membership); local ones have spec.node === nodeName. */
  workloadEndpoints: WorkloadEndpointInput[]
  hostEndpoints: HostEndpointInput[]
  networkSets: NetworkSetInput[]
  /**
   * Namespace labels for namespaceSelector. Optional: without it a namespace's labels are
   * `projectcalico.org/name: <ns>` plus the `pcns.`-labels of profile `kns.<ns>`.
   */
  namespaces?: NamespaceInput[]
  pools: PoolInput[]
  /** Every node's IPv4 address (the IPIP all-hosts set). */
  allHostIPs: string[]
  /** This node's IPIP tunnel address; enables the tunl0 MASQUERADE rule when IPIP is on. */
  ipipTunnelAddress?: string
  /** What happens to workload→host traffic that egress policy allowed. Default ACCEPT. */
  defaultEndpointToHostAction?: 'ACCEPT' | 'DROP' | 'RETURN'
  compileSelector: SelectorCompiler
}

/** One iptables rule: match tokens then action tokens (argv-style, no quoting). */
export interface IptRule {
  match: string[]
  action: string[]
  /** Free-text comment, sanitised when rendered. */
  comment?: string
}

export interface IptChain {
  name: string
  rules: IptRule[]
}

/** A rule this tool owns inside a kernel chain (INPUT, FORWARD, POSTROUTING...). */
export interface HookRule {
  chain: string
  position: 'insert' | 'append'
  rule: IptRule
}

export interface TableState {
  /** Owned `cali-` chains, sorted by name. */
  chains: IptChain[]
  /** Kernel-chain rules in the order they should appear (inserts first, then appends). */
  hooks: HookRule[]
}

export type IpSetType = 'hash:net' | 'hash:ip,port'

export interface IpSetState {
  name: string
  type: IpSetType
  /** Canonical members, sorted (a /32 is written as the bare address, as ipset prints it). */
  members: string[]
}

export interface DesiredState {
  tables: Record<TableName, TableState>
  ipsets: IpSetState[]
}
