import {type FieldError, fieldError} from '../errors.js'
import {anyJson, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'

// Felix has over 200 optional settings; the ones this tool reads are typed, the rest pass
// through as long as they are camelCase names with JSON values.
const typed: Record<string, 'bool' | 'int' | 'string' | 'duration'> = {
  ipipEnabled: 'bool',
  ipipMTU: 'int',
  vxlanEnabled: 'bool',
  vxlanMTU: 'int',
  vxlanVNI: 'int',
  vxlanPort: 'int',
  bpfEnabled: 'bool',
  logSeverityScreen: 'string',
  logSeverityFile: 'string',
  defaultEndpointToHostAction: 'string',
  iptablesBackend: 'string',
  chainInsertMode: 'string',
  routeRefreshInterval: 'duration',
  iptablesRefreshInterval: 'duration',
  reportingInterval: 'duration',
  healthPort: 'int',
  natOutgoingAddress: 'string',
  routeTableRange: 'string',
  deviceRouteProtocol: 'int',
  removeExternalRoutes: 'bool',
}

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/

export const FelixConfiguration: KindDef = {
  kind: 'FelixConfiguration',
  plural: 'felixconfigurations',
  aliases: ['felixconfiguration', 'felixconfigurations', 'felixconfig', 'felixconfigs'],
  namespaced: false,
  // Free-form, key order kept as given (sorted on encode by the codec's fallback).
  specFields: [] as Fields,
  columns: ['NAME'],
  wideColumns: ['NAME'],
  cell(r, col) {
    return col === 'NAME' ? r.metadata.name : ''
  },
  validate(r) {
    const out: FieldError[] = []
    const name = r.metadata.name
    if (name !== 'default' && !name.startsWith('node.')) out.push(fieldError('metadata.name', "must be 'default' or 'node.<nodename>'", name))
    for (const [k, v] of Object.entries((r.spec ?? {}) as Record<string, unknown>)) {
      const f = `spec.${k}`
      if (!/^[a-z][A-Za-z0-9]*$/.test(k)) {
        out.push(fieldError(f, 'field is not recognised (unknown field or wrong location)'))
        continue
      }
      const t = typed[k]
      if (t === 'bool' && typeof v !== 'boolean') out.push(fieldError(f, 'must be a boolean', v))
      if (t === 'int' && !Number.isInteger(v)) out.push(fieldError(f, 'must be an integer', v))
      if (t === 'string' && typeof v !== 'string') out.push(fieldError(f, 'must be a string', v))
      if (t === 'duration' && !(typeof v === 'string' && DURATION.test(v))) out.push(fieldError(f, 'must be a duration such as 90s or 5m', v))
    }
    const action = (r.spec as any)?.defaultEndpointToHostAction
    if (action !== undefined && !['Drop', 'Accept', 'Return'].includes(action))
      out.push(fieldError('spec.defaultEndpointToHostAction', 'must be one of Drop, Accept, Return', action))
    return out
  },
}
void anyJson
