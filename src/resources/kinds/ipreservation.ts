import {strList, type Fields} from '../schema.js'
import {netFamily} from '../../lib/ip.js'
import {type KindDef, type Resource, specOf} from '../types.js'
import {checkCidr, parseNet} from '../validate.js'
import {NETS_CELL_WIDTH} from './globalnetworkset.js'
import {joinAndTruncate} from './policy-common.js'
import {pushing, type RuleRow, tableValidator} from '../rule-table.js'

const specFields: Fields = [['reservedCIDRs', strList]]

/** The IPv4 CIDRs the given IPReservations hold back from IPAM, all together. */
export function reservedIPv4Cidrs(reservations: readonly Resource[]): string[] {
  return reservations.flatMap((r) => (specOf<{reservedCIDRs?: string[]}>(r).reservedCIDRs ?? []).filter((c) => netFamily(c) === 4))
}

/**
 * IPReservation's rules (api/pkg/apis/projectcalico/v3/ipreservation.go tags). The list may be
 * empty: the tag is `cidrs,omitempty` and the CRD requires nothing.
 */
export const RULES: readonly RuleRow[] = [
  {field: 'spec.reservedCIDRs[*]', rule: 'a CIDR or IP address', source: 'api/pkg/apis/projectcalico/v3/ipreservation.go reservedCIDRs (validate:"cidrs,omitempty")', check: pushing((v, f, out) => (typeof v === 'string' && parseNet(v) ? undefined : checkCidr(v, f, out)))},
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
