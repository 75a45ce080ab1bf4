// Resources of the same shapes as upstream calicoctl's calicoctl/tests/st/utils/data.py
// (v3.32.1), named as there: <kind>_name<idx>_rev<revision>. Only the ones our port uses.
import {API} from './upstream.js'

const r = (kind: string, metadata: Record<string, unknown>, spec: Record<string, unknown>) => ({apiVersion: API, kind, metadata, spec})

export const manyNets = Array.from({length: 10_000}, (_, i) => `10.${i >> 8}.${i % 256}.0/28`)

export const ippool_name1_rev1_v4 = r('IPPool', {name: 'ippool-name1'}, {
  cidr: '10.0.1.0/24', ipipMode: 'Always', vxlanMode: 'Never', blockSize: 27, allowedUses: ['Workload', 'Tunnel'], assignmentMode: 'Automatic', nodeSelector: "foo == 'bar'",
})
export const ippool_name1_rev1_table = "NAME           CIDR          SELECTOR       \nippool-name1   10.0.1.0/24   foo == 'bar'"
export const ippool_name1_rev1_wide_table =
  'NAME           CIDR          NAT     IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR       ASSIGNMENTMODE   \n' +
  "ippool-name1   10.0.1.0/24   false   Always     Never       false      false              foo == 'bar'   Automatic"
export const ippool_name1_rev4_v4 = r('IPPool', {name: 'ippool-name1', labels: {'test-label': 'label-1'}, annotations: {'test-annotation': 'annotation-1'}}, {
  cidr: '10.0.1.0/24', ipipMode: 'Always', vxlanMode: 'Never', blockSize: 27, allowedUses: ['Workload', 'Tunnel'], nodeSelector: "foo == 'bar'", disabled: true,
})
export const ippool_name2_rev1_v6 = r('IPPool', {name: 'ippool-name2'}, {
  cidr: 'fed0:8001::/64', ipipMode: 'Never', vxlanMode: 'Never', blockSize: 123, allowedUses: ['Workload', 'Tunnel'], assignmentMode: 'Automatic', nodeSelector: 'all()',
})
export const ippool_name2_rev1_table = 'NAME           CIDR             SELECTOR   \nippool-name2   fed0:8001::/64   all()'

export const ipresv_name1_rev1_v4 = r('IPReservation', {name: 'ipreservation-name1'}, {reservedCIDRs: ['10.0.1.0/24', '11.0.0.1/32']})
export const ipresv_name1_rev1_v4_long = r('IPReservation', {name: 'ipreservation-name1'}, {reservedCIDRs: manyNets})

export const bgppeer_name1_rev1_v4 = r('BGPPeer', {name: 'bgppeer-name-123abc'}, {node: 'node1', peerIP: '192.168.0.250', asNumber: 64514})
export const bgppeer_name1_rev2_v4 = r('BGPPeer', {name: 'bgppeer-name-123abc'}, {node: 'node2', peerIP: '192.168.0.251', asNumber: 64515})
export const bgppeer_invalid = r('BGPPeer', {name: 'bgppeer-name-123abc'}, {node: 'node2', peerIP: 'badpeerIP', asNumber: 64515})
export const bgppeer_multiple_invalid = [
  r('BGPPeer', {name: 'bgppeer-invalid1'}, {node: 'node1', peerIP: 'badpeerIP', asNumber: 64515}),
  r('BGPPeer', {name: 'bgppeer-invalid2'}, {node: 'node2', peerIP: 'badpeerIP', asNumber: 64515}),
]

// Upstream writes `Order` with a capital O: Go's JSON decoding matches field names case-insensitively.
export const tier_name1_rev1 = r('Tier', {name: 'admin'}, {Order: 10000})
export const tier_name2_rev1 = r('Tier', {name: 'before'}, {Order: 100})

const richIngress = (ports: unknown[], namespaceSelector?: string) => ({
  ipVersion: 4,
  action: 'Deny',
  destination: {notNets: ['10.3.0.0/16'], notPorts: ['110:1050'], notSelector: "type=='apples'", nets: ['10.2.0.0/16'], ports: ['100:200'], selector: "type=='application'"},
  protocol: 'TCP',
  source: {
    notNets: ['10.1.0.0/16'], notPorts: [1050], notSelector: "type=='database'", nets: ['10.0.0.0/16'], ports, selector: "type=='application'",
    ...(namespaceSelector ? {namespaceSelector} : {}),
  },
})
const policy1Spec = {
  tier: 'default', order: 100, selector: "type=='database'", types: ['Ingress', 'Egress'],
  egress: [{action: 'Allow', source: {selector: "type=='application'"}}],
  ingress: [richIngress([1234, '10:1024'], 'has(role)')],
}
const policy2Spec = {
  tier: 'default', order: 100000, selector: "type=='sql'", types: ['Ingress', 'Egress'],
  egress: [{action: 'Deny', protocol: 'TCP'}],
  ingress: [{action: 'Allow', protocol: 'UDP'}],
}
const fullMetadata = {
  generateName: 'test-policy-',
  deletionTimestamp: '2006-01-02T15:04:07Z',
  deletionGracePeriodSeconds: 30,
  ownerReferences: [{apiVersion: 'extensions/v1beta1', blockOwnerDeletion: true, controller: true, kind: 'DaemonSet', name: 'endpoint1', uid: 'test-uid-change'}],
  labels: {label1: 'l1', label2: 'l2'},
  annotations: {key: 'value'},
  selfLink: 'test-self-link',
  uid: 'test-uid-change',
  generation: 3,
  finalizers: ['finalizer1', 'finalizer2'],
  creationTimestamp: '2006-01-02T15:04:05Z',
}

export const networkpolicy_name1_rev1 = r('NetworkPolicy', {name: 'default.policy-mypolicy1', namespace: 'default'}, policy1Spec)
export const networkpolicy_name1_rev2 = r('NetworkPolicy', {name: 'default.policy-mypolicy1', namespace: 'default'}, policy2Spec)
export const networkpolicy_name2_rev1 = r('NetworkPolicy', {name: 'default.policy-mypolicy2', namespace: 'default', ...fullMetadata}, policy2Spec)
export const networkpolicy_tiered_name2_rev1 = r('NetworkPolicy', {name: 'admin.mypolicy2', namespace: 'default'}, {...policy2Spec, tier: 'admin'})

export const globalnetworkpolicy_name1_rev1 = r('GlobalNetworkPolicy', {name: 'default.policy-mypolicy1'}, policy1Spec)
export const globalnetworkpolicy_name1_rev2 = r('GlobalNetworkPolicy', {name: 'default.policy-mypolicy1'}, {...policy2Spec, doNotTrack: true, applyOnForward: true})
export const globalnetworkpolicy_tiered_name2_rev1 = r('GlobalNetworkPolicy', {name: 'admin.mypolicy2'}, {...policy2Spec, tier: 'admin'})

const fourNets = ['10.0.0.1', '11.0.0.0/16', 'feed:beef::1', 'dead:beef::96']
export const globalnetworkset_name1_rev1 = r('GlobalNetworkSet', {name: 'net-set1'}, {nets: fourNets})
export const globalnetworkset_name1_rev1_large = r('GlobalNetworkSet', {name: 'net-set1'}, {nets: manyNets})
export const networkset_name1_rev1 = r('NetworkSet', {name: 'net-set1'}, {nets: fourNets})
export const networkset_name1_rev1_large = r('NetworkSet', {name: 'net-set1', namespace: 'namespace-1'}, {nets: manyNets})

export const hostendpoint_name1_rev1 = r('HostEndpoint', {name: 'endpoint1', labels: {type: 'database'}}, {interfaceName: 'eth0', profiles: ['prof1', 'prof2'], node: 'host1'})
export const hostendpoint_name1_rev2 = r('HostEndpoint', {name: 'endpoint1', labels: {type: 'frontend'}}, {interfaceName: 'cali7', profiles: ['prof1', 'prof2'], node: 'host2'})
export const hostendpoint_name1_rev3 = r(
  'HostEndpoint',
  {
    name: 'endpoint1', labels: {type: 'frontend', misc: 'version1'}, annotations: {key: 'value'}, selfLink: 'test-self-link', uid: 'test-uid-change',
    generation: 3, finalizers: ['finalizer1', 'finalizer2'], creationTimestamp: '2006-01-02T15:04:05Z',
  },
  {interfaceName: 'cali7', profiles: ['prof1', 'prof2'], node: 'host2'},
)

export const profile_name1_rev1 = r('Profile', {labels: {foo: 'bar'}, name: 'profile-name1'}, {
  egress: [{action: 'Allow', source: {selector: "type=='application'"}}],
  ingress: [richIngress([1234, '10:20'])],
})
export const profile_name1_rev2 = r('Profile', {name: 'profile-name1'}, {egress: [{action: 'Allow'}], ingress: [{ipVersion: 6, action: 'Deny'}]})

export const workloadendpoint_name1_rev1 = r(
  'WorkloadEndpoint',
  {labels: {'projectcalico.org/namespace': 'namespace1', 'projectcalico.org/orchestrator': 'k8s', type: 'database'}, name: 'node1-k8s-abcd-eth0', namespace: 'namespace1'},
  {node: 'node1', orchestrator: 'k8s', pod: 'abcd', endpoint: 'eth0', containerID: 'container1234', ipNetworks: ['1.2.3.4/32'], interfaceName: 'cali1234', profiles: ['prof1', 'prof2']},
)
export const workloadendpoint_name2_rev1 = r(
  'WorkloadEndpoint',
  {labels: {'projectcalico.org/namespace': 'namespace1', 'projectcalico.org/orchestrator': 'cni', type: 'database'}, name: 'node2-cni-container1234-eth0', namespace: 'namespace1'},
  {node: 'node2', orchestrator: 'cni', endpoint: 'eth0', containerID: 'container1234', ipNetworks: ['1.2.3.4/32'], interfaceName: 'cali1234', profiles: ['prof1', 'prof2']},
)

const node = (n: number, v4: string, v6: string) => r('Node', {name: `node${n}`}, {bgp: {ipv4Address: v4, ipv6Address: v6}})
export const node_name1_rev1 = node(1, '1.2.3.4/24', 'aa:bb:cc::ff/120')
export const node_name2_rev1 = node(2, '1.2.3.5/24', 'aa:bb:cc::ee/120')
export const node_name3_rev1 = node(3, '1.2.3.6/24', 'aa:bb:cc::dd/120')

export const bgpconfig_name1_rev1 = r('BGPConfiguration', {name: 'default'}, {logSeverityScreen: 'Info', nodeToNodeMeshEnabled: true, asNumber: 6512, serviceLoadBalancerAggregation: 'Enabled'})
export const bgpconfig_name1_rev2 = r('BGPConfiguration', {name: 'default'}, {logSeverityScreen: 'Info', nodeToNodeMeshEnabled: false, asNumber: 6511, serviceLoadBalancerAggregation: 'Enabled'})
export const bgpconfig_name2_rev1 = r('BGPConfiguration', {name: 'bgpconfiguration1'}, {logSeverityScreen: 'Info', serviceLoadBalancerAggregation: 'Enabled'})
export const bgpconfig_name2_rev2 = r('BGPConfiguration', {name: 'bgpconfiguration1'}, {logSeverityScreen: 'Debug', serviceLoadBalancerAggregation: 'Enabled'})
export const bgpconfig_name2_rev3 = r('BGPConfiguration', {name: 'bgpconfiguration1'}, {logSeverityScreen: 'Debug', nodeToNodeMeshEnabled: true, serviceLoadBalancerAggregation: 'Enabled'})

export const felixconfig_name1_rev1 = r('FelixConfiguration', {name: 'felixconfiguration1'}, {
  chainInsertMode: 'append',
  defaultEndpointToHostAction: 'Accept',
  failsafeInboundHostPorts: [{protocol: 'TCP', port: 666}, {protocol: 'UDP', port: 333}],
  failsafeOutboundHostPorts: [{protocol: 'TCP', port: 999}, {protocol: 'UDP', port: 222}, {protocol: 'UDP', port: 422}],
  interfacePrefix: 'humperdink',
  ipipMTU: 1521,
  ipsetsRefreshInterval: '44s',
  iptablesFilterAllowAction: 'Return',
  iptablesLockProbeInterval: '500ms',
  iptablesMangleAllowAction: 'Accept',
  iptablesMarkMask: 0xff0000,
  iptablesPostWriteCheckInterval: '12s',
  iptablesRefreshInterval: '22s',
  ipv6Support: true,
  logFilePath: '/var/log/fun.log',
  logPrefix: 'say-hello-friend',
  logSeverityScreen: 'Info',
  maxIpsetSize: 8192,
  metadataAddr: '127.1.1.1',
  metadataPort: 8999,
  netlinkTimeout: '10s',
  prometheusGoMetricsEnabled: true,
  prometheusMetricsEnabled: true,
  prometheusMetricsPort: 11,
  prometheusProcessMetricsEnabled: true,
  reportingInterval: '10s',
  reportingTTL: '99s',
  routeRefreshInterval: '33s',
  usageReportingEnabled: false,
})
export const felixconfig_name1_rev2 = r('FelixConfiguration', {name: 'felixconfiguration1'}, {ipv6Support: false, logSeverityScreen: 'Debug', netlinkTimeout: '11s'})
export const felixconfig_name1_rev3 = r('FelixConfiguration', {name: 'felixconfiguration1'}, {ipv6Support: false, logSeverityScreen: 'Debug', netlinkTimeout: '125s', reportingTTL: '9910s'})

export const clusterinfo_name1_rev1 = r('ClusterInformation', {name: 'default'}, {clusterGUID: 'cluster-guid1', datastoreReady: true})

export const kubecontrollersconfig_name1_rev1 = r('KubeControllersConfiguration', {name: 'default'}, {
  logSeverityScreen: 'Info', controllers: {node: {syncLabels: 'Enabled', hostEndpoint: {autoCreate: 'Disabled'}}},
})
export const kubecontrollersconfig_name1_rev2 = {
  ...r('KubeControllersConfiguration', {name: 'default'}, {
    logSeverityScreen: 'Debug', controllers: {node: {syncLabels: 'Enabled', hostEndpoint: {autoCreate: 'Disabled'}}, namespace: {}},
  }),
  status: {environmentVars: {LOG_LEVEL: 'Info'}},
}
