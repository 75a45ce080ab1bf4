// FelixConfiguration: every v3.32.1 field (from upstream's API, see ../upstream.ts), checked by
// upstream's CRD constraints plus the validator's tags and struct checks listed in RULES below.

import type {KindDef, Resource} from '../types.js'
import {parseGoDuration} from '../../lib/go-duration.js'
import {fieldsFromUpstream, normalizeGoValues, upstreamSchema} from '../upstream.js'
import {compilesAsGoRegexp, IFACE_FILTER, INTERFACE_NAME, isIPv4, isIPv6, labelNameProblem, parseNet} from '../validate.js'
import {parsePort, PortError} from '../rules.js'
import {between, type Check, described, matches, oneOf, type RuleRow, ruleOf, tableValidator} from '../rule-table.js'

const upstream = upstreamSchema('FelixConfiguration')!.spec!

const LOG_LEVELS = ['Trace', 'Debug', 'Info', 'Warning', 'Error', 'Fatal']
const KEY_VALUE_ITEM = /^\s*(\w+)=(.*)$/
const PROMETHEUS_HOST = /^[a-zA-Z0-9:._+-]{1,64}$/
const HTO_NAME = /^[a-zA-Z0-9_ -]+$/

const goRegexp = described((v) => (typeof v === 'string' && v !== '' && !compilesAsGoRegexp(v) ? 'must be a valid regular expression' : undefined), 'a regular expression Go compiles')
const keyValueList = described(
  (v) => (typeof v === 'string' && v.split(',').some((item) => item !== '' && !KEY_VALUE_ITEM.test(item)) ? 'must be a comma-separated list of key=value' : undefined),
  'comma-separated key=value items',
)
const cidrs = described((v) => (Array.isArray(v) && v.some((c) => typeof c !== 'string' || !parseNet(c)) ? 'must be a list of CIDRs or IP addresses' : undefined), 'CIDRs or IP addresses')
const ipOf = (family: 4 | 6) =>
  described((v) => (typeof v === 'string' && v !== '' && !(family === 4 ? isIPv4(v) : isIPv6(v)) ? `is not a valid IPv${family} address` : undefined), `an IPv${family} address`)

const API = 'api/pkg/apis/projectcalico/v3/felixconfig.go'
const V = 'libcalico-go/lib/validator/v3/validator.go'

/**
 * Upstream's per-field checks beyond the CRD (the CRD's own enums, bounds and patterns come from
 * the generated schema, ../upstream-schema.ts): the `validate:` tags of felixconfig.go, as
 * validator.go registers them, and validateFelixConfigSpec. Written compactly as
 * [field, check, source]; `RULES` below is the table.
 */
const FIELD_RULES: ReadonlyArray<readonly [field: string, check: Check, source: string]> = [
  ['featureDetectOverride', keyValueList, 'tag keyValueList'],
  ['featureGates', keyValueList, 'tag keyValueList'],
  ['iptablesBackend', oneOf('Legacy', 'NFT', 'Auto'), 'tag iptablesBackend'],
  ['defaultEndpointToHostAction', oneOf('Drop', 'Accept', 'Return'), 'tag dropAcceptReturn'],
  ['iptablesFilterAllowAction', oneOf('Accept', 'Return'), 'tag acceptReturn'],
  ['iptablesMangleAllowAction', oneOf('Accept', 'Return'), 'tag acceptReturn'],
  ['iptablesFilterDenyAction', oneOf('Drop', 'Reject'), 'tag dropReject'],
  ['nftablesFilterAllowAction', oneOf('Accept', 'Return'), 'tag acceptReturn'],
  ['nftablesMangleAllowAction', oneOf('Accept', 'Return'), 'tag acceptReturn'],
  ['nftablesFilterDenyAction', oneOf('Drop', 'Reject'), 'tag dropReject'],
  ['logSeverityFile', oneOf(...LOG_LEVELS), 'tag logLevel'],
  ['logSeverityScreen', oneOf(...LOG_LEVELS), 'tag logLevel'],
  ['logSeveritySys', oneOf(...LOG_LEVELS), 'tag logLevel'],
  ['logDebugFilenameRegex', goRegexp, 'tag regexp'],
  ['prometheusMetricsHost', matches(PROMETHEUS_HOST, 'must be a host name or address of at most 64 characters'), 'tag prometheusHost'],
  ['prometheusMetricsClientAuth', oneOf('RequireAndVerifyClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'NoClientCert'), 'tag oneof'],
  ['natOutgoingExclusions', oneOf('IPPoolsOnly', 'IPPoolsAndHostIPs'), 'tag oneof'],
  ['debugPort', between(0, 65535), 'tag gte=0,lte=65535'],
  ['iptablesNATOutgoingInterfaceFilter', matches(IFACE_FILTER, 'must be an interface name or pattern of at most 15 characters'), 'tag ifaceFilter'],
  ['bpfJITHardening', oneOf('Auto', 'Strict'), 'tag oneof'],
  ['bpfLogLevel', oneOf('Debug', 'Info', 'Off'), 'tag bpfLogLevel'],
  ['bpfConntrackLogLevel', oneOf('Off', 'Debug'), 'tag oneof'],
  ['bpfConntrackMode', oneOf('Auto', 'Userspace', 'BPFProgram'), 'tag oneof'],
  ['bpfLogFilters', (v) => (v && typeof v === 'object' && Object.keys(v).some((k) => !INTERFACE_NAME.test(k)) ? 'keys must be interface names' : undefined), 'tag bpfLogFilters'],
  ['bpfDataIfacePattern', goRegexp, 'tag regexp'],
  ['bpfL3IfacePattern', goRegexp, 'tag regexp'],
  ['bpfConnectTimeLoadBalancing', oneOf('TCP', 'Enabled', 'Disabled'), 'tag oneof'],
  ['bpfHostNetworkedNATWithoutCTLB', oneOf('Enabled', 'Disabled'), 'tag oneof'],
  ['bpfExternalServiceMode', oneOf('Tunnel', 'DSR'), 'tag bpfServiceMode'],
  ['bpfDSROptoutCIDRs', cidrs, 'tag cidrs'],
  ['bpfExtToServiceConnmark', between(0, 4294967295), 'tag gte=0,lte=4294967295'],
  ['bpfKubeProxyHealthzPort', between(0, 65535), 'tag gte=0,lte=65535'],
  ['bpfMapSizeConntrackCleanupQueue', between(1, Number.MAX_SAFE_INTEGER), 'tag gte=1'],
  ['bpfForceTrackPacketsFromIfaces', (v) => (Array.isArray(v) && v.some((i) => typeof i !== 'string' || !IFACE_FILTER.test(i)) ? 'must be interface names or patterns of at most 15 characters' : undefined), 'tag ifaceFilterSlice'],
  ['bpfDisableGROForIfaces', goRegexp, 'tag regexp'],
  ['bpfExcludeCIDRsFromNAT', cidrs, 'tag cidrs'],
  ['bpfAttachType', oneOf('TC', 'TCX'), 'tag oneof'],
  ['routeSource', oneOf('WorkloadIPs', 'CalicoIPAM'), 'CRD enum; tag routeSource'],
  ['ipv4NormalRoutePriority', between(1, 2147483646), 'tag gte=1,lte=2147483646'],
  ['ipv4ElevatedRoutePriority', between(1, 2147483646), 'tag gte=1,lte=2147483646'],
  ['ipv6NormalRoutePriority', between(1, 2147483646), 'tag gte=1,lte=2147483646'],
  ['ipv6ElevatedRoutePriority', between(1, 2147483646), 'tag gte=1,lte=2147483646'],
  ['wireguardListeningPort', between(1, 65535), 'tag gt=0,lte=65535'],
  ['wireguardListeningPortV6', between(1, 65535), 'tag gt=0,lte=65535'],
  ['wireguardRoutingRulePriority', between(1, 32765), 'tag gt=0,lt=32766'],
  ['wireguardInterfaceName', matches(INTERFACE_NAME, 'must be an interface name of at most 15 characters'), 'tag interface'],
  ['wireguardInterfaceNameV6', matches(INTERFACE_NAME, 'must be an interface name of at most 15 characters'), 'tag interface'],
  ['awsSrcDstCheck', oneOf('DoNothing', 'Enable', 'Disable'), 'tag oneof'],
  ['serviceLoopPrevention', oneOf('Drop', 'Reject', 'Disabled'), 'tag oneof'],
  ['workloadSourceSpoofing', oneOf('Disabled', 'Any'), 'tag oneof'],
  ['mtuIfacePattern', goRegexp, 'tag regexp'],
  ['windowsManageFirewallRules', oneOf('Enabled', 'Disabled'), 'tag oneof'],
  ['goGCThreshold', between(-1, Number.MAX_SAFE_INTEGER), 'tag gte=-1'],
  ['goMemoryLimitMB', between(-1, Number.MAX_SAFE_INTEGER), 'tag gte=-1'],
  ['goMaxProcs', between(-1, Number.MAX_SAFE_INTEGER), 'tag gte=-1'],
  ['bpfMaglevMaxEndpointsPerService', between(1, 3000), 'tag gt=0,lte=3000'],
  ['bpfMaglevMaxServices', between(1, 3000), 'tag gt=0,lte=3000'],
  // validateFelixConfigSpec
  ['natOutgoingAddress', ipOf(4), 'validateFelixConfigSpec'],
  ['deviceRouteSourceAddress', ipOf(4), 'validateFelixConfigSpec'],
  ['deviceRouteSourceAddressIPv6', ipOf(6), 'validateFelixConfigSpec'],
  ['externalNodesList', (v) => (Array.isArray(v) && v.some((c) => typeof c !== 'string' || parseNet(c)?.family !== 4) ? 'must be a list of IPv4 CIDRs' : undefined), 'validateFelixConfigSpec'],
  ['openstackRegion', (v) => (typeof v === 'string' && v !== '' ? (v.length > 46 ? 'is too long (at most 46 characters)' : labelNameProblem(v) && 'must be a valid DNS label') : undefined), 'validateFelixConfigSpec'],
  ['routeTableRange', (v) => rangeProblem(v, 1, 250, 'must be a range of route table indices within 1..250'), 'validateRouteTableRange'],
  ['kubeNodePortRanges', nodePortRangesProblem, 'validateFelixConfigSpec'],
  ['healthTimeoutOverrides', (v) => (Array.isArray(v) && v.some((h) => typeof h?.name === 'string' && !HTO_NAME.test(h.name)) ? 'names must match ^[a-zA-Z0-9_ -]+$' : Array.isArray(v) && v.some((h) => typeof h?.timeout === 'string' && (parseGoDuration(h.timeout) ?? 0n) < 0n) ? 'timeouts must not be negative' : undefined), 'validateHealthTimeoutOverride'],
  ['failsafeInboundHostPorts', protoPortsProblem, 'validateProtoPort'],
  ['failsafeOutboundHostPorts', protoPortsProblem, 'validateProtoPort'],
  ['routeTableRanges', routeTableRangesProblem, 'validateRouteTableIDRange, validateFelixConfigSpec'],
]

const tagRule = (source: string) => (source.startsWith('tag ') ? `${API} ${source}` : `${V} ${source}`)

/** FelixConfiguration's rules: one row per field above, then the cross-field ones. */
export const RULES: readonly RuleRow[] = [
  ...FIELD_RULES.map(([field, check, source]): RuleRow => ({field: `spec.${field}`, rule: ruleOf(check) ?? source, source: tagRule(source), check})),
  {
    field: 'spec.routeTableRange',
    rule: 'not together with routeTableRanges',
    source: `${V} validateFelixConfigSpec`,
    check: (_v, at) => (at.parent.routeTableRanges !== undefined && at.parent.routeTableRanges !== null ? 'cannot be set when routeTableRanges is also set' : undefined),
  },
  {
    field: 'spec.nodeSelector',
    rule: "not on 'default' or 'node.*'",
    source: `${API} +kubebuilder:validation:XValidation`,
    check: (_v, at) => {
      const name = at.resource.metadata.name
      return name === 'default' || name.startsWith('node.') ? "must not be set on the 'default' or per-node ('node.*') FelixConfiguration" : undefined
    },
  },
]

function protoPortsProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined
  return v.some((p) => !['TCP', 'UDP', 'SCTP'].includes((p as {protocol?: unknown})?.protocol as string)) ? "each protocol must be 'TCP', 'UDP' or 'SCTP'" : undefined
}

function rangeProblem(v: unknown, lo: number, hi: number, reason: string): string | undefined {
  if (!v || typeof v !== 'object') return undefined
  const {min, max} = v as {min?: unknown; max?: unknown}
  if (typeof min !== 'number' || typeof max !== 'number') return undefined
  return min >= lo && max >= min && max <= hi ? undefined : reason
}

function routeTableRangesProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined
  let tables = 0
  for (const r of v) {
    if (!r || typeof r !== 'object') continue
    const {min, max} = r as {min?: unknown; max?: unknown}
    if (typeof min !== 'number' || typeof max !== 'number') continue
    if (min > max) return 'min value cannot be greater than max value'
    if (min <= 0) return 'cannot target indices < 1'
    if (max > 0xffffffff) return 'max index too high'
    tables += max - min + 1
  }
  return tables > 0xffff ? 'targets too many tables (at most 65535)' : undefined
}

function nodePortRangesProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined
  if (v.length > 7) return 'node port ranges list is too long (max 7)'
  for (const p of v) {
    try {
      if ('name' in parsePort(p)) return 'node port ranges should not contain named ports'
    } catch (e) {
      if (e instanceof PortError) return e.message
      throw e
    }
  }
  return undefined
}

export const FelixConfiguration: KindDef = {
  kind: 'FelixConfiguration',
  plural: 'felixconfigurations',
  aliases: ['felixconfiguration', 'felixconfigurations', 'felixconfig', 'felixconfigs'],
  namespaced: false,
  specFields: fieldsFromUpstream(upstream),
  columns: ['NAME'],
  wideColumns: ['NAME'],
  cell(r, col) {
    return col === 'NAME' ? r.metadata.name : ''
  },
  defaults(r: Resource) {
    normalizeGoValues(r.spec, upstream)
  },
  rules: RULES,
  validate: tableValidator(RULES),
}
