import {fieldError} from '../errors.js'
import type {Fields} from '../schema.js'
import type {KindDef, Resource} from '../types.js'
import {fieldsFromUpstream, normalizeGoValues, upstreamSchema} from '../upstream.js'
import {checkAsNumber, checkIP, IGNORED_INTERFACE, nameProblem, parseNet} from '../validate.js'
import {type At, type Check, matches, oneOf, pushing, type RuleRow, required, tableValidator} from '../rule-table.js'

export interface BGPConfigurationSpec {
  logSeverityScreen?: string
  nodeToNodeMeshEnabled?: boolean
  asNumber?: string | number
  listenPort?: number
  serviceClusterIPs?: Array<{cidr: string}>
  serviceExternalIPs?: Array<{cidr: string}>
  serviceLoadBalancerIPs?: Array<{cidr: string}>
  communities?: Array<{name?: string; value?: string}>
  prefixAdvertisements?: Array<{cidr?: string; communities?: string[]}>
  nodeMeshPassword?: unknown
  nodeMeshMaxRestartTime?: string
  bindMode?: string
  ignoredInterfaces?: string[]
  [k: string]: unknown
}

const upstream = upstreamSchema('BGPConfiguration')!.spec!
const specFields: Fields = fieldsFromUpstream(upstream, {asNumber: {t: 'intOrString', ptr: true}})

/** Fields that only the cluster-wide `default` configuration may set (libcalico-go/lib/clientv3/bgpconfig.go ValidateDefaultOnlyFields). */
const DEFAULT_ONLY = ['nodeToNodeMeshEnabled', 'asNumber', 'serviceLoadBalancerIPs', 'serviceExternalIPs', 'serviceClusterIPs', 'nodeMeshPassword', 'nodeMeshMaxRestartTime']
const LOG_LEVELS = ['Trace', 'Debug', 'Info', 'Warning', 'Error', 'Fatal']
const STANDARD_COMMUNITY = /^(\d+):(\d+)$/
const LARGE_COMMUNITY = /^(\d+):(\d+):(\d+)$/

/** validator.go isValidCommunity/validateCommunityValue: `aa:nn` of 16-bit or `aa:nn:mm` of 32-bit numbers. */
function communityProblem(v: string): 'format' | 'range' | undefined {
  const m = STANDARD_COMMUNITY.exec(v) ?? LARGE_COMMUNITY.exec(v)
  if (!m) return 'format'
  const max = m.length === 3 ? 0xffff : 0xffffffff
  return m.slice(1).some((n) => Number(n) > max) ? 'range' : undefined
}

const V = 'libcalico-go/lib/validator/v3/validator.go'
const API = 'api/pkg/apis/projectcalico/v3/bgpconfig.go'

/** A service block: tag net (an IP, or a CIDR without host bits). */
const serviceCidr: Check = (v) => {
  if (typeof v !== 'string' || v === '') return undefined
  const p = parseNet(v)
  return !p ? 'must be a valid IP network' : !p.masked ? `has host bits set (did you mean ${p.text}?)` : undefined
}
const meshOff = (at: At) => at.parent.nodeToNodeMeshEnabled === false

/** BGPConfiguration's rules (validator.go validateBGPConfigurationSpec, bgpconfig.go tags, the client's default-only fields). */
export const RULES: readonly RuleRow[] = [
  {
    field: `spec.{${DEFAULT_ONLY.join(',')}}`,
    rule: "only on the 'default' configuration",
    source: 'libcalico-go/lib/clientv3/bgpconfig.go ValidateDefaultOnlyFields',
    check: (_v, at) => {
      const f = at.path.slice('spec.'.length)
      return at.resource.metadata.name !== 'default' ? [fieldError(at.path, `Cannot set ${f} on a non default BGP Configuration.`)] : undefined
    },
  },
  // Tag logLevel is case-sensitive, where the CRD pattern is not.
  {field: 'spec.logSeverityScreen', rule: 'a log level, case-sensitive', source: `${API} logSeverityScreen (validate:"logLevel")`, check: oneOf(...LOG_LEVELS)},
  {field: 'spec.asNumber', rule: 'an AS number', source: `${API} asNumber (numorstring.ASNumber)`, check: pushing(checkAsNumber)},
  {field: 'spec.{serviceClusterIPs,serviceExternalIPs,serviceLoadBalancerIPs}[*].cidr', rule: 'an IP network without host bits', source: `${V} validateIPNetwork (tag net)`, check: serviceCidr},
  {field: 'spec.communities[*].name', rule: 'required', source: `${API} Community.Name (validate:"required")`, absent: true, check: required},
  {field: 'spec.communities[*].name', rule: 'a DNS name', source: `${API} Community.Name (validate:"name")`, check: (v) => (typeof v === 'string' && v !== '' ? nameProblem(v) : undefined)},
  {field: 'spec.communities[*].value', rule: 'required', source: `${API} Community.Value (validate:"required")`, absent: true, check: required},
  {
    field: 'spec.communities[*].value',
    rule: 'aa:nn of 16-bit or aa:nn:mm of 32-bit numbers',
    source: `${V} validateCommunityValue`,
    check: (v) => (typeof v === 'string' && v !== '' && communityProblem(v) ? 'invalid community value or format used (aa:nn of 16-bit numbers or aa:nn:mm of 32-bit numbers)' : undefined),
  },
  {
    field: 'spec.communities',
    rule: 'used by a prefix advertisement',
    source: `${V} validateBGPConfigurationSpec`,
    check: (v, at) => {
      const pas = at.parent.prefixAdvertisements
      return Array.isArray(v) && v.length > 0 && !(Array.isArray(pas) && pas.length > 0) ? 'communities are defined but not used in spec.prefixAdvertisements' : undefined
    },
  },
  {field: 'spec.prefixAdvertisements[*].cidr', rule: 'required', source: `${API} PrefixAdvertisement.CIDR (validate:"required")`, absent: true, check: required},
  {
    field: 'spec.prefixAdvertisements[*].cidr',
    rule: 'a CIDR without host bits',
    source: `${V} validateBGPConfigurationSpec`,
    check: (v) => {
      if (typeof v !== 'string' || v === '') return undefined
      const p = parseNet(v)
      return !p ? 'invalid CIDR value' : !p.masked ? `has host bits set (did you mean ${p.text}?)` : undefined
    },
  },
  {field: 'spec.prefixAdvertisements[*].communities', rule: 'required', source: `${API} PrefixAdvertisement.Communities (validate:"required")`, absent: true, check: required},
  {
    field: 'spec.prefixAdvertisements[*].communities[*]',
    rule: 'a community value in range, or a defined community name',
    source: `${V} validateBGPConfigurationSpec (isCommunityDefined, validateCommunityValue)`,
    check: (v, at) => {
      const problem = typeof v === 'string' ? communityProblem(v) : 'format'
      if (problem === 'range') return 'invalid community value (16-bit numbers in aa:nn, 32-bit in aa:nn:mm)'
      const defined = ((at.resource.spec as BGPConfigurationSpec).communities ?? []).some((c) => c?.name === v)
      return problem === 'format' && !defined ? 'community used is invalid or not defined' : undefined
    },
  },
  {field: 'spec.nodeMeshPassword', rule: 'not with the mesh off', source: `${V} validateBGPConfigurationSpec`, check: (_v, at) => (meshOff(at) ? [fieldError(at.path, 'cannot be set if nodeToNodeMeshEnabled is false')] : undefined)},
  {field: 'spec.nodeMeshMaxRestartTime', rule: 'not with the mesh off', source: `${V} validateBGPConfigurationSpec`, check: (_v, at) => (meshOff(at) ? [fieldError(at.path, 'cannot be set if nodeToNodeMeshEnabled is false')] : undefined)},
  {
    field: 'spec.ignoredInterfaces[*]',
    rule: 'an interface name or pattern of at most 15 characters',
    source: `${V} ignoredInterfaceRegex`,
    check: matches(IGNORED_INTERFACE, 'must be an interface name or pattern (letters, digits, _ . * -) of at most 15 characters'),
  },
  {field: 'spec.localWorkloadPeeringIPV4', rule: 'an IPv4 address', source: `${API} localWorkloadPeeringIPV4 (validate:"ipv4")`, check: pushing((v, f, out) => checkIP(v, f, out, 4))},
  {field: 'spec.localWorkloadPeeringIPV6', rule: 'an IPv6 address', source: `${API} localWorkloadPeeringIPV6 (validate:"ipv6")`, check: pushing((v, f, out) => checkIP(v, f, out, 6))},
  {field: 'spec.listenPort', rule: '1 to 65535', source: 'api/config/crd/projectcalico.org_bgpconfigurations.yaml listenPort minimum: 1', check: (v) => (v === 0 ? 'must be between 1 and 65535' : undefined)},
]

export const BGPConfiguration: KindDef = {
  kind: 'BGPConfiguration',
  plural: 'bgpconfigurations',
  aliases: ['bgpconfiguration', 'bgpconfigurations', 'bgpconfig', 'bgpconfigs'],
  namespaced: false,
  specFields,
  columns: ['NAME', 'LOGSEVERITY', 'MESHENABLED', 'ASNUMBER'],
  wideColumns: ['NAME', 'LOGSEVERITY', 'MESHENABLED', 'ASNUMBER'],
  cell(r, col) {
    const s = (r.spec ?? {}) as BGPConfigurationSpec
    switch (col) {
      case 'NAME':
        return r.metadata.name
      case 'LOGSEVERITY':
        return s.logSeverityScreen ?? ''
      case 'MESHENABLED':
        return s.nodeToNodeMeshEnabled === undefined ? '-' : String(s.nodeToNodeMeshEnabled)
      case 'ASNUMBER':
        return s.asNumber === undefined ? '-' : String(s.asNumber)
      default:
        return ''
    }
  },
  defaults(r: Resource) {
    normalizeGoValues(r.spec, upstream)
  },
  rules: RULES,
  validate: tableValidator(RULES),
}
