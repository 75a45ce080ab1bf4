// BGPFilter: import and export rules for BGP peers (named by BGPPeer spec.filters). Every
// v3.32.1 field from upstream's API (../upstream.ts); the validator's checks on top
// (libcalico-go/lib/validator/v3/validator.go validateBGPFilterRule, validateBGPFilterOperation,
// and the tags of api/pkg/apis/projectcalico/v3/bgpfilter.go). On a host the BIRD part renders
// them (src/dataplane/bird).
import {type FieldError, fieldError} from '../errors.js'
import type {KindDef, Resource} from '../types.js'
import {fieldsFromUpstream, normalizeGoValues, upstreamSchema} from '../upstream.js'
import {checkAsNumber, parseNet} from '../validate.js'

const upstream = upstreamSchema('BGPFilter')!.spec!
const INTERFACE = /^[a-zA-Z0-9_.*-]{1,15}$/

/** One rule as stored (BGPFilterRuleV4/V6); the BIRD model reads the same shape. */
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
type Rule = BGPFilterRule

const LISTS = [
  ['exportV4', 4],
  ['importV4', 4],
  ['exportV6', 6],
  ['importV6', 6],
] as const

function ruleProblems(rule: Rule, family: 4 | 6, path: string, out: FieldError[]): void {
  if (!rule || typeof rule !== 'object') return
  if (rule.cidr) {
    const p = parseNet(rule.cidr)
    if (!p || p.family !== family) out.push(fieldError(`${path}.cidr`, `must be an IPv${family} network`, rule.cidr))
    else if (!p.masked) out.push(fieldError(`${path}.cidr`, `has host bits set (did you mean ${p.text}?)`, rule.cidr))
  }
  if (rule.cidr && !rule.matchOperator) out.push(fieldError(`${path}.matchOperator`, 'MatchOperator cannot be empty when CIDR is not'))
  if (!rule.cidr && rule.matchOperator) out.push(fieldError(`${path}.cidr`, 'CIDR cannot be empty when MatchOperator is not'))
  if (!rule.cidr && rule.prefixLength) out.push(fieldError(`${path}.cidr`, 'CIDR cannot be empty when PrefixLength is not'))
  if (rule.interface && rule.interface !== '*' && !INTERFACE.test(rule.interface))
    out.push(fieldError(`${path}.interface`, 'must be an interface name or pattern (letters, digits, _ . * -) of at most 15 characters', rule.interface))
  ;(rule.asPathPrefix ?? []).forEach((a, i) => checkAsNumber(a, `${path}.asPathPrefix[${i}]`, out))
  ;(rule.operations ?? []).forEach((op, i) => {
    const set = (['addCommunity', 'prependASPath', 'setPriority'] as const).filter((k) => op && op[k] !== undefined && op[k] !== null)
    if (set.length !== 1) out.push(fieldError(`${path}.operations[${i}]`, 'exactly one operation must be set'))
    const prefix = op?.prependASPath?.prefix
    ;(prefix ?? []).forEach((a, j) => checkAsNumber(a, `${path}.operations[${i}].prependASPath.prefix[${j}]`, out))
  })
}

export const BGPFilter: KindDef = {
  kind: 'BGPFilter',
  plural: 'bgpfilters',
  aliases: ['bgpfilter', 'bgpfilters', 'bgpf', 'bgpfs', 'bf', 'bfs'],
  description:
    "Import and export rules for BGP routes, named by BGPPeer spec.filters. On a host, node apply and node run render each filter's IPv4 rules as BIRD functions called by the peers that name them: rules in order, the first match accepts or rejects, a route no rule matches goes on to the next filter and then to the default (import: accept; export: Calico's own rules). A change is applied with a BIRD configure; sessions stay up.",
  namespaced: false,
  specFields: fieldsFromUpstream(upstream),
  columns: ['NAME', 'NUMEXPORTV4', 'NUMIMPORTV4', 'NUMEXPORTV6', 'NUMIMPORTV6'],
  wideColumns: ['NAME', 'NUMEXPORTV4', 'NUMIMPORTV4', 'NUMEXPORTV6', 'NUMIMPORTV6'],
  cell(r, col) {
    if (col === 'NAME') return r.metadata.name
    const list = {NUMEXPORTV4: 'exportV4', NUMIMPORTV4: 'importV4', NUMEXPORTV6: 'exportV6', NUMIMPORTV6: 'importV6'}[col]
    const v = list ? (r.spec as Record<string, unknown> | undefined)?.[list] : undefined
    return list ? String(Array.isArray(v) ? v.length : 0) : ''
  },
  defaults(r: Resource) {
    normalizeGoValues(r.spec, upstream)
  },
  validate(r) {
    const out: FieldError[] = []
    const s = (r.spec ?? {}) as Record<string, Rule[] | undefined>
    for (const [list, family] of LISTS) (s[list] ?? []).forEach((rule, i) => ruleProblems(rule, family, `spec.${list}[${i}]`, out))
    return out
  },
}
