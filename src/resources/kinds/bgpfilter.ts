// BGPFilter: ordered import/export rules for BGP routes, per address family, attached to peers by
// BGPPeer spec.filters. Schema from api/pkg/apis/projectcalico/v3/bgpfilter.go (v3.32.1), checks
// from libcalico-go/lib/validator/v3/validator.go (validateBGPFilterRule, netv4/netv6,
// bgpFilterInterface, validateBGPFilterOperation).
import {type FieldError, fieldError} from '../errors.js'
import type {Fields} from '../schema.js'
import {fieldsFromUpstream, type UpstreamSchema, upstreamSchema} from '../upstream.js'
import type {KindDef, Resource} from '../types.js'
import {checkAsNumber, parseAsNumber, parseNet} from '../validate.js'

export interface BGPFilterRule {
  cidr?: string
  prefixLength?: {min?: number; max?: number}
  source?: string
  interface?: string
  matchOperator?: string
  peerType?: string
  communities?: {values?: string[]}
  asPathPrefix?: Array<string | number>
  priority?: number
  action?: string
  operations?: Array<{addCommunity?: {value?: string}; prependASPath?: {prefix?: Array<string | number>}; setPriority?: {value?: number}}>
}

export interface BGPFilterSpec {
  exportV4?: BGPFilterRule[]
  importV4?: BGPFilterRule[]
  exportV6?: BGPFilterRule[]
  importV6?: BGPFilterRule[]
}

export const BGP_FILTER_DIRECTIONS = ['exportV4', 'importV4', 'exportV6', 'importV6'] as const

const upstream = upstreamSchema('BGPFilter')!.spec!

// numorstring.ASNumber decodes numbers and dotted strings ("1.10") and holds 32 bits; the CRD
// says int32. calicoctl validates with the Go types, so the wider form is what it accepts.
function widenAsNumbers(s: UpstreamSchema): void {
  for (const [k, v] of s.props ?? []) {
    if ((k === 'asPathPrefix' || k === 'prefix') && v.t === 'array' && v.items) v.items = {t: 'intOrString'}
    if (v.items) widenAsNumbers(v.items)
    widenAsNumbers(v)
  }
}
widenAsNumbers(upstream)

const specFields: Fields = fieldsFromUpstream(upstream)

const INTERFACE = /^[a-zA-Z0-9_.*-]{1,15}$/

function checkRule(rule: BGPFilterRule, family: 4 | 6, path: string, out: FieldError[]): void {
  if (rule.cidr) {
    const p = parseNet(rule.cidr)
    if (!p || p.family !== family || !p.masked) out.push(fieldError(`${path}.cidr`, `must be a valid, strictly masked IPv${family} network`, rule.cidr))
  }
  if (rule.cidr && !rule.matchOperator) out.push(fieldError(`${path}.cidr`, 'MatchOperator cannot be empty when CIDR is not', rule.cidr))
  if (!rule.cidr && rule.matchOperator) out.push(fieldError(`${path}.matchOperator`, 'CIDR cannot be empty when MatchOperator is not', rule.matchOperator))
  if (!rule.cidr && rule.prefixLength) out.push(fieldError(`${path}.prefixLength`, 'CIDR cannot be empty when PrefixLength is not'))
  if (rule.interface && rule.interface !== '*' && !INTERFACE.test(rule.interface))
    out.push(fieldError(`${path}.interface`, 'must be 1-15 characters of letters, digits, _ . * or -', rule.interface))
  if (!rule.action) out.push(fieldError(`${path}.action`, 'is required'))
  ;(rule.asPathPrefix ?? []).forEach((a, i) => checkAsNumber(a, `${path}.asPathPrefix[${i}]`, out))
  ;(rule.operations ?? []).forEach((op, i) => {
    const set = [op.addCommunity, op.prependASPath, op.setPriority].filter((x) => x !== undefined && x !== null).length
    if (set !== 1) out.push(fieldError(`${path}.operations[${i}]`, 'exactly one operation must be set'))
    ;(op.prependASPath?.prefix ?? []).forEach((a, j) => checkAsNumber(a, `${path}.operations[${i}].prependASPath.prefix[${j}]`, out))
  })
  if ((rule.operations?.length ?? 0) > 0 && rule.action !== 'Accept')
    out.push(fieldError(`${path}.operations`, 'operations may only be used with action Accept'))
}

const countCell = (r: Resource, dir: (typeof BGP_FILTER_DIRECTIONS)[number]) => String(((r.spec as BGPFilterSpec | undefined)?.[dir] ?? []).length)

export const BGPFilter: KindDef = {
  kind: 'BGPFilter',
  plural: 'bgpfilters',
  aliases: ['bgpfilter', 'bgpfilters', 'bgpf', 'bgpfs', 'bf', 'bfs'],
  description:
    "Import and export rules for BGP routes, named by BGPPeer spec.filters. On a host, node apply and node run render each filter's IPv4 rules as BIRD functions called by the peers that name them: rules in order, the first match accepts or rejects, a route no rule matches goes on to the next filter and then to the default (import: accept; export: Calico's own rules). A change is applied with a BIRD configure; sessions stay up.",
  namespaced: false,
  specFields,
  columns: ['NAME', 'NUMEXPORTV4', 'NUMIMPORTV4', 'NUMEXPORTV6', 'NUMIMPORTV6'],
  wideColumns: ['NAME', 'NUMEXPORTV4', 'NUMIMPORTV4', 'NUMEXPORTV6', 'NUMIMPORTV6'],
  cell(r, col) {
    switch (col) {
      case 'NAME':
        return r.metadata.name
      case 'NUMEXPORTV4':
        return countCell(r, 'exportV4')
      case 'NUMIMPORTV4':
        return countCell(r, 'importV4')
      case 'NUMEXPORTV6':
        return countCell(r, 'exportV6')
      case 'NUMIMPORTV6':
        return countCell(r, 'importV6')
      default:
        return ''
    }
  },
  // numorstring.ASNumber is a uint32 without a MarshalJSON: "1.10" is read and written as 65546.
  defaults(r) {
    const s = (r.spec ?? {}) as BGPFilterSpec
    const asNumbers = (list: unknown) => (Array.isArray(list) ? list.map((a) => parseAsNumber(a) ?? a) : list)
    for (const dir of BGP_FILTER_DIRECTIONS)
      for (const rule of s[dir] ?? []) {
        if (!rule || typeof rule !== 'object') continue
        if (rule.asPathPrefix) rule.asPathPrefix = asNumbers(rule.asPathPrefix) as BGPFilterRule['asPathPrefix']
        for (const op of rule.operations ?? []) if (op?.prependASPath?.prefix) op.prependASPath.prefix = asNumbers(op.prependASPath.prefix) as Array<string | number>
      }
  },
  validate(r) {
    const s = (r.spec ?? {}) as BGPFilterSpec
    const out: FieldError[] = []
    for (const dir of BGP_FILTER_DIRECTIONS) {
      const family = dir.endsWith('V4') ? 4 : 6
      ;(s[dir] ?? []).forEach((rule, i) => {
        if (rule && typeof rule === 'object') checkRule(rule, family, `spec.${dir}[${i}]`, out)
      })
    }
    return out
  },
}
