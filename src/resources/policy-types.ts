// The JSON shapes of Calico v3 policy rules and endpoints, as stored in etcd and written in
// manifests. Field names are Calico's; optional fields are omitted when empty.

export type RuleAction = 'Allow' | 'Deny' | 'Log' | 'Pass'
/** A protocol by name (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite) or number 1-255. */
export type Protocol = string | number
/** A port number, a "min:max" range, or a named port. */
export type Port = number | string

export interface ICMPFields {
  type?: number
  code?: number
}

export interface ServiceAccountMatch {
  names?: string[]
  selector?: string
}

export interface ServiceMatch {
  name?: string
  namespace?: string
}

export interface EntityRule {
  nets?: string[]
  selector?: string
  namespaceSelector?: string
  services?: ServiceMatch
  ports?: Port[]
  notNets?: string[]
  notSelector?: string
  notPorts?: Port[]
  serviceAccounts?: ServiceAccountMatch
}

export interface HTTPMatch {
  methods?: string[]
  paths?: Array<{exact?: string; prefix?: string}>
}

export interface Rule {
  metadata?: {annotations?: Record<string, string>}
  action: RuleAction
  ipVersion?: 4 | 6
  protocol?: Protocol
  icmp?: ICMPFields
  notProtocol?: Protocol
  notICMP?: ICMPFields
  source?: EntityRule
  destination?: EntityRule
  http?: HTTPMatch
}

export type PolicyType = 'Ingress' | 'Egress'

export interface PolicySpec {
  tier?: string
  order?: number
  ingress?: Rule[]
  egress?: Rule[]
  selector?: string
  types?: PolicyType[]
  serviceAccountSelector?: string
  performanceHints?: string[]
  // GlobalNetworkPolicy only
  doNotTrack?: boolean
  preDNAT?: boolean
  applyOnForward?: boolean
  namespaceSelector?: string
}

export interface ProfileSpec {
  ingress?: Rule[]
  egress?: Rule[]
  labelsToApply?: Record<string, string>
}

export interface EndpointPort {
  name: string
  protocol: Protocol
  port: number
  hostPort?: number
  hostIP?: string
}

export interface WorkloadEndpointSpec {
  orchestrator?: string
  workload?: string
  node?: string
  containerID?: string
  pod?: string
  endpoint?: string
  serviceAccountName?: string
  ipNetworks?: string[]
  ipNATs?: Array<{internalIP: string; externalIP: string}>
  ipv4Gateway?: string
  ipv6Gateway?: string
  profiles?: string[]
  interfaceName?: string
  mac?: string
  ports?: EndpointPort[]
  allowSpoofedSourcePrefixes?: string[]
}

export interface HostEndpointSpec {
  node?: string
  interfaceName?: string
  expectedIPs?: string[]
  profiles?: string[]
  ports?: EndpointPort[]
}

export interface NetworkSetSpec {
  nets?: string[]
}

export interface TierSpec {
  order?: number
  defaultAction?: 'Deny' | 'Pass'
}
