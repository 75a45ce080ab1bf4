import type {FieldError} from '../errors.js'
import {strList, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'
import {checkCidr, parseNet} from '../validate.js'
import {fieldError} from '../errors.js'
import {NETS_CELL_WIDTH} from './globalnetworkset.js'
import {joinAndTruncate} from './policy-common.js'

const specFields: Fields = [['reservedCIDRs', strList]]

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
  validate(r) {
    const out: FieldError[] = []
    ;((r.spec?.reservedCIDRs as string[] | undefined) ?? []).forEach((c, i) => {
      if (!parseNet(c)) checkCidr(c, `spec.reservedCIDRs[${i}]`, out)
    })
    if (!r.spec?.reservedCIDRs?.length) out.push(fieldError('spec.reservedCIDRs', 'at least one CIDR is required'))
    return out
  },
}
