// Validation parity with upstream Calico v3.32.1, kind by kind: a corpus of manifests that
// upstream accepts and refuses, each row naming the upstream rule it follows. Used by
// test/unit/validation-parity.test.ts (through the validator) and
// test/integration/validation-parity-cli.test.ts (through the CLI). The tables are our own;
// the rules come from (paths in projectcalico/calico at v3.32.1):
//   V   libcalico-go/lib/validator/v3/validator.go (struct tags and per-kind functions)
//   VT  libcalico-go/lib/validator/v3/validator_test.go (the case it mirrors)
//   API api/pkg/apis/projectcalico/v3/<file>.go (fields, json tags, `validate:` tags, markers)
//   CRD api/config/crd/projectcalico.org_<plural>.yaml (enum, pattern, bounds, maxLength)
//   RM  calicoctl/calicoctl/resourcemgr/resourcemgr.go (sigs.k8s.io/yaml UnmarshalStrict:
//       duplicate keys and unknown fields refused, field names matched as encoding/json does)
//   CL  libcalico-go/lib/clientv3/<file>.go (client checks: tier exists, filters exist, …)
export interface Case {
  kind: string
  why: string
  /** Where upstream's rule lives. */
  src: string
  ok: boolean
  name?: string
  namespace?: string
  meta?: Record<string, unknown>
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
  /** The whole manifest as text, when the case is about the text itself. */
  text?: string
  /** Refused cases: the field path the one-line message must name. */
  field?: string
}

/** Resources the simulated datastore holds, for the client's existence checks. */
export const STORED = new Set(['Tier/security', 'BGPFilter/export-only'])

export function manifest(c: Case): string {
  if (c.text !== undefined) return c.text
  const metadata = {name: c.name ?? defaultName(c.kind), ...(c.namespace ? {namespace: c.namespace} : {}), ...c.meta}
  return JSON.stringify({apiVersion: 'projectcalico.org/v3', kind: c.kind, metadata, spec: c.spec ?? {}, ...(c.status ? {status: c.status} : {})})
}

export function defaultName(kind: string): string {
  return kind === 'KubeControllersConfiguration' || kind === 'FelixConfiguration' || kind === 'BGPConfiguration' ? 'default' : 'sample'
}

const V = 'validator.go'
const VT = (entry: string) => `validator_test.go "${entry}"`
export const API = (file: string) => `api/pkg/apis/projectcalico/v3/${file}.go`
const CRD = (plural: string) => `api/config/crd/projectcalico.org_${plural}.yaml`
const RM = 'resourcemgr.go UnmarshalStrict'
const CL = (file: string) => `libcalico-go/lib/clientv3/${file}.go`
const INTERNAL = (file: string) => `libcalico-go/lib/apis/internalapi/${file}.go`

const V3 = 'apiVersion: projectcalico.org/v3'

// ------------------------------------------------------------------------------------------
// Decoding (every kind): strict YAML/JSON, field names case-insensitive.
const decoding: Case[] = [
  {kind: 'IPPool', ok: false, src: RM, why: 'duplicate key in YAML', text: `${V3}\nkind: IPPool\nmetadata:\n  name: p\nspec:\n  cidr: 10.1.0.0/16\n  cidr: 10.2.0.0/16\n`},
  {kind: 'IPPool', ok: false, src: RM, why: 'duplicate key in JSON', text: '{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"p"},"spec":{"cidr":"10.1.0.0/16","cidr":"10.2.0.0/16"}}'},
  {kind: 'IPPool', ok: false, src: RM, why: 'duplicate metadata key in a flow mapping', text: `${V3}\nkind: IPPool\nmetadata: {name: a, name: b}\nspec: {cidr: 10.1.0.0/16}\n`},
  {kind: 'GlobalNetworkPolicy', ok: true, src: `${RM} (encoding/json field match)`, why: 'capitalised Egress and Action', text: `${V3}\nkind: GlobalNetworkPolicy\nmetadata:\n  name: caps\nspec:\n  Selector: all()\n  Egress:\n  - Action: Allow\n    Destination:\n      Nets: [198.51.100.0/24]\n`},
  {kind: 'IPPool', ok: true, src: `${RM} (encoding/json field match)`, why: 'upper-case CIDR and NATOutgoing keys', text: `${V3}\nkind: IPPool\nMetadata:\n  Name: caps\nSpec:\n  CIDR: 10.3.0.0/16\n  NATOutgoing: true\n`},
  {kind: 'FelixConfiguration', ok: true, src: `${RM} (encoding/json field match)`, why: 'FelixConfiguration key in another case', text: `${V3}\nkind: FelixConfiguration\nmetadata: {name: default}\nspec: {LogSeverityScreen: Info, IPIPEnabled: true}\n`},
  {kind: 'IPPool', ok: false, src: RM, why: 'unknown spec field', spec: {cidr: '10.4.0.0/16', natOutgoingg: true}, field: 'spec.natOutgoingg'},
  {kind: 'FelixConfiguration', ok: false, src: RM, why: 'unknown FelixConfiguration field', spec: {logSeverityScreen: 'Info', notAFelixSetting: true}, field: 'spec.notAFelixSetting'},
  {kind: 'FelixConfiguration', ok: false, src: RM, why: 'unknown field nested in routeTableRange', spec: {routeTableRange: {min: 1, max: 250, step: 2}}, field: 'spec.routeTableRange.step'},
  {kind: 'KubeControllersConfiguration', ok: false, src: RM, why: 'unknown controller', spec: {controllers: {nodes: {}}}, field: 'spec.controllers.nodes'},
  {kind: 'KubeControllersConfiguration', ok: false, src: RM, why: 'unknown field inside a controller', spec: {controllers: {node: {reconcilePeriod: '5m'}}}, field: 'spec.controllers.node.reconcilePeriod'},
  {kind: 'FelixConfiguration', ok: false, src: `${RM} (metav1.Time)`, why: 'creationTimestamp not RFC 3339', meta: {creationTimestamp: '2024-13-01T00:00:00Z'}, field: 'metadata.creationTimestamp'},
  {kind: 'FelixConfiguration', ok: false, src: `${RM} (metav1.Time)`, why: 'creationTimestamp as a date only', meta: {creationTimestamp: '2024-01-02'}, field: 'metadata.creationTimestamp'},
  {kind: 'FelixConfiguration', ok: true, src: `${RM} (metav1.Time)`, why: 'creationTimestamp RFC 3339 with offset', meta: {creationTimestamp: '2024-01-02T15:04:05+01:00'}},
  {kind: 'FelixConfiguration', ok: true, src: `${RM} (metav1.Time)`, why: 'unquoted YAML timestamp kept as text', text: `${V3}\nkind: FelixConfiguration\nmetadata:\n  name: default\n  creationTimestamp: 2024-01-02T15:04:05Z\nspec: {}\n`},
]

// ------------------------------------------------------------------------------------------
// Metadata (every kind): V validateObjectMeta, validateObjectMetaAnnotations/Labels.
const bigValue = 'x'.repeat(128 * 1024)
const metadata: Case[] = [
  {kind: 'GlobalNetworkSet', ok: true, src: VT('should allow a name of 253 chars'), why: 'name of 253 characters', name: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`},
  {kind: 'GlobalNetworkSet', ok: false, src: VT('should disallow a name of 254 chars'), why: 'name of 254 characters', name: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, field: 'metadata.name'},
  {kind: 'GlobalNetworkSet', ok: false, src: V, why: 'upper-case name', name: 'Upper', field: 'metadata.name'},
  {kind: 'GlobalNetworkSet', ok: true, src: VT('should accept valid labels in metadata (uppercase name)'), why: 'label with upper-case name part', meta: {labels: {'projectcalico.org/Label': 'v'}}},
  {kind: 'GlobalNetworkSet', ok: false, src: VT('should reject invalid labels in metadata (uppercase domain)'), why: 'label prefix in upper case', meta: {labels: {'Projectcalico.org/label': 'v'}}, field: 'metadata.labels'},
  {kind: 'GlobalNetworkSet', ok: false, src: VT('should reject an excessively long value in labels in metadata'), why: 'label value over 63 characters', meta: {labels: {a: 'v'.repeat(64)}}, field: 'metadata.labels.a'},
  {kind: 'GlobalNetworkSet', ok: true, src: VT('should accept valid annotations in metadata (uppercase domain and name)'), why: 'annotation key in upper case (checked lower-cased)', meta: {annotations: {'Projectcalico.org/Annot': 'v'}}},
  {kind: 'GlobalNetworkSet', ok: false, src: VT('should reject invalid annotations in metadata'), why: 'annotation key with a space', meta: {annotations: {'bad key': 'v'}}, field: 'metadata.annotations'},
  {kind: 'GlobalNetworkSet', ok: false, src: V, why: 'annotation key with two slashes', meta: {annotations: {'a/b/c': 'v'}}, field: 'metadata.annotations'},
  {kind: 'GlobalNetworkSet', ok: true, src: VT('should allow annotations in metadata <= 256k'), why: 'annotations of 256 KiB in all', meta: {annotations: {a: bigValue.slice(1), b: bigValue.slice(1)}}},
  {kind: 'GlobalNetworkSet', ok: false, src: VT('should disallow annotations in metadata > 256k'), why: 'annotations over 256 KiB', meta: {annotations: {a: bigValue, b: bigValue}}, field: 'metadata.annotations'},
  {kind: 'GlobalNetworkSet', ok: false, src: `${V} validateGlobalNetworkSet`, why: 'reserved projectcalico.org/namespace label', meta: {labels: {'projectcalico.org/namespace': 'ns1'}}, field: 'metadata.labels.projectcalico.org/namespace'},
  {kind: 'NetworkSet', ok: false, src: `${V} validateNetworkSet`, why: 'reserved projectcalico.org/namespace label', namespace: 'ns1', meta: {labels: {'projectcalico.org/namespace': 'ns1'}}, field: 'metadata.labels.projectcalico.org/namespace'},
  {kind: 'NetworkSet', ok: true, src: `${V} validateNetworkSet`, why: 'other projectcalico.org labels', namespace: 'ns1', meta: {labels: {'projectcalico.org/role': 'db'}}},
]

// ------------------------------------------------------------------------------------------
// FelixConfiguration: API felixconfig.go tags, V validateFelixConfigSpec, CRD.
const felix = (spec: Record<string, unknown>, ok: boolean, src: string, why: string, field?: string, name = 'default'): Case => ({kind: 'FelixConfiguration', name, spec, ok, src, why, field})
const felixCases: Case[] = [
  felix({}, true, `${V} validateObjectMeta`, 'any DNS name, not only default/node.*', undefined, 'my-felix-settings'),
  felix({nodeSelector: 'role == "edge"'}, true, `${API('felixconfig')} XValidation`, 'nodeSelector on a named configuration', undefined, 'edge-nodes'),
  felix({nodeSelector: 'all()'}, false, `${API('felixconfig')} XValidation`, 'nodeSelector on default', 'spec.nodeSelector'),
  felix({routeTableRange: {min: 1, max: 250}}, true, VT('should accept valid route table range'), 'routeTableRange as {min, max}'),
  felix({routeTableRange: {min: 42, max: 42}}, true, VT('should accept route table range with min == max'), 'routeTableRange of one table'),
  felix({routeTableRange: {min: 0, max: 250}}, false, VT('should reject route table range min too small'), 'routeTableRange min 0', 'spec.routeTableRange'),
  felix({routeTableRange: {min: 200, max: 100}}, false, VT('should reject route table range max < min'), 'reversed routeTableRange', 'spec.routeTableRange'),
  felix({routeTableRange: {min: 1, max: 251}}, false, VT('should reject route table range max too large'), 'routeTableRange above 250', 'spec.routeTableRange'),
  felix({routeTableRange: '1-250'}, false, API('felixconfig'), 'routeTableRange as a string', 'spec.routeTableRange'),
  felix({routeTableRanges: [{min: 1, max: 250}, {min: 1000, max: 2000}]}, true, VT('should accept valid route table ranges'), 'routeTableRanges'),
  felix({routeTableRanges: [{min: 0, max: 250}]}, false, VT('should reject route table ranges min too small'), 'routeTableRanges min 0', 'spec.routeTableRanges'),
  felix({routeTableRanges: [{min: 300, max: 250}]}, false, VT('should reject route table ranges max < min'), 'reversed routeTableRanges', 'spec.routeTableRanges'),
  felix({routeTableRanges: [{min: 1, max: 0x10000}]}, false, VT('should reject single route table ranges targeting too many tables'), 'too many tables', 'spec.routeTableRanges'),
  felix({routeTableRanges: [{min: 1, max: 2}], routeTableRange: {min: 1, max: 2}}, false, VT('should reject spec with both RouteTableRanges and RouteTableRange set'), 'both range forms', 'spec.routeTableRange'),
  felix({logSeverityScreen: 'garbage'}, false, VT("should reject an invalid LogSeverityScreen value 'badVal'"), 'logSeverityScreen: garbage', 'spec.logSeverityScreen'),
  felix({logSeveritySys: 'Critical'}, false, VT("should reject an invalid LogSeveritySys value 'Critical'"), 'logSeveritySys: Critical', 'spec.logSeveritySys'),
  felix({logSeverityFile: 'info'}, false, `${V} logLevelRegex`, 'lower-case log level', 'spec.logSeverityFile'),
  felix({logSeverityScreen: 'Trace', logSeverityFile: 'Debug', logSeveritySys: 'Info'}, true, VT("should accept a valid LogSeverityScreen value 'Trace'"), 'valid log levels'),
  felix({iptablesBackend: 'Legacy'}, true, VT("should accept a valid IptablesBackend value 'Legacy'"), 'iptablesBackend Legacy'),
  felix({iptablesBackend: 'NFT'}, true, VT("should accept a valid IptablesBackend value 'NFT'"), 'iptablesBackend NFT'),
  felix({iptablesBackend: 'badVal'}, false, VT("should reject an invalid IptablesBackend value 'badVal'"), 'iptablesBackend badVal', 'spec.iptablesBackend'),
  felix({defaultEndpointToHostAction: 'drop'}, false, VT("should reject an invalid DefaultEndpointToHostAction value 'drop' (lower case)"), 'lower-case action', 'spec.defaultEndpointToHostAction'),
  felix({defaultEndpointToHostAction: 'Return'}, true, VT('should accept a valid DefaultEndpointToHostAction value'), 'defaultEndpointToHostAction Return'),
  felix({iptablesMangleAllowAction: 'Drop'}, false, VT("should reject an invalid IptablesMangleAllowAction value 'Drop'"), 'mangle allow Drop', 'spec.iptablesMangleAllowAction'),
  felix({iptablesFilterDenyAction: 'Reject'}, true, VT("should accept a valid IptablesFilterDenyAction value 'Reject'"), 'filter deny Reject'),
  felix({iptablesFilterDenyAction: 'Accept'}, false, `${V} dropRejectRegex`, 'filter deny Accept', 'spec.iptablesFilterDenyAction'),
  felix({kubeNodePortRanges: [30000, '31000:32767']}, true, VT('should accept a valid KubeNodePortRanges value'), 'node port ranges'),
  felix({kubeNodePortRanges: [1, 2, 3, 4, 5, 6, 7, 8]}, false, VT('should reject a too-long KubeNodePortRanges value'), 'eight node port ranges', 'spec.kubeNodePortRanges'),
  felix({kubeNodePortRanges: ['named']}, false, VT('should reject a named port KubeNodePortRanges value'), 'named node port', 'spec.kubeNodePortRanges'),
  felix({kubeNodePortRanges: ['32767:30000']}, false, `${V} validatePort`, 'reversed node port range', 'spec.kubeNodePortRanges'),
  felix({externalNodesList: ['198.51.100.0/24', '203.0.113.7']}, true, VT('should accept a valid list of ExternalNodesCIDRList'), 'external nodes'),
  felix({externalNodesList: ['198.51.100.0/33']}, false, VT('should reject an invalid list of ExternalNodesCIDRList'), 'bad external CIDR', 'spec.externalNodesList'),
  felix({externalNodesList: ['fd00::/64']}, false, VT('should reject IPv6 list of ExternalNodesCIDRList'), 'IPv6 external CIDR', 'spec.externalNodesList'),
  felix({openstackRegion: 'foo'}, true, VT('should accept a valid OpenStackRegion'), 'openstack region'),
  felix({openstackRegion: 'FOO'}, false, VT('should reject an invalid OpenStackRegion'), 'upper-case region', 'spec.openstackRegion'),
  felix({openstackRegion: 'my-region-has-a-very-long-and-extremely-interesting-name'}, false, VT('should reject an overlong OpenStackRegion'), 'long region', 'spec.openstackRegion'),
  felix({natOutgoingAddress: '198.51.100.1'}, true, `${V} validateFelixConfigSpec`, 'NAT address IPv4'),
  felix({natOutgoingAddress: '198.51.100'}, false, `${V} validateFelixConfigSpec`, 'malformed NAT address', 'spec.natOutgoingAddress'),
  felix({natOutgoingAddress: 'fd00::1'}, false, `${V} validateFelixConfigSpec`, 'IPv6 NAT address', 'spec.natOutgoingAddress'),
  felix({deviceRouteSourceAddress: '198.51.100.1/32'}, false, `${V} validateFelixConfigSpec`, 'device route source as CIDR', 'spec.deviceRouteSourceAddress'),
  felix({deviceRouteSourceAddressIPv6: 'fe80::1%eth0'}, false, `${V} validateFelixConfigSpec (cnet.ParseIP)`, 'IPv6 address with a zone id', 'spec.deviceRouteSourceAddressIPv6'),
  felix({deviceRouteSourceAddressIPv6: 'fd00::1'}, true, `${V} validateFelixConfigSpec`, 'IPv6 device route source'),
  felix({iptablesNATOutgoingInterfaceFilter: 'cali-123'}, true, VT("should accept a valid IptablesNATOutgoingInterfaceFilter value 'cali-123'"), 'interface filter'),
  felix({iptablesNATOutgoingInterfaceFilter: 'cali@123'}, false, VT("should reject an invalid IptablesNATOutgoingInterfaceFilter value 'cali@123'"), 'bad interface filter', 'spec.iptablesNATOutgoingInterfaceFilter'),
  felix({bpfLogLevel: 'badVal'}, false, VT("should reject an invalid BPFLogLevel value 'badVal'"), 'bpfLogLevel', 'spec.bpfLogLevel'),
  felix({bpfLogLevel: 'Off'}, true, VT("should accept a valid BPFLogLevel value 'Off'"), 'bpfLogLevel Off'),
  felix({bpfExternalServiceMode: 'Foo'}, false, VT("should reject a valid BPFExternalServiceMode value 'Foo'"), 'service mode', 'spec.bpfExternalServiceMode'),
  felix({bpfExternalServiceMode: 'DSR'}, true, VT("should accept a valid BPFExternalServiceMode value 'DSR'"), 'service mode DSR'),
  felix({bpfExtToServiceConnmark: -1}, false, VT('should reject a negative BPFExtToServiceConnmark value'), 'negative connmark', 'spec.bpfExtToServiceConnmark'),
  felix({bpfExtToServiceConnmark: 0x100000000}, false, VT('should reject a gte 32bit BPFExtToServiceConnmark value'), '33-bit connmark', 'spec.bpfExtToServiceConnmark'),
  felix({bpfExtToServiceConnmark: 0xffffffff}, true, VT('should accept a 0xffffffff BPFExtToServiceConnmark value'), '32-bit connmark'),
  felix({bpfDataIfacePattern: '*'}, false, VT("should reject an invalid BPFDataIfacePattern value '*'"), 'bad regexp', 'spec.bpfDataIfacePattern'),
  felix({bpfDataIfacePattern: 'eth.*'}, true, VT("should accept a valid BPFDataIfacePattern value 'eth.*'"), 'regexp'),
  felix({mtuIfacePattern: '*'}, false, VT("should reject an invalid MTUIfacePattern value '*'"), 'bad MTU pattern', 'spec.mtuIfacePattern'),
  felix({healthTimeoutOverrides: [{name: 'InternalDataplaneMainLoop', timeout: '0s'}]}, true, VT('should allow HealthTimeoutOverride 0'), 'health timeout 0'),
  felix({healthTimeoutOverrides: [{name: 'InternalDataplaneMainLoop', timeout: '-1s'}]}, false, VT('should reject HealthTimeoutOverride -1'), 'negative health timeout', 'spec.healthTimeoutOverrides'),
  felix({healthTimeoutOverrides: [{name: 'bad/name', timeout: '5s'}]}, false, VT('should reject HealthTimeoutOverride with bad name'), 'bad health name', 'spec.healthTimeoutOverrides'),
  felix({healthTimeoutOverrides: [{timeout: '5s'}]}, false, VT('should reject HealthTimeoutOverride with no name'), 'health override without name', 'spec.healthTimeoutOverrides[0].name'),
  felix({ipv4ElevatedRoutePriority: 0}, false, VT('invalid route priority 0'), 'route priority 0', 'spec.ipv4ElevatedRoutePriority'),
  felix({ipv4ElevatedRoutePriority: 2147483646}, true, VT('valid route priority 2147483646'), 'route priority max'),
  felix({ipv6NormalRoutePriority: 2147483647}, false, VT('invalid route priority 2147483647'), 'route priority over max', 'spec.ipv6NormalRoutePriority'),
  felix({wireguardListeningPort: 51820}, true, `${API('felixconfig')} gt=0,lte=65535`, 'wireguard port'),
  felix({wireguardListeningPort: 65536}, false, `${API('felixconfig')} gt=0,lte=65535`, 'wireguard port over 65535', 'spec.wireguardListeningPort'),
  felix({wireguardListeningPortV6: 0}, false, `${API('felixconfig')} gt=0,lte=65535`, 'wireguard port 0', 'spec.wireguardListeningPortV6'),
  felix({debugPort: 70000}, false, `${API('felixconfig')} gte=0,lte=65535`, 'debug port over 65535', 'spec.debugPort'),
  felix({bpfKubeProxyHealthzPort: 99999}, false, `${API('felixconfig')} gte=0,lte=65535`, 'healthz port over 65535', 'spec.bpfKubeProxyHealthzPort'),
  felix({failsafeInboundHostPorts: [{protocol: 'TCP', port: 22}, {protocol: 'UDP', port: 68, net: '0.0.0.0/0'}]}, true, `${V} validateProtoPort`, 'failsafe ports'),
  felix({failsafeInboundHostPorts: [{protocol: 'TCP', port: 70000}]}, false, `${API('felixconfig')} ProtoPort.Port uint16`, 'failsafe port over 65535', 'spec.failsafeInboundHostPorts[0].port'),
  felix({failsafeOutboundHostPorts: [{protocol: 'ICMP', port: 1}]}, false, `${V} validateProtoPort`, 'failsafe ICMP', 'spec.failsafeOutboundHostPorts'),
  felix({natPortRange: '32768:65535'}, true, `${API('felixconfig')} numorstring.Port`, 'NAT port range'),
  felix({natPortRange: '65535:32768'}, false, `${V} validatePort`, 'reversed NAT port range', 'spec.natPortRange'),
  felix({wireguardInterfaceName: 'wireguard.cali'}, true, `${V} interfaceRegex`, 'wireguard interface'),
  felix({wireguardInterfaceName: 'a-very-long-interface'}, false, `${V} interfaceRegex`, 'interface name over 15', 'spec.wireguardInterfaceName'),
  felix({wireguardRoutingRulePriority: 32766}, false, `${API('felixconfig')} gt=0,lt=32766`, 'rule priority 32766', 'spec.wireguardRoutingRulePriority'),
  felix({awsSrcDstCheck: 'Enable'}, true, `${API('felixconfig')} oneof`, 'aws check'),
  felix({awsSrcDstCheck: 'enable'}, false, `${API('felixconfig')} oneof`, 'aws check lower case', 'spec.awsSrcDstCheck'),
  felix({serviceLoopPrevention: 'Off'}, false, `${API('felixconfig')} oneof=Drop Reject Disabled`, 'loop prevention', 'spec.serviceLoopPrevention'),
  felix({bpfConntrackMode: 'BPFProgram'}, true, `${API('felixconfig')} oneof`, 'conntrack mode'),
  felix({bpfAttachType: 'XDP'}, false, `${API('felixconfig')} oneof=TC TCX`, 'attach type', 'spec.bpfAttachType'),
  felix({featureDetectOverride: 'SNATFullyRandom=true,MASQFullyRandom=false'}, true, `${V} validateKeyValueList`, 'feature overrides'),
  felix({featureDetectOverride: 'SNATFullyRandom'}, false, `${V} validateKeyValueList`, 'override without value', 'spec.featureDetectOverride'),
  felix({prometheusMetricsHost: 'bad host'}, false, `${V} prometheusHostRegexp`, 'host with a space', 'spec.prometheusMetricsHost'),
  felix({prometheusMetricsClientAuth: 'NoClientCert'}, true, `${API('felixconfig')} oneof`, 'client auth'),
  felix({bpfDSROptoutCIDRs: ['198.51.100.0/24', 'fd00::/64']}, true, `${V} validateCIDRs`, 'DSR opt-out'),
  felix({bpfDSROptoutCIDRs: ['not-a-cidr']}, false, `${V} validateCIDRs`, 'DSR opt-out garbage', 'spec.bpfDSROptoutCIDRs'),
  felix({goGCThreshold: -2}, false, `${API('felixconfig')} gte=-1`, 'GC threshold -2', 'spec.goGCThreshold'),
  felix({bpfMaglevMaxServices: 3001}, false, `${API('felixconfig')} gt=0,lte=3000`, 'maglev services', 'spec.bpfMaglevMaxServices'),
  felix({routeRefreshInterval: '90s', reportingInterval: '1m30s', iptablesLockProbeInterval: '50ms'}, true, `${API('felixconfig')} metav1.Duration`, 'durations'),
  felix({routeRefreshInterval: '10 seconds'}, false, `${API('felixconfig')} metav1.Duration`, 'malformed duration', 'spec.routeRefreshInterval'),
  felix({reportingTTL: '5d'}, false, `${API('felixconfig')} metav1.Duration (time.ParseDuration)`, 'day unit', 'spec.reportingTTL'),
  felix({ipipMTU: '1440'}, false, `${RM} (int field)`, 'MTU as a string', 'spec.ipipMTU'),
  felix({ipipEnabled: 'yes'}, false, `${RM} (bool field)`, 'bool as a string', 'spec.ipipEnabled'),
  felix({bpfConntrackLogLevel: 'Info'}, false, `${API('felixconfig')} oneof=Off Debug`, 'conntrack log level', 'spec.bpfConntrackLogLevel'),
  felix({routeSource: 'WorkloadIPs'}, true, CRD('felixconfigurations'), 'route source'),
  felix({routeSource: 'Everything'}, false, CRD('felixconfigurations'), 'route source enum', 'spec.routeSource'),
  felix({bpfEnforceRPF: 'strict'}, true, `${CRD('felixconfigurations')} (?i) pattern`, 'RPF case-insensitive'),
  felix({bpfEnforceRPF: 'Sometimes'}, false, `${CRD('felixconfigurations')} pattern`, 'RPF pattern', 'spec.bpfEnforceRPF'),
  felix({nodeSelector: 'x'.repeat(1025)}, false, `${CRD('felixconfigurations')} maxLength`, 'selector over 1024', 'spec.nodeSelector', 'big'),
]

// ------------------------------------------------------------------------------------------
// BGPConfiguration: API bgpconfig.go, V validateBGPConfigurationSpec, CL bgpconfig.go.
const bgpc = (spec: Record<string, unknown>, ok: boolean, src: string, why: string, field?: string, name = 'default'): Case => ({kind: 'BGPConfiguration', name, spec, ok, src, why, field})
const bgpConfigCases: Case[] = [
  bgpc({logSeverityScreen: 'Info'}, true, V, 'any name', undefined, 'rack1-settings'),
  bgpc({serviceLoadBalancerAggregation: 'Disabled'}, true, API('bgpconfig'), 'serviceLoadBalancerAggregation'),
  bgpc({serviceLoadBalancerAggregation: 'Off'}, false, CRD('bgpconfigurations'), 'aggregation enum', 'spec.serviceLoadBalancerAggregation'),
  bgpc({ipv4NormalRoutePriority: 1024, ipv6NormalRoutePriority: 1024}, true, API('bgpconfig'), 'normal route priorities'),
  bgpc({ipv4NormalRoutePriority: 0}, false, `${API('bgpconfig')} gte=1`, 'route priority 0', 'spec.ipv4NormalRoutePriority'),
  bgpc({nodeToNodeMeshEnabled: false}, false, CL('bgpconfig'), 'mesh flag on a node configuration', 'spec.nodeToNodeMeshEnabled', 'node.rack1'),
  bgpc({asNumber: '64512'}, true, `${API('bgpconfig')} numorstring.ASNumber`, 'AS number as a string'),
  bgpc({asNumber: '1.10'}, true, `${API('bgpconfig')} numorstring.ASNumber`, 'dotted AS number'),
  bgpc({asNumber: 'AS64512'}, false, `${API('bgpconfig')} numorstring.ASNumber`, 'AS number with letters', 'spec.asNumber'),
  bgpc({communities: [{name: 'c1', value: '65000:100'}], prefixAdvertisements: [{cidr: '198.51.100.0/24', communities: ['c1', '65000:200:300']}]}, true, V, 'communities and advertisements'),
  bgpc({communities: [{name: 'c1', value: '65000:100'}]}, false, `${V} validateBGPConfigurationSpec`, 'communities without advertisements', 'spec.communities'),
  bgpc({communities: [{name: 'c1', value: '70000:1'}], prefixAdvertisements: [{cidr: '198.51.100.0/24', communities: ['c1']}]}, false, `${V} validateCommunityValue`, '17-bit standard community', 'spec.communities[0].value'),
  bgpc({communities: [{name: 'c1', value: 'no-export'}], prefixAdvertisements: [{cidr: '198.51.100.0/24', communities: ['c1']}]}, false, `${V} isValidCommunity`, 'community value that is a word', 'spec.communities[0].value'),
  bgpc({prefixAdvertisements: [{cidr: '198.51.100.0/24', communities: ['undefined-name']}]}, false, `${V} isCommunityDefined`, 'community not defined', 'spec.prefixAdvertisements[0].communities[0]'),
  bgpc({prefixAdvertisements: [{cidr: '198.51.100.300/24', communities: ['65000:1']}]}, false, `${V} validateBGPConfigurationSpec`, 'advertisement CIDR invalid', 'spec.prefixAdvertisements[0].cidr'),
  bgpc({prefixAdvertisements: [{cidr: '198.51.100.0/24'}]}, false, `${API('bgpconfig')} PrefixAdvertisement communities required`, 'advertisement without communities', 'spec.prefixAdvertisements[0].communities'),
  bgpc({prefixAdvertisements: [{cidr: '198.51.100.0/24', communities: ['4294967296:1:1']}]}, false, `${V} validateCommunityValue`, '33-bit large community', 'spec.prefixAdvertisements[0].communities[0]'),
  bgpc({ignoredInterfaces: ['eth*', 'docker0']}, true, `${V} ignoredInterfaceRegex`, 'ignored interfaces'),
  bgpc({ignoredInterfaces: ['eth 0']}, false, `${V} ignoredInterfaceRegex`, 'ignored interface with space', 'spec.ignoredInterfaces[0]'),
  bgpc({ignoredInterfaces: ['a'.repeat(16)]}, false, `${V} ignoredInterfaceRegex`, 'ignored interface over 15', 'spec.ignoredInterfaces[0]'),
  bgpc({serviceClusterIPs: [{cidr: '10.96.0.0/12'}], serviceExternalIPs: [{cidr: '203.0.113.7'}]}, true, `${API('bgpconfig')} net`, 'service CIDRs'),
  bgpc({serviceClusterIPs: [{cidr: '10.96.0.1/12'}]}, false, `${V} validateIPNetwork`, 'host bits in service CIDR', 'spec.serviceClusterIPs[0].cidr'),
  bgpc({serviceLoadBalancerIPs: [{cidr: '203.0.113.0/33'}]}, false, `${V} validateIPNetwork`, 'bad LB CIDR', 'spec.serviceLoadBalancerIPs[0].cidr'),
  bgpc({nodeToNodeMeshEnabled: false, nodeMeshPassword: {secretKeyRef: {name: 's', key: 'k'}}}, false, `${V} validateBGPConfigurationSpec`, 'mesh password with mesh off', 'spec.nodeMeshPassword'),
  bgpc({nodeToNodeMeshEnabled: false, nodeMeshMaxRestartTime: '2m'}, false, `${V} validateBGPConfigurationSpec`, 'restart time with mesh off', 'spec.nodeMeshMaxRestartTime'),
  bgpc({nodeToNodeMeshEnabled: true, nodeMeshMaxRestartTime: '2m', nodeMeshPassword: {secretKeyRef: {name: 's', key: 'k'}}}, true, `${V} validateBGPConfigurationSpec`, 'restart time and password with mesh on'),
  bgpc({nodeMeshPassword: {secretKeyRef: {name: 's'}}}, false, `${CRD('bgpconfigurations')} secretKeyRef.key required`, 'secret without key', 'spec.nodeMeshPassword.secretKeyRef.key'),
  bgpc({nodeMeshMaxRestartTime: 'soon'}, false, `${API('bgpconfig')} metav1.Duration`, 'bad restart time', 'spec.nodeMeshMaxRestartTime'),
  bgpc({listenPort: 179}, true, CRD('bgpconfigurations'), 'listen port'),
  bgpc({listenPort: 70000}, false, `${CRD('bgpconfigurations')} maximum`, 'listen port over 65535', 'spec.listenPort'),
  bgpc({logSeverityScreen: 'Verbose'}, false, `${V} logLevel`, 'log level', 'spec.logSeverityScreen'),
  bgpc({bindMode: 'NodeIP'}, true, CRD('bgpconfigurations'), 'bind mode'),
  bgpc({bindMode: 'All'}, false, CRD('bgpconfigurations'), 'bind mode enum', 'spec.bindMode'),
  bgpc({localWorkloadPeeringIPV4: '169.254.0.179', localWorkloadPeeringIPV6: 'fd00::179'}, true, `${API('bgpconfig')} ipv4/ipv6`, 'local workload peering'),
  bgpc({localWorkloadPeeringIPV4: 'fd00::179'}, false, `${API('bgpconfig')} ipv4`, 'v6 in the v4 field', 'spec.localWorkloadPeeringIPV4'),
  bgpc({programClusterRoutes: 'Sometimes'}, false, CRD('bgpconfigurations'), 'program cluster routes enum', 'spec.programClusterRoutes'),
]

// ------------------------------------------------------------------------------------------
// BGPPeer: API bgppeer.go, V validateBGPPeerSpec, validateReachableBy, CL bgppeer.go.
const peer = (spec: Record<string, unknown>, ok: boolean, src: string, why: string, field?: string): Case => ({kind: 'BGPPeer', spec, ok, src, why, field})
const bgpPeerCases: Case[] = [
  peer({ttlSecurity: 3}, true, V, 'only ttlSecurity'),
  peer({peerIP: '198.51.100.1'}, true, VT('should accept valid BGPPeerSpec'), 'peerIP without asNumber'),
  peer({peerIP: '198.51.100.1:1790', asNumber: 64513}, true, `${V} processIPPort`, 'IPv4 with port'),
  peer({peerIP: '[fd00::1]:1790', asNumber: 64513}, true, `${V} processIPPort`, 'IPv6 with port'),
  peer({peerIP: '198.51.100.256'}, false, VT('should reject invalid BGPPeerSpec (IPv4)'), 'bad IPv4', 'spec.peerIP'),
  peer({peerIP: 'fd00::1::2'}, false, VT('should reject invalid BGPPeerSpec (IPv6)'), 'bad IPv6', 'spec.peerIP'),
  peer({peerIP: 'fe80::1%eth0'}, false, `${V} processIPPort (net.ParseIP)`, 'IPv6 with a zone id', 'spec.peerIP'),
  peer({peerIP: '198.51.100.1:0'}, false, `${V} processIPPort`, 'port 0', 'spec.peerIP'),
  peer({node: 'n1', nodeSelector: 'all()'}, false, VT('should reject BGPPeerSpec with both Node and NodeSelector'), 'node and nodeSelector', 'spec.node'),
  peer({peerIP: '198.51.100.1', peerSelector: 'all()'}, false, VT('should reject BGPPeerSpec with both PeerIP and PeerSelector'), 'peerIP and peerSelector', 'spec.peerIP'),
  peer({asNumber: 64513, peerSelector: 'all()'}, false, VT('should reject BGPPeerSpec with both ASNumber and PeerSelector'), 'asNumber and peerSelector', 'spec.asNumber'),
  peer({nodeSelector: 'rr == "true"', peerSelector: 'rr == "true"'}, true, VT('should accept BGPPeerSpec with NodeSelector and PeerSelector'), 'route reflector mesh'),
  peer({localWorkloadSelector: 'app == "bgp"'}, false, VT('should reject BGPPeerSpec with LocalWorkloadSelector and empty ASNumber'), 'local workload without AS', 'spec.asNumber'),
  peer({localWorkloadSelector: 'app == "bgp"', asNumber: 64520, peerSelector: 'all()'}, false, VT('should reject BGPPeerSpec with both LocalWorkloadSelector and PeerSelector'), 'local workload and peerSelector', 'spec.peerSelector'),
  peer({localWorkloadSelector: 'app == "bgp"', asNumber: 64520}, true, V, 'local workload peer'),
  peer({peerIP: '198.51.100.1', keepOriginalNextHop: true, nextHopMode: 'Self'}, false, VT('should reject BGPPeerSpec with both positive KeepOriginalNextHop and non-empty NextHopMode'), 'keepOriginalNextHop with nextHopMode', 'spec.keepOriginalNextHop'),
  peer({peerIP: '198.51.100.1', reachableBy: '198.51.100.254'}, true, `${V} validateReachableBy`, 'reachableBy'),
  peer({reachableBy: '198.51.100.254'}, false, `${V} validateReachableBy`, 'reachableBy without peerIP', 'spec.reachableBy'),
  peer({peerIP: '198.51.100.1', reachableBy: 'fd00::1'}, false, `${V} validateReachableBy`, 'reachableBy of another family', 'spec.reachableBy'),
  peer({peerIP: '198.51.100.1', reachableBy: 'gateway'}, false, `${V} validateReachableByField`, 'reachableBy not an address', 'spec.reachableBy'),
  peer({peerIP: '198.51.100.1', filters: ['export-only']}, true, CL('bgppeer'), 'filter that exists'),
  peer({peerIP: '198.51.100.1', filters: ['no-such-filter']}, false, CL('bgppeer'), 'filter that does not exist', 'spec.filters[0]'),
  peer({peerIP: '198.51.100.1', filters: ['Bad_Name']}, false, `${API('bgppeer')} dive,name`, 'filter with a bad name', 'spec.filters[0]'),
  peer({peerIP: '198.51.100.1', asNumber: 4200000000, localASNumber: '4200000001'}, true, `${API('bgppeer')} numorstring.ASNumber (uint32)`, '32-bit AS numbers'),
  peer({peerIP: '198.51.100.1', asNumber: 4294967296}, false, `${API('bgppeer')} numorstring.ASNumber (uint32)`, 'AS number over 32 bits', 'spec.asNumber'),
  peer({ttlSecurity: 256}, false, `${API('bgppeer')} *uint8`, 'ttlSecurity over 255', 'spec.ttlSecurity'),
  peer({numAllowedLocalASNumbers: 2 ** 31}, false, `${API('bgppeer')} *int32`, 'int32 overflow', 'spec.numAllowedLocalASNumbers'),
  peer({peerIP: '198.51.100.1', maxRestartTime: '2m', keepaliveTime: '30s'}, true, `${API('bgppeer')} metav1.Duration`, 'timers'),
  peer({peerIP: '198.51.100.1', keepaliveTime: 'often'}, false, `${API('bgppeer')} metav1.Duration`, 'bad keepalive', 'spec.keepaliveTime'),
  peer({peerIP: '198.51.100.1', sourceAddress: 'UseNodeIP'}, true, `${V} SourceAddressRegex`, 'source address'),
  peer({peerIP: '198.51.100.1', sourceAddress: ''}, true, `${API('bgppeer')} omitempty`, 'empty source address'),
  peer({peerIP: '198.51.100.1', sourceAddress: 'Node'}, false, `${V} SourceAddressRegex`, 'source address enum', 'spec.sourceAddress'),
  peer({peerIP: '198.51.100.1', nextHopMode: 'Keep'}, true, CRD('bgppeers'), 'next hop mode'),
  peer({peerIP: '198.51.100.1', nextHopMode: 'Peer'}, false, CRD('bgppeers'), 'next hop mode enum', 'spec.nextHopMode'),
  peer({peerIP: '198.51.100.1', reversePeering: 'Manual'}, true, CRD('bgppeers'), 'reverse peering'),
  peer({peerIP: '198.51.100.1', node: 'Bad_Node'}, false, `${API('bgppeer')} name`, 'bad node name', 'spec.node'),
  peer({peerIP: '198.51.100.1', failureDetectionMode: 'None'}, false, RM, 'field that v3.32.1 does not have', 'spec.failureDetectionMode'),
  peer({peerIP: '198.51.100.1', nodeSelector: 'x'.repeat(4097)}, false, `${CRD('bgppeers')} maxLength`, 'selector over 4096', 'spec.nodeSelector'),
  peer({peerIP: '198.51.100.1', password: {secretKeyRef: {name: 'bgp', key: 'pw'}}}, true, API('bgppeer'), 'password'),
]

// ------------------------------------------------------------------------------------------
// IPPool: V validateIPPoolSpec.
const pool = (spec: Record<string, unknown>, ok: boolean, src: string, why: string, field?: string): Case => ({kind: 'IPPool', spec, ok, src, why, field})
const ipPoolCases: Case[] = [
  pool({cidr: '203.0.113.0/24', allowedUses: ['LoadBalancer']}, true, VT('should accept IP pool with valid allowed uses'), 'LoadBalancer pool'),
  pool({cidr: '203.0.113.0/24', allowedUses: ['LoadBalancer'], disableBGPExport: false}, true, `${V} validateIPPoolSpec`, 'LoadBalancer pool exporting'),
  pool({cidr: '203.0.113.0/24', allowedUses: ['LoadBalancer'], disableBGPExport: true}, false, VT('should reject IP pool with LoadBlancer and disableBGPExport true'), 'LoadBalancer pool without export', 'spec.disableBGPExport'),
  pool({cidr: '203.0.113.0/24', allowedUses: ['LoadBalancer'], vxlanMode: 'Always'}, false, VT('should reject IP pool with LoadBlancer and VXLAN mode enabled'), 'LoadBalancer with VXLAN', 'spec.allowedUses'),
  pool({cidr: '203.0.113.0/24', allowedUses: ['LoadBalancer'], nodeSelector: 'zone == "a"'}, false, VT('should reject IP pool with LoadBlancer and nodeSelector other than all()'), 'LoadBalancer with a node selector', 'spec.nodeSelector'),
  pool({cidr: '203.0.113.0/24', allowedUses: ['LoadBalancer', 'Workload']}, false, VT('should reject IP pool with invalid allowed uses combination'), 'LoadBalancer with Workload', 'spec.allowedUses'),
  pool({cidr: '203.0.113.0/24', allowedUses: ['Everything']}, false, VT('should reject IP pool with invalid allowed uses'), 'unknown use', 'spec.allowedUses[0]'),
  pool({cidr: '10.5.0.0/16', ipipMode: 'never'}, false, VT('should reject IPIP mode never (lower case)'), 'lower-case IPIP mode', 'spec.ipipMode'),
  pool({cidr: '10.5.0.0/16', ipipMode: 'Always', vxlanMode: 'Always'}, false, VT('should reject IPIP mode and VXLAN mode'), 'both encapsulations', 'spec.ipipMode'),
  pool({cidr: 'fd00:1::/64', vxlanMode: 'Always'}, true, `${V} validateIPPoolSpec`, 'IPv6 VXLAN pool'),
  pool({cidr: 'fd00:1::/64', ipipMode: 'Always'}, false, VT("should reject IPIPMode 'Always' for IPv6 pool"), 'IPv6 IPIP pool', 'spec.ipipMode'),
  pool({cidr: '169.254.0.0/20'}, false, VT('should reject IPv4 pool with a CIDR range overlapping with Link Local range'), 'link-local pool', 'spec.cidr'),
  pool({cidr: '10.6.0.0/27'}, false, VT('should reject IP pool with IPv4 CIDR /27'), 'pool smaller than a block', 'spec.cidr'),
  pool({cidr: '10.6.0.0/27', disabled: true}, true, VT('should accept a disabled IP pool with IPv4 CIDR /27'), 'small disabled pool'),
  pool({cidr: '10.6.0.1/16'}, false, `${V} poolUnstictCIDR`, 'host bits in the pool CIDR', 'spec.cidr'),
  pool({cidr: '10.7.0.0/16', assignmentMode: 'Manual'}, true, VT('should accept IP pool with valid AssignmentMode'), 'manual assignment'),
  pool({cidr: '10.7.0.0/16', assignmentMode: 'Sometimes'}, false, VT('should reject IP pool with invalid assignment mode'), 'assignment mode', 'spec.assignmentMode'),
  pool({cidr: '10.7.0.0/16', allowedUses: ['Tunnel'], namespaceSelector: 'all()'}, false, VT('should reject IP pool with Tunnel allowedUse and namespaceSelector'), 'tunnel pool with namespace selector', 'spec.namespaceSelector'),
  pool({cidr: '10.7.0.0/16', nodeSelector: 'global()'}, false, VT('should reject IP pool with invalid nodeSelector (global)'), 'global() node selector', 'spec.nodeSelector'),
  pool({cidr: '10.7.0.0/16', nodeSelector: 'has(zone) && zone in {"a", "b"}'}, true, VT('should accept IP pool with set-based nodeSelector'), 'set selector'),
  pool({cidr: '10.7.0.0/16', blockSize: 19}, false, `${CRD('ippools')} / ${V}`, 'block size 19', 'spec.blockSize'),
  pool({cidr: 'fe80::/64'}, false, VT('should reject IPv6 pool with a CIDR range overlapping with Link Local range'), 'v6 link-local pool', 'spec.cidr'),
  pool({cidr: 'fd00:2::1%eth0/64'}, false, `${V} (cnet.ParseCIDR)`, 'CIDR with a zone id', 'spec.cidr'),
]

// ------------------------------------------------------------------------------------------
// Node (internalapi NodeSpec, no CRD): tags in internalapi/node.go, V validateNodeSpec.
const node = (spec: Record<string, unknown>, ok: boolean, src: string, why: string, field?: string, status?: Record<string, unknown>): Case => ({kind: 'Node', spec, status, ok, src, why, field})
const nodeCases: Case[] = [
  node({interfaces: [{name: 'eth0', addresses: ['198.51.100.5', 'fd00::5']}]}, true, INTERNAL('node'), 'spec.interfaces'),
  node({interfaces: [{name: 'Bad_Name'}]}, false, `${INTERNAL('node')} name`, 'interface name not a DNS name', 'spec.interfaces[0].name'),
  node({vxlanTunnelMACAddr: '66:0c:1f:34:9a:01'}, true, `${V} validateMAC`, 'VXLAN MAC'),
  node({vxlanTunnelMACAddr: '66-0c-1f-34-9a-01'}, true, `${V} validateMAC (net.ParseMAC)`, 'VXLAN MAC with dashes'),
  node({vxlanTunnelMACAddr: '66:0c:1f:34:9a'}, false, `${V} validateMAC`, 'short MAC', 'spec.vxlanTunnelMACAddr'),
  node({vxlanTunnelMACAddrV6: 'zz:0c:1f:34:9a:01'}, false, `${V} validateMAC`, 'MAC with non-hex', 'spec.vxlanTunnelMACAddrV6'),
  node({}, true, `${V} validateWireguardPublicKey`, 'WireGuard key', undefined, {wireguardPublicKey: 'jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY='}),
  node({}, false, `${V} validateWireguardPublicKey`, 'WireGuard key of 31 bytes', 'status.wireguardPublicKey', {wireguardPublicKey: 'jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXg=='}),
  node({}, false, `${V} validateWireguardPublicKey`, 'WireGuard key not base64', 'status.wireguardPublicKeyV6', {wireguardPublicKeyV6: 'not a key'}),
  node({bgp: {}}, false, `${V} validateNodeSpec`, 'empty BGP spec', 'spec.bgp'),
  node({bgp: {ipv4Address: '198.51.100.5/24', asNumber: '64512'}}, true, `${INTERNAL('node')} cidrv4`, 'BGP address'),
  node({bgp: {ipv6Address: 'fe80::5%eth0/64'}}, false, `${INTERNAL('node')} cidrv6`, 'BGP address with zone id', 'spec.bgp.ipv6Address'),
  node({ipv4VXLANTunnelAddr: 'fd00::1'}, false, `${INTERNAL('node')} ipv4`, 'v6 VXLAN address in v4 field', 'spec.ipv4VXLANTunnelAddr'),
  node({ipv6VXLANTunnelAddr: '198.51.100.1'}, false, `${INTERNAL('node')} ipv6`, 'v4 VXLAN address in v6 field', 'spec.ipv6VXLANTunnelAddr'),
  node({addresses: [{address: '198.51.100.5', type: 'InternalIP'}]}, true, `${INTERNAL('node')} net, ipType`, 'node address'),
  node({addresses: [{address: '198.51.100.5', type: 'PublicIP'}]}, false, `${V} ipTypeRegex`, 'address type', 'spec.addresses[0].type'),
  node({addresses: [{address: '198.51.100.5/24'}]}, false, `${INTERNAL('node')} net (strictly masked)`, 'address with host bits', 'spec.addresses[0].address'),
  node({wireguard: {interfaceIPv4Address: '10.0.0.1', interfaceIPv6Address: '10.0.0.2'}}, false, `${INTERNAL('node')} ipv6`, 'v4 in the WireGuard v6 field', 'spec.wireguard.interfaceIPv6Address'),
  node({orchRefs: [{nodeName: 'n1'}]}, false, INTERNAL('node'), 'orchRef without orchestrator', 'spec.orchRefs[0].orchestrator'),
]

// ------------------------------------------------------------------------------------------
// KubeControllersConfiguration: API kubecontrollersconfig.go, CRD.
const kcc = (spec: Record<string, unknown>, ok: boolean, src: string, why: string, field?: string, name = 'default'): Case => ({kind: 'KubeControllersConfiguration', name, spec, ok, src, why, field})
const hepTemplate = (t: Record<string, unknown>) => ({controllers: {node: {hostEndpoint: {autoCreate: 'Enabled', templates: [t]}}}})
const kccCases: Case[] = [
  kcc({logSeverityScreen: 'Info', healthChecks: 'Enabled', etcdV3CompactionPeriod: '10m', controllers: {node: {reconcilerPeriod: '5m', syncLabels: 'Enabled'}, policy: {}, loadBalancer: {assignIPs: 'RequestedServicesOnly'}}}, true, API('kubecontrollersconfig'), 'a full configuration'),
  kcc({controllers: {}}, false, CL('kubecontrollersconfig'), 'a name other than default', 'metadata.name', 'other'),
  kcc({logSeverityScreen: 'Loud', controllers: {}}, false, CRD('kubecontrollersconfigurations'), 'log level', 'spec.logSeverityScreen'),
  kcc({healthChecks: 'On', controllers: {}}, false, `${API('kubecontrollersconfig')} oneof=Enabled Disabled`, 'health checks', 'spec.healthChecks'),
  kcc({prometheusMetricsPort: 65536, controllers: {}}, false, CRD('kubecontrollersconfigurations'), 'metrics port over 65535', 'spec.prometheusMetricsPort'),
  kcc({debugProfilePort: -1, controllers: {}}, false, CRD('kubecontrollersconfigurations'), 'negative profile port', 'spec.debugProfilePort'),
  kcc({etcdV3CompactionPeriod: 'weekly', controllers: {}}, false, `${API('kubecontrollersconfig')} metav1.Duration`, 'compaction period', 'spec.etcdV3CompactionPeriod'),
  kcc({controllers: {node: {syncLabels: 'yes'}}}, false, CRD('kubecontrollersconfigurations'), 'syncLabels', 'spec.controllers.node.syncLabels'),
  kcc({controllers: {node: {hostEndpoint: {createDefaultHostEndpoint: 'Always'}}}}, false, `${V} validateCreateDefaultHostEndpoint`, 'default host endpoint mode', 'spec.controllers.node.hostEndpoint.createDefaultHostEndpoint'),
  kcc({controllers: {loadBalancer: {assignIPs: 'Some'}}}, false, CRD('kubecontrollersconfigurations'), 'assignIPs', 'spec.controllers.loadBalancer.assignIPs'),
  kcc({controllers: {policyMigration: {enabled: 'Disabled'}}}, true, API('kubecontrollersconfig'), 'policy migration controller'),
  kcc(hepTemplate({generateName: 'edge', interfaceCIDRs: ['198.51.100.0/24'], interfacePattern: 'eth.*', labels: {role: 'edge'}, nodeSelector: 'has(edge)'}), true, API('kubecontrollersconfig'), 'host endpoint template'),
  kcc(hepTemplate({generateName: 'Edge_Name'}), false, `${API('kubecontrollersconfig')} name`, 'template name', 'spec.controllers.node.hostEndpoint.templates[0].generateName'),
  kcc(hepTemplate({interfaceCIDRs: ['198.51.100.0/33']}), false, `${API('kubecontrollersconfig')} cidrs`, 'template CIDR', 'spec.controllers.node.hostEndpoint.templates[0].interfaceCIDRs[0]'),
  kcc(hepTemplate({interfacePattern: '(eth'}), false, `${API('kubecontrollersconfig')} regexp`, 'template pattern', 'spec.controllers.node.hostEndpoint.templates[0].interfacePattern'),
  kcc(hepTemplate({labels: {'bad key': 'v'}}), false, `${API('kubecontrollersconfig')} labels`, 'template labels', 'spec.controllers.node.hostEndpoint.templates[0].labels.bad key'),
  kcc(hepTemplate({nodeSelector: 'has('}), false, `${API('kubecontrollersconfig')} selector`, 'template selector', 'spec.controllers.node.hostEndpoint.templates[0].nodeSelector'),
]

// ------------------------------------------------------------------------------------------
// Policies, tiers, endpoints, sets.
const gnp = (spec: Record<string, unknown>, ok: boolean, src: string, why: string, field?: string): Case => ({kind: 'GlobalNetworkPolicy', spec, ok, src, why, field})
const np = (spec: Record<string, unknown>, ok: boolean, src: string, why: string, field?: string): Case => ({kind: 'NetworkPolicy', namespace: 'ns1', spec, ok, src, why, field})
const policyCases: Case[] = [
  {kind: 'GlobalNetworkPolicy', name: 'security.block', spec: {tier: 'security', selector: 'all()'}, ok: true, src: CL('globalnetworkpolicy'), why: 'policy in a tier that exists'},
  {kind: 'GlobalNetworkPolicy', name: 'nosuchtier.block', spec: {tier: 'nosuchtier', selector: 'all()'}, ok: false, src: CL('globalnetworkpolicy'), why: 'policy in a tier that does not exist', field: 'spec.tier'},
  {kind: 'NetworkPolicy', namespace: 'ns1', name: 'nosuchtier.allow', spec: {tier: 'nosuchtier'}, ok: false, src: CL('networkpolicy'), why: 'namespaced policy in a missing tier', field: 'spec.tier'},
  {kind: 'GlobalNetworkPolicy', name: 'kube-admin.p', spec: {tier: 'kube-admin'}, ok: true, src: CL('tier'), why: 'policy in a tier Calico creates itself'},
  gnp({selector: 'all()', ingress: [{action: 'Allow', protocol: 'TCP', destination: {ports: [80, '8000:8080', 'http']}}]}, true, V, 'ports with protocol'),
  gnp({ingress: [{action: 'Allow', destination: {ports: [80]}}]}, false, VT('should reject Rule with dest ports and no protocol'), 'numeric port without protocol', 'spec.ingress[0].destination.ports'),
  gnp({ingress: [{action: 'Allow', protocol: 'ICMP', ipVersion: 6}]}, false, VT('should reject Rule with mismatched ipversion for icmp'), 'ICMP with IPv6', 'spec.ingress[0].ipVersion'),
  gnp({ingress: [{action: 'Allow', source: {nets: ['198.51.100.0/24']}, destination: {nets: ['fd00::/64']}}]}, false, VT('should reject rule mixed IPv4 (src) and IPv6 (dest)'), 'mixed families', 'spec.ingress[0].destination.nets'),
  gnp({ingress: [{action: 'Deny', http: {methods: ['GET']}}]}, false, VT('should reject Deny rule with HTTP clause'), 'HTTP on Deny', 'spec.ingress[0].http'),
  gnp({ingress: [{action: 'Allow', icmp: {code: 0}, protocol: 'ICMP'}]}, false, VT('should reject ICMP with code and no type'), 'ICMP code without type', 'spec.ingress[0].icmp.code'),
  gnp({ingress: [{action: 'Allow', protocol: 'tcp'}]}, false, VT('should reject protocol tcp'), 'lower-case protocol', 'spec.ingress[0].protocol'),
  gnp({ingress: [{action: 'Allow', protocol: 256}]}, false, VT('should reject protocol 256 as string'), 'protocol 256', 'spec.ingress[0].protocol'),
  gnp({ingress: [{action: 'Allow', metadata: {annotations: {'bad key': 'v'}}}]}, false, VT('should reject Rule with invalid annotations'), 'rule annotation key', 'spec.ingress[0].metadata.annotations'),
  gnp({ingress: [{action: 'Allow', metadata: {annotations: {'team.example.com/owner': 'net'}}}]}, true, VT('should accept Rule with valid annotations'), 'rule annotations'),
  gnp({selector: 'x'.repeat(1025)}, false, `${V} (selector length)`, 'selector over 1024', 'spec.selector'),
  gnp({ingress: [{action: 'Allow', source: {nets: ['fe80::1%eth0/128']}}]}, false, `${V} (cnet.ParseCIDROrIP)`, 'net with a zone id', 'spec.ingress[0].source.nets[0]'),
  gnp({doNotTrack: true, applyOnForward: false, ingress: [{action: 'Allow'}]}, false, V, 'doNotTrack without applyOnForward', 'spec.applyOnForward'),
  gnp({types: ['Ingress', 'Ingress']}, false, CRD('globalnetworkpolicies'), 'types repeated', 'spec.types'),
  np({selector: 'app == "db"', ingress: [{action: 'Allow', source: {selector: 'app == "web"'}}]}, true, V, 'namespaced policy'),
  gnp({selector: 'all()', types: []}, true, `${API('globalnetworkpolicy')} omitempty (the CRD's minItems never sees [])`, 'empty types list'),
  np({doNotTrack: true}, false, RM, 'GlobalNetworkPolicy-only field', 'spec.doNotTrack'),
  {kind: 'Tier', name: 'security', spec: {order: 100, defaultAction: 'Pass'}, ok: true, src: CRD('tiers'), why: 'tier'},
  {kind: 'Tier', name: 'loose', spec: {order: 100, defaultAction: 'Allow'}, ok: false, src: `${CRD('tiers')} / ${V} validateTier`, why: 'tier default action Allow', field: 'spec.defaultAction'},
  {kind: 'Tier', name: 'sec.ops', spec: {order: 1}, ok: false, src: `${V} tierNameRegex`, why: 'tier name with a dot', field: 'metadata.name'},
  {kind: 'Profile', name: 'p1', spec: {ingress: [{action: 'Allow'}], labelsToApply: {role: 'x'}}, ok: true, src: V, why: 'profile'},
  {kind: 'Profile', name: 'p1', spec: {ingress: [{action: 'Maybe'}]}, ok: false, src: `${V} actionRegex`, why: 'profile rule action', field: 'spec.ingress[0].action'},
]

const wep = (spec: Record<string, unknown>, ok: boolean, src: string, why: string, field?: string): Case => ({
  kind: 'WorkloadEndpoint',
  namespace: 'ns1',
  name: 'node1-k8s-pod1-eth0',
  spec: {orchestrator: 'k8s', node: 'node1', pod: 'pod1', endpoint: 'eth0', ...spec},
  ok,
  src,
  why,
  field,
})
const endpointCases: Case[] = [
  wep({interfaceName: 'cali0123456789a', ipNetworks: ['10.65.0.1/32']}, true, VT('should accept workload endpoint with interface only'), 'workload endpoint'),
  wep({ipNetworks: ['10.65.0.1/32']}, false, `${INTERNAL('workloadendpoint')} interface (no omitempty)`, 'no interfaceName', 'spec.interfaceName'),
  wep({interfaceName: 'Invalid&Intface'}, false, VT('should reject & in an interface'), 'interface with &', 'spec.interfaceName'),
  wep({interfaceName: 'interfaceTooLong0'}, false, VT('should reject an interface that is too long'), 'interface too long', 'spec.interfaceName'),
  wep({interfaceName: 'cali1', ipNetworks: ['10.65.0.0/24']}, false, VT('should reject workload endpoint with IPv4 networks that contain >1 address'), 'network of many addresses', 'spec.ipNetworks[0]'),
  wep({interfaceName: 'cali1', ipNetworks: ['10.65.0.1/32'], ipNATs: [{internalIP: '10.65.0.1', externalIP: '203.0.113.1'}]}, true, VT('should accept valid IPNAT IPv4'), 'NAT'),
  wep({interfaceName: 'cali1', ipNetworks: ['10.65.0.1/32'], ipNATs: [{internalIP: '10.65.0.1', externalIP: 'fd00::1'}]}, false, VT('should reject IPNAT mixed IPv4 (int) and IPv6 (ext)'), 'NAT of mixed families', 'spec.ipNATs[0].externalIP'),
  wep({interfaceName: 'cali1', ipNetworks: ['10.65.0.1/32'], ipNATs: [{internalIP: '10.65.0.2', externalIP: '203.0.113.1'}]}, false, VT('should reject workload endpoint with IPv4 NAT not covered by network'), 'NAT outside networks', 'spec.ipNATs[0].internalIP'),
  wep({interfaceName: 'cali1', mac: '66:0c:1f:34:9a:01:02:03'}, true, `${V} validateMAC (8-byte EUI-64)`, 'EUI-64 MAC'),
  wep({interfaceName: 'cali1', mac: '66:0c:1f:34:9a'}, false, `${V} validateMAC`, 'short MAC', 'spec.mac'),
  wep({interfaceName: 'cali1', containerID: '-abc'}, false, VT('should reject workload endpoint containerID that starts with a dash'), 'container id with dash', 'spec.containerID'),
  wep({interfaceName: 'cali1', ipv4Gateway: 'fd00::1'}, false, `${V} validateWorkloadEndpointSpec`, 'v6 gateway in v4 field', 'spec.ipv4Gateway'),
  {kind: 'HostEndpoint', name: 'h1', spec: {node: 'node1', interfaceName: 'eth0'}, ok: true, src: VT('should accept host endpoint with interface and node'), why: 'host endpoint'},
  {kind: 'HostEndpoint', name: 'h1', spec: {node: 'node1', interfaceName: '*'}, ok: true, src: `${V} validateInterface`, why: 'all-interfaces host endpoint'},
  {kind: 'HostEndpoint', name: 'h1', spec: {node: 'node1'}, ok: false, src: VT('should reject host endpoint with blank interface an no IPs'), why: 'no interface, no IPs', field: 'spec.interfaceName'},
  {kind: 'HostEndpoint', name: 'h1', spec: {interfaceName: 'eth0'}, ok: false, src: `${V} validateHostEndpointSpec`, why: 'no node', field: 'spec.node'},
  {kind: 'HostEndpoint', name: 'h1', spec: {node: 'node1', expectedIPs: ['fe80::1%eth0']}, ok: false, src: `${API('hostendpoint')} ip`, why: 'expected IP with zone id', field: 'spec.expectedIPs[0]'},
  {kind: 'GlobalNetworkSet', name: 'g1', spec: {nets: ['198.51.100.0/24', 'fd00::/64', '203.0.113.7']}, ok: true, src: V, why: 'network set'},
  {kind: 'GlobalNetworkSet', name: 'g1', spec: {nets: ['198.51.100.0/24%x']}, ok: false, src: V, why: 'bad net', field: 'spec.nets[0]'},
  {kind: 'IPReservation', name: 'r1', spec: {reservedCIDRs: ['198.51.100.0/24', '203.0.113.7', 'fd00::/120']}, ok: true, src: VT('should accept IPReservation IP and a CIDR'), why: 'reservation'},
  {kind: 'IPReservation', name: 'r1', spec: {reservedCIDRs: ['198.51.100.0/33']}, ok: false, src: VT('should reject IPReservation with bad CIDR'), why: 'bad reservation', field: 'spec.reservedCIDRs[0]'},
]

// ------------------------------------------------------------------------------------------
// BGPFilter: API bgpfilter.go tags, V validateBGPFilterRule/Operation, CRD.
const filt = (spec: Record<string, unknown>, ok: boolean, src: string, why: string, field?: string): Case => ({kind: 'BGPFilter', spec, ok, src, why, field})
const bgpFilterCases: Case[] = [
  filt({exportV4: [{cidr: '198.51.100.0/24', matchOperator: 'In', prefixLength: {min: 24, max: 28}, action: 'Accept'}], importV6: [{action: 'Reject'}]}, true, VT('should accept BGPFilter rule with In operator - 1'), 'filter rules'),
  filt({exportV4: [{action: 'Accept', interface: 'eth*', source: 'RemotePeers', peerType: 'eBGP', asPathPrefix: [65000, '1.10'], priority: 10, communities: {values: ['65000:100']}, operations: [{addCommunity: {value: '65000:200'}}, {prependASPath: {prefix: [65000]}}, {setPriority: {value: 5}}]}]}, true, `${API('bgpfilter')}`, 'every rule field'),
  filt({exportV4: [{cidr: '198.51.100.0/24', action: 'Accept'}]}, false, VT('should reject BGPFilter rule with no MatchOperator when CIDR is set - 1'), 'CIDR without operator', 'spec.exportV4[0].matchOperator'),
  filt({importV4: [{matchOperator: 'Equal', action: 'Accept'}]}, false, VT('should reject BGPFilter rule with no CIDR when MatchOperator is set - 1'), 'operator without CIDR', 'spec.importV4[0].cidr'),
  filt({importV4: [{prefixLength: {max: 30}, action: 'Accept'}]}, false, VT('should reject BGPFilterV4 rule with PrefixLength populated and CIDR missing'), 'prefix length without CIDR', 'spec.importV4[0].cidr'),
  filt({exportV4: [{cidr: '198.51.100.0/24', matchOperator: 'In', prefixLength: {max: 33}, action: 'Accept'}]}, false, VT('should reject BGPFilterV4 rule with PrefixLength Max is out-of-bounds'), 'v4 prefix length 33', 'spec.exportV4[0].prefixLength.max'),
  filt({exportV6: [{cidr: 'fd00::/64', matchOperator: 'In', prefixLength: {min: -1}, action: 'Accept'}]}, false, VT('should reject BGPFilterV6 rule with PrefixLength Min is negative'), 'v6 prefix length -1', 'spec.exportV6[0].prefixLength.min'),
  filt({exportV4: [{cidr: 'fd00::/64', matchOperator: 'In', action: 'Accept'}]}, false, VT('should reject BGPFilter rule with invalid IPv4 CIDR - 1 '), 'v6 CIDR in a v4 rule', 'spec.exportV4[0].cidr'),
  filt({exportV4: [{cidr: '198.51.100.0/24', matchOperator: 'Like', action: 'Accept'}]}, false, VT('should reject BGPFilter rule with invalid operator - 1'), 'operator', 'spec.exportV4[0].matchOperator'),
  filt({exportV4: [{action: 'Allow'}]}, false, VT('should reject BGPFilter rule with invalid Action - 1'), 'action', 'spec.exportV4[0].action'),
  filt({exportV4: [{interface: 'eth0'}]}, false, VT('should reject BGPFilter rule with no action - 1'), 'no action', 'spec.exportV4[0].action'),
  filt({exportV4: [{action: 'Accept', interface: 'eth#0'}]}, false, VT('should reject invalid BGPFilter rule-v4 interface - 1'), 'interface', 'spec.exportV4[0].interface'),
  filt({exportV4: [{action: 'Accept', source: 'LocalPeers'}]}, false, VT('should reject invalid BGPFilter rule-v4 source'), 'source', 'spec.exportV4[0].source'),
  filt({exportV4: [{action: 'Accept', operations: [{}]}]}, false, VT('should reject BGPFilterOperation with no fields set'), 'empty operation', 'spec.exportV4[0].operations[0]'),
  filt({exportV4: [{action: 'Accept', operations: [{addCommunity: {value: '65000:1'}, setPriority: {value: 2}}]}]}, false, VT('should reject BGPFilterOperation with two fields set'), 'two operations in one', 'spec.exportV4[0].operations[0]'),
  filt({exportV4: [{action: 'Accept', operations: [{setPriority: {value: 0}}]}]}, false, `${API('bgpfilter')} gte=1`, 'priority 0', 'spec.exportV4[0].operations[0].setPriority.value'),
  filt({exportV4: [{action: 'Accept', communities: {values: ['65000:1', '65000:2']}}]}, false, `${CRD('bgpfilters')} maxItems`, 'two communities', 'spec.exportV4[0].communities.values'),
  filt({exportV4: [{action: 'Accept', communities: {values: ['70000:1']}}]}, false, `${CRD('bgpfilters')} pattern`, 'community over 16 bits', 'spec.exportV4[0].communities.values[0]'),
]

// ------------------------------------------------------------------------------------------
// One accepted and one refused manifest for every row of every kind's rule table
// (src/resources/kinds/*.ts RULES; test/unit/rule-tables.test.ts finds each row's cases here),
// where the cases above leave a row without one. Sources as in the rows.
const FC = API('felixconfig')
/** An accepted and a refused value of one FelixConfiguration field. */
const felixPair = (field: string, good: unknown, bad: unknown, src: string): Case[] => [
  felix({[field]: good}, true, `${FC} ${src}`, `${field} ${JSON.stringify(good)}`),
  felix({[field]: bad}, false, `${FC} ${src}`, `${field} ${JSON.stringify(bad)}`, `spec.${field}`),
]
const felixRowCases: Case[] = [
  ...felixPair('featureGates', 'BPFConnectTimeLB=true', 'BPFConnectTimeLB', 'keyValueList'),
  ...felixPair('iptablesFilterAllowAction', 'Return', 'Drop', 'acceptReturn'),
  ...felixPair('nftablesFilterAllowAction', 'Accept', 'Drop', 'acceptReturn'),
  ...felixPair('nftablesMangleAllowAction', 'Return', 'Reject', 'acceptReturn'),
  ...felixPair('nftablesFilterDenyAction', 'Reject', 'Accept', 'dropReject'),
  ...felixPair('logDebugFilenameRegex', 'route_.*', '(unclosed', 'regexp'),
  ...felixPair('natOutgoingExclusions', 'IPPoolsAndHostIPs', 'Everything', 'oneof=IPPoolsOnly IPPoolsAndHostIPs'),
  ...felixPair('bpfJITHardening', 'Strict', 'Off', 'oneof=Auto Strict'),
  ...felixPair('bpfLogFilters', {eth0: 'tcp port 80', all: 'udp'}, {'eth 0': 'tcp'}, 'bpfLogFilters'),
  ...felixPair('bpfL3IfacePattern', 'wg.*', '*', 'regexp'),
  ...felixPair('bpfConnectTimeLoadBalancing', 'TCP', 'UDP', 'oneof=TCP Enabled Disabled'),
  ...felixPair('bpfHostNetworkedNATWithoutCTLB', 'Enabled', 'On', 'oneof=Enabled Disabled'),
  ...felixPair('bpfMapSizeConntrackCleanupQueue', 100000, 0, 'gte=1'),
  ...felixPair('bpfForceTrackPacketsFromIfaces', ['docker+'], ['eth 0'], 'ifaceFilterSlice'),
  ...felixPair('bpfDisableGROForIfaces', 'eth.*', '(x', 'regexp'),
  ...felixPair('bpfExcludeCIDRsFromNAT', ['198.51.100.0/24'], ['not-a-cidr'], 'cidrs'),
  ...felixPair('ipv4NormalRoutePriority', 1024, 0, 'gte=1,lte=2147483646'),
  ...felixPair('ipv6ElevatedRoutePriority', 512, 2147483647, 'gte=1,lte=2147483646'),
  ...felixPair('wireguardInterfaceNameV6', 'wg-v6.cali', 'has space', 'interface'),
  ...felixPair('workloadSourceSpoofing', 'Any', 'All', 'oneof=Disabled Any'),
  ...felixPair('windowsManageFirewallRules', 'Enabled', 'On', 'oneof=Enabled Disabled'),
  ...felixPair('goMemoryLimitMB', 2048, -2, 'gte=-1'),
  ...felixPair('goMaxProcs', 4, -2, 'gte=-1'),
  ...felixPair('bpfMaglevMaxEndpointsPerService', 100, 0, 'gt=0,lte=3000'),
  felix({iptablesMangleAllowAction: 'Return'}, true, `${FC} acceptReturn`, 'mangle allow Return'),
  felix({prometheusMetricsHost: '0.0.0.0'}, true, `${V} prometheusHostRegexp`, 'metrics host'),
  felix({prometheusMetricsClientAuth: 'Always'}, false, `${FC} oneof`, 'client auth enum', 'spec.prometheusMetricsClientAuth'),
  felix({debugPort: 6060}, true, `${FC} gte=0,lte=65535`, 'debug port'),
  felix({bpfConntrackLogLevel: 'Debug'}, true, `${FC} oneof=Off Debug`, 'conntrack log level Debug'),
  felix({bpfConntrackMode: 'Kernel'}, false, `${FC} oneof`, 'conntrack mode enum', 'spec.bpfConntrackMode'),
  felix({bpfKubeProxyHealthzPort: 10256}, true, `${FC} gte=0,lte=65535`, 'healthz port'),
  felix({bpfAttachType: 'TCX'}, true, `${FC} oneof=TC TCX`, 'attach type TCX'),
  felix({ipv6NormalRoutePriority: 1024}, true, `${FC} gte=1,lte=2147483646`, 'IPv6 route priority'),
  felix({wireguardListeningPortV6: 51821}, true, `${FC} gt=0,lte=65535`, 'wireguard v6 port'),
  felix({wireguardRoutingRulePriority: 99}, true, `${FC} gt=0,lt=32766`, 'rule priority'),
  felix({serviceLoopPrevention: 'Reject'}, true, `${FC} oneof=Drop Reject Disabled`, 'loop prevention Reject'),
  felix({mtuIfacePattern: '^(en.*|eth.*)'}, true, `${FC} regexp`, 'MTU pattern'),
  felix({goGCThreshold: -1}, true, `${FC} gte=-1`, 'GC threshold -1'),
  felix({bpfMaglevMaxServices: 3000}, true, `${FC} gt=0,lte=3000`, 'maglev services 3000'),
  felix({deviceRouteSourceAddress: '198.51.100.9'}, true, `${V} validateFelixConfigSpec`, 'device route source'),
  felix({failsafeInboundHostPorts: [{protocol: 'ICMP', port: 1}]}, false, `${V} validateProtoPort`, 'failsafe inbound ICMP', 'spec.failsafeInboundHostPorts'),
  felix({failsafeOutboundHostPorts: [{protocol: 'UDP', port: 53}]}, true, `${V} validateProtoPort`, 'failsafe outbound DNS'),
]

const otherRowCases: Case[] = [
  // IPPool
  pool({natOutgoing: true}, false, `${CRD('ippools')} required: cidr`, 'pool without CIDR', 'spec.cidr'),
  pool({cidr: '10.8.0.0/16', ipipMode: 'CrossSubnet', vxlanMode: 'Never'}, true, `${API('ippool')} ipIpMode`, 'IPIP cross-subnet'),
  pool({cidr: '10.8.0.0/16', vxlanMode: 'always'}, false, `${API('ippool')} vxlanMode`, 'lower-case VXLAN mode', 'spec.vxlanMode'),
  pool({cidr: '10.9.0.0/16', blockSize: 24}, true, `${V} validateIPPoolSpec`, 'block size 24'),
  pool({cidr: '10.9.0.0/16', allowedUses: ['Workload'], namespaceSelector: 'has(team)'}, true, `${V} validateIPPoolSpec`, 'workload pool with a namespace selector'),
  pool({cidr: '10.9.0.0/16', allowedUses: ['Workload'], namespaceSelector: 'has('}, false, `${API('ippool')} selector`, 'bad namespace selector', 'spec.namespaceSelector'),
  // The v1 fields are gone from v3.32.1's IPPoolSpec: unknown fields.
  pool({cidr: '10.9.0.0/16', ipip: {enabled: true}}, false, `${API('ippool')} (no ipip field)`, 'v1 ipip field', 'spec.ipip'),
  pool({cidr: '10.9.0.0/16', 'nat-outgoing': false}, false, `${API('ippool')} (no nat-outgoing field)`, 'v1 nat-outgoing', 'spec.nat-outgoing'),
  {kind: 'IPPool', ok: false, src: CL('ippool'), why: 'pool overlapping another in the same file', field: 'spec.cidr', text: `${V3}\nkind: IPPool\nmetadata: {name: a}\nspec: {cidr: 10.10.0.0/16}\n---\n${V3}\nkind: IPPool\nmetadata: {name: b}\nspec: {cidr: 10.10.128.0/17}\n`},
  // BGPPeer
  peer({peerIP: '198.51.100.1', node: 'node1'}, true, `${API('bgppeer')} name`, 'peer of one node'),
  peer({localWorkloadSelector: 'app == "bgp"', asNumber: 64520, peerIP: '198.51.100.1'}, false, `${V} validateBGPPeerSpec`, 'local workload and peerIP', 'spec.peerIP'),
  peer({peerIP: '198.51.100.1', localASNumber: 'AS1'}, false, `${API('bgppeer')} numorstring.ASNumber`, 'local AS with letters', 'spec.localASNumber'),
  peer({peerIP: '198.51.100.1', keepOriginalNextHop: true}, true, `${V} validateBGPPeerSpec`, 'keepOriginalNextHop alone'),
  peer({peerIP: '198.51.100.1', reversePeering: 'auto'}, false, CRD('bgppeers'), 'lower-case reverse peering', 'spec.reversePeering'),
  peer({peerIP: '198.51.100.1', password: {secretKeyRef: {name: 'bgp'}}}, false, `${CRD('bgppeers')} secretKeyRef required key`, 'password secret without key', 'spec.password.secretKeyRef.key'),
  // BGPConfiguration
  bgpc({communities: [{value: '65000:100'}], prefixAdvertisements: [{cidr: '198.51.100.0/24', communities: ['65000:100']}]}, false, `${API('bgpconfig')} Community.Name required`, 'community without name', 'spec.communities[0].name'),
  bgpc({communities: [{name: 'Bad_Name', value: '65000:100'}], prefixAdvertisements: [{cidr: '198.51.100.0/24', communities: ['65000:100']}]}, false, `${API('bgpconfig')} Community.Name name`, 'community name not a DNS name', 'spec.communities[0].name'),
  bgpc({communities: [{name: 'c1'}], prefixAdvertisements: [{cidr: '198.51.100.0/24', communities: ['65000:100']}]}, false, `${API('bgpconfig')} Community.Value required`, 'community without value', 'spec.communities[0].value'),
  bgpc({prefixAdvertisements: [{communities: ['65000:100']}]}, false, `${API('bgpconfig')} PrefixAdvertisement.CIDR required`, 'advertisement without CIDR', 'spec.prefixAdvertisements[0].cidr'),
  bgpc({localWorkloadPeeringIPV4: '198.51.100.1', localWorkloadPeeringIPV6: 'fd00::1'}, true, `${API('bgpconfig')} ipv4, ipv6`, 'local workload peering addresses'),
  bgpc({localWorkloadPeeringIPV6: '198.51.100.1'}, false, `${API('bgpconfig')} ipv6`, 'v4 address as local workload peering v6', 'spec.localWorkloadPeeringIPV6'),
  bgpc({localWorkloadPeeringIPV4: 'fd00::1'}, false, `${API('bgpconfig')} ipv4`, 'v6 address as local workload peering v4', 'spec.localWorkloadPeeringIPV4'),
  bgpc({listenPort: 1790}, true, CRD('bgpconfigurations'), 'listen port'),
  bgpc({listenPort: 0}, false, `${CRD('bgpconfigurations')} minimum: 1`, 'listen port 0', 'spec.listenPort'),
  // Node
  node({bgp: {ipv4Address: '198.51.100.5/33'}}, false, `${INTERNAL('node')} cidrv4`, 'BGP address /33', 'spec.bgp.ipv4Address'),
  node({bgp: {ipv6Address: 'fd00::5/64', ipv4IPIPTunnelAddr: '10.65.0.1', routeReflectorClusterID: '224.0.0.1'}}, true, `${INTERNAL('node')} cidrv6, ipv4`, 'BGP v6 address, tunnel address, cluster id'),
  node({bgp: {ipv4IPIPTunnelAddr: 'fd00::1'}}, false, `${INTERNAL('node')} ipv4`, 'v6 IPIP tunnel address', 'spec.bgp.ipv4IPIPTunnelAddr'),
  node({bgp: {ipv4Address: '198.51.100.5/24', asNumber: 'AS1'}}, false, `${INTERNAL('node')} numorstring.ASNumber`, 'node AS with letters', 'spec.bgp.asNumber'),
  node({bgp: {ipv4Address: '198.51.100.5/24', routeReflectorClusterID: 'fd00::1'}}, false, `${INTERNAL('node')} ipv4`, 'v6 cluster id', 'spec.bgp.routeReflectorClusterID'),
  node({ipv4VXLANTunnelAddr: '10.65.0.1', ipv6VXLANTunnelAddr: 'fd00::1'}, true, `${INTERNAL('node')} ipv4, ipv6`, 'VXLAN tunnel addresses'),
  node({wireguard: {interfaceIPv4Address: '10.0.0.1', interfaceIPv6Address: 'fd00::2'}}, true, `${INTERNAL('node')} ipv4, ipv6`, 'WireGuard addresses'),
  node({wireguard: {interfaceIPv4Address: 'fd00::1'}}, false, `${INTERNAL('node')} ipv4`, 'v6 in the WireGuard v4 field', 'spec.wireguard.interfaceIPv4Address'),
  node({orchRefs: [{nodeName: 'n1', orchestrator: 'k8s'}]}, true, INTERNAL('node'), 'orchRef'),
  // KubeControllersConfiguration
  kcc({controllers: {node: {hostEndpoint: {autoCreate: 'Enabled', createDefaultHostEndpoint: 'Disabled'}}}}, true, `${API('kubecontrollersconfig')} createDefaultHostEndpoint`, 'no default host endpoint'),
  // IPReservation: the tag is `cidrs,omitempty` and the CRD requires no field.
  {kind: 'IPReservation', name: 'r1', spec: {}, ok: true, src: `${API('ipreservation')} cidrs,omitempty`, why: 'reservation without CIDRs'},
  // Tier
  {kind: 'Tier', name: 'default', spec: {order: 100, defaultAction: 'Deny'}, ok: false, src: `${V} validateTier`, why: 'default tier with another order', field: 'spec.order'},
  {kind: 'Tier', name: 'kube-admin', spec: {order: 1000, defaultAction: 'Deny'}, ok: false, src: `${V} validateTier`, why: 'kube-admin tier denying', field: 'spec.defaultAction'},
  // BGPFilter
  filt({exportV4: [{action: 'Accept', asPathPrefix: ['AS1']}]}, false, `${API('bgpfilter')} numorstring.ASNumber`, 'AS path prefix with letters', 'spec.exportV4[0].asPathPrefix[0]'),
  filt({exportV4: [{action: 'Accept', operations: [{prependASPath: {prefix: ['AS1']}}]}]}, false, `${API('bgpfilter')} numorstring.ASNumber`, 'prepended AS with letters', 'spec.exportV4[0].operations[0].prependASPath.prefix[0]'),
  // Network sets
  {kind: 'NetworkSet', namespace: 'ns1', name: 'n1', spec: {nets: ['198.51.100.0/24', 'fd00::/64']}, ok: true, src: V, why: 'namespaced network set'},
  {kind: 'NetworkSet', namespace: 'ns1', name: 'n1', spec: {nets: ['198.51.100.0/33']}, ok: false, src: V, why: 'namespaced bad net', field: 'spec.nets[0]'},
  // HostEndpoint
  {kind: 'HostEndpoint', name: 'h1', spec: {node: 'Bad_Node', interfaceName: 'eth0'}, ok: false, src: `${API('hostendpoint')} name`, why: 'node not a name', field: 'spec.node'},
  {kind: 'HostEndpoint', name: 'h1', spec: {node: 'node1', interfaceName: 'wibblywobblyeth0'}, ok: false, src: `${V} interfaceRegex`, why: 'interface over 15', field: 'spec.interfaceName'},
  {kind: 'HostEndpoint', name: 'h1', spec: {node: 'node1', expectedIPs: ['198.51.100.7', 'fd00::7'], profiles: ['prof1'], ports: [{name: 'http', protocol: 'TCP', port: 80}]}, ok: true, src: API('hostendpoint'), why: 'expected IPs, profiles and ports'},
  {kind: 'HostEndpoint', name: 'h1', spec: {node: 'node1', interfaceName: 'eth0', profiles: ['Bad_Prof']}, ok: false, src: `${API('hostendpoint')} dive,name`, why: 'profile not a name', field: 'spec.profiles[0]'},
  {kind: 'HostEndpoint', name: 'h1', spec: {node: 'node1', interfaceName: 'eth0', ports: [{name: 'ping', protocol: 'ICMP', port: 80}]}, ok: false, src: `${V} validateEndpointPort`, why: 'port of a protocol without ports', field: 'spec.ports[0].protocol'},
  // WorkloadEndpoint
  {...wep({interfaceName: 'cali1'}, false, `${V} validateWorkloadEndpointSpec (names.go)`, 'name not from the identifiers', 'metadata.name'), name: 'other-name'},
  wep({interfaceName: 'cali1', serviceAccountName: 'Bad_SA'}, false, `${INTERNAL('workloadendpoint')} name`, 'service account not a name', 'spec.serviceAccountName'),
  wep({interfaceName: 'cali1', containerID: 'abc123', ipNetworks: ['10.65.0.1/32'], ipv4Gateway: '10.65.0.254', ipv6Gateway: 'fd00::1', profiles: ['prof1']}, true, INTERNAL('workloadendpoint'), 'container id, gateways, profiles'),
  wep({interfaceName: 'cali1', ipNetworks: ['10.65.0.300/32']}, false, `${INTERNAL('workloadendpoint')} cidr`, 'bad network', 'spec.ipNetworks[0]'),
  wep({interfaceName: 'cali1', ipv6Gateway: '10.0.0.1'}, false, `${INTERNAL('workloadendpoint')} ipv6`, 'v4 gateway in v6 field', 'spec.ipv6Gateway'),
  wep({interfaceName: 'cali1', ipNetworks: ['10.65.0.1/32'], ipNATs: [{internalIP: 'bad', externalIP: '203.0.113.1'}]}, false, `${V} validateIPNAT`, 'NAT internal IP not an IP', 'spec.ipNATs[0].internalIP'),
  wep({interfaceName: 'cali1', ipNetworks: ['10.65.0.1/32'], ipNATs: [{internalIP: '10.65.0.1', externalIP: 'bad'}]}, false, `${V} validateIPNAT`, 'NAT external IP not an IP', 'spec.ipNATs[0].externalIP'),
  wep({interfaceName: 'cali1', profiles: ['Bad_Prof']}, false, `${INTERNAL('workloadendpoint')} dive,name`, 'endpoint profile not a name', 'spec.profiles[0]'),
  wep({interfaceName: 'cali1', ports: [{name: 'http', protocol: 'TCP', port: 80, hostPort: 8080, hostIP: '198.51.100.1'}], allowSpoofedSourcePrefixes: ['198.51.100.0/24']}, true, INTERNAL('workloadendpoint'), 'ports and spoofed prefixes'),
  wep({interfaceName: 'cali1', ports: [{name: 'http', protocol: 'TCP', port: 0}]}, false, `${V} validateWorkloadEndpointPort`, 'endpoint port 0', 'spec.ports[0].port'),
  wep({interfaceName: 'cali1', ports: [{protocol: 'TCP', port: 80}]}, false, `${V} validateWorkloadEndpointPort`, 'port without name or host port', 'spec.ports[0].name'),
  wep({interfaceName: 'cali1', ports: [{name: 'http', protocol: 'TCP', port: 80, hostPort: 70000}]}, false, `${INTERNAL('workloadendpoint')} uint16`, 'host port over 65535', 'spec.ports[0].hostPort'),
  wep({interfaceName: 'cali1', ports: [{name: 'http', protocol: 'TCP', port: 80, hostIP: 'bad'}]}, false, `${INTERNAL('workloadendpoint')} net`, 'host IP not an IP', 'spec.ports[0].hostIP'),
  wep({interfaceName: 'cali1', allowSpoofedSourcePrefixes: ['bad']}, false, `${INTERNAL('workloadendpoint')} cidr`, 'spoofed prefix not a CIDR', 'spec.allowSpoofedSourcePrefixes[0]'),
]

// Policies: written as GlobalNetworkPolicy (and NetworkPolicy) cases; the staged kinds and
// Profile take them over (test/helpers/rule-cases.ts). Rules only, where the row allows, so that
// Profile takes them too.
const ingress = (...rules: Array<Record<string, unknown>>) => ({ingress: rules})
const policyRowCases: Case[] = [
  np({tier: 'default', selector: 'has(app)', types: ['Ingress']}, true, `${V} tierNameRegex, ${API('networkpolicy')} Types`, 'tier, selector and types'),
  {kind: 'NetworkPolicy', namespace: 'ns1', name: 'security.allow', spec: {tier: 'security'}, ok: true, src: CL('networkpolicy'), why: 'namespaced policy in a tier that exists'},
  np({selector: 'has('}, false, `${API('networkpolicy')} selector`, 'bad selector', 'spec.selector'),
  np({types: ['Ingress', 'Ingress']}, false, `${V} validateNetworkPolicySpec`, 'types repeated', 'spec.types'),
  gnp({tier: 'Bad_Tier'}, false, `${V} tierNameRegex`, 'tier not a DNS label', 'spec.tier'),
  gnp({performanceHints: ['AssumeNeededOnEveryNode']}, true, API('globalnetworkpolicy'), 'performance hint'),
  gnp({performanceHints: ['Fast']}, false, API('globalnetworkpolicy'), 'unknown performance hint', 'spec.performanceHints[0]'),
  gnp(ingress({action: 'Allow', ipVersion: 4, protocol: 'UDP', notProtocol: 'TCP', source: {nets: ['198.51.100.0/24'], notNets: ['198.51.100.128/25'], selector: 'role == "web"', notSelector: 'has(quarantine)', namespaceSelector: 'kubernetes.io/metadata.name == "prod"', serviceAccounts: {names: ['api'], selector: 'app == "x"'}}, destination: {nets: ['203.0.113.0/24']}}), true, `${V} validateRule, validateEntityRule`, 'every entity field'),
  gnp(ingress({action: 'Drop'}), false, `${API('policy_common')} action`, 'action Drop', 'spec.ingress[0].action'),
  gnp(ingress({action: 'Allow', protocol: 'TCP', destination: {ports: [80, '8000:8080', 'http']}}), true, `${V} validateRule`, 'rule with ports and protocol'),
  gnp(ingress({action: 'Allow', ipVersion: 5}), false, `${API('policy_common')} ipVersion`, 'ipVersion 5', 'spec.ingress[0].ipVersion'),
  gnp(ingress({action: 'Allow', protocol: 'ICMP', icmp: {type: 8, code: 0}}), true, `${V} validateICMPFields`, 'ICMP type and code'),
  gnp(ingress({action: 'Allow', icmp: {type: 8}}), false, `${V} validateRule`, 'ICMP fields without protocol', 'spec.ingress[0].icmp'),
  gnp(ingress({action: 'Allow', protocol: 'ICMPv6', ipVersion: 6}), true, `${V} validateRule`, 'ICMPv6 with IPv6'),
  gnp(ingress({action: 'Allow', protocol: 'TCP', http: {methods: ['GET'], paths: [{exact: '/health'}, {prefix: '/api'}]}}), true, `${V} validateHTTPRule`, 'HTTP match'),
  gnp(ingress({action: 'Allow', http: {paths: [{exact: '/a', prefix: '/b'}]}}), false, `${V} validateHTTPPaths`, 'HTTP path both exact and prefix', 'spec.ingress[0].http.paths[0]'),
  gnp({egress: [{action: 'Allow', http: {methods: ['GET']}}]}, false, `${V} validateRule`, 'HTTP in an egress rule', 'spec.egress[0].http'),
  gnp(ingress({action: 'Allow', protocol: 'UDP', http: {methods: ['GET']}}), false, `${V} validateRule`, 'HTTP with UDP', 'spec.ingress[0].protocol'),
  gnp(ingress({action: 'Allow', source: {notNets: ['0.0.0.0/0']}}), false, `${V} validateEntityRule`, 'negated catch-all net', 'spec.ingress[0].source.notNets[0]'),
  gnp(ingress({action: 'Allow', source: {selector: 'global()'}}), false, `${API('policy_common')} selector`, 'global() in a rule selector', 'spec.ingress[0].source.selector'),
  gnp(ingress({action: 'Allow', source: {namespaceSelector: 'has('}}), false, `${API('policy_common')} selector`, 'bad namespace selector in a rule', 'spec.ingress[0].source.namespaceSelector'),
  gnp(ingress({action: 'Allow', protocol: 'TCP', destination: {ports: ['65535:1']}}), false, `${API('policy_common')} numorstring.Port`, 'reversed port range', 'spec.ingress[0].destination.ports[0]'),
  gnp(ingress({action: 'Allow', source: {serviceAccounts: {selector: 'has('}}}), false, `${API('policy_common')} ServiceAccountMatch selector`, 'bad service account selector', 'spec.ingress[0].source.serviceAccounts.selector'),
  gnp({egress: [{action: 'Allow', destination: {services: {name: 'web', namespace: 'prod'}}}]}, true, `${V} validateEntityRule (Services)`, 'egress to a service'),
  gnp(ingress({action: 'Allow', destination: {services: {name: 'web', namespace: 'prod'}}}), false, `${V} validateRule (Services)`, 'service in an ingress destination', 'spec.ingress[0].destination.services'),
  gnp({namespaceSelector: 'has(team)'}, true, `${API('globalnetworkpolicy')} selector`, 'namespace selector'),
  gnp({namespaceSelector: 'global()'}, false, `${API('globalnetworkpolicy')} selector`, 'global() namespace selector', 'spec.namespaceSelector'),
  gnp({preDNAT: true, applyOnForward: true, ingress: [{action: 'Allow'}]}, true, `${V} validateGlobalNetworkPolicySpec`, 'preDNAT policy'),
  gnp({preDNAT: true, doNotTrack: true, applyOnForward: true}, false, `${V} validateGlobalNetworkPolicySpec`, 'preDNAT and doNotTrack', 'spec.preDNAT'),
  gnp({preDNAT: true, applyOnForward: true, egress: [{action: 'Allow'}]}, false, `${V} validateGlobalNetworkPolicySpec`, 'preDNAT with egress rules', 'spec.egress'),
  gnp({preDNAT: true, applyOnForward: true, types: ['Egress']}, false, `${V} validateGlobalNetworkPolicySpec`, 'preDNAT with Egress type', 'spec.types'),
  gnp({doNotTrack: true, applyOnForward: true, ingress: [{action: 'Allow'}]}, true, `${V} validateGlobalNetworkPolicySpec`, 'untracked policy'),
  {kind: 'Profile', name: 'p1', spec: {labelsToApply: {'bad key': 'x'}}, ok: false, src: `${API('profile')} labels`, why: 'label to apply with a space', field: 'spec.labelsToApply.bad key'},
  // Staged policies: Delete carries the tier only.
  {kind: 'StagedGlobalNetworkPolicy', spec: {stagedAction: 'Delete', tier: 'default'}, ok: true, src: `${V} validateStagedGlobalNetworkPolicy`, why: 'staged delete'},
  {kind: 'StagedGlobalNetworkPolicy', spec: {stagedAction: 'Delete', selector: 'all()'}, ok: false, src: `${V} validateStagedGlobalNetworkPolicy`, why: 'staged delete with a selector', field: 'spec'},
  {kind: 'StagedNetworkPolicy', namespace: 'ns1', spec: {stagedAction: 'Delete'}, ok: true, src: `${V} validateStagedNetworkPolicy`, why: 'staged namespaced delete'},
  {kind: 'StagedNetworkPolicy', namespace: 'ns1', spec: {stagedAction: 'Delete', order: 10}, ok: false, src: `${V} validateStagedNetworkPolicy`, why: 'staged namespaced delete with an order', field: 'spec'},
]

// StagedKubernetesNetworkPolicy: a networking.k8s.io/v1 spec (K8S) as Calico converts it
// (V validateStagedKubernetesNetworkPolicy).
const K8S = 'k8s.io/api/networking/v1'
const sknp = (spec: Record<string, unknown>, ok: boolean, why: string, field?: string): Case => ({kind: 'StagedKubernetesNetworkPolicy', namespace: 'ns1', spec, ok, src: `${V} validateStagedKubernetesNetworkPolicy, ${K8S}`, why, field})
const expr = (operator: string, values?: string[]) => ({matchExpressions: [{key: 'app', operator, ...(values ? {values} : {})}]})
const sknpCases: Case[] = [
  sknp(
    {
      podSelector: expr('In', ['web']),
      ingress: [{from: [{ipBlock: {cidr: '198.51.100.0/24', except: ['198.51.100.128/25']}}, {namespaceSelector: expr('Exists'), podSelector: expr('NotIn', ['db'])}], ports: [{protocol: 'TCP', port: 80}]}],
      policyTypes: ['Ingress'],
    },
    true,
    'Kubernetes policy',
  ),
  sknp({stagedAction: 'Delete'}, true, 'staged Kubernetes delete'),
  sknp({stagedAction: 'Delete', policyTypes: ['Ingress']}, false, 'staged Kubernetes delete with types', 'spec'),
  sknp({podSelector: expr('Has')}, false, 'selector operator', 'spec.podSelector.matchExpressions[0].operator'),
  sknp({podSelector: expr('In')}, false, 'In without values', 'spec.podSelector.matchExpressions[0].values'),
  sknp({ingress: [{from: [{podSelector: expr('Matches')}]}]}, false, 'peer selector operator', 'spec.ingress[0].from[0].podSelector.matchExpressions[0].operator'),
  sknp({egress: [{to: [{namespaceSelector: expr('Exists', ['x'])}]}]}, false, 'Exists with values', 'spec.egress[0].to[0].namespaceSelector.matchExpressions[0].values'),
  sknp({ingress: [{from: [{ipBlock: {cidr: '198.51.100.0/24'}, podSelector: {}}]}]}, false, 'ipBlock with a pod selector', 'spec.ingress[0].from[0].ipBlock'),
  sknp({ingress: [{from: [{ipBlock: {cidr: '198.51.100.0/33'}}]}]}, false, 'ipBlock CIDR', 'spec.ingress[0].from[0].ipBlock.cidr'),
  sknp({ingress: [{from: [{ipBlock: {cidr: '198.51.100.0/24', except: ['bad']}}]}]}, false, 'ipBlock except', 'spec.ingress[0].from[0].ipBlock.except[0]'),
  sknp({ingress: [{ports: [{protocol: 'ICMP'}]}]}, false, 'port protocol', 'spec.ingress[0].ports[0].protocol'),
  sknp({policyTypes: ['Both']}, false, 'policy type', 'spec.policyTypes[0]'),
]

export const CORPUS: Case[] = [...decoding, ...metadata, ...felixCases, ...bgpConfigCases, ...bgpPeerCases, ...ipPoolCases, ...nodeCases, ...kccCases, ...policyCases, ...endpointCases, ...bgpFilterCases, ...felixRowCases, ...otherRowCases, ...policyRowCases, ...sknpCases]

