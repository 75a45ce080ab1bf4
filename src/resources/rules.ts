// Validation of policy rules (Rule / EntityRule) with every cross-field check Calico enforces,
// plus the port and protocol parsing the iptables renderer shares. Input is whatever the
// manifest held (unknown), so every field's type is checked too, and unknown fields are errors.

import {isIPv4, isIPv6} from 'node:net'
import ipaddr from 'ipaddr.js'
import {isObject} from '../lib/objects.js'
import {type FieldError, fieldError} from './errors.js'
import type {PolicyType, Protocol} from './policy-types.js'
import {validateSelector} from './selector.js'
import {checkAnnotations} from './validate.js'

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

/** A CIDR or a bare IP (a full-length prefix); the host bits must be zero. */
function parseNet(text: string): ParsedNet | {error: string} {
  const parts = text.split('/')
  const [addr, prefixText] = parts as [string, string | undefined]
  const family = isIPv4(addr) ? 4 : isIPv6(addr) && !addr.includes('%') ? 6 : undefined
  if (parts.length > 2 || family === undefined) return {error: 'invalid CIDR'}
  const bits = family === 4 ? 32 : 128
  if (prefixText !== undefined && (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits)) {
    return {error: 'invalid CIDR'}
  }
  const prefix = prefixText === undefined ? bits : Number(prefixText)
  const cidr = `${addr}/${prefix}`
  const network =
    family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr)
  if (network.toNormalizedString() !== ipaddr.parse(addr).toNormalizedString()) {
    return {error: `invalid CIDR: host bits are set (did you mean ${network.toString()}/${prefix}?)`}
  }
  return {family, prefix}
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

/**
 * Checks one EntityRule (a rule's source or destination) on its own. Checks that need the whole
 * rule (ports vs protocol, address families vs ipVersion) are in validateRule.
 */
export function validateEntityRule(entity: unknown, path: string, opts: EntityRuleOptions): FieldError[] {
  const errors: FieldError[] = []
  if (!checkObject(entity, ENTITY_FIELDS, path, errors)) return errors
  checkNets(entity.nets, `${path}.nets`, false, errors)
  checkNets(entity.notNets, `${path}.notNets`, true, errors)
  checkSelectorField(entity.selector, `${path}.selector`, false, errors)
  checkSelectorField(entity.notSelector, `${path}.notSelector`, false, errors)
  checkSelectorField(entity.namespaceSelector, `${path}.namespaceSelector`, true, errors)
  checkPorts(entity.ports, `${path}.ports`, errors)
  checkPorts(entity.notPorts, `${path}.notPorts`, errors)
  checkServiceAccounts(entity.serviceAccounts, `${path}.serviceAccounts`, errors)
  checkServices(entity, path, opts, errors)
  return errors
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

/**
 * Checks one rule of a policy or profile. `path` names the rule, e.g. `spec.ingress[0]`; every
 * finding names the offending field below it. Returns all findings (empty when valid).
 */
export function validateRule(rule: unknown, path: string, opts: RuleOptions): FieldError[] {
  const errors: FieldError[] = []
  if (!checkObject(rule, RULE_FIELDS, path, errors)) return errors

  if (!ACTIONS.includes(rule.action as (typeof ACTIONS)[number])) {
    errors.push(
      fieldError(`${path}.action`, `action must be one of ${ACTIONS.join(', ')}`, rule.action ?? '<missing>'),
    )
  }

  const ipVersion = rule.ipVersion
  if (ipVersion !== undefined && ipVersion !== 4 && ipVersion !== 6) {
    errors.push(fieldError(`${path}.ipVersion`, 'ipVersion must be 4 or 6', ipVersion))
  }

  // Protocol numbers: a number, or undefined when absent or invalid (invalid ones are reported).
  const protocolOf = (key: 'protocol' | 'notProtocol'): number | undefined => {
    const v = rule[key]
    if (v === undefined) return undefined
    const n = resolveProtocol(v)
    if (typeof n === 'number') return n
    errors.push(fieldError(`${path}.${key}`, n.error, v))
    return undefined
  }
  const protocol = protocolOf('protocol')
  const notProtocol = protocolOf('notProtocol')
  const protocolGiven = rule.protocol !== undefined

  for (const key of ['icmp', 'notICMP'] as const) {
    if (rule[key] === undefined) continue
    checkIcmpFields(rule[key], `${path}.${key}`, errors)
    if (protocol !== ICMP && protocol !== ICMPV6 && !(protocolGiven && protocol === undefined)) {
      errors.push(fieldError(`${path}.${key}`, MSG_ICMP_NEEDS_PROTOCOL))
    }
  }

  if (ipVersion === 6 && (protocol === ICMP || notProtocol === ICMP)) {
    errors.push(fieldError(`${path}.ipVersion`, "must set ipversion to '4' with protocol icmp", ipVersion))
  }
  if (ipVersion === 4 && (protocol === ICMPV6 || notProtocol === ICMPV6)) {
    errors.push(fieldError(`${path}.ipVersion`, "must set ipversion to '6' with protocol icmpv6", ipVersion))
  }

  if (rule.http !== undefined) {
    checkHttp(rule.http, `${path}.http`, errors)
    if (rule.action !== 'Allow') errors.push(fieldError(`${path}.http`, 'HTTP match is only valid on Allow rules'))
    if (opts.direction === 'egress') errors.push(fieldError(`${path}.http`, 'not allowed in egress rules'))
    if (protocol !== undefined && protocol !== TCP) {
      errors.push(fieldError(`${path}.protocol`, MSG_HTTP_NEEDS_TCP, rule.protocol))
    }
  }

  if (rule.metadata !== undefined) checkMetadata(rule.metadata, `${path}.metadata`, errors)

  const sides = (['source', 'destination'] as const).filter((side) => rule[side] !== undefined)
  for (const side of sides) {
    errors.push(...validateEntityRule(rule[side], `${path}.${side}`, {...opts, side}))
  }

  // Ports exist only for TCP, UDP and SCTP. Without a protocol, named ports are still fine: the
  // endpoints' port definitions carry the protocol.
  for (const side of sides) {
    const entity = rule[side]
    if (!isObject(entity)) continue
    for (const key of ['ports', 'notPorts'] as const) {
      const ports = entity[key]
      if (!isNonEmptyList(ports)) continue
      const field = `${path}.${side}.${key}`
      if (!protocolGiven) {
        if (ports.some(isNumericPort)) errors.push(fieldError(field, MSG_NUMERIC_PORTS_NEED_PROTOCOL))
      } else if (protocol !== undefined && !PORT_PROTOCOLS.has(protocol)) {
        errors.push(fieldError(field, MSG_PORTS_NEED_PROTOCOL))
      }
    }
  }

  // One rule matches one address family: its CIDRs may not mix families or contradict ipVersion.
  let seenV4 = false
  let seenV6 = false
  for (const side of sides) {
    const entity = rule[side]
    if (!isObject(entity)) continue
    for (const key of ['nets', 'notNets'] as const) {
      const nets = entity[key]
      if (!Array.isArray(nets)) continue
      const families = new Set(nets.map(netFamily))
      const v4 = families.has(4)
      const v6 = families.has(6)
      const field = `${path}.${side}.${key}`
      if ((v4 && ipVersion === 6) || (v6 && ipVersion === 4)) {
        errors.push(fieldError(field, "rule IP version doesn't match CIDR version"))
      }
      if ((v4 && v6) || (v4 && seenV6) || (v6 && seenV4)) {
        errors.push(fieldError(field, 'rule contains both IPv4 and IPv6 CIDRs'))
      }
      seenV4 ||= v4
      seenV6 ||= v6
    }
  }

  return errors
}

/** Checks a policy's `ingress` or `egress` list; `path` is e.g. `spec.ingress`. */
export function validateRules(rules: unknown, path: string, opts: RuleOptions): FieldError[] {
  if (rules === undefined || rules === null) return []
  if (!Array.isArray(rules)) return [fieldError(path, 'must be a list of rules', rules)]
  return rules.flatMap((rule, i) => validateRule(rule, `${path}[${i}]`, opts))
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
// Policy spec (NetworkPolicy and GlobalNetworkPolicy)

export interface PolicySpecOptions {
  /** GlobalNetworkPolicy: allows doNotTrack, preDNAT, applyOnForward and namespaceSelector. */
  global: boolean
}

const COMMON_SPEC_FIELDS = [
  'tier',
  'order',
  'ingress',
  'egress',
  'selector',
  'types',
  'serviceAccountSelector',
  'performanceHints',
] as const
const GLOBAL_ONLY_SPEC_FIELDS = ['doNotTrack', 'preDNAT', 'applyOnForward', 'namespaceSelector'] as const
const PERFORMANCE_HINTS = ['AssumeNeededOnEveryNode']
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

function checkBoolean(v: unknown, field: string, errors: FieldError[]): void {
  if (v !== undefined && typeof v !== 'boolean') errors.push(fieldError(field, 'must be true or false', v))
}

/**
 * Checks a NetworkPolicy or GlobalNetworkPolicy spec: strict fields (GlobalNetworkPolicy-only
 * ones are refused on a NetworkPolicy), tier name, order, selectors (no global()), types,
 * performance hints, every rule, and the doNotTrack / preDNAT / applyOnForward combinations.
 * `path` is where the spec sits, normally `spec`.
 */
export function validatePolicySpec(spec: unknown, path: string, opts: PolicySpecOptions): FieldError[] {
  const errors: FieldError[] = []
  if (spec === undefined || spec === null) return errors
  if (!isObject(spec)) return [fieldError(path, 'must be an object', spec)]
  const allowed: readonly string[] = opts.global
    ? [...COMMON_SPEC_FIELDS, ...GLOBAL_ONLY_SPEC_FIELDS]
    : COMMON_SPEC_FIELDS
  for (const key of Object.keys(spec)) {
    if (allowed.includes(key)) continue
    const globalOnly = (GLOBAL_ONLY_SPEC_FIELDS as readonly string[]).includes(key)
    errors.push(
      fieldError(
        `${path}.${key}`,
        globalOnly ? 'field is only valid on a GlobalNetworkPolicy' : 'field is not recognised',
      ),
    )
  }

  if (spec.tier !== undefined) {
    const field = `${path}.tier`
    if (typeof spec.tier !== 'string') errors.push(fieldError(field, 'must be a string', spec.tier))
    else if (spec.tier.length > 63) errors.push(fieldError(field, `name is too long by ${spec.tier.length - 63} bytes`, spec.tier))
    else if (!DNS1123_LABEL.test(spec.tier)) {
      errors.push(
        fieldError(field, "name must consist of lower case alphanumeric characters or '-' (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?)", spec.tier),
      )
    }
  }

  if (spec.order !== undefined && spec.order !== null) {
    if (typeof spec.order !== 'number' || !Number.isFinite(spec.order)) {
      errors.push(fieldError(`${path}.order`, 'order must be a number', spec.order))
    }
  }

  checkSelectorField(spec.selector, `${path}.selector`, false, errors)
  checkSelectorField(spec.serviceAccountSelector, `${path}.serviceAccountSelector`, false, errors)
  if (opts.global) checkSelectorField(spec.namespaceSelector, `${path}.namespaceSelector`, false, errors)

  errors.push(...validatePolicyTypes(spec.types, `${path}.types`))

  if (spec.performanceHints !== undefined) {
    const field = `${path}.performanceHints`
    if (!Array.isArray(spec.performanceHints)) errors.push(fieldError(field, 'must be a list', spec.performanceHints))
    else {
      const seen = new Set<unknown>()
      spec.performanceHints.forEach((h, i) => {
        if (typeof h !== 'string' || !PERFORMANCE_HINTS.includes(h)) {
          errors.push(fieldError(`${field}[${i}]`, `must be one of ${PERFORMANCE_HINTS.join(', ')}`, h))
        } else if (seen.has(h)) errors.push(fieldError(`${field}[${i}]`, 'performance hint repeated', h))
        seen.add(h)
      })
    }
  }

  const ruleOpts = (direction: Direction): RuleOptions => ({direction, globalPolicy: opts.global})
  errors.push(...validateRules(spec.ingress, `${path}.ingress`, ruleOpts('ingress')))
  errors.push(...validateRules(spec.egress, `${path}.egress`, ruleOpts('egress')))

  if (opts.global) {
    checkBoolean(spec.doNotTrack, `${path}.doNotTrack`, errors)
    checkBoolean(spec.preDNAT, `${path}.preDNAT`, errors)
    checkBoolean(spec.applyOnForward, `${path}.applyOnForward`, errors)
    const doNotTrack = spec.doNotTrack === true
    const preDNAT = spec.preDNAT === true
    if (doNotTrack && preDNAT) errors.push(fieldError(`${path}.preDNAT`, 'preDNAT and doNotTrack cannot both be true'))
    if (preDNAT && isNonEmptyList(spec.egress)) {
      errors.push(fieldError(`${path}.egress`, 'preDNAT policy cannot have any egress rules'))
    }
    if (preDNAT && Array.isArray(spec.types) && spec.types.includes('Egress')) {
      errors.push(fieldError(`${path}.types`, "preDNAT policy cannot have 'Egress' type"))
    }
    if ((doNotTrack || preDNAT) && spec.applyOnForward !== true) {
      errors.push(
        fieldError(`${path}.applyOnForward`, 'applyOnForward must be true if either preDNAT or doNotTrack is true'),
      )
    }
  }
  return errors
}
