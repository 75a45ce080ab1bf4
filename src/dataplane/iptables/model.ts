// The desired iptables and ipset state of one host, computed from Calico resources. Pure: no I/O.
//
// Layout follows Felix's iptables mode (reference/dataplane.md §3): kernel chains jump into
// cali-INPUT/-FORWARD/-OUTPUT, interface dispatch chains goto per-endpoint cali-tw-/cali-fw-
// chains, which walk tiers of policy chains (cali-pi-/cali-po-) and then profile chains
// (cali-pri-/cali-pro-). Verdicts travel in mark bits (accept 0x10000, pass 0x20000).
import ipaddr from 'ipaddr.js'

import {CalicoError} from '../../resources/errors.js'
import type {EndpointPort, EntityRule, Port, Rule} from '../../resources/policy-types.js'
import {inferPolicyTypes, parsePort, protocolNumber} from '../../resources/rules.js'
import {
  IPSET_MAIN_PREFIX,
  MARK_ACCEPT,
  MARK_ALL,
  MARK_PASS,
  hex,
  ipsetNameFor,
  lengthLimitedName,
} from './render.js'
import type {
  CompiledSelector,
  DesiredState,
  HookRule,
  IpSetState,
  IpSetType,
  IptChain,
  IptRule,
  IptablesInput,
  PolicyInput,
  TableName,
  TableState,
  TierInput,
  WorkloadEndpointInput,
} from './types.js'

export const ALL_HOSTS_SET = `${IPSET_MAIN_PREFIX}all-hosts-net`
export const MASQ_POOLS_SET = `${IPSET_MAIN_PREFIX}masq-ipam-pools`
export const ALL_POOLS_SET = `${IPSET_MAIN_PREFIX}all-ipam-pools`
export const DEFAULT_TIER = 'default'
const DEFAULT_TIER_ORDER = 1_000_000
const MAX_MULTIPORT_SLOTS = 15
const LOG_PREFIX = 'calico-packet: '
const NS_LABEL = 'projectcalico.org/namespace'

const acceptMark = `${hex(MARK_ACCEPT)}/${hex(MARK_ACCEPT)}`
const passMark = `${hex(MARK_PASS)}/${hex(MARK_PASS)}`
const noPassMark = `0x0/${hex(MARK_PASS)}`

/** Linux interface names that may reach an iptables command line. */
const IFACE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/

export function isValidInterfaceName(name: string): boolean {
  return IFACE_RE.test(name)
}

// ---------------------------------------------------------------------------------------------
// Entities that selectors can match (workloads, host endpoints, network sets)

interface Entity {
  namespace?: string
  labels: Record<string, string>
  /** IPv4 members contributed to selector sets (bare address for /32). */
  nets: string[]
  ports: EndpointPort[]
  serviceAccount?: string
  isEndpoint: boolean
}

/** A predicate over entities with a stable key that names its ipset. */
interface Matcher {
  key: string
  test(e: Entity): boolean
}

const PLAIN_V4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})(?:\/(0|[1-9]\d?))?$/

/** Canonical IPv4 network text for ipset/iptables, or undefined for IPv6 / unparsable input. */
export function canonicalV4(net: string): string | undefined {
  // Fast path for plain dotted quads (no leading zeros, which ipaddr reads differently):
  // parsing through ipaddr tries IPv6 first and throws, which dominated rendering at scale.
  const q = PLAIN_V4.exec(net)
  if (q) {
    const o = [q[1], q[2], q[3], q[4]].map(Number) as [number, number, number, number]
    const len = q[5] === undefined ? 32 : Number(q[5])
    if (o.every((x) => x <= 255) && len <= 32) {
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
      const n = (((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0) & mask
      const base = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
      return len === 32 ? base : `${base}/${len}`
    }
  }
  try {
    if (net.includes('/')) {
      const [addr, len] = ipaddr.parseCIDR(net)
      if (addr.kind() !== 'ipv4') return undefined
      const bytes = addr.toByteArray()
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
      const n = ((((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0) & mask
      const base = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
      return len === 32 ? base : `${base}/${len}`
    }
    const addr = ipaddr.parse(net)
    return addr.kind() === 'ipv4' ? addr.toString() : undefined
  } catch {
    return undefined
  }
}

/** `-s`/`-d` form of a network: always with a prefix length. */
function cidrArg(net: string): string {
  return net.includes('/') ? net : `${net}/32`
}

function sortedUnique(xs: Iterable<string>): string[] {
  return [...new Set(xs)].sort()
}

// ---------------------------------------------------------------------------------------------
// Protocols and ports

const PROTO_TOKENS: Record<number, string> = {1: 'icmp', 6: 'tcp', 17: 'udp', 132: 'sctp', 136: 'udplite'}
const PORT_PROTOCOLS = new Set([6, 17, 132, 136])

function protoNum(p: string | number, where: string): number {
  try {
    return protocolNumber(p)
  } catch (e) {
    throw new CalicoError(`${where}: ${(e as Error).message}`)
  }
}

function protoToken(n: number): string {
  return PROTO_TOKENS[n] ?? String(n)
}

type ParsedPorts = {ranges: Array<{min: number; max: number}>; named: string[]}

function splitPorts(ports: readonly Port[] | undefined, where: string): ParsedPorts {
  const out: ParsedPorts = {ranges: [], named: []}
  for (const p of ports ?? []) {
    let parsed
    try {
      parsed = parsePort(p)
    } catch (e) {
      throw new CalicoError(`${where}: ${(e as Error).message}`)
    }
    if ('name' in parsed) out.named.push(parsed.name)
    else out.ranges.push(parsed)
  }
  return out
}

/** Multiport lists of at most 15 slots (a range takes two). */
function multiportChunks(ranges: ReadonlyArray<{min: number; max: number}>): string[] {
  const chunks: string[] = []
  let cur: string[] = []
  let slots = 0
  for (const r of ranges) {
    const cost = r.min === r.max ? 1 : 2
    if (slots + cost > MAX_MULTIPORT_SLOTS) {
      chunks.push(cur.join(','))
      cur = []
      slots = 0
    }
    cur.push(r.min === r.max ? String(r.min) : `${r.min}:${r.max}`)
    slots += cost
  }
  if (cur.length > 0) chunks.push(cur.join(','))
  return chunks
}

// ---------------------------------------------------------------------------------------------
// The model builder

interface NormPolicy {
  input: PolicyInput
  tier: string
  order: number
  sortKey: string
  selector: CompiledSelector
  namespaceSelector?: CompiledSelector
  types: Set<string>
  /** Display name for comments: `<ns>/<name>` or `<name>`. */
  display: string
  id: string
}

interface NormTier {
  name: string
  order: number
  defaultAction: 'Deny' | 'Pass'
}

interface RuleContext {
  /** Namespace of a NetworkPolicy; undefined for global policies and profiles. */
  namespace?: string
  where: string
}

class ModelBuilder {
  private readonly sets = new Map<string, IpSetState>()
  private readonly compiled = new Map<string, CompiledSelector>()
  private readonly entities: Entity[] = []
  private readonly nsLabels = new Map<string, Record<string, string>>()
  private readonly filterChains = new Map<string, IptChain>()
  private readonly applicableByLabels = new Map<string, NormPolicy[]>()
  private ipipEnabled = false

  constructor(private readonly input: IptablesInput) {}

  compile(text: string, where: string): CompiledSelector {
    let c = this.compiled.get(text)
    if (!c) {
      try {
        c = this.input.compileSelector(text)
      } catch (e) {
        throw new CalicoError(`${where}: invalid selector '${text}': ${(e as Error).message}`)
      }
      this.compiled.set(text, c)
    }
    return c
  }

  build(): DesiredState {
    const input = this.input
    this.ipipEnabled = input.pools.some(
      (p) => !p.disabled && (p.ipipMode === 'Always' || p.ipipMode === 'CrossSubnet') && canonicalV4(p.cidr) !== undefined,
    )
    this.collectNamespaces()
    this.collectEntities()
    const local = this.localEndpoints()

    const tiers = this.normTiers()
    const policies = this.normPolicies(tiers)

    for (const wep of local) this.endpointChains(wep, tiers, policies)
    this.dispatchChains(local)
    this.staticFilterChains()

    const filter: TableState = {
      chains: [...this.filterChains.values()].sort((a, b) => cmp(a.name, b.name)),
      hooks: [
        {chain: 'INPUT', position: 'insert', rule: {match: [], action: ['-j', 'cali-INPUT']}},
        {chain: 'FORWARD', position: 'insert', rule: {match: [], action: ['-j', 'cali-FORWARD']}},
        {chain: 'OUTPUT', position: 'insert', rule: {match: [], action: ['-j', 'cali-OUTPUT']}},
        {
          chain: 'FORWARD',
          position: 'append',
          rule: {comment: 'Policy explicitly accepted packet.', match: ['-m', 'mark', '--mark', acceptMark], action: ['-j', 'ACCEPT']},
        },
      ],
    }
    const tables: Record<TableName, TableState> = {
      raw: this.rawTable(),
      mangle: this.mangleTable(),
      filter,
      nat: this.natTable(),
    }
    const ipsets = [...this.sets.values()]
      .map((s) => ({...s, members: sortedUnique(s.members)}))
      .sort((a, b) => cmp(a.name, b.name))
    return {tables, ipsets}
  }

  // --- inputs -------------------------------------------------------------------------------

  private collectNamespaces(): void {
    for (const ns of this.input.namespaces ?? []) this.nsLabels.set(ns.name, {'projectcalico.org/name': ns.name, ...ns.labels})
    for (const p of this.input.profiles) {
      const m = /^kns\.(.+)$/.exec(p.name)
      if (!m?.[1] || this.nsLabels.has(m[1])) continue
      const labels: Record<string, string> = {'projectcalico.org/name': m[1]}
      for (const [k, v] of Object.entries(p.spec.labelsToApply ?? {})) if (k.startsWith('pcns.')) labels[k.slice(5)] = v
      this.nsLabels.set(m[1], labels)
    }
  }

  private namespaceLabels(ns: string): Record<string, string> {
    return this.nsLabels.get(ns) ?? {'projectcalico.org/name': ns}
  }

  private collectEntities(): void {
    const profiles = new Map(this.input.profiles.map((p) => [p.name, p]))
    for (const w of this.input.workloadEndpoints) {
      const labels: Record<string, string> = {}
      for (const pn of w.spec.profiles ?? []) Object.assign(labels, profiles.get(pn)?.spec.labelsToApply ?? {})
      Object.assign(labels, {[NS_LABEL]: w.namespace}, w.labels)
      this.entities.push({
        namespace: w.namespace,
        labels,
        nets: (w.spec.ipNetworks ?? []).map(canonicalV4).filter((n): n is string => n !== undefined),
        ports: w.spec.ports ?? [],
        ...(w.spec.serviceAccountName ? {serviceAccount: w.spec.serviceAccountName} : {}),
        isEndpoint: true,
      })
    }
    for (const h of this.input.hostEndpoints) {
      const labels: Record<string, string> = {}
      for (const pn of h.spec.profiles ?? []) Object.assign(labels, profiles.get(pn)?.spec.labelsToApply ?? {})
      Object.assign(labels, h.labels)
      this.entities.push({
        labels,
        nets: (h.spec.expectedIPs ?? []).map(canonicalV4).filter((n): n is string => n !== undefined),
        ports: h.spec.ports ?? [],
        isEndpoint: true,
      })
    }
    for (const s of this.input.networkSets) {
      const labels: Record<string, string> = {...s.labels}
      if (s.namespace !== undefined) labels[NS_LABEL] = s.namespace
      this.entities.push({
        ...(s.namespace !== undefined ? {namespace: s.namespace} : {}),
        labels,
        nets: s.nets.map(canonicalV4).filter((n): n is string => n !== undefined),
        ports: [],
        isEndpoint: false,
      })
    }
  }

  private localEndpoints(): WorkloadEndpointInput[] {
    const local: WorkloadEndpointInput[] = []
    const seen = new Map<string, string>()
    for (const w of this.input.workloadEndpoints) {
      if (w.spec.node !== this.input.nodeName) continue
      const iface = w.spec.interfaceName
      const who = `WorkloadEndpoint ${w.namespace}/${w.name}`
      if (iface === undefined || iface === '') continue
      if (!isValidInterfaceName(iface)) {
        throw new CalicoError(`${who}: invalid interfaceName '${iface}' (at most 15 letters, digits and _.-)`)
      }
      const other = seen.get(iface)
      if (other) throw new CalicoError(`${who}: interface ${iface} is already used by ${other}`)
      seen.set(iface, who)
      local.push(w)
    }
    return local.sort((a, b) => cmp(a.spec.interfaceName ?? '', b.spec.interfaceName ?? ''))
  }

  private normTiers(): Map<string, NormTier> {
    const tiers = new Map<string, NormTier>()
    const add = (t: TierInput): void => {
      tiers.set(t.name, {
        name: t.name,
        order: t.order ?? (t.name === DEFAULT_TIER ? DEFAULT_TIER_ORDER : Number.POSITIVE_INFINITY),
        defaultAction: t.defaultAction ?? 'Deny',
      })
    }
    for (const t of this.input.tiers) add(t)
    if (!tiers.has(DEFAULT_TIER)) add({name: DEFAULT_TIER})
    return tiers
  }

  private normPolicies(tiers: Map<string, NormTier>): NormPolicy[] {
    const out: NormPolicy[] = []
    for (const p of this.input.policies) {
      const tier = p.spec.tier ?? DEFAULT_TIER
      if (!tiers.has(tier)) continue // a policy in a missing tier is not active (as Felix)
      const namespaced = p.kind === 'NetworkPolicy'
      if (namespaced && !p.namespace) throw new CalicoError(`NetworkPolicy ${p.name}: namespace is required`)
      const display = namespaced ? `${p.namespace}/${p.name}` : p.name
      const where = `${p.kind} ${display}`
      out.push({
        input: p,
        tier,
        order: p.spec.order ?? Number.POSITIVE_INFINITY,
        sortKey: display,
        selector: this.compile(p.spec.selector?.trim() || 'all()', `${where}: spec.selector`),
        ...(p.spec.namespaceSelector?.trim()
          ? {namespaceSelector: this.compile(p.spec.namespaceSelector, `${where}: spec.namespaceSelector`)}
          : {}),
        types: new Set(inferPolicyTypes(p.spec)),
        display,
        id: `${tier}/${namespaced ? `${p.namespace}/` : ''}${p.name}`,
      })
    }
    return out.sort((a, b) => a.order - b.order || cmp(a.sortKey, b.sortKey) || cmp(a.input.kind, b.input.kind))
  }

  private policyApplies(p: NormPolicy, w: WorkloadEndpointInput, labels: Record<string, string>): boolean {
    if (p.input.kind === 'NetworkPolicy' && p.input.namespace !== w.namespace) return false
    if (p.namespaceSelector && !p.namespaceSelector.matches(this.namespaceLabels(w.namespace))) return false
    return p.selector.matches(labels)
  }

  // --- filter table: endpoints -------------------------------------------------------------

  private addChain(name: string, rules: IptRule[]): void {
    if (!this.filterChains.has(name)) this.filterChains.set(name, {name, rules})
  }

  private endpointChains(w: WorkloadEndpointInput, tiers: Map<string, NormTier>, policies: NormPolicy[]): void {
    const iface = w.spec.interfaceName as string
    const labels = this.entityLabels(w)
    // Which policies apply depends only on the namespace and labels, and many endpoints share them.
    const key = `${w.namespace}\0${JSON.stringify(labels)}`
    let applicable = this.applicableByLabels.get(key)
    if (!applicable) {
      applicable = policies.filter((p) => this.policyApplies(p, w, labels))
      this.applicableByLabels.set(key, applicable)
    }
    const sortedTiers = [...tiers.values()].sort((a, b) => a.order - b.order || cmp(a.name, b.name))
    const profiles = (w.spec.profiles ?? []).filter((pn) => this.input.profiles.some((p) => p.name === pn))

    for (const dir of ['ingress', 'egress'] as const) {
      const type = dir === 'ingress' ? 'Ingress' : 'Egress'
      const chainName = `${dir === 'ingress' ? 'cali-tw-' : 'cali-fw-'}${iface}`
      const rules: IptRule[] = [
        {match: ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED'], action: ['-j', 'ACCEPT']},
        {match: ['-m', 'conntrack', '--ctstate', 'INVALID'], action: ['-j', 'DROP']},
        {match: [], action: ['-j', 'MARK', '--set-mark', `0x0/${hex(MARK_ACCEPT | MARK_PASS)}`]},
      ]
      if (dir === 'egress' && this.ipipEnabled) {
        rules.push({comment: 'Drop IPinIP encapped packets originating in workloads', match: ['-p', '4'], action: ['-j', 'DROP']})
      }
      for (const tier of sortedTiers) {
        const inTier = applicable.filter((p) => p.tier === tier.name && p.types.has(type))
        if (inTier.length === 0) continue
        rules.push({comment: `Start of tier ${tier.name}`, match: [], action: ['-j', 'MARK', '--set-mark', noPassMark]})
        for (const p of inTier) {
          const target = this.policyChain(p, dir)
          rules.push({match: ['-m', 'mark', '--mark', noPassMark], action: ['-j', target]})
          rules.push({comment: 'Return if policy accepted', match: ['-m', 'mark', '--mark', acceptMark], action: ['-j', 'RETURN']})
        }
        if (tier.defaultAction === 'Deny') {
          rules.push({
            comment: `End of tier ${tier.name}. Drop if no policies passed packet`,
            match: ['-m', 'mark', '--mark', noPassMark],
            action: ['-j', 'DROP'],
          })
        }
      }
      for (const pn of profiles) {
        const target = this.profileChain(pn, dir)
        rules.push({match: [], action: ['-j', target]})
        rules.push({comment: 'Return if profile accepted', match: ['-m', 'mark', '--mark', acceptMark], action: ['-j', 'RETURN']})
      }
      rules.push({comment: 'Drop if no profiles matched', match: [], action: ['-j', 'DROP']})
      this.addChain(chainName, rules)
    }
  }

  private entityLabels(w: WorkloadEndpointInput): Record<string, string> {
    const labels: Record<string, string> = {}
    for (const pn of w.spec.profiles ?? []) {
      Object.assign(labels, this.input.profiles.find((p) => p.name === pn)?.spec.labelsToApply ?? {})
    }
    return Object.assign(labels, {[NS_LABEL]: w.namespace}, w.labels)
  }

  private policyChain(p: NormPolicy, dir: 'ingress' | 'egress'): string {
    const name = lengthLimitedName(dir === 'ingress' ? 'cali-pi-' : 'cali-po-', p.id)
    if (!this.filterChains.has(name)) {
      const ctx: RuleContext = {
        ...(p.input.kind === 'NetworkPolicy' ? {namespace: p.input.namespace} : {}),
        where: `${p.input.kind} ${p.display}`,
      }
      const rules = this.renderRules(p.input.spec[dir] ?? [], ctx, `${dir}[`)
      if (rules[0]) rules[0] = {...rules[0], comment: `${p.input.kind} ${p.display} ${dir}`}
      this.addChain(name, rules)
    }
    return name
  }

  private profileChain(profileName: string, dir: 'ingress' | 'egress'): string {
    const name = lengthLimitedName(dir === 'ingress' ? 'cali-pri-' : 'cali-pro-', profileName)
    if (!this.filterChains.has(name)) {
      const prof = this.input.profiles.find((p) => p.name === profileName)
      const rules = this.renderRules(prof?.spec[dir] ?? [], {where: `Profile ${profileName}`}, `${dir}[`)
      if (rules[0]) rules[0] = {...rules[0], comment: `Profile ${profileName} ${dir}`}
      this.addChain(name, rules)
    }
    return name
  }

  // --- rule rendering -------------------------------------------------------------------------

  private renderRules(rules: readonly Rule[], ctx: RuleContext, fieldPrefix: string): IptRule[] {
    const out: IptRule[] = []
    rules.forEach((r, i) => out.push(...this.renderRule(r, {...ctx, where: `${ctx.where}: ${fieldPrefix}${i}]`})))
    return out
  }

  /** One Calico rule → iptables rules (empty when the rule cannot match IPv4 traffic). */
  renderRule(rule: Rule, ctx: RuleContext): IptRule[] {
    if (rule.ipVersion === 6) return []
    const match: string[] = []
    let proto: number | undefined
    if (rule.protocol !== undefined) {
      proto = protoNum(rule.protocol, ctx.where)
      if (proto === 58) return []
      match.push('-p', protoToken(proto))
    }
    if (rule.notProtocol !== undefined) {
      const np = protoNum(rule.notProtocol, ctx.where)
      match.push('!', '-p', protoToken(np))
    }
    for (const [field, icmp, neg] of [
      ['icmp', rule.icmp, false],
      ['notICMP', rule.notICMP, true],
    ] as const) {
      if (!icmp || (icmp.type === undefined && icmp.code === undefined)) continue
      if (proto !== 1) throw new CalicoError(`${ctx.where}: ${field} needs protocol ICMP`)
      if (icmp.type === undefined) throw new CalicoError(`${ctx.where}: ${field}.code needs ${field}.type`)
      const spec = icmp.code === undefined ? String(icmp.type) : `${icmp.type}/${icmp.code}`
      match.push('-m', 'icmp', ...(neg ? ['!'] : []), '--icmp-type', spec)
    }

    const src = this.entityMatch(rule.source, 'src', ctx, proto)
    const dst = this.entityMatch(rule.destination, 'dst', ctx, proto)
    if (src === undefined || dst === undefined) return []
    match.push(...src.common, ...dst.common)

    const combos: string[][] = []
    for (const s of src.alternatives) for (const d of dst.alternatives) combos.push([...match, ...s, ...d])

    switch (rule.action) {
      case 'Allow':
        return [
          ...combos.map((m) => ({match: m, action: ['-j', 'MARK', '--set-mark', acceptMark]})),
          {match: ['-m', 'mark', '--mark', acceptMark], action: ['-j', 'RETURN']},
        ]
      case 'Pass':
        return [
          ...combos.map((m) => ({match: m, action: ['-j', 'MARK', '--set-mark', passMark]})),
          {match: ['-m', 'mark', '--mark', passMark], action: ['-j', 'RETURN']},
        ]
      case 'Deny':
        return combos.map((m) => ({match: m, action: ['-j', 'DROP']}))
      case 'Log':
        return combos.map((m) => ({match: m, action: ['-j', 'LOG', '--log-prefix', LOG_PREFIX, '--log-level', '5']}))
      default:
        throw new CalicoError(`${ctx.where}: unknown action '${String((rule as Rule).action)}'`)
    }
  }

  /**
   * Matches for one side of a rule: `common` tokens AND-ed into every iptables rule, and
   * `alternatives` (OR-ed: port lists over 15 slots, named ports) giving one rule each.
   * Undefined when the side can never match IPv4 (only IPv6 nets).
   */
  private entityMatch(
    e: EntityRule | undefined,
    side: 'src' | 'dst',
    ctx: RuleContext,
    proto: number | undefined,
  ): {common: string[]; alternatives: string[][]} | undefined {
    const common: string[] = []
    if (!e) return {common, alternatives: [[]]}
    const flag = side === 'src' ? '-s' : '-d'
    const where = `${ctx.where}.${side === 'src' ? 'source' : 'destination'}`

    if (e.nets && e.nets.length > 0) {
      const v4 = sortedUnique(e.nets.map(canonicalV4).filter((n): n is string => n !== undefined))
      if (v4.length === 0) return undefined
      if (v4.length === 1) common.push(flag, cidrArg(v4[0] as string))
      else common.push('-m', 'set', '--match-set', this.netSet(v4), side)
    }
    if (e.notNets && e.notNets.length > 0) {
      const v4 = sortedUnique(e.notNets.map(canonicalV4).filter((n): n is string => n !== undefined))
      if (v4.length === 1) common.push('!', flag, cidrArg(v4[0] as string))
      else if (v4.length > 1) common.push('-m', 'set', '!', '--match-set', this.netSet(v4), side)
    }

    const positive = this.positiveMatcher(e, ctx, where)
    if (positive) common.push('-m', 'set', '--match-set', this.selectorSet(positive), side)
    if (e.notSelector?.trim()) {
      const sel = this.compile(e.notSelector, `${where}.notSelector`)
      common.push('-m', 'set', '!', '--match-set', this.selectorSet({key: `sel=${sel.id}`, test: (x) => sel.matches(x.labels)}), side)
    }

    const ports = splitPorts(e.ports, `${where}.ports`)
    const notPorts = splitPorts(e.notPorts, `${where}.notPorts`)
    const anyPorts = ports.ranges.length + ports.named.length + notPorts.ranges.length + notPorts.named.length > 0
    if (anyPorts && (proto === undefined || !PORT_PROTOCOLS.has(proto))) {
      throw new CalicoError(`${where}: ports need protocol TCP, UDP, SCTP or UDPLite`)
    }
    const portFlag = side === 'src' ? '--source-ports' : '--destination-ports'
    const setDir = side === 'src' ? 'src,src' : 'dst,dst'
    const scope: Matcher = positive ?? this.scopeMatcher(ctx)
    for (const chunk of multiportChunks(notPorts.ranges)) common.push('-m', 'multiport', '!', portFlag, chunk)
    for (const name of notPorts.named) {
      common.push('-m', 'set', '!', '--match-set', this.namedPortSet(scope, name, proto as number), setDir)
    }

    const alternatives: string[][] = []
    for (const chunk of multiportChunks(ports.ranges)) alternatives.push(['-m', 'multiport', portFlag, chunk])
    for (const name of ports.named) {
      alternatives.push(['-m', 'set', '--match-set', this.namedPortSet(scope, name, proto as number), setDir])
    }
    if (alternatives.length === 0) alternatives.push([])
    return {common, alternatives}
  }

  /** Selector ∧ namespace scope ∧ service accounts, or undefined when the rule side has none. */
  private positiveMatcher(e: EntityRule, ctx: RuleContext, where: string): Matcher | undefined {
    const sel = e.selector?.trim() ? this.compile(e.selector, `${where}.selector`) : undefined
    const nsText = e.namespaceSelector?.trim()
    const sa = e.serviceAccounts
    const hasSA = (sa?.names?.length ?? 0) > 0 || !!sa?.selector?.trim()
    if (!sel && !nsText && !hasSA && !e.notSelector?.trim()) return undefined

    const parts: string[] = []
    const tests: Array<(x: Entity) => boolean> = []
    if (sel) {
      parts.push(`sel=${sel.id}`)
      tests.push((x) => sel.matches(x.labels))
    }
    if (nsText === 'global()') {
      parts.push('ns=global()')
      tests.push((x) => x.namespace === undefined)
    } else if (nsText) {
      const nss = this.compile(nsText, `${where}.namespaceSelector`)
      parts.push(`nssel=${nss.id}`)
      tests.push((x) => x.namespace !== undefined && nss.matches(this.namespaceLabels(x.namespace)))
    } else if (ctx.namespace !== undefined) {
      const ns = ctx.namespace
      parts.push(`ns=${ns}`)
      tests.push((x) => x.namespace === ns)
    }
    if (sa?.names && sa.names.length > 0) {
      const names = new Set(sa.names)
      parts.push(`sa=${[...names].sort().join(',')}`)
      tests.push((x) => x.serviceAccount !== undefined && names.has(x.serviceAccount))
    }
    if (sa?.selector?.trim()) {
      const sas = this.compile(sa.selector, `${where}.serviceAccounts.selector`)
      parts.push(`sasel=${sas.id}`)
      tests.push((x) => x.serviceAccount !== undefined && sas.matches({'projectcalico.org/name': x.serviceAccount}))
    }
    if (parts.length === 0) return undefined
    return {key: parts.join('&'), test: (x) => tests.every((t) => t(x))}
  }

  /** Which endpoints a named port without a selector refers to. */
  private scopeMatcher(ctx: RuleContext): Matcher {
    if (ctx.namespace === undefined) return {key: 'all', test: () => true}
    const ns = ctx.namespace
    return {key: `ns=${ns}`, test: (x) => x.namespace === ns}
  }

  // --- ipsets ---------------------------------------------------------------------------------

  private addSet(name: string, type: IpSetType, members: () => string[]): string {
    if (!this.sets.has(name)) this.sets.set(name, {name, type, members: members()})
    return name
  }

  private selectorSet(m: Matcher): string {
    return this.addSet(ipsetNameFor('s', m.key), 'hash:net', () =>
      this.entities.filter((x) => m.test(x)).flatMap((x) => x.nets),
    )
  }

  private netSet(nets: string[]): string {
    return this.addSet(ipsetNameFor('c', nets.join(',')), 'hash:net', () => nets)
  }

  private namedPortSet(scope: Matcher, portName: string, proto: number): string {
    const protoName = protoToken(proto)
    return this.addSet(ipsetNameFor('n', `${scope.key}|${protoName}:${portName}`), 'hash:ip,port', () => {
      const members: string[] = []
      for (const x of this.entities) {
        if (!x.isEndpoint || !scope.test(x)) continue
        for (const p of x.ports) {
          if (p.name !== portName) continue
          let pn: number
          try {
            pn = protocolNumber(p.protocol)
          } catch {
            continue
          }
          if (pn !== proto) continue
          for (const net of x.nets) if (!net.includes('/')) members.push(`${net},${protoName}:${p.port}`)
        }
      }
      return members
    })
  }

  // --- filter table: dispatch and static chains -----------------------------------------------

  private dispatchChains(local: WorkloadEndpointInput[]): void {
    const from: IptRule[] = []
    const to: IptRule[] = []
    for (const w of local) {
      const iface = w.spec.interfaceName as string
      from.push({match: ['-i', iface], action: ['-g', `cali-fw-${iface}`]})
      to.push({match: ['-o', iface], action: ['-g', `cali-tw-${iface}`]})
    }
    from.push({comment: 'Unknown interface', match: [], action: ['-j', 'DROP']})
    to.push({comment: 'Unknown interface', match: [], action: ['-j', 'DROP']})
    this.addChain('cali-from-wl-dispatch', from)
    this.addChain('cali-to-wl-dispatch', to)
  }

  private staticFilterChains(): void {
    const input: IptRule[] = []
    const output: IptRule[] = [{comment: 'Host to workload traffic is not policed', match: ['-o', 'cali+'], action: ['-j', 'RETURN']}]
    if (this.ipipEnabled) {
      const set = this.addSet(ALL_HOSTS_SET, 'hash:net', () => this.input.allHostIPs.map(canonicalV4).filter((n): n is string => !!n))
      input.push(
        {
          comment: 'Allow IPIP packets from Calico hosts',
          match: ['-p', '4', '-m', 'set', '--match-set', set, 'src', '-m', 'addrtype', '--dst-type', 'LOCAL'],
          action: ['-j', 'ACCEPT'],
        },
        {comment: 'Drop IPIP packets from non-Calico hosts', match: ['-p', '4'], action: ['-j', 'DROP']},
      )
      output.push({
        comment: 'Allow IPIP packets to other Calico hosts',
        match: ['-p', '4', '-m', 'set', '--match-set', set, 'dst', '-m', 'addrtype', '--src-type', 'LOCAL'],
        action: ['-j', 'ACCEPT'],
      })
    }
    input.push({match: ['-i', 'cali+'], action: ['-g', 'cali-wl-to-host']})
    this.addChain('cali-INPUT', input)
    this.addChain('cali-OUTPUT', output)

    const toHost: IptRule[] = [{match: [], action: ['-j', 'cali-from-wl-dispatch']}]
    const dflt = this.input.defaultEndpointToHostAction ?? 'ACCEPT'
    if (dflt !== 'RETURN') toHost.push({comment: 'Configured DefaultEndpointToHostAction', match: [], action: ['-j', dflt]})
    this.addChain('cali-wl-to-host', toHost)

    this.addChain('cali-FORWARD', [
      {match: [], action: ['-j', 'MARK', '--set-mark', `0x0/${hex(MARK_ALL)}`]},
      {match: ['-i', 'cali+'], action: ['-j', 'cali-from-wl-dispatch']},
      {match: ['-o', 'cali+'], action: ['-j', 'cali-to-wl-dispatch']},
    ])
  }

  // --- other tables ---------------------------------------------------------------------------

  private natTable(): TableState {
    const natOut: IptRule[] = []
    const v4Pools = this.input.pools.filter((p) => canonicalV4(p.cidr) !== undefined && p.cidr.includes('/'))
    const masqPools = v4Pools.filter((p) => p.natOutgoing && !p.disabled)
    if (masqPools.length > 0) {
      const masq = this.addSet(MASQ_POOLS_SET, 'hash:net', () => masqPools.map((p) => canonicalV4(p.cidr) as string))
      const all = this.addSet(ALL_POOLS_SET, 'hash:net', () => v4Pools.map((p) => canonicalV4(p.cidr) as string))
      natOut.push({
        match: ['-m', 'set', '--match-set', masq, 'src', '-m', 'set', '!', '--match-set', all, 'dst'],
        action: ['-j', 'MASQUERADE', '--random-fully'],
      })
    }
    const post: IptRule[] = [{match: [], action: ['-j', 'cali-nat-outgoing']}]
    if (this.ipipEnabled && this.input.ipipTunnelAddress) {
      post.push({
        match: ['-o', 'tunl0', '-m', 'addrtype', '!', '--src-type', 'LOCAL', '--limit-iface-out', '-m', 'addrtype', '--src-type', 'LOCAL'],
        action: ['-j', 'MASQUERADE'],
      })
    }
    return {
      chains: [
        {name: 'cali-POSTROUTING', rules: post},
        {name: 'cali-nat-outgoing', rules: natOut},
      ],
      hooks: [{chain: 'POSTROUTING', position: 'append', rule: {match: [], action: ['-j', 'cali-POSTROUTING']}}],
    }
  }

  private rawTable(): TableState {
    const clear: IptRule = {comment: 'Clear Calico mark bits', match: [], action: ['-j', 'MARK', '--set-mark', `0x0/${hex(MARK_ALL)}`]}
    return {
      chains: [
        {name: 'cali-OUTPUT', rules: [clear]},
        {name: 'cali-PREROUTING', rules: [clear]},
      ],
      hooks: [
        {chain: 'PREROUTING', position: 'insert', rule: {match: [], action: ['-j', 'cali-PREROUTING']}},
        {chain: 'OUTPUT', position: 'insert', rule: {match: [], action: ['-j', 'cali-OUTPUT']}},
      ],
    }
  }

  private mangleTable(): TableState {
    return {
      chains: [
        {
          name: 'cali-PREROUTING',
          rules: [{match: ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED'], action: ['-j', 'ACCEPT']}],
        },
      ],
      hooks: [{chain: 'PREROUTING', position: 'insert', rule: {match: [], action: ['-j', 'cali-PREROUTING']}}],
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The desired iptables chains, kernel-chain hooks and ipsets for this node. Throws a
 * CalicoError (one line, naming the resource) for input that must not reach a command line,
 * e.g. an interface name with spaces or an unknown protocol.
 */
export function buildDesiredState(input: IptablesInput): DesiredState {
  return new ModelBuilder(input).build()
}

/** Exposed for tests: how one rule of a policy renders (ingress chain, given namespace). */
export function renderPolicyRule(input: IptablesInput, rule: Rule, namespace?: string): IptRule[] {
  return new ModelBuilder(input).renderRule(rule, {...(namespace !== undefined ? {namespace} : {}), where: 'rule'})
}

export type {HookRule}
