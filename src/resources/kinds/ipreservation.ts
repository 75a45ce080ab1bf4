import type {FieldError} from '../errors.js'
import {strList, type Fields} from '../schema.js'
import type {KindDef} from '../types.js'
import {checkCidr, parseNet} from '../validate.js'
import {fieldError} from '../errors.js'

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
    return col === 'NAME' ? r.metadata.name : col === 'CIDRS' ? ((r.spec?.reservedCIDRs as string[] | undefined) ?? []).join(',') : ''
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
