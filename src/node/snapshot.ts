// Everything one node pass reads from etcd (read by cache.ts: once with readSnapshot, or kept
// current from the watch under `node run`), and the
// pure builders that turn it into the inputs of the four dataplane parts (tunnel, routes,
// iptables, BIRD). Kinds that are not registered (yet) are read as empty.

import type {BirdFilterInput, BirdModelInput, BirdNodeInput, BirdPeerInput, BirdPoolInput} from '../dataplane/bird/index.js'
import type {HostEndpointInput, IptablesInput, NetworkSetInput, PolicyInput, ProfileInput, TierInput, WorkloadEndpointInput} from '../dataplane/iptables/types.js'
import type {IpipMode, RouteModelInput} from '../dataplane/routes/model.js'
import type {SyncTunnelInput} from '../dataplane/tunnel/index.js'
import type {BlockInfo, IpamPool} from '../ipam/index.js'
import {netFamily} from '../lib/ip.js'
import type {WorkloadEndpointSpec} from '../resources/policy-types.js'
import {selects} from '../resources/selector.js'
import {readPool} from '../resources/kinds/ippool.js'
import {type Resource, specOf} from '../resources/types.js'

export const DEFAULT_ALLOW_PROFILE = 'projectcalico-default-allow'

export interface Snapshot {
  pools: Resource[]
  nodes: Resource[]
  blocks: BlockInfo[]
  bgpConfigurations: Resource[]
  bgpPeers: Resource[]
  bgpFilters: Resource[]
  felixConfigurations: Resource[]
  networkPolicies: Resource[]
  globalNetworkPolicies: Resource[]
  profiles: Resource[]
  tiers: Resource[]
  workloadEndpoints: Resource[]
  hostEndpoints: Resource[]
  networkSets: Resource[]
  globalNetworkSets: Resource[]
  reservations: Resource[]
}

export function emptySnapshot(): Snapshot {
  return {
    pools: [], nodes: [], blocks: [], bgpConfigurations: [], bgpPeers: [], bgpFilters: [], felixConfigurations: [], networkPolicies: [], globalNetworkPolicies: [],
    profiles: [], tiers: [], workloadEndpoints: [], hostEndpoints: [], networkSets: [], globalNetworkSets: [], reservations: [],
  }
}

// ---------------------------------------------------------------------------------------------
// Plain views of the resources

export interface PoolView extends IpamPool {
  natOutgoing: boolean
  disableBGPExport: boolean
  ipipMode: IpipMode
}

function encap(v: unknown): IpipMode {
  return v === 'Always' || v === 'CrossSubnet' ? v : 'Never'
}

/** IPv4 pools with Calico's defaults filled in. */
export function poolViews(snap: Pick<Snapshot, 'pools'>): PoolView[] {
  return snap.pools
    .map((r) => readPool(r))
    .map((p) => ({...p, ipipMode: encap(p.ipipMode)}))
    .filter((p) => netFamily(p.cidr) === 4)
}

export function findNode(snap: Pick<Snapshot, 'nodes'>, name: string): Resource | undefined {
  return snap.nodes.find((n) => n.metadata.name === name)
}

/** Enabled IPv4 pools whose nodeSelector selects this node. */
export function poolsForNode(snap: Pick<Snapshot, 'pools'>, nodeLabels: Record<string, string>): PoolView[] {
  return poolViews(snap).filter((p) => !p.disabled && selects(p.nodeSelector, nodeLabels))
}

/** Node-specific FelixConfiguration (`node.<name>`) over the global `default`. */
export function felixSetting<T>(snap: Pick<Snapshot, 'felixConfigurations'>, nodeName: string, field: string): T | undefined {
  const byName = (n: string) => snap.felixConfigurations.find((r) => r.metadata.name === n)
  const v = specOf(byName(`node.${nodeName}`))[field] ?? specOf(byName('default'))[field]
  return v === undefined || v === null ? undefined : (v as T)
}

function v4Nets(spec: WorkloadEndpointSpec): string[] {
  return (spec.ipNetworks ?? []).filter((n) => netFamily(n) === 4)
}

/** WorkloadEndpoints of this node. */
export function localWorkloads(snap: Pick<Snapshot, 'workloadEndpoints'>, nodeName: string): Resource[] {
  return snap.workloadEndpoints.filter((w) => specOf(w).node === nodeName)
}

// ---------------------------------------------------------------------------------------------
// The four inputs

/** What the builders need to know about this host beyond the datastore. */
export interface HostContext {
  nodeName: string
  /** CIDR, e.g. 198.51.100.95/24. */
  nodeIPv4: string
  /** Interface carrying the node address (uplink). */
  hostInterface: string
}

export function nodeLabels(snap: Pick<Snapshot, 'nodes'>, nodeName: string): Record<string, string> {
  return findNode(snap, nodeName)?.metadata.labels ?? {}
}

export function buildTunnelInput(snap: Snapshot, host: HostContext): SyncTunnelInput {
  const node = findNode(snap, host.nodeName)
  const tunnelAddress = specOf(node).bgp?.ipv4IPIPTunnelAddr as string | undefined
  const mtu = felixSetting<number>(snap, host.nodeName, 'ipipMTU')
  return {
    pools: poolsForNode(snap, nodeLabels(snap, host.nodeName)).map((p) => ({cidr: p.cidr, ipipMode: p.ipipMode, disabled: p.disabled})),
    ...(tunnelAddress ? {tunnelAddress: tunnelAddress.split('/')[0] ?? tunnelAddress} : {}),
    ...(typeof mtu === 'number' && mtu > 0 ? {configuredMtu: mtu} : {}),
    hostInterface: host.hostInterface,
  }
}

export function buildRouteInput(snap: Snapshot, host: HostContext): RouteModelInput {
  return {
    nodeName: host.nodeName,
    hostInterface: host.hostInterface,
    nodeIPv4: host.nodeIPv4,
    pools: poolViews(snap).map((p) => ({name: p.name, cidr: p.cidr, ipipMode: p.ipipMode, vxlanMode: p.vxlanMode, disabled: p.disabled, blockSize: p.blockSize})),
    blocks: snap.blocks.map((b) => ({cidr: b.cidr, affinityNode: b.node})),
    nodes: snap.nodes.map((n) => {
      const a = specOf(n).bgp?.ipv4Address as string | undefined
      return {name: n.metadata.name, ...(a ? {ipv4Address: a} : {})}
    }),
    workloads: localWorkloads(snap, host.nodeName).flatMap((w) => {
      const s = specOf(w) as WorkloadEndpointSpec
      if (!s.interfaceName) return []
      return v4Nets(s).map((n) => ({ip: n.split('/')[0] ?? n, interfaceName: s.interfaceName as string}))
    }),
  }
}

const ENDPOINT_TO_HOST: Record<string, 'ACCEPT' | 'DROP' | 'RETURN'> = {Accept: 'ACCEPT', Drop: 'DROP', Return: 'RETURN'}

/**
 * `fn` remembered per argument object. `node run`'s cache keeps the objects of resources (and
 * the per-kind arrays) that did not change, so across passes these give the very same input
 * objects: the iptables model then skips them by identity and only changed items are converted.
 */
function memo<K extends object, V>(fn: (k: K) => V): (k: K) => V {
  const m = new WeakMap<K, V>()
  return (k) => {
    let v = m.get(k)
    if (v === undefined) {
      v = fn(k)
      m.set(k, v)
    }
    return v
  }
}

/** `memo` for a function of two objects. */
function memo2<A extends object, B extends object, V>(fn: (a: A, b: B) => V): (a: A, b: B) => V {
  const byA = memo((a: A) => memo((b: B) => fn(a, b)))
  return (a, b) => byA(a)(b)
}

/** One converter per kind: per resource, and per array of them (arrays of unchanged kinds are reused). */
function converter<T>(fn: (r: Resource) => T): (rs: Resource[]) => T[] {
  const one = memo(fn)
  return memo((rs: Resource[]) => rs.map(one))
}

const networkPolicyInputs = converter((r): PolicyInput => ({kind: 'NetworkPolicy', namespace: r.metadata.namespace ?? 'default', name: r.metadata.name, spec: specOf(r)}))
const globalPolicyInputs = converter((r): PolicyInput => ({kind: 'GlobalNetworkPolicy', name: r.metadata.name, spec: specOf(r)}))
const workloadInputs = converter((r): WorkloadEndpointInput => ({
  name: r.metadata.name,
  namespace: r.metadata.namespace ?? 'default',
  labels: r.metadata.labels ?? {},
  spec: specOf(r) as WorkloadEndpointSpec,
}))
const hostEndpointInputs = converter((r): HostEndpointInput => ({name: r.metadata.name, labels: r.metadata.labels ?? {}, spec: specOf(r)}))
const globalNetworkSetInputs = converter((r): NetworkSetInput => ({name: r.metadata.name, labels: r.metadata.labels ?? {}, nets: (specOf(r).nets ?? []) as string[]}))
const networkSetInputs = converter((r): NetworkSetInput => ({
  name: r.metadata.name,
  namespace: r.metadata.namespace ?? 'default',
  labels: r.metadata.labels ?? {},
  nets: (specOf(r).nets ?? []) as string[],
}))
const tierInputs = converter((r): TierInput => {
  const s = specOf(r)
  return {name: r.metadata.name, ...(typeof s.order === 'number' ? {order: s.order} : {}), ...(s.defaultAction ? {defaultAction: s.defaultAction} : {})}
})
const profileInputs = memo((rs: Resource[]): ProfileInput[] => {
  const profiles = rs.map((r): ProfileInput => ({name: r.metadata.name, spec: specOf(r), ...(r.metadata.labels ? {labels: r.metadata.labels} : {})}))
  // Calico synthesises the default-allow profile; it is never stored.
  if (!profiles.some((p) => p.name === DEFAULT_ALLOW_PROFILE)) {
    profiles.push({name: DEFAULT_ALLOW_PROFILE, spec: {ingress: [{action: 'Allow'}], egress: [{action: 'Allow'}]}})
  }
  return profiles
})
const iptablesPools = memo((pools: Resource[]): IptablesInput['pools'] =>
  poolViews({pools}).map((p) => ({cidr: p.cidr, natOutgoing: p.natOutgoing, ipipMode: p.ipipMode, disabled: p.disabled})),
)
const hostIPs = memo((nodes: Resource[]): string[] =>
  nodes
    .map((n) => (specOf(n).bgp?.ipv4Address as string | undefined)?.split('/')[0])
    .filter((a): a is string => !!a)
    .sort(),
)
/** Both policy kinds in one list, rebuilt only when either changed. */
const policyInputs = memo2((nps: Resource[], gnps: Resource[]): PolicyInput[] =>
  nps.length === 0 ? globalPolicyInputs(gnps) : [...networkPolicyInputs(nps), ...globalPolicyInputs(gnps)],
)
const networkSetsInput = memo2((gns: Resource[], ns: Resource[]): NetworkSetInput[] => [...globalNetworkSetInputs(gns), ...networkSetInputs(ns)])

export function buildIptablesInput(snap: Snapshot, host: HostContext, compileSelector: IptablesInput['compileSelector']): IptablesInput {
  const node = findNode(snap, host.nodeName)
  const tunnelAddress = specOf(node).bgp?.ipv4IPIPTunnelAddr as string | undefined
  const action = felixSetting<string>(snap, host.nodeName, 'defaultEndpointToHostAction')
  const toHost = action ? ENDPOINT_TO_HOST[action] : undefined
  return {
    nodeName: host.nodeName,
    tiers: tierInputs(snap.tiers),
    policies: policyInputs(snap.networkPolicies, snap.globalNetworkPolicies),
    profiles: profileInputs(snap.profiles),
    workloadEndpoints: workloadInputs(snap.workloadEndpoints),
    hostEndpoints: hostEndpointInputs(snap.hostEndpoints),
    networkSets: networkSetsInput(snap.globalNetworkSets, snap.networkSets),
    pools: iptablesPools(snap.pools),
    allHostIPs: hostIPs(snap.nodes),
    ...(tunnelAddress ? {ipipTunnelAddress: tunnelAddress.split('/')[0] ?? tunnelAddress} : {}),
    ...(toHost ? {defaultEndpointToHostAction: toHost} : {}),
    compileSelector,
  }
}

function asText(v: unknown): string | undefined {
  return v === undefined || v === null || v === '' ? undefined : String(v)
}

export function buildBirdInput(snap: Snapshot, host: HostContext): BirdModelInput {
  const node = findNode(snap, host.nodeName)
  const bgp = specOf(node).bgp ?? {}
  const global = specOf(snap.bgpConfigurations.find((r) => r.metadata.name === 'default'))
  const nodes: BirdNodeInput[] = snap.nodes.map((n) => {
    const b = specOf(n).bgp ?? {}
    const asn = asText(b.asNumber)
    return {
      name: n.metadata.name,
      ...(b.ipv4Address ? {ipv4Address: b.ipv4Address} : {}),
      ...(asn ? {asNumber: asn} : {}),
      ...(b.routeReflectorClusterID ? {routeReflectorClusterID: b.routeReflectorClusterID} : {}),
      labels: n.metadata.labels ?? {},
    }
  })
  const peers: BirdPeerInput[] = snap.bgpPeers.map((r) => {
    const s = specOf(r)
    const asn = asText(s.asNumber)
    return {
      name: r.metadata.name,
      ...(s.node ? {node: s.node} : {}),
      ...(s.nodeSelector ? {nodeSelector: s.nodeSelector} : {}),
      ...(s.peerIP ? {peerIP: s.peerIP} : {}),
      ...(asn ? {asNumber: asn} : {}),
      ...(s.peerSelector ? {peerSelector: s.peerSelector} : {}),
      // Secrets live in Kubernetes; a literal string is accepted for hosts without it.
      ...(typeof s.password === 'string' ? {password: s.password} : {}),
      ...(s.keepOriginalNextHop === true || s.nextHopMode === 'Keep' ? {keepOriginalNextHop: true} : {}),
      ...(s.sourceAddress ? {sourceAddress: s.sourceAddress} : {}),
      ...(typeof s.ttlSecurity === 'number' && s.ttlSecurity > 0 ? {ttlSecurity: s.ttlSecurity} : {}),
      ...(s.reversePeering === 'Manual' ? {reversePeering: 'Manual' as const} : {}),
      ...(Array.isArray(s.filters) && s.filters.length > 0 ? {filters: s.filters.filter((f: unknown): f is string => typeof f === 'string')} : {}),
    }
  })
  const filters: BirdFilterInput[] = snap.bgpFilters.map((r) => {
    const s = specOf(r)
    return {name: r.metadata.name, ...(Array.isArray(s.importV4) ? {importV4: s.importV4} : {}), ...(Array.isArray(s.exportV4) ? {exportV4: s.exportV4} : {})}
  })
  const pools: BirdPoolInput[] = poolViews(snap).map((p) => ({
    cidr: p.cidr,
    ipipMode: p.ipipMode,
    vxlanMode: p.vxlanMode,
    disabled: p.disabled,
    natOutgoing: p.natOutgoing,
    disableBGPExport: p.disableBGPExport,
  }))
  const nodeAs = asText(bgp.asNumber)
  const globalAs = asText(global.asNumber)
  return {
    nodeName: host.nodeName,
    nodeIPv4: host.nodeIPv4,
    ...(nodeAs ? {asNumber: nodeAs} : {}),
    ...(bgp.routeReflectorClusterID ? {routeReflectorClusterID: bgp.routeReflectorClusterID} : {}),
    global: {
      ...(globalAs ? {asNumber: globalAs} : {}),
      ...(typeof global.nodeToNodeMeshEnabled === 'boolean' ? {nodeToNodeMeshEnabled: global.nodeToNodeMeshEnabled} : {}),
      ...(typeof global.listenPort === 'number' ? {listenPort: global.listenPort} : {}),
      ...(typeof global.logSeverityScreen === 'string' ? {logSeverityScreen: global.logSeverityScreen} : {}),
    },
    nodes,
    peers,
    pools,
    filters,
    ownBlocks: snap.blocks
      .filter((b) => b.node === host.nodeName)
      .map((b) => b.cidr)
      .sort(),
    selects,
  }
}
