// GlobalNetworkSet and NetworkSet: labelled lists of CIDRs that selectors can match.
import {fieldError} from '../errors.js'
import {strList, type Fields} from '../schema.js'
import type {KindDef, Resource} from '../types.js'
import {parseNet} from '../validate.js'
import {joinAndTruncate} from './policy-common.js'
import {type RuleRow, tableValidator} from '../rule-table.js'

const specFields: Fields = [['nets', strList]]
const RESERVED_NAMESPACE_LABEL = 'projectcalico.org/namespace'

/** calicoctl truncates the NETS cell at 80 characters. */
export const NETS_CELL_WIDTH = 80

export function netSetCell(r: Resource, col: string): string {
  if (col === 'NAME') return r.metadata.name
  if (col === 'NETS') return joinAndTruncate((r.spec as {nets?: string[]} | undefined)?.nets, ',', NETS_CELL_WIDTH)
  return ''
}

/** GlobalNetworkSet's and NetworkSet's rules (validator.go validateGlobalNetworkSet, validateNetworkSet; networkset.go tags). */
export const NET_SET_RULES: readonly RuleRow[] = [
  {field: 'spec.nets[*]', rule: 'an IP address or CIDR', source: 'api/pkg/apis/projectcalico/v3/globalnetworkset.go nets (validate:"omitempty,dive,cidr")', check: (v) => (typeof v !== 'string' || !parseNet(v) ? 'must be a valid IP address or CIDR' : undefined)},
  {
    field: 'metadata.labels.*',
    rule: `no ${RESERVED_NAMESPACE_LABEL} label`,
    source: 'libcalico-go/lib/validator/v3/validator.go validateGlobalNetworkSet, validateNetworkSet',
    check: (_v, at) => (at.path === `metadata.labels.${RESERVED_NAMESPACE_LABEL}` ? [fieldError(at.path, `${RESERVED_NAMESPACE_LABEL} is not a valid label name`)] : undefined),
  },
]

export const validateNets = tableValidator(NET_SET_RULES)

export const GlobalNetworkSet: KindDef = {
  kind: 'GlobalNetworkSet',
  plural: 'globalnetworksets',
  aliases: ['globalnetworkset', 'globalnetworksets', 'gnetsets'],
  namespaced: false,
  specFields,
  columns: ['NAME'],
  wideColumns: ['NAME', 'NETS'],
  cell: netSetCell,
  rules: NET_SET_RULES,
  validate: validateNets,
}
