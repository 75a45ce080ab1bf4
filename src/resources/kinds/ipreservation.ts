import {fieldError} from '../errors.js'
import {pushing, type RuleRow, tableValidator} from '../rule-table.js'
import {type Fields, strList} from '../schema.js'
import type {KindDef} from '../types.js'
import {checkCidr, parseNet} from '../validate.js'
import {NETS_CELL_WIDTH} from './globalnetworkset.js'
import {joinAndTruncate} from './policy-common.js'

const specFields: Fields = [['reservedCIDRs', strList]]

/** IPReservation's rules (api/pkg/apis/projectcalico/v3/ipreservation.go tags). */
export const RULES: readonly RuleRow[] = [
  {field: 'spec.reservedCIDRs[*]', rule: 'a CIDR or IP address', source: 'api/pkg/apis/projectcalico/v3/ipreservation.go reservedCIDRs (validate:"dive,cidrorip")', check: pushing((v, f, out) => (typeof v === 'string' && parseNet(v) ? undefined : checkCidr(v, f, out)))},
  {field: 'spec.reservedCIDRs', rule: 'at least one', source: 'api/pkg/apis/projectcalico/v3/ipreservation.go reservedCIDRs (validate:"required")', absent: true, check: (v) => (!Array.isArray(v) || v.length === 0 ? [fieldError('spec.reservedCIDRs', 'at least one CIDR is required')] : undefined)},
]

export const IPReservation: KindDef = {
  kind: 'IPReservation',
  plural: 'ipreservations',
  aliases: ['ipreservation', 'ipreservations', 'reservation', 'reservations'],
  namespaced: false,
  specFields,
  columns: ['NAME', 'CIDRS'],
  wideColumns: ['NAME', 'CIDRS'],
  cell(r, col) {
    // calicoctl cuts the CIDRS cell at 80 characters, as NETS of network sets.
    return col === 'NAME' ? r.metadata.name : col === 'CIDRS' ? joinAndTruncate(r.spec?.reservedCIDRs as string[] | undefined, ',', NETS_CELL_WIDTH) : ''
  },
  rules: RULES,
  validate: tableValidator(RULES),
}
