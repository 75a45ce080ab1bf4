// BGPFilter: import and export rules for BGP peers (named by BGPPeer spec.filters). Every
// v3.32.1 field from upstream's API (../upstream.ts); the validator's checks on top
// (libcalico-go/lib/validator/v3/validator.go validateBGPFilterRule, validateBGPFilterOperation,
// and the tags of api/pkg/apis/projectcalico/v3/bgpfilter.go). On a host the BIRD part renders
// them (src/dataplane/bird).
import {fieldError} from '../errors.js'
import type {KindDef, Resource} from '../types.js'
import {fieldsFromUpstream, normalizeGoValues, upstreamSchema} from '../upstream.js'
import {checkAsNumber, parseNet} from '../validate.js'
import {type At, pushing, type RuleRow, tableValidator} from '../rule-table.js'

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

const V = 'libcalico-go/lib/validator/v3/validator.go'
const API = 'api/pkg/apis/projectcalico/v3/bgpfilter.go'
const RULES_AT = 'spec.{exportV4,importV4,exportV6,importV6}[*]'
const familyOf = (at: At): 4 | 6 => (at.path.includes('V6[') ? 6 : 4)
const rule = (at: At) => at.parent as Rule

/** BGPFilter's rules: validator.go validateBGPFilterRule(V4/V6) and validateBGPFilterOperation, and the tags of bgpfilter.go. */
export const RULES: readonly RuleRow[] = [
  {
    field: `${RULES_AT}.cidr`,
    rule: 'a network of the list family, without host bits',
    source: `${API} BGPFilterRuleV4/V6.CIDR (validate:"omitempty,netv4|netv6")`,
    check: (v, at) => {
      if (typeof v !== 'string' || v === '') return undefined
      const family = familyOf(at)
      const p = parseNet(v)
      return !p || p.family !== family ? `must be an IPv${family} network` : !p.masked ? `has host bits set (did you mean ${p.text}?)` : undefined
    },
  },
  {field: `${RULES_AT}.matchOperator`, rule: 'required with cidr', source: `${V} validateBGPFilterRuleV4/V6`, absent: true, check: (v, at) => (rule(at).cidr && !v ? [fieldError(at.path, 'MatchOperator cannot be empty when CIDR is not')] : undefined)},
  {field: `${RULES_AT}.cidr`, rule: 'required with matchOperator', source: `${V} validateBGPFilterRuleV4/V6`, absent: true, check: (v, at) => (!v && rule(at).matchOperator ? [fieldError(at.path, 'CIDR cannot be empty when MatchOperator is not')] : undefined)},
  {field: `${RULES_AT}.cidr`, rule: 'required with prefixLength', source: `${V} validateBGPFilterRuleV4/V6`, absent: true, check: (v, at) => (!v && rule(at).prefixLength ? [fieldError(at.path, 'CIDR cannot be empty when PrefixLength is not')] : undefined)},
  {
    field: `${RULES_AT}.interface`,
    rule: 'an interface name or pattern',
    source: `${API} interface (validate:"omitempty,bgpFilterInterface")`,
    check: (v) => (typeof v === 'string' && v && v !== '*' && !INTERFACE.test(v) ? 'must be an interface name or pattern (letters, digits, _ . * -) of at most 15 characters' : undefined),
  },
  {field: `${RULES_AT}.asPathPrefix[*]`, rule: 'AS numbers', source: `${API} asPathPrefix (numorstring.ASNumber)`, check: pushing(checkAsNumber)},
  {
    field: `${RULES_AT}.operations[*]`,
    rule: 'exactly one operation',
    source: `${V} validateBGPFilterOperation`,
    check: (op) => ((['addCommunity', 'prependASPath', 'setPriority'] as const).filter((k) => op && (op as Record<string, unknown>)[k] !== undefined && (op as Record<string, unknown>)[k] !== null).length !== 1 ? 'exactly one operation must be set' : undefined),
  },
  {field: `${RULES_AT}.operations[*].prependASPath.prefix[*]`, rule: 'AS numbers', source: `${API} BGPFilterPrependASPath.Prefix (numorstring.ASNumber)`, check: pushing(checkAsNumber)},
]

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
  rules: RULES,
  validate: tableValidator(RULES),
}
