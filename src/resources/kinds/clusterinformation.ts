import {boolPtr, str, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'

const specFields: Fields = [
  ['clusterGUID', str],
  ['clusterType', str],
  ['calicoVersion', str],
  ['datastoreReady', boolPtr],
  ['variant', str],
]

export const ClusterInformation: KindDef = {
  kind: 'ClusterInformation',
  plural: 'clusterinformations',
  aliases: ['clusterinformation', 'clusterinformations', 'clusterinfo', 'clusterinfos'],
  namespaced: false,
  specFields,
  columns: ['NAME', 'CLUSTERGUID', 'CLUSTERTYPE', 'CALICOVERSION', 'DATASTOREREADY'],
  wideColumns: ['NAME', 'CLUSTERGUID', 'CLUSTERTYPE', 'CALICOVERSION', 'DATASTOREREADY'],
  cell(r, col) {
    const s = (r.spec ?? {}) as Record<string, unknown>
    const v = {NAME: r.metadata.name, CLUSTERGUID: s.clusterGUID, CLUSTERTYPE: s.clusterType, CALICOVERSION: s.calicoVersion, DATASTOREREADY: s.datastoreReady}[col]
    return v === undefined ? '' : String(v)
  },
  readOnly: 'resource is readonly',
}
