import {type FieldError, fieldError} from '../errors.js'
import type {Fields} from '../schema.js'
import type {KindDef, Resource} from '../types.js'
import {fieldsFromUpstream, normalizeGoValues, upstreamSchema} from '../upstream.js'
import {checkAsNumber, checkIP, IGNORED_INTERFACE, nameProblem, parseNet} from '../validate.js'

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
  validate(r) {
    const s = (r.spec ?? {}) as BGPConfigurationSpec
    const out: FieldError[] = []
    if (r.metadata.name !== 'default')
      for (const f of DEFAULT_ONLY) if (s[f] !== undefined) out.push(fieldError(`spec.${f}`, `Cannot set ${f} on a non default BGP Configuration.`))
    // validator.go: tag logLevel (case-sensitive, where the CRD pattern is not).
    if (s.logSeverityScreen && !LOG_LEVELS.includes(s.logSeverityScreen))
      out.push(fieldError('spec.logSeverityScreen', `must be one of ${LOG_LEVELS.join(', ')}`, s.logSeverityScreen))
    checkAsNumber(s.asNumber, 'spec.asNumber', out)
    // Service blocks: tag net (an IP, or a CIDR without host bits).
    for (const f of ['serviceClusterIPs', 'serviceExternalIPs', 'serviceLoadBalancerIPs'] as const)
      (s[f] ?? []).forEach((c, i) => {
        const p = typeof c?.cidr === 'string' && c.cidr !== '' ? parseNet(c.cidr) : undefined
        if (c?.cidr && !p) out.push(fieldError(`spec.${f}[${i}].cidr`, 'must be a valid IP network', c.cidr))
        else if (p && !p.masked) out.push(fieldError(`spec.${f}[${i}].cidr`, `has host bits set (did you mean ${p.text}?)`, c.cidr))
      })
    // validateBGPConfigurationSpec: communities and prefix advertisements.
    const communities = s.communities ?? []
    communities.forEach((c, i) => {
      if (!c?.name) out.push(fieldError(`spec.communities[${i}].name`, 'is required'))
      else {
        const p = nameProblem(c.name)
        if (p) out.push(fieldError(`spec.communities[${i}].name`, p, c.name))
      }
      if (!c?.value) out.push(fieldError(`spec.communities[${i}].value`, 'is required'))
      else if (communityProblem(c.value)) out.push(fieldError(`spec.communities[${i}].value`, 'invalid community value or format used (aa:nn of 16-bit numbers or aa:nn:mm of 32-bit numbers)', c.value))
    })
    const pas = s.prefixAdvertisements ?? []
    if (pas.length === 0 && communities.length > 0) out.push(fieldError('spec.communities', 'communities are defined but not used in spec.prefixAdvertisements'))
    pas.forEach((pa, i) => {
      const f = `spec.prefixAdvertisements[${i}]`
      if (!pa?.cidr) out.push(fieldError(`${f}.cidr`, 'is required'))
      else {
        const p = parseNet(pa.cidr)
        if (!p) out.push(fieldError(`${f}.cidr`, 'invalid CIDR value', pa.cidr))
        else if (!p.masked) out.push(fieldError(`${f}.cidr`, `has host bits set (did you mean ${p.text}?)`, pa.cidr))
      }
      if (!pa?.communities || pa.communities.length === 0) out.push(fieldError(`${f}.communities`, 'is required'))
      ;(pa?.communities ?? []).forEach((v, j) => {
        const problem = typeof v === 'string' ? communityProblem(v) : 'format'
        if (problem === 'range') out.push(fieldError(`${f}.communities[${j}]`, 'invalid community value (16-bit numbers in aa:nn, 32-bit in aa:nn:mm)', v))
        else if (problem === 'format' && !communities.some((c) => c?.name === v)) out.push(fieldError(`${f}.communities[${j}]`, 'community used is invalid or not defined', v))
      })
    })
    const meshOff = s.nodeToNodeMeshEnabled === false
    if (meshOff && s.nodeMeshPassword !== undefined) out.push(fieldError('spec.nodeMeshPassword', 'cannot be set if nodeToNodeMeshEnabled is false'))
    if (meshOff && s.nodeMeshMaxRestartTime !== undefined) out.push(fieldError('spec.nodeMeshMaxRestartTime', 'cannot be set if nodeToNodeMeshEnabled is false'))
    ;(s.ignoredInterfaces ?? []).forEach((v, i) => {
      if (typeof v === 'string' && !IGNORED_INTERFACE.test(v)) out.push(fieldError(`spec.ignoredInterfaces[${i}]`, 'must be an interface name or pattern (letters, digits, _ . * -) of at most 15 characters', v))
    })
    checkIP(s.localWorkloadPeeringIPV4, 'spec.localWorkloadPeeringIPV4', out, 4)
    checkIP(s.localWorkloadPeeringIPV6, 'spec.localWorkloadPeeringIPV6', out, 6)
    if (s.listenPort === 0) out.push(fieldError('spec.listenPort', 'must be between 1 and 65535', 0))
    return out
  },
}
