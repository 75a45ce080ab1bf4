// NetworkSet: the namespaced form of GlobalNetworkSet.
import {strList} from '../schema.js'
import type {KindDef} from '../types.js'
import {NET_SET_RULES, netSetCell, validateNets} from './globalnetworkset.js'

export const NetworkSet: KindDef = {
  kind: 'NetworkSet',
  plural: 'networksets',
  aliases: ['networkset', 'networksets', 'netsets'],
  namespaced: true,
  specFields: [['nets', strList]],
  columns: ['NAME'],
  wideColumns: ['NAME', 'NETS'],
  cell: netSetCell,
  rules: NET_SET_RULES,
  validate: validateNets,
}
