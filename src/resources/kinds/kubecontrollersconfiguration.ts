import {type FieldError, fieldError} from '../errors.js'
import {anyJson, obj, str, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'

const specFields: Fields = [
  ['logSeverityScreen', str],
  ['healthChecks', str],
  ['etcdV3CompactionPeriod', {t: 'string', ptr: true}],
  ['prometheusMetricsPort', {t: 'int', ptr: true}],
  ['controllers', obj([['node', anyJson], ['policy', anyJson], ['workloadEndpoint', anyJson], ['serviceAccount', anyJson], ['namespace', anyJson], ['loadBalancer', anyJson]])],
  ['debugProfilePort', {t: 'int', ptr: true}],
]

export const KubeControllersConfiguration: KindDef = {
  kind: 'KubeControllersConfiguration',
  plural: 'kubecontrollersconfigurations',
  aliases: ['kubecontrollersconfiguration', 'kubecontrollersconfigurations', 'kubecontrollersconfig', 'kubecontrollersconfigs'],
  namespaced: false,
  specFields,
  columns: ['NAME'],
  wideColumns: ['NAME'],
  cell(r, col) {
    return col === 'NAME' ? r.metadata.name : ''
  },
  validate(r) {
    const out: FieldError[] = []
    if (r.metadata.name !== 'default') out.push(fieldError('metadata.name', "must be 'default'", r.metadata.name))
    return out
  },
}
