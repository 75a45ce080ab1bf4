import {type FieldError, fieldError} from '../errors.js'
import {boolPtr, intOrStr, intPtr, list, obj, str, strList, strPtr, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'
import {checkAsNumber, checkCidr, checkOneOf} from '../validate.js'

export interface BGPConfigurationSpec {
  logSeverityScreen?: string
  nodeToNodeMeshEnabled?: boolean
  asNumber?: string | number
  listenPort?: number
  serviceClusterIPs?: Array<{cidr: string}>
  serviceExternalIPs?: Array<{cidr: string}>
  serviceLoadBalancerIPs?: Array<{cidr: string}>
  nodeMeshPassword?: unknown
  nodeMeshMaxRestartTime?: string
  bindMode?: string
  [k: string]: unknown
}

const cidrList = list(obj([['cidr', str]]))
const specFields: Fields = [
  ['logSeverityScreen', str],
  ['nodeToNodeMeshEnabled', boolPtr],
  ['asNumber', {t: 'intOrString', ptr: true}],
  ['serviceLoadBalancerIPs', cidrList],
  ['serviceExternalIPs', cidrList],
  ['serviceClusterIPs', cidrList],
  ['communities', list(obj([['name', str], ['value', str]]))],
  ['prefixAdvertisements', list(obj([['cidr', str], ['communities', strList]]))],
  ['listenPort', {t: 'int', min: 1, max: 65535}],
  ['nodeMeshPassword', obj([['secretKeyRef', obj([['name', str], ['key', str], ['optional', boolPtr]], true)]], true)],
  ['nodeMeshMaxRestartTime', strPtr],
  ['bindMode', strPtr],
  ['ignoredInterfaces', strList],
  ['localWorkloadPeeringIPV4', str],
  ['localWorkloadPeeringIPV6', str],
  ['programClusterRoutes', strPtr],
]
void intOrStr
void intPtr

/** Fields that only the cluster-wide `default` configuration may set. */
const DEFAULT_ONLY = ['nodeToNodeMeshEnabled', 'asNumber', 'serviceLoadBalancerIPs', 'serviceExternalIPs', 'serviceClusterIPs', 'nodeMeshPassword', 'nodeMeshMaxRestartTime']

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
  validate(r) {
    const s = (r.spec ?? {}) as BGPConfigurationSpec
    const out: FieldError[] = []
    const name = r.metadata.name
    if (name !== 'default' && !name.startsWith('node.'))
      out.push(fieldError('metadata.name', "must be 'default' or 'node.<nodename>'", name))
    if (name !== 'default')
      for (const f of DEFAULT_ONLY) if (s[f] !== undefined) out.push(fieldError(`spec.${f}`, `Cannot set ${f} on a non default BGP Configuration.`))
    checkOneOf(s.logSeverityScreen, ['Trace', 'Debug', 'Info', 'Warning', 'Error', 'Fatal'], 'spec.logSeverityScreen', out)
    checkAsNumber(s.asNumber, 'spec.asNumber', out)
    checkOneOf(s.bindMode, ['None', 'NodeIP'], 'spec.bindMode', out)
    for (const f of ['serviceClusterIPs', 'serviceExternalIPs', 'serviceLoadBalancerIPs'] as const)
      (s[f] ?? []).forEach((c, i) => checkCidr(c.cidr, `spec.${f}[${i}].cidr`, out))
    return out
  },
}
