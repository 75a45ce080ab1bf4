// Validation of policy rules (Rule / EntityRule) with every cross-field check Calico enforces,
// plus the port and protocol parsing the iptables renderer shares. Input is whatever the
// manifest held (unknown), so every field's type is checked too, and unknown fields are errors.

import {parseNet as parseCidrOrIP} from '../lib/ip.js'
import {isObject} from '../lib/objects.js'
import {type FieldError, fieldError} from './errors.js'
import type {PolicyType, Protocol} from './policy-types.js'
import {validateSelector} from './selector.js'
import {checkAnnotations} from './validate.js'
import {type At, applyRules, collect, type RuleRow, type RuleTable, under} from './rule-table.js'
import type {Resource} from './types.js'

/** Tiers Calico creates itself (kinds/tier.ts STATIC_TIERS), which always exist. */
const STATIC_TIER_NAMES = {default: true, 'kube-admin': true, 'kube-baseline': true}

export type Direction = 'ingress' | 'egress'

export interface RuleOptions {
  direction: Direction
  /** GlobalNetworkPolicy rules: a Services match must name its namespace. */
  globalPolicy?: boolean
}

export interface EntityRuleOptions extends RuleOptions {
  side: 'source' | 'destination'
}

// Calico's own wording, kept so that scripts grepping for it keep working.
export const MSG_PORTS_NEED_PROTOCOL = 'rules that specify ports must set protocol to TCP or UDP or SCTP'
export const MSG_NUMERIC_PORTS_NEED_PROTOCOL =
  'rules with numeric port or port range must set protocol to TCP or UDP or SCTP'
export const MSG_ICMP_NEEDS_PROTOCOL = 'rules that specify ICMP fields must set protocol to ICMP'
export const MSG_HTTP_NEEDS_TCP = 'rules that specify HTTP fields must set protocol to TCP or empty'

const ACTIONS = ['Allow', 'Deny', 'Log', 'Pass'] as const

const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  TCP: 6,
  UDP: 17,
  ICMP: 1,
  ICMPv6: 58,
  SCTP: 132,
  UDPLite: 136,
}
const TCP = 6
const ICMP = 1
const ICMPV6 = 58
const PORT_PROTOCOLS = new Set([6, 17, 132]) // TCP, UDP, SCTP

const MAX_NETS = 256
const MAX_PORTS = 50
const MAX_SELECTOR_LENGTH = 1024
const MAX_HTTP_ITEMS = 20

// ---------------------------------------------------------------------------------------------
// Small helpers

type Obj = Record<string, unknown>

/** Reports keys outside `allowed` (strict parsing) and returns whether `v` was an object at all. */
function checkObject(v: unknown, allowed: readonly string[], path: string, errors: FieldError[]): v is Obj {
  if (!isObject(v)) {
    errors.push(fieldError(path, 'must be an object', v))
    return false
  }
  for (const key of Object.keys(v)) {
    if (!allowed.includes(key)) errors.push(fieldError(`${path}.${key}`, 'field is not recognised'))
  }
  return true
}

function isNonEmptyList(v: unknown): v is unknown[] {
  return Array.isArray(v) && v.length > 0
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== ''
}

// ---------------------------------------------------------------------------------------------
// Protocols

/** The protocol's number, or an error reason. Names are case-sensitive; "6" counts as 6, as in Calico. */
function resolveProtocol(p: unknown): number | {error: string} {
  if (typeof p === 'number') {
    return Number.isInteger(p) && p >= 1 && p <= 255 ? p : {error: 'protocol number invalid'}
  }
  if (typeof p === 'string') {
    if (/^\d+$/.test(p) && Number(p) <= 255) {
      const n = Number(p)
      return n === 0 ? {error: 'protocol number invalid'} : n
    }
    const n = PROTOCOL_NUMBERS[p]
    if (n !== undefined) return n
    return {error: `protocol name invalid (use ${Object.keys(PROTOCOL_NUMBERS).join(', ')} or a number 1-255)`}
  }
  return {error: 'protocol must be a name or a number'}
}

/** The IP protocol number for a valid protocol (TCP=6, UDP=17, ICMP=1, ICMPv6=58, SCTP=132, UDPLite=136). */
export function protocolNumber(p: Protocol): number {
  const n = resolveProtocol(p)
  if (typeof n !== 'number') throw new Error(`${n.error}: ${JSON.stringify(p)}`)
  return n
}

/** Whether the protocol has ports (TCP, UDP, SCTP). */
export function protocolSupportsPorts(p: Protocol): boolean {
  const n = resolveProtocol(p)
  return typeof n === 'number' && PORT_PROTOCOLS.has(n)
}

export function validateProtocol(p: unknown, field: string): FieldError[] {
  const n = resolveProtocol(p)
  return typeof n === 'number' ? [] : [fieldError(field, n.error, p)]
}

// ---------------------------------------------------------------------------------------------
// Ports

export type PortRange = {min: number; max: number}
export type NamedPort = {name: string}

export class PortError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PortError'
  }
}

// Calico's unmarshal rule for names, then Kubernetes' IANA service name rule it validates with.
const PORT_NAME_CHARS = /^[a-zA-Z0-9_.-]{1,128}$/
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/

function checkPortNumber(n: number, what: string, text: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new PortError(`invalid ${what} (${text})`)
  if (n === 0) throw new PortError('port range invalid, port number must be between 1 and 65535')
  return n
}

/**
 * A port as written in a rule: a number, a "min:max" range (min <= max), or a named port.
 * Throws PortError with Calico's reason when invalid.
 */
export function parsePort(p: unknown): PortRange | NamedPort {
  if (typeof p === 'number') {
    const n = checkPortNumber(p, 'port number', String(p))
    return {min: n, max: n}
  }
  if (typeof p !== 'string') throw new PortError('port must be a number or a string')
  if (/^\d+$/.test(p)) {
    const n = checkPortNumber(Number(p), 'port format', p)
    return {min: n, max: n}
  }
  const range = /^(\d+):(\d+)$/.exec(p)
  if (range) {
    const min = checkPortNumber(Number(range[1]), 'minimum port number in range', p)
    const max = checkPortNumber(Number(range[2]), 'maximum port number in range', p)
    if (min > max) {
      throw new PortError(
        `minimum port number (${min}) is greater than maximum port number (${max}) in port range`,
      )
    }
    return {min, max}
  }
  if (!PORT_NAME_CHARS.test(p)) throw new PortError(`invalid name for named port (${p})`)
  if (p.length > 15 || !IANA_SVC_NAME.test(p) || p.includes('--') || !/[a-z]/.test(p)) {
    throw new PortError(
      `invalid name for named port (${p}): at most 15 lower-case letters, digits and non-adjacent '-', with at least one letter`,
    )
  }
  return {name: p}
}

function isNumericPort(p: unknown): boolean {
  try {
    return !('name' in parsePort(p))
  } catch {
    return false // already reported where the port was parsed
  }
}

// ---------------------------------------------------------------------------------------------
// Networks

type ParsedNet = {family: 4 | 6; prefix: number}

/** A CIDR or a bare IP (a full-length prefix); the host bits must be zero (validator.go's `net` tag, validateIPNetwork). */
function parseNet(text: string): ParsedNet | {error: string} {
  const p = parseCidrOrIP(text)
  if (!p) return {error: 'invalid CIDR'}
  if (!p.masked) return {error: `invalid CIDR: host bits are set (did you mean ${p.text}?)`}
  return {family: p.family, prefix: p.prefix}
}

function netFamily(v: unknown): 4 | 6 | undefined {
  if (typeof v !== 'string') return undefined
  const n = parseNet(v)
  return 'error' in n ? undefined : n.family
}

// ---------------------------------------------------------------------------------------------
// EntityRule

const ENTITY_FIELDS = [
  'nets',
  'selector',
  'namespaceSelector',
  'services',
  'ports',
  'notNets',
  'notSelector',
  'notPorts',
  'serviceAccounts',
] as const

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

function checkDnsName(v: unknown, field: string, errors: FieldError[]): void {
  if (typeof v !== 'string') errors.push(fieldError(field, 'must be a string', v))
  else if (v.length > 253) errors.push(fieldError(field, `name is too long by ${v.length - 253} bytes`, v))
  else if (!DNS1123_SUBDOMAIN.test(v)) {
    errors.push(fieldError(field, "name must consist of lower case alphanumeric characters, '-' or '.'", v))
  }
}

function checkSelectorField(v: unknown, field: string, allowGlobal: boolean, errors: FieldError[]): void {
  if (typeof v === 'string' && v.length > MAX_SELECTOR_LENGTH) {
    errors.push(fieldError(field, `selector is longer than ${MAX_SELECTOR_LENGTH} characters`, v))
    return
  }
  errors.push(...validateSelector(v, field, {allowGlobal}))
}

function checkNets(v: unknown, field: string, negated: boolean, errors: FieldError[]): void {
  if (v === undefined) return
  if (!Array.isArray(v)) {
    errors.push(fieldError(field, 'must be a list of CIDRs', v))
    return
  }
  if (v.length > MAX_NETS) errors.push(fieldError(field, `must have at most ${MAX_NETS} items`))
  v.forEach((n, i) => {
    const reason = netProblem(n, negated)
    if (reason) errors.push(fieldError(`${field}[${i}]`, reason, n))
  })
}

function netProblem(n: unknown, negated: boolean): string | undefined {
  if (typeof n !== 'string') return 'must be a string'
  const parsed = parseNet(n)
  if ('error' in parsed) return parsed.error
  // "not anything" can never match.
  if (negated && parsed.prefix === 0) return 'catch-all CIDR in negation creates logical contradiction (matches no traffic)'
  return undefined
}

function checkPorts(v: unknown, field: string, errors: FieldError[]): void {
  if (v === undefined) return
  if (!Array.isArray(v)) {
    errors.push(fieldError(field, 'must be a list of ports', v))
    return
  }
  if (v.length > MAX_PORTS) errors.push(fieldError(field, `must have at most ${MAX_PORTS} items`))
  v.forEach((p, i) => {
    try {
      parsePort(p)
    } catch (e) {
      if (!(e instanceof PortError)) throw e
      errors.push(fieldError(`${field}[${i}]`, e.message, p))
    }
  })
}

function checkServiceAccounts(v: unknown, path: string, errors: FieldError[]): void {
  if (v === undefined || !checkObject(v, ['names', 'selector'], path, errors)) return
  if (v.names !== undefined) {
    if (!Array.isArray(v.names)) errors.push(fieldError(`${path}.names`, 'must be a list of names', v.names))
    else {
      v.names.forEach((n, i) => {
        if (!isNonEmptyString(n)) errors.push(fieldError(`${path}.names[${i}]`, 'must be a non-empty string', n))
      })
    }
  }
  checkSelectorField(v.selector, `${path}.selector`, false, errors)
}

function checkServices(entity: Obj, path: string, opts: EntityRuleOptions, errors: FieldError[]): void {
  const services = entity.services
  const field = `${path}.services`
  if (services === undefined || !checkObject(services, ['name', 'namespace'], field, errors)) return

  if (!isNonEmptyString(services.name)) errors.push(fieldError(`${field}.name`, 'services must specify a service name'))
  else checkDnsName(services.name, `${field}.name`, errors)
  if (services.namespace !== undefined && services.namespace !== '') {
    checkDnsName(services.namespace, `${field}.namespace`, errors)
  } else if (opts.globalPolicy) {
    errors.push(fieldError(`${field}.namespace`, 'must specify a namespace'))
  }

  // A service stands for its endpoints' addresses and ports, so other address matches conflict.
  if (isNonEmptyString(entity.namespaceSelector)) {
    errors.push(fieldError(field, 'cannot specify NamespaceSelector and Services on the same rule'))
  }
  if (isNonEmptyString(entity.selector) || isNonEmptyString(entity.notSelector)) {
    errors.push(fieldError(field, 'cannot specify Selector/NotSelector and Services on the same rule'))
  }
  if (entity.serviceAccounts !== undefined) {
    errors.push(fieldError(field, 'cannot specify ServiceAccounts and Services on the same rule'))
  }
  if (isNonEmptyList(entity.nets) || isNonEmptyList(entity.notNets)) {
    errors.push(fieldError(field, 'cannot specify Nets/NotNets and Services on the same rule'))
  }
  if (opts.side === 'source' && opts.direction === 'egress') {
    errors.push(fieldError(field, 'not allowed in egress rule source'))
  }
  if (opts.side === 'destination' && opts.direction === 'ingress') {
    errors.push(fieldError(field, 'not allowed in ingress rule destination'))
  }
  if (opts.side === 'destination') {
    if (isNonEmptyList(entity.ports)) {
      errors.push(fieldError(`${path}.ports`, 'cannot specify ports with a service selector'))
    }
    if (isNonEmptyList(entity.notPorts)) {
      errors.push(fieldError(`${path}.notPorts`, 'cannot specify notports with a service selector'))
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rule

const RULE_FIELDS = [
  'metadata',
  'action',
  'ipVersion',
  'protocol',
  'icmp',
  'notProtocol',
  'notICMP',
  'source',
  'destination',
  'http',
] as const

function checkIcmpFields(v: unknown, path: string, errors: FieldError[]): void {
  if (!checkObject(v, ['type', 'code'], path, errors)) return
  const inRange = (n: unknown, max: number) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max
  if (v.type !== undefined && !inRange(v.type, 254)) {
    errors.push(fieldError(`${path}.type`, 'ICMP type must be an integer between 0 and 254', v.type))
  }
  if (v.code !== undefined && !inRange(v.code, 255)) {
    errors.push(fieldError(`${path}.code`, 'ICMP code must be an integer between 0 and 255', v.code))
  }
  // The kernel's icmp match cannot take a code without a type.
  if (v.code !== undefined && v.type === undefined) {
    errors.push(fieldError(`${path}.code`, 'ICMP code specified without an ICMP type'))
  }
}

function checkHttp(v: unknown, path: string, errors: FieldError[]): void {
  if (!checkObject(v, ['methods', 'paths'], path, errors)) return
  if (v.methods !== undefined) {
    const field = `${path}.methods`
    if (!Array.isArray(v.methods) || !v.methods.every((m) => typeof m === 'string')) {
      errors.push(fieldError(field, 'must be a list of strings', v.methods))
    } else {
      if (v.methods.length > MAX_HTTP_ITEMS) errors.push(fieldError(field, `must have at most ${MAX_HTTP_ITEMS} items`))
      if (new Set(v.methods).size !== v.methods.length) {
        errors.push(fieldError(field, `Invalid methods (duplicates): [${v.methods.join(' ')}]`))
      }
    }
  }
  if (v.paths !== undefined) {
    const field = `${path}.paths`
    if (!Array.isArray(v.paths)) {
      errors.push(fieldError(field, 'must be a list', v.paths))
      return
    }
    if (v.paths.length > MAX_HTTP_ITEMS) errors.push(fieldError(field, `must have at most ${MAX_HTTP_ITEMS} items`))
    v.paths.forEach((p, i) => {
      const f = `${field}[${i}]`
      if (!checkObject(p, ['exact', 'prefix'], f, errors)) return
      const reason = httpPathProblem(p)
      if (reason) errors.push(fieldError(f, reason))
    })
  }
}

function httpPathProblem(p: Obj): string | undefined {
  const exact = p.exact ?? ''
  const prefix = p.prefix ?? ''
  if (typeof exact !== 'string' || typeof prefix !== 'string') return 'exact and prefix must be strings'
  if (exact !== '' && prefix !== '') return "Invalid path match. Both 'exact' and 'prefix' are set"
  const value = exact || prefix
  if (value === '') return "Invalid path match. Either 'exact' or 'prefix' must be set"
  // RFC 3986: a path starts with "/" and holds no query, fragment or space.
  if (!value.startsWith('/') || /[? #]/.test(value)) {
    return `Invalid path ${value}. (must start with \`/\` and not contain \`?\` or \`#\`)`
  }
  return undefined
}

function checkMetadata(v: unknown, path: string, errors: FieldError[]): void {
  if (!checkObject(v, ['annotations'], path, errors) || v.annotations === undefined) return
  const field = `${path}.annotations`
  if (!isObject(v.annotations)) {
    errors.push(fieldError(field, 'must be a map of strings', v.annotations))
    return
  }
  for (const [k, val] of Object.entries(v.annotations)) {
    if (typeof val !== 'string') errors.push(fieldError(`${field}.${k}`, 'must be a string', val))
  }
  checkAnnotations(v.annotations, field, errors)
}

// ---------------------------------------------------------------------------------------------
// Policy types

/**
 * Calico's defaulting of `types`: the given types when set, otherwise [Ingress] when there are
 * no egress rules, [Egress] when there are only egress rules, and both when there are both.
 */
export function inferPolicyTypes(spec: {
  ingress?: readonly unknown[]
  egress?: readonly unknown[]
  types?: readonly PolicyType[]
}): PolicyType[] {
  if (spec.types && spec.types.length > 0) return [...spec.types]
  const hasEgress = (spec.egress?.length ?? 0) > 0
  const hasIngress = (spec.ingress?.length ?? 0) > 0
  if (!hasEgress) return ['Ingress']
  return hasIngress ? ['Ingress', 'Egress'] : ['Egress']
}

/** Checks a policy's `types`: each Ingress or Egress, none repeated. */
export function validatePolicyTypes(types: unknown, field: string): FieldError[] {
  if (types === undefined || types === null) return []
  if (!Array.isArray(types)) return [fieldError(field, 'must be a list of policy types', types)]
  const errors: FieldError[] = []
  const seen = new Set<unknown>()
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errors.push(fieldError(`${field}[${i}]`, 'type must be Ingress or Egress', t))
    else if (seen.has(t)) errors.push(fieldError(field, `'${t}' type specified more than once`))
    seen.add(t)
  })
  return errors
}

// ---------------------------------------------------------------------------------------------
// The tables. Field paths from the resource's root; a row learns the rule's direction and the
// entity's side from its path, and whether the policy is global from the resource's kind.

const V = 'libcalico-go/lib/validator/v3/validator.go'
const API = (file: string) => `api/pkg/apis/projectcalico/v3/${file}.go`
const RULE_AT = 'spec.{ingress,egress}[*]'
const ENTITY_AT = `${RULE_AT}.{source,destination}`
const GLOBAL_KINDS = new Set(['GlobalNetworkPolicy', 'StagedGlobalNetworkPolicy'])

function directionOf(at: At): Direction {
  return /^spec\.egress\[/.test(at.path) ? 'egress' : 'ingress'
}

function entityOptions(at: At): EntityRuleOptions {
  const side = /^spec\.(?:ingress|egress)\[\d+\]\.destination/.test(at.path) ? 'destination' : 'source'
  return {direction: directionOf(at), side, globalPolicy: GLOBAL_KINDS.has(at.resource.kind)}
}

/** The rule a field of an entity belongs to. */
const ruleOfEntity = (at: At) => at.grandparent as Obj
const pathOfParent = (at: At) => at.path.slice(0, at.path.lastIndexOf('.'))

function objectWith(allowed: readonly string[]): RuleRow['check'] {
  return (v, at) => collect((out) => checkObject(v, allowed, at.path, out))
}

/** A protocol's number, or undefined when absent or invalid (invalid ones are reported by their own row). */
function protocolIn(rule: Obj, key: 'protocol' | 'notProtocol'): number | undefined {
  const v = rule[key]
  if (v === undefined) return undefined
  const n = resolveProtocol(v)
  return typeof n === 'number' ? n : undefined
}

/** An EntityRule's rules (a rule's source or destination), relative to the entity. */
const ENTITY_ROWS: RuleTable = [
  {field: 'nets', rule: 'CIDRs (at most 256)', source: `${API('policy_common')} EntityRule.Nets (validate:"omitempty,dive,net"), ${V} validateEntityRule`, check: (v, at) => collect((out) => checkNets(v, at.path, false, out))},
  {field: 'notNets', rule: 'CIDRs (at most 256), none /0', source: `${API('policy_common')} EntityRule.NotNets (validate:"omitempty,dive,net"), ${V} validateEntityRule`, check: (v, at) => collect((out) => checkNets(v, at.path, true, out))},
  {field: '{selector,notSelector}', rule: 'a selector of at most 1024 characters, without global()', source: `${API('policy_common')} EntityRule.Selector (validate:"omitempty,selector")`, check: (v, at) => collect((out) => checkSelectorField(v, at.path, false, out))},
  {field: 'namespaceSelector', rule: 'a selector of at most 1024 characters', source: `${API('policy_common')} EntityRule.NamespaceSelector (validate:"omitempty,selector")`, check: (v, at) => collect((out) => checkSelectorField(v, at.path, true, out))},
  {field: '{ports,notPorts}', rule: 'ports (at most 50)', source: `${API('policy_common')} EntityRule.Ports (validate:"omitempty,dive"), numorstring.Port`, check: (v, at) => collect((out) => checkPorts(v, at.path, out))},
  {field: 'serviceAccounts', rule: 'names and a selector', source: `${API('policy_common')} ServiceAccountMatch`, check: (v, at) => collect((out) => checkServiceAccounts(v, at.path, out))},
  {
    field: 'services',
    rule: 'a service name (and namespace), alone, on the remote side',
    source: `${V} validateEntityRule, validateRule (Services)`,
    check: (_v, at) => collect((out) => checkServices(at.parent, pathOfParent(at), entityOptions(at), out)),
  },
]

/** A Rule's rules, relative to the rule. */
const RULE_ROWS: RuleTable = [
  {
    field: 'action',
    rule: 'Allow, Deny, Log or Pass',
    source: `${API('policy_common')} Rule.Action (validate:"action")`,
    absent: true,
    check: (v, at) => (ACTIONS.includes(v as (typeof ACTIONS)[number]) ? undefined : [fieldError(at.path, `action must be one of ${ACTIONS.join(', ')}`, v ?? '<missing>')]),
  },
  {field: 'ipVersion', rule: '4 or 6', source: `${API('policy_common')} Rule.IPVersion (validate:"omitempty,ipVersion")`, check: (v) => (v !== 4 && v !== 6 ? 'ipVersion must be 4 or 6' : undefined)},
  {field: '{protocol,notProtocol}', rule: 'a protocol name or 1-255', source: `${API('policy_common')} Rule.Protocol (numorstring.Protocol, validate:"omitempty")`, check: (v, at) => collect((out) => out.push(...validateProtocol(v, at.path)))},
  {field: '{icmp,notICMP}', rule: 'type 0-254, code 0-255, code only with type', source: `${V} validateICMPFields`, check: (v, at) => collect((out) => checkIcmpFields(v, at.path, out))},
  {
    field: '{icmp,notICMP}',
    rule: 'only with protocol ICMP or ICMPv6',
    source: `${V} validateRule`,
    check: (_v, at) => {
      const protocol = protocolIn(at.parent, 'protocol')
      const badProtocol = at.parent.protocol !== undefined && protocol === undefined
      return protocol !== ICMP && protocol !== ICMPV6 && !badProtocol ? [fieldError(at.path, MSG_ICMP_NEEDS_PROTOCOL)] : undefined
    },
  },
  {
    field: 'ipVersion',
    rule: 'matches ICMP (4) or ICMPv6 (6)',
    source: `${V} validateRule`,
    check: (v, at) => {
      const [p, np] = [protocolIn(at.parent, 'protocol'), protocolIn(at.parent, 'notProtocol')]
      if (v === 6 && (p === ICMP || np === ICMP)) return "must set ipversion to '4' with protocol icmp"
      if (v === 4 && (p === ICMPV6 || np === ICMPV6)) return "must set ipversion to '6' with protocol icmpv6"
      return undefined
    },
  },
  {field: 'http', rule: 'methods and paths', source: `${V} validateHTTPRule, validateHTTPMethods, validateHTTPPaths`, check: (v, at) => collect((out) => checkHttp(v, at.path, out))},
  {field: 'http', rule: 'only on Allow rules', source: `${V} validateRule`, check: (_v, at) => (at.parent.action !== 'Allow' ? [fieldError(at.path, 'HTTP match is only valid on Allow rules')] : undefined)},
  {field: 'http', rule: 'not in egress rules', source: `${V} validateRule`, check: (_v, at) => (directionOf(at) === 'egress' ? [fieldError(at.path, 'not allowed in egress rules')] : undefined)},
  {field: 'protocol', rule: 'TCP (or none) with HTTP', source: `${V} validateRule`, check: (v, at) => {
    const p = protocolIn(at.parent, 'protocol')
    return at.parent.http !== undefined && p !== undefined && p !== TCP ? [fieldError(at.path, MSG_HTTP_NEEDS_TCP, v)] : undefined
  }},
  {field: 'metadata', rule: 'annotations: qualified keys, 256 KiB in all', source: `${V} validateRuleMetadata`, check: (v, at) => collect((out) => checkMetadata(v, at.path, out))},
  {
    // Ports exist only for TCP, UDP and SCTP. Without a protocol, named ports are still fine:
    // the endpoints' port definitions carry the protocol.
    field: '{source,destination}.{ports,notPorts}',
    rule: 'with protocol TCP, UDP or SCTP (numeric ports)',
    source: `${V} validateRule`,
    check: (v, at) => {
      if (!isNonEmptyList(v)) return undefined
      const rule = ruleOfEntity(at)
      if (rule.protocol === undefined) return v.some(isNumericPort) ? [fieldError(at.path, MSG_NUMERIC_PORTS_NEED_PROTOCOL)] : undefined
      const p = protocolIn(rule, 'protocol')
      return p !== undefined && !PORT_PROTOCOLS.has(p) ? [fieldError(at.path, MSG_PORTS_NEED_PROTOCOL)] : undefined
    },
  },
  {
    // One rule matches one address family: its CIDRs may not mix families or contradict ipVersion.
    field: '{source,destination}.{nets,notNets}',
    rule: 'one address family, matching ipVersion',
    source: `${V} validateRule`,
    check: (v, at) => {
      if (!Array.isArray(v)) return undefined
      const rule = ruleOfEntity(at)
      const families = (list: unknown) => new Set(Array.isArray(list) ? list.map(netFamily) : [])
      const here = families(v)
      const [v4, v6] = [here.has(4), here.has(6)]
      // The lists checked before this one: source before destination, nets before notNets.
      const order = ['source.nets', 'source.notNets', 'destination.nets', 'destination.notNets']
      const mine = order.findIndex((o) => at.path.endsWith(`.${o}`))
      const before = order.slice(0, mine).map((o) => {
        const [side, key] = o.split('.') as [string, string]
        return families(isObject(rule[side]) ? (rule[side] as Obj)[key] : undefined)
      })
      const seenV4 = before.some((f) => f.has(4))
      const seenV6 = before.some((f) => f.has(6))
      const out: FieldError[] = []
      if ((v4 && rule.ipVersion === 6) || (v6 && rule.ipVersion === 4)) out.push(fieldError(at.path, "rule IP version doesn't match CIDR version"))
      if ((v4 && v6) || (v4 && seenV6) || (v6 && seenV4)) out.push(fieldError(at.path, 'rule contains both IPv4 and IPv6 CIDRs'))
      return out.length > 0 ? out : undefined
    },
  },
]

/** The rules of a policy's or profile's ingress and egress lists. */
export const RULE_LIST_ROWS: RuleTable = [
  ...under(RULE_AT, RULE_ROWS),
  ...under(ENTITY_AT, ENTITY_ROWS),
]

const COMMON_SPEC_FIELDS = ['tier', 'order', 'ingress', 'egress', 'selector', 'types', 'serviceAccountSelector', 'performanceHints'] as const
const GLOBAL_ONLY_SPEC_FIELDS: readonly string[] = ['doNotTrack', 'preDNAT', 'applyOnForward', 'namespaceSelector']
const PERFORMANCE_HINTS = ['AssumeNeededOnEveryNode']
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const isGlobal = (at: At) => GLOBAL_KINDS.has(at.resource.kind)
const boolean: RuleRow['check'] = (v) => (typeof v !== 'boolean' ? 'must be true or false' : undefined)

/**
 * A NetworkPolicy's or GlobalNetworkPolicy's rules: strict fields (GlobalNetworkPolicy-only
 * ones refused on a NetworkPolicy), tier name and existence, order, selectors (no global()),
 * types, performance hints, every rule, and the doNotTrack / preDNAT / applyOnForward
 * combinations. The staged kinds use them too (policy-common.ts).
 */
const COMMON_POLICY_ROWS: RuleTable = [
  {
    field: 'spec.tier',
    rule: 'a DNS label',
    source: `${V} tierNameRegex`,
    check: (v) => {
      if (typeof v !== 'string') return 'must be a string'
      if (v.length > 63) return `name is too long by ${v.length - 63} bytes`
      return DNS1123_LABEL.test(v) ? undefined : "name must consist of lower case alphanumeric characters or '-' (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?)"
    },
  },
  {
    // Calico creates its own tiers, so they always count.
    field: 'spec.tier',
    rule: 'the tier exists',
    source: 'libcalico-go/lib/clientv3/networkpolicy.go, globalnetworkpolicy.go Create (tier Get)',
    check: (v, at) => (typeof v === 'string' && v !== '' && !Object.hasOwn(STATIC_TIER_NAMES, v) && at.ctx.exists && !at.ctx.exists('Tier', v) ? `Tier(${v}) does not exist` : undefined),
  },
  {field: 'spec.{selector,serviceAccountSelector}', rule: 'a selector of at most 1024 characters, without global()', source: `${API('networkpolicy')} Selector (validate:"selector")`, check: (v, at) => collect((out) => checkSelectorField(v, at.path, false, out))},
  {field: 'spec.types', rule: 'Ingress or Egress, each once', source: `${API('networkpolicy')} Types (validate:"omitempty,dive,policyType"), ${V} validateNetworkPolicySpec`, check: (v, at) => collect((out) => out.push(...validatePolicyTypes(v, at.path)))},
  {
    field: 'spec.performanceHints',
    rule: 'AssumeNeededOnEveryNode, once',
    source: `${API('networkpolicy')} PerformanceHints (validate:"omitempty,unique,dive,oneof=AssumeNeededOnEveryNode")`,
    check: (v, at) => {
      if (!Array.isArray(v)) return 'must be a list'
      const seen = new Set<unknown>()
      return collect((out) =>
        v.forEach((h, i) => {
          if (typeof h !== 'string' || !PERFORMANCE_HINTS.includes(h)) out.push(fieldError(`${at.path}[${i}]`, `must be one of ${PERFORMANCE_HINTS.join(', ')}`, h))
          else if (seen.has(h)) out.push(fieldError(`${at.path}[${i}]`, 'performance hint repeated', h))
          seen.add(h)
        }),
      )
    },
  },
  ...RULE_LIST_ROWS,
]

/** A NetworkPolicy's rules. */
export const NETWORK_POLICY_ROWS: RuleTable = COMMON_POLICY_ROWS

/** A GlobalNetworkPolicy's rules: a NetworkPolicy's and its own fields'. */
export const GLOBAL_NETWORK_POLICY_ROWS: RuleTable = [
  ...COMMON_POLICY_ROWS,
  {field: 'spec.namespaceSelector', rule: 'a selector of at most 1024 characters, without global()', source: `${API('globalnetworkpolicy')} NamespaceSelector (validate:"selector")`, check: (v, at) => collect((out) => checkSelectorField(v, at.path, false, out))},
  {field: 'spec.preDNAT', rule: 'not with doNotTrack', source: `${V} validateGlobalNetworkPolicySpec`, check: (v, at) => (v === true && at.parent.doNotTrack === true ? [fieldError(at.path, 'preDNAT and doNotTrack cannot both be true')] : undefined)},
  {field: 'spec.egress', rule: 'none with preDNAT', source: `${V} validateGlobalNetworkPolicySpec`, check: (v, at) => (at.parent.preDNAT === true && isNonEmptyList(v) ? [fieldError(at.path, 'preDNAT policy cannot have any egress rules')] : undefined)},
  {field: 'spec.types', rule: 'no Egress with preDNAT', source: `${V} validateGlobalNetworkPolicySpec`, check: (v, at) => (at.parent.preDNAT === true && Array.isArray(v) && v.includes('Egress') ? [fieldError(at.path, "preDNAT policy cannot have 'Egress' type")] : undefined)},
  {
    field: 'spec.applyOnForward',
    rule: 'true with preDNAT or doNotTrack',
    source: `${V} validateGlobalNetworkPolicySpec`,
    absent: true,
    check: (v, at) =>
      (at.parent.doNotTrack === true || at.parent.preDNAT === true) && v !== true ? [fieldError(at.path, 'applyOnForward must be true if either preDNAT or doNotTrack is true')] : undefined,
  },
]

/**
 * What strict decoding (manifest.ts resourceFromDoc) already refuses: objects, lists, numbers and
 * booleans where the schema has them, and unknown fields. Applied where a rule, an entity or a
 * spec is checked on its own (validateRule and the others below); not in the kinds' tables,
 * whose input is decoded.
 */
const STRUCTURE_ROWS: RuleTable = [
  {field: 'spec.{ingress,egress}', rule: 'a list of rules', source: `${API('policy_common')} (Ingress, Egress []Rule)`, check: (v, at) => (Array.isArray(v) ? undefined : [fieldError(at.path, 'must be a list of rules', v)])},
  ...under(RULE_AT, [{field: '', rule: 'an object of Rule fields', source: `${API('policy_common')} Rule`, check: objectWith(RULE_FIELDS)}]),
  ...under(ENTITY_AT, [{field: '', rule: 'an object of EntityRule fields', source: `${API('policy_common')} EntityRule`, check: objectWith(ENTITY_FIELDS)}]),
  {
    field: 'spec.*',
    rule: "the policy kind's fields",
    source: `${API('networkpolicy')} NetworkPolicySpec, ${API('globalnetworkpolicy')} GlobalNetworkPolicySpec`,
    check: (_v, at) => {
      const key = at.path.slice('spec.'.length)
      if ((COMMON_SPEC_FIELDS as readonly string[]).includes(key) || (key === 'stagedAction' && at.resource.kind.startsWith('Staged'))) return undefined
      const onlyGlobal = GLOBAL_ONLY_SPEC_FIELDS.includes(key)
      if (onlyGlobal && isGlobal(at)) return undefined
      return [fieldError(at.path, onlyGlobal ? 'field is only valid on a GlobalNetworkPolicy' : 'field is not recognised')]
    },
  },
  {field: 'spec.order', rule: 'a number', source: `${API('networkpolicy')} Order (*float64)`, check: (v) => (typeof v !== 'number' || !Number.isFinite(v) ? 'order must be a number' : undefined)},
  {field: 'spec.{doNotTrack,preDNAT,applyOnForward}', rule: 'true or false', source: API('globalnetworkpolicy'), check: (v, at) => (isGlobal(at) ? boolean(v, at) : undefined)},
]

// ---------------------------------------------------------------------------------------------
// The tables applied to a part on its own (a rule, an entity, a spec), as callers and tests use them.

const [, RULE_STRUCTURE, ENTITY_STRUCTURE] = STRUCTURE_ROWS as [RuleRow, RuleRow, RuleRow]
const ONLY_ENTITY = [ENTITY_STRUCTURE, ...under(ENTITY_AT, ENTITY_ROWS)]
const ONLY_RULE = [RULE_STRUCTURE, ...under(RULE_AT, RULE_ROWS), ...ONLY_ENTITY]

/** Applies `rows` to `part` placed at `at` in a stand-in policy; findings named from `path`. */
function applyAt(rows: RuleTable, spec: Obj, kind: string, at: string, path: string): FieldError[] {
  const r: Resource = {apiVersion: 'projectcalico.org/v3', kind, metadata: {name: 'part'}, spec}
  return applyRules(rows, r).map((e) => (e.field.startsWith(at) ? {...e, field: path + e.field.slice(at.length)} : e))
}

const standInKind = (globalPolicy: boolean | undefined) => (globalPolicy ? 'GlobalNetworkPolicy' : 'NetworkPolicy')

/**
 * Checks one EntityRule (a rule's source or destination) on its own. Checks that need the whole
 * rule (ports vs protocol, address families vs ipVersion) are among the rule's.
 */
export function validateEntityRule(entity: unknown, path: string, opts: EntityRuleOptions): FieldError[] {
  return applyAt(ONLY_ENTITY, {[opts.direction]: [{[opts.side]: entity}]}, standInKind(opts.globalPolicy), `spec.${opts.direction}[0].${opts.side}`, path)
}

/**
 * Checks one rule of a policy or profile. `path` names the rule, e.g. `spec.ingress[0]`; every
 * finding names the offending field below it. Returns all findings (empty when valid).
 */
export function validateRule(rule: unknown, path: string, opts: RuleOptions): FieldError[] {
  return applyAt(ONLY_RULE, {[opts.direction]: [rule]}, standInKind(opts.globalPolicy), `spec.${opts.direction}[0]`, path)
}

/** Checks a policy's `ingress` or `egress` list; `path` is e.g. `spec.ingress`. */
export function validateRules(rules: unknown, path: string, opts: RuleOptions): FieldError[] {
  if (rules === undefined || rules === null) return []
  if (!Array.isArray(rules)) return [fieldError(path, 'must be a list of rules', rules)]
  return rules.flatMap((rule, i) => validateRule(rule, `${path}[${i}]`, opts))
}

export interface PolicySpecOptions {
  /** GlobalNetworkPolicy: allows doNotTrack, preDNAT, applyOnForward and namespaceSelector. */
  global: boolean
}

/** Checks a NetworkPolicy or GlobalNetworkPolicy spec by its table; `path` is where the spec sits, normally `spec`. */
export function validatePolicySpec(spec: unknown, path: string, opts: PolicySpecOptions): FieldError[] {
  if (spec === undefined || spec === null) return []
  if (!isObject(spec)) return [fieldError(path, 'must be an object', spec)]
  return applyAt([...STRUCTURE_ROWS, ...(opts.global ? GLOBAL_NETWORK_POLICY_ROWS : NETWORK_POLICY_ROWS)], spec, standInKind(opts.global), 'spec', path)
}
