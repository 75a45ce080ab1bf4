// GlobalNetworkSet and NetworkSet: labelled lists of CIDRs that selectors can match.
import {type FieldError, fieldError} from '../errors.js'
import {strList, type Fields} from '../schema.js'
import type {KindDef, Resource} from '../types.js'
import {parseNet} from '../validate.js'
import {joinAndTruncate} from './policy-common.js'

const specFields: Fields = [['nets', strList]]
const RESERVED_NAMESPACE_LABEL = 'projectcalico.org/namespace'

/** calicoctl truncates the NETS cell at 80 characters. */
export const NETS_CELL_WIDTH = 80

export function netSetCell(r: Resource, col: string): string {
  if (col === 'NAME') return r.metadata.name
  if (col === 'NETS') return joinAndTruncate((r.spec as {nets?: string[]} | undefined)?.nets, ',', NETS_CELL_WIDTH)
  return ''
}

export function validateNets(r: Resource): FieldError[] {
  const nets = (r.spec as {nets?: unknown[]} | undefined)?.nets ?? []
  const out: FieldError[] = []
  nets.forEach((n, i) => {
    if (typeof n !== 'string' || !parseNet(n)) out.push(fieldError(`spec.nets[${i}]`, 'must be a valid IP address or CIDR', n))
  })
  // validator.go validateNetworkSet / validateGlobalNetworkSet: a label kept for Calico's own use.
  if (Object.hasOwn(r.metadata.labels ?? {}, RESERVED_NAMESPACE_LABEL))
    out.push(fieldError(`metadata.labels.${RESERVED_NAMESPACE_LABEL}`, `${RESERVED_NAMESPACE_LABEL} is not a valid label name`))
  return out
}

export const GlobalNetworkSet: KindDef = {
  kind: 'GlobalNetworkSet',
  plural: 'globalnetworksets',
  aliases: ['globalnetworkset', 'globalnetworksets', 'gnetsets'],
  namespaced: false,
  specFields,
  columns: ['NAME'],
  wideColumns: ['NAME', 'NETS'],
  cell: netSetCell,
  validate: validateNets,
}
