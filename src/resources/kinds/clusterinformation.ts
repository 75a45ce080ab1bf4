// ClusterInformation: written by the host agent (as calico-node does) and by calicoctl's own
// initialisation only; calicoctl refuses every user write to it, whatever the name
// (calicoctl/calicoctl/resourcemgr/{resourcemgr,clusterinfo}.go).
import {NotSupportedError} from '../errors.js'
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
  refuse(verb) {
    // The operation names are calicoctl's: its apply refuses first, with its own wording.
    if (verb === 'apply') return new NotSupportedError('apply', 'ClusterInformation', 'resource is readonly')
    return new NotSupportedError({create: 'create or apply', update: 'apply or replace', delete: 'delete'}[verb], 'ClusterInformation')
  },
}
