// The desired iptables and ipset state of one host, computed from Calico resources. Pure: no I/O.
//
// Layout follows Felix's iptables mode (reference/dataplane.md §3): kernel chains jump into
// cali-INPUT/-FORWARD/-OUTPUT, interface dispatch chains goto per-endpoint cali-tw-/cali-fw-
// chains, which walk tiers of policy chains (cali-pi-/cali-po-) and then profile chains
// (cali-pri-/cali-pro-). Verdicts travel in mark bits (accept 0x10000, pass 0x20000).

import {formatNet4, parseNet4} from '../../lib/ip.js'
import {CalicoError} from '../../resources/errors.js'
import type {EndpointPort, EntityRule, Port, Rule} from '../../resources/policy-types.js'
import {inferPolicyTypes, parsePort, protocolNumber} from '../../resources/rules.js'
import {
  hex,
  IPSET_MAIN_PREFIX,
  ipsetNameFor,
  MARK_ACCEPT,
  MARK_ALL,
  MARK_PASS,
} from './render.js'
import {CHAIN, type Direction, endpointChainName, policyChainName, policyId, profileChainName} from './names.js'
import type {
  CompiledSelector,
  DesiredState,
  HookRule,
  HostEndpointInput,
  IpSetState,
  IpSetType,
  IptablesInput,
  IptChain,
  IptRule,
  NetworkSetInput,
  PolicyInput,
  PoolInput,
  ProfileInput,
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

/** Canonical IPv4 network text for ipset/iptables (a bare address for /32), or undefined for IPv6 / unparsable input. */
export function canonicalV4(net: string): string | undefined {
  const p = parseNet4(net)
  return p && formatNet4(p.cidr)
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
//
// One builder is one lineage of inputs: `update(input)` compares the new input with the last one
// item by item and re-renders only what depends on the items that changed (a fresh builder sees
// every item as added, which is the full build). Chains and sets that did not change keep their
// objects, so a planner can skip them by identity. Inputs are treated as immutable: an item
// edited in place keeps its identity and is not noticed.

interface NormPolicy {
  /** Replaced in place when only the rules change, so applicable lists stay valid. */
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
  /** The endpoint chains' rules that jump to its chains, made once and shared by all of them. */
  jumps?: Partial<Record<Dir, IptRule>>
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

type Dir = Direction

interface SetEntry {
  state: IpSetState
  compute: () => string[]
  /** Whether this entity (before or after a change) can be a member: then recompute. */
  touches?: (e: Entity) => boolean
  /** Used by static chains or the nat table, not by a rendered chain: never collected. */
  pinned: boolean
}

/** What an owned filter chain refers to: policy/profile chains it jumps to, sets it matches. */
interface ChainDeps {
  targets: string[]
  sets: string[]
}

/** Local endpoints sharing a namespace and labels share the list of policies that apply. */
interface Group {
  namespace: string
  labels: Record<string, string>
  /** Undefined until resolved in the current update. */
  applicable: NormPolicy[] | undefined
  ifaces: Set<string>
}

interface LocalEndpoint {
  wep: WorkloadEndpointInput
  groupKey: string
}

interface Item<T> {
  ref: T
  /** JSON of ref, computed only when a new object has to be compared with it. */
  json?: string
}

interface Change<T> {
  key: string
  old?: T
  new?: T
}

function shallowSame(a: object, b: object): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k])
}

/** The list each item map was last diffed against and the key of each of its positions. */
const lastLists = new WeakMap<Map<string, Item<object>>, {list: readonly object[]; keys: string[]; dups: boolean}>()

/** Compares `item` with what `key` held (identity, shallow, then JSON of just that item). */
function compareItem<T extends object>(prev: Map<string, Item<T>>, key: string, item: T, changes: Change<T>[]): void {
  const was = prev.get(key)
  if (was === undefined) {
    prev.set(key, {ref: item})
    changes.push({key, new: item})
    return
  }
  if (was.ref === item) return
  if (shallowSame(was.ref, item)) {
    was.ref = item
    return
  }
  const json = JSON.stringify(item)
  was.json ??= JSON.stringify(was.ref)
  if (was.json !== json) changes.push({key, old: was.ref, new: item})
  was.ref = item
  was.json = json
}

/**
 * Which items were added, removed or changed since `prev` (updated in place): identity first,
 * then a shallow comparison, then JSON of just that item. Repeated keys get `#n` suffixes.
 * Callers that keep unchanged items (node run) pay little: the very same list is no change, and
 * a list of the same length whose other positions hold new objects with their position's old
 * key has only those compared.
 */
function diffItems<T extends object>(prev: Map<string, Item<T>>, next: readonly T[], keyOf: (t: T) => string): {changes: Change<T>[]; dups: boolean} {
  const last = lastLists.get(prev as Map<string, Item<object>>)
  if (last?.list === next) return {changes: [], dups: last.dups}
  const changes: Change<T>[] = []
  if (last && !last.dups && last.list.length === next.length) {
    const moved: number[] = []
    for (let i = 0; i < next.length; i++) if (next[i] !== last.list[i]) moved.push(i)
    if (moved.every((i) => keyOf(next[i] as T) === last.keys[i])) {
      for (const i of moved) compareItem(prev, last.keys[i] as string, next[i] as T, changes)
      last.list = next
      return {changes, dups: false}
    }
  }
  const seen = new Set<string>()
  const keys: string[] = []
  let dups = false
  for (const item of next) {
    let key = keyOf(item)
    if (seen.has(key)) {
      dups = true
      let n = 1
      while (seen.has(`${key}#${n}`)) n++
      key = `${key}#${n}`
    }
    seen.add(key)
    keys.push(key)
    compareItem(prev, key, item, changes)
  }
  if (prev.size > seen.size) {
    for (const [key, was] of prev) {
      if (seen.has(key)) continue
      changes.push({key, old: was.ref})
      prev.delete(key)
    }
  }
  lastLists.set(prev as Map<string, Item<object>>, {list: next, keys, dups})
  return {changes, dups}
}

const policyKey = (p: PolicyInput): string => `${p.kind}\0${p.namespace ?? ''}\0${p.name}`
const wepKey = (w: WorkloadEndpointInput): string => `${w.namespace}\0${w.name}`
const hepKey = (h: HostEndpointInput): string => h.name
const netSetKey = (s: NetworkSetInput): string => (s.namespace === undefined ? `\0${s.name}` : `${s.namespace}\0${s.name}`)

/** Everything about a policy that decides where it applies and how endpoint chains call it. */
function placement(p: NormPolicy): string {
  return [p.tier, p.order, p.sortKey, p.input.kind, p.input.namespace ?? '', p.selector.id, p.namespaceSelector?.id ?? '', [...p.types].sort().join(',')].join('\0')
}

function policyOrder(a: NormPolicy, b: NormPolicy): number {
  return a.order - b.order || cmp(a.sortKey, b.sortKey) || cmp(a.input.kind, b.input.kind)
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Rules every local endpoint's chains hold: shared, since rules are never modified. */
const EP = {
  established: {match: ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED'], action: ['-j', 'ACCEPT']},
  invalid: {match: ['-m', 'conntrack', '--ctstate', 'INVALID'], action: ['-j', 'DROP']},
  clearMarks: {match: [], action: ['-j', 'MARK', '--set-mark', `0x0/${hex(MARK_ACCEPT | MARK_PASS)}`]},
  ipipDrop: {comment: 'Drop IPinIP encapped packets originating in workloads', match: ['-p', '4'], action: ['-j', 'DROP']},
  noPassMatch: ['-m', 'mark', '--mark', noPassMark],
  policyAccepted: {comment: 'Return if policy accepted', match: ['-m', 'mark', '--mark', acceptMark], action: ['-j', 'RETURN']},
  profileAccepted: {comment: 'Return if profile accepted', match: ['-m', 'mark', '--mark', acceptMark], action: ['-j', 'RETURN']},
  noProfile: {comment: 'Drop if no profiles matched', match: [], action: ['-j', 'DROP']},
} satisfies Record<string, IptRule | string[]>

export const FILTER_HOOKS: HookRule[] = [
  {chain: 'INPUT', position: 'insert', rule: {match: [], action: ['-j', CHAIN.input]}},
  {chain: 'FORWARD', position: 'insert', rule: {match: [], action: ['-j', CHAIN.forward]}},
  {chain: 'OUTPUT', position: 'insert', rule: {match: [], action: ['-j', CHAIN.output]}},
  {
    chain: 'FORWARD',
    position: 'append',
    rule: {comment: 'Policy explicitly accepted packet.', match: ['-m', 'mark', '--mark', acceptMark], action: ['-j', 'ACCEPT']},
  },
]

/** The input fields whose change makes a builder start over (tiers and profiles reach every chain). */
type BroadInput = Pick<IptablesInput, 'nodeName' | 'tiers' | 'profiles' | 'namespaces' | 'defaultEndpointToHostAction' | 'compileSelector'>

function ipipOn(pools: readonly PoolInput[]): boolean {
  return pools.some((p) => !p.disabled && (p.ipipMode === 'Always' || p.ipipMode === 'CrossSubnet') && canonicalV4(p.cidr) !== undefined)
}

class ModelBuilder {
  private readonly compiled = new Map<string, CompiledSelector>()
  private readonly nsLabels = new Map<string, Record<string, string>>()
  private readonly profiles: Map<string, ProfileInput>
  private readonly sortedTiers: NormTier[]
  private readonly tierNames: Set<string>
  /** The broad fields only: holding the whole first input would keep its item arrays alive. */
  private readonly input: BroadInput
  /** JSON of the broad fields (cheap, small). */
  private readonly broad: string
  private allHostIPs: string[]
  // Pools and the tunnel address reach only the IPIP rules of static and endpoint chains, the
  // nat table and the pinned sets: a change re-renders those, not the policy chains.
  private pools: PoolInput[]
  private tunnelAddress: string | undefined
  private poolsJson: string
  private ipipEnabled = false

  private readonly items = {
    policies: new Map<string, Item<PolicyInput>>(),
    weps: new Map<string, Item<WorkloadEndpointInput>>(),
    heps: new Map<string, Item<HostEndpointInput>>(),
    netSets: new Map<string, Item<NetworkSetInput>>(),
  }
  private readonly entities = new Map<string, Entity>()
  private readonly sets = new Map<string, SetEntry>()
  private readonly filterChains = new Map<string, IptChain>()
  private readonly deps = new Map<string, ChainDeps>()
  /** How many endpoint chains jump to each policy/profile chain. */
  private readonly chainRefs = new Map<string, number>()
  /** How many rendered chains match on each set. */
  private readonly setRefs = new Map<string, number>()
  private readonly groups = new Map<string, Group>()
  private readonly local = new Map<string, LocalEndpoint>()
  private readonly localIfaceByKey = new Map<string, string>()
  private readonly normByKey = new Map<string, NormPolicy>()
  private policies: NormPolicy[] = []
  private readonly otherTables: Pick<Record<TableName, TableState>, 'raw' | 'mangle' | 'nat'>
  private fresh = true
  private out: DesiredState | undefined

  // Per-update scratch.
  private collecting: string[] | undefined
  private zeroChains = new Set<string>()
  private zeroSets = new Set<string>()
  private freshSets = new Set<string>()
  private chainsChanged = false
  private setsChanged = false

  constructor(input: IptablesInput) {
    this.input = {
      nodeName: input.nodeName,
      tiers: input.tiers,
      profiles: input.profiles,
      ...(input.namespaces !== undefined ? {namespaces: input.namespaces} : {}),
      ...(input.defaultEndpointToHostAction !== undefined ? {defaultEndpointToHostAction: input.defaultEndpointToHostAction} : {}),
      compileSelector: input.compileSelector,
    }
    this.allHostIPs = input.allHostIPs
    this.broad = ModelBuilder.broadKey(input)
    this.pools = input.pools
    this.tunnelAddress = input.ipipTunnelAddress
    this.poolsJson = ModelBuilder.poolsKey(input)
    // The first profile of a name wins, as a lookup by name in the list would.
    this.profiles = new Map(input.profiles.map((p) => [p.name, p] as const).reverse())
    this.collectNamespaces()
    const tiers = this.normTiers()
    this.tierNames = new Set(tiers.keys())
    this.sortedTiers = [...tiers.values()].sort((a, b) => a.order - b.order || cmp(a.name, b.name))
    this.staticFilterChains()
    // With no local endpoint yet they only drop: cali-FORWARD and cali-wl-to-host jump to them.
    this.dispatchChains()
    this.otherTables = {raw: this.rawTable(), mangle: this.mangleTable(), nat: {chains: [], hooks: []}}
    this.applyPools(undefined)
  }

  /** Inputs every chain may depend on (tiers, profiles, node settings): any change starts over. */
  private static broadKey(input: IptablesInput): string {
    return JSON.stringify([input.nodeName, input.tiers, input.profiles, input.namespaces ?? null, input.defaultEndpointToHostAction ?? null])
  }

  private static poolsKey(input: IptablesInput): string {
    return JSON.stringify([input.pools, input.ipipTunnelAddress ?? null])
  }

  /** Takes the input's pools and tunnel address when they differ from the builder's; whether they did. */
  private takePools(input: IptablesInput): boolean {
    if (input.pools === this.pools && input.ipipTunnelAddress === this.tunnelAddress) return false
    const json = ModelBuilder.poolsKey(input)
    this.pools = input.pools
    this.tunnelAddress = input.ipipTunnelAddress
    if (json === this.poolsJson) return false
    this.poolsJson = json
    return true
  }

  /**
   * (Re-)renders what the pools and the tunnel address decide: the IPIP rules of cali-INPUT and
   * cali-OUTPUT with the all-hosts set, the nat table with the pool sets, and, when IPIP turns
   * on or off, the local endpoints' egress chains (their interfaces added to `egressDirty`;
   * undefined in the constructor, before any endpoint).
   */
  private applyPools(egressDirty: Set<string> | undefined): void {
    const ipip = ipipOn(this.pools)
    if (egressDirty === undefined || ipip !== this.ipipEnabled) {
      this.ipipEnabled = ipip
      this.ipipChains()
      if (egressDirty) for (const iface of this.local.keys()) egressDirty.add(iface)
    }
    const nat = this.natTable()
    // Unchanged content keeps its object, so a planner skips it by identity.
    if (JSON.stringify(nat) !== JSON.stringify(this.otherTables.nat)) this.otherTables.nat = nat
  }

  private sameBroad(input: IptablesInput): boolean {
    const a = this.input
    if (input.compileSelector !== a.compileSelector) return false
    const same =
      input.nodeName === a.nodeName &&
      input.tiers === a.tiers &&
      input.profiles === a.profiles &&
      input.namespaces === a.namespaces &&
      input.defaultEndpointToHostAction === a.defaultEndpointToHostAction
    return same || ModelBuilder.broadKey(input) === this.broad
  }

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

  /**
   * The desired state for `input`, re-rendering only what its changes since the last update
   * touch; undefined when the change is too broad for this builder (start a fresh one). Throws
   * on invalid input; the builder is then unusable.
   */
  update(input: IptablesInput): DesiredState | undefined {
    if (!this.fresh && !this.sameBroad(input)) return undefined
    const pol = diffItems(this.items.policies, input.policies, policyKey)
    const weps = diffItems(this.items.weps, input.workloadEndpoints, wepKey)
    const heps = diffItems(this.items.heps, input.hostEndpoints, hepKey)
    const nets = diffItems(this.items.netSets, input.networkSets, netSetKey)
    if (!this.fresh && (pol.dups || weps.dups || heps.dups || nets.dups)) return undefined
    // Past a quarter of the items, re-rendering piece by piece costs more than starting over.
    const churn = pol.changes.length + weps.changes.length
    if (!this.fresh && churn > 32 && churn * 4 > input.policies.length + input.workloadEndpoints.length) return undefined
    const hostIPsChanged = !sameStrings(this.allHostIPs, input.allHostIPs)
    this.allHostIPs = input.allHostIPs
    const poolsChanged = this.takePools(input)
    const anyChange = pol.changes.length + weps.changes.length + heps.changes.length + nets.changes.length > 0 || hostIPsChanged || poolsChanged
    if (this.out && !anyChange) return this.out
    this.fresh = false
    this.zeroChains = new Set()
    this.zeroSets = new Set()
    this.freshSets = new Set()

    // Entities first: sets rendered below take their members from them.
    const touched: Entity[] = []
    const swap = <T>(prefix: string, changes: Change<T>[], make: (t: T) => Entity): void => {
      for (const c of changes) {
        const id = `${prefix}${c.key}`
        const old = this.entities.get(id)
        if (old) touched.push(old)
        if (c.new === undefined) {
          this.entities.delete(id)
          continue
        }
        const e = make(c.new)
        this.entities.set(id, e)
        touched.push(e)
      }
    }
    swap('w\0', weps.changes, (w) => this.wepEntity(w))
    swap('h\0', heps.changes, (h) => this.hepEntity(h))
    swap('s\0', nets.changes, (s) => this.netSetEntity(s))

    const dirty = new Set<string>()
    const egressDirty = new Set<string>()
    if (poolsChanged) this.applyPools(egressDirty)
    let dispatchDirty = false
    for (const c of weps.changes) if (c.old && this.removeLocal(c.key)) dispatchDirty = true
    for (const c of weps.changes) if (c.new && this.addLocal(c.key, c.new, dirty)) dispatchDirty = true

    const forgotten = this.updatePolicies(pol.changes, dirty)
    for (const g of this.groups.values()) {
      if (g.applicable === undefined) g.applicable = this.policies.filter((p) => this.applies(p, g))
    }
    for (const iface of [...dirty].sort()) {
      const ep = this.local.get(iface)
      if (ep) this.endpointChains(iface, ep)
    }
    for (const iface of egressDirty) {
      const ep = this.local.get(iface)
      if (ep && !dirty.has(iface)) this.endpointChains(iface, ep, ['egress'])
    }
    // Chains of policies whose rules changed, still called by endpoints that did not change.
    for (const {name, key, dir} of forgotten) {
      if ((this.chainRefs.get(name) ?? 0) === 0 || this.filterChains.has(name)) continue
      const owner = this.normByKey.get(key)
      if (!owner || policyChainName(dir, owner.id) !== name) throw new Error(`iptables model: chain ${name} is called but has no policy`)
      this.policyChain(owner, dir)
    }
    if (dispatchDirty) this.dispatchChains()

    for (const name of this.zeroChains) {
      if ((this.chainRefs.get(name) ?? 0) > 0) continue
      this.chainRefs.delete(name)
      this.removeChain(name)
    }
    for (const name of this.zeroSets) {
      const e = this.sets.get(name)
      if ((this.setRefs.get(name) ?? 0) > 0 || !e || e.pinned) continue
      this.setRefs.delete(name)
      this.sets.delete(name)
      this.setsChanged = true
    }
    for (const [name, e] of this.sets) {
      if (this.freshSets.has(name)) continue
      if ((name === ALL_HOSTS_SET && hostIPsChanged) || (touched.length > 0 && e.touches && touched.some(e.touches))) this.recompute(e)
    }
    return this.assemble()
  }

  private assemble(): DesiredState {
    if (this.out && !this.chainsChanged && !this.setsChanged && this.out.tables.nat === this.otherTables.nat) return this.out
    const prev = this.out
    const filter: TableState =
      prev && !this.chainsChanged
        ? prev.tables.filter
        : {chains: [...this.filterChains.values()].sort((a, b) => cmp(a.name, b.name)), hooks: FILTER_HOOKS}
    const ipsets = prev && !this.setsChanged ? prev.ipsets : [...this.sets.values()].map((e) => e.state).sort((a, b) => cmp(a.name, b.name))
    this.chainsChanged = false
    this.setsChanged = false
    this.out = {tables: {raw: this.otherTables.raw, mangle: this.otherTables.mangle, filter, nat: this.otherTables.nat}, ipsets}
    return this.out
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

  private profileLabels(names: readonly string[] | undefined): Record<string, string> {
    const labels: Record<string, string> = {}
    for (const pn of names ?? []) Object.assign(labels, this.profiles.get(pn)?.spec.labelsToApply ?? {})
    return labels
  }

  private entityLabels(w: WorkloadEndpointInput): Record<string, string> {
    const profile = this.profileLabels(w.spec.profiles)
    // Inputs are not modified: with nothing to add, the endpoint's own labels serve as they are.
    if (Object.keys(profile).length === 0 && Object.hasOwn(w.labels, NS_LABEL)) return w.labels
    return Object.assign(profile, {[NS_LABEL]: w.namespace}, w.labels)
  }

  private wepEntity(w: WorkloadEndpointInput): Entity {
    return {
      namespace: w.namespace,
      labels: this.entityLabels(w),
      nets: (w.spec.ipNetworks ?? []).map(canonicalV4).filter((n): n is string => n !== undefined),
      ports: w.spec.ports ?? [],
      ...(w.spec.serviceAccountName ? {serviceAccount: w.spec.serviceAccountName} : {}),
      isEndpoint: true,
    }
  }

  private hepEntity(h: HostEndpointInput): Entity {
    return {
      labels: Object.assign(this.profileLabels(h.spec.profiles), h.labels),
      nets: (h.spec.expectedIPs ?? []).map(canonicalV4).filter((n): n is string => n !== undefined),
      ports: h.spec.ports ?? [],
      isEndpoint: true,
    }
  }

  private netSetEntity(s: NetworkSetInput): Entity {
    const labels: Record<string, string> = {...s.labels}
    if (s.namespace !== undefined) labels[NS_LABEL] = s.namespace
    return {
      ...(s.namespace !== undefined ? {namespace: s.namespace} : {}),
      labels,
      nets: s.nets.map(canonicalV4).filter((n): n is string => n !== undefined),
      ports: [],
      isEndpoint: false,
    }
  }

  /** Registers a local endpoint (validating its interface); false when it is not local. */
  private addLocal(key: string, w: WorkloadEndpointInput, dirty: Set<string>): boolean {
    if (w.spec.node !== this.input.nodeName) return false
    const iface = w.spec.interfaceName
    if (iface === undefined || iface === '') return false
    const who = `WorkloadEndpoint ${w.namespace}/${w.name}`
    if (!isValidInterfaceName(iface)) {
      throw new CalicoError(`${who}: invalid interfaceName '${iface}' (at most 15 letters, digits and _.-)`)
    }
    const other = this.local.get(iface)
    if (other) throw new CalicoError(`${who}: interface ${iface} is already used by WorkloadEndpoint ${other.wep.namespace}/${other.wep.name}`)
    const labels = this.entityLabels(w)
    // Which policies apply depends only on the namespace and labels, and many endpoints share them.
    const groupKey = `${w.namespace}\0${JSON.stringify(labels)}`
    let g = this.groups.get(groupKey)
    if (!g) {
      g = {namespace: w.namespace, labels, applicable: undefined, ifaces: new Set()}
      this.groups.set(groupKey, g)
    }
    g.ifaces.add(iface)
    this.local.set(iface, {wep: w, groupKey})
    this.localIfaceByKey.set(key, iface)
    dirty.add(iface)
    return true
  }

  /** Drops a local endpoint and its chains; false when it was not local. */
  private removeLocal(key: string): boolean {
    const iface = this.localIfaceByKey.get(key)
    if (iface === undefined) return false
    const ep = this.local.get(iface) as LocalEndpoint
    this.removeChain(endpointChainName('ingress', iface))
    this.removeChain(endpointChainName('egress', iface))
    const g = this.groups.get(ep.groupKey)
    g?.ifaces.delete(iface)
    if (g && g.ifaces.size === 0) this.groups.delete(ep.groupKey)
    this.local.delete(iface)
    this.localIfaceByKey.delete(key)
    return true
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

  /** Undefined for a policy in a missing tier (not active, as in Felix). */
  private normPolicy(p: PolicyInput): NormPolicy | undefined {
    const tier = p.spec.tier ?? DEFAULT_TIER
    if (!this.tierNames.has(tier)) return undefined
    const namespaced = p.kind === 'NetworkPolicy'
    if (namespaced && !p.namespace) throw new CalicoError(`NetworkPolicy ${p.name}: namespace is required`)
    const display = namespaced ? `${p.namespace}/${p.name}` : p.name
    const where = `${p.kind} ${display}`
    return {
      input: p,
      tier,
      order: p.spec.order ?? Number.POSITIVE_INFINITY,
      sortKey: display,
      selector: this.compile(p.spec.selector?.trim() || 'all()', `${where}: spec.selector`),
      ...(p.spec.namespaceSelector?.trim() ? {namespaceSelector: this.compile(p.spec.namespaceSelector, `${where}: spec.namespaceSelector`)} : {}),
      types: new Set(inferPolicyTypes(p.spec)),
      display,
      id: policyId(tier, p.name, namespaced ? p.namespace : undefined),
    }
  }

  /**
   * Applies policy changes. A change of rules only replaces the policy's input (its chains are
   * dropped and re-rendered where still called); a change of where it applies or how it is
   * called marks the endpoint groups it applied or now applies to. Returns the dropped chains
   * with the key of the policy they belonged to.
   */
  private updatePolicies(changes: Change<PolicyInput>[], dirty: Set<string>): Array<{name: string; key: string; dir: Dir}> {
    const forgotten: Array<{name: string; key: string; dir: Dir}> = []
    const moved: Array<{old: NormPolicy | undefined; now: NormPolicy | undefined}> = []
    for (const c of changes) {
      const old = this.normByKey.get(c.key)
      const now = c.new ? this.normPolicy(c.new) : undefined
      if (old) {
        for (const dir of ['ingress', 'egress'] as const) {
          const name = policyChainName(dir, old.id)
          if (this.filterChains.has(name)) {
            this.removeChain(name)
            forgotten.push({name, key: c.key, dir})
          }
        }
      }
      if (old && now && placement(old) === placement(now)) {
        old.input = now.input
        continue
      }
      if (old) this.normByKey.delete(c.key)
      if (now) this.normByKey.set(c.key, now)
      if (old || now) moved.push({old, now})
    }
    if (moved.length === 0) return forgotten
    this.policies = [...this.normByKey.values()].sort(policyOrder)
    const olds = new Set(moved.flatMap(({old}) => (old ? [old] : [])))
    const nows = moved.flatMap(({now}) => (now ? [now] : []))
    for (const g of this.groups.values()) {
      const applicable = g.applicable
      if (applicable === undefined) continue
      if (!applicable.some((p) => olds.has(p)) && !nows.some((p) => this.applies(p, g))) continue
      g.applicable = undefined
      for (const iface of g.ifaces) dirty.add(iface)
    }
    return forgotten
  }

  private applies(p: NormPolicy, g: Group): boolean {
    if (p.input.kind === 'NetworkPolicy' && p.input.namespace !== g.namespace) return false
    if (p.namespaceSelector && !p.namespaceSelector.matches(this.namespaceLabels(g.namespace))) return false
    return p.selector.matches(g.labels)
  }

  // --- owned chains and what they refer to ----------------------------------------------------

  private putChain(name: string, rules: IptRule[], deps: ChainDeps): void {
    const before = this.deps.get(name)
    for (const t of deps.targets) this.chainRefs.set(t, (this.chainRefs.get(t) ?? 0) + 1)
    for (const s of deps.sets) this.setRefs.set(s, (this.setRefs.get(s) ?? 0) + 1)
    if (before) this.release(before)
    this.filterChains.set(name, {name, rules})
    // Most chains refer to nothing (every policy chain that matches no set): no entry for them.
    if (deps.targets.length + deps.sets.length > 0) this.deps.set(name, deps)
    else this.deps.delete(name)
    this.chainsChanged = true
  }

  private removeChain(name: string): void {
    const before = this.deps.get(name)
    if (before) this.release(before)
    this.deps.delete(name)
    if (this.filterChains.delete(name)) this.chainsChanged = true
  }

  private release(deps: ChainDeps): void {
    for (const t of deps.targets) {
      const n = (this.chainRefs.get(t) ?? 0) - 1
      this.chainRefs.set(t, n)
      if (n <= 0) this.zeroChains.add(t)
    }
    for (const s of deps.sets) {
      const n = (this.setRefs.get(s) ?? 0) - 1
      this.setRefs.set(s, n)
      if (n <= 0) this.zeroSets.add(s)
    }
  }

  /** Renders a policy or profile chain, recording the sets its rules match on. */
  private renderOwned(name: string, render: () => IptRule[]): void {
    const outer = this.collecting
    const sets: string[] = []
    this.collecting = sets
    let rules: IptRule[]
    try {
      rules = render()
    } finally {
      this.collecting = outer
    }
    this.putChain(name, rules, {targets: [], sets: [...new Set(sets)]})
  }

  // --- filter table: endpoints -------------------------------------------------------------

  private endpointChains(iface: string, ep: LocalEndpoint, dirs: readonly Dir[] = ['ingress', 'egress']): void {
    const w = ep.wep
    const applicable = this.groups.get(ep.groupKey)?.applicable ?? []
    const profiles = (w.spec.profiles ?? []).filter((pn) => this.profiles.has(pn))

    for (const dir of dirs) {
      const type = dir === 'ingress' ? 'Ingress' : 'Egress'
      const chainName = endpointChainName(dir, iface)
      const targets: string[] = []
      const rules: IptRule[] = [EP.established, EP.invalid, EP.clearMarks]
      if (dir === 'egress' && this.ipipEnabled) rules.push(EP.ipipDrop)
      for (const tier of this.sortedTiers) {
        const inTier = applicable.filter((p) => p.tier === tier.name && p.types.has(type))
        if (inTier.length === 0) continue
        rules.push({comment: `Start of tier ${tier.name}`, match: [], action: ['-j', 'MARK', '--set-mark', noPassMark]})
        for (const p of inTier) {
          const target = this.policyChain(p, dir)
          targets.push(target)
          p.jumps ??= {}
          const jump = p.jumps[dir] ?? {match: EP.noPassMatch, action: ['-j', target]}
          p.jumps[dir] = jump
          rules.push(jump, EP.policyAccepted)
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
        targets.push(target)
        rules.push({match: [], action: ['-j', target]}, EP.profileAccepted)
      }
      rules.push(EP.noProfile)
      this.putChain(chainName, rules, {targets, sets: []})
    }
  }

  private policyChain(p: NormPolicy, dir: Dir): string {
    const name = policyChainName(dir, p.id)
    if (!this.filterChains.has(name)) {
      const ctx: RuleContext = {
        ...(p.input.kind === 'NetworkPolicy' ? {namespace: p.input.namespace} : {}),
        where: `${p.input.kind} ${p.display}`,
      }
      this.renderOwned(name, () => {
        const rules = this.renderRules(p.input.spec[dir] ?? [], ctx, `${dir}[`)
        if (rules[0]) rules[0] = {...rules[0], comment: `${p.input.kind} ${p.display} ${dir}`}
        return rules
      })
    }
    return name
  }

  private profileChain(profileName: string, dir: Dir): string {
    const name = profileChainName(dir, profileName)
    if (!this.filterChains.has(name)) {
      const prof = this.profiles.get(profileName)
      this.renderOwned(name, () => {
        const rules = this.renderRules(prof?.spec[dir] ?? [], {where: `Profile ${profileName}`}, `${dir}[`)
        if (rules[0]) rules[0] = {...rules[0], comment: `Profile ${profileName} ${dir}`}
        return rules
      })
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

  private addSet(name: string, type: IpSetType, compute: () => string[], touches?: (e: Entity) => boolean): string {
    if (!this.sets.has(name)) {
      this.sets.set(name, {state: {name, type, members: sortedUnique(compute())}, compute, ...(touches ? {touches} : {}), pinned: this.collecting === undefined})
      this.freshSets.add(name)
      this.setsChanged = true
    }
    this.collecting?.push(name)
    return name
  }

  /** A set of the static chains or the nat table: created, re-read from `compute`, or dropped (no compute). */
  private pinnedSet(name: string, type: IpSetType, compute: (() => string[]) | undefined): string {
    const e = this.sets.get(name)
    if (compute === undefined) {
      if (e) {
        this.sets.delete(name)
        this.setsChanged = true
      }
    } else if (!e) this.addSet(name, type, compute)
    else if (!this.freshSets.has(name)) {
      e.compute = compute
      this.recompute(e)
    }
    return name
  }

  /** Re-reads a set's members; a new state object only when they differ. */
  private recompute(e: SetEntry): void {
    const members = sortedUnique(e.compute())
    if (sameStrings(members, e.state.members)) return
    e.state = {name: e.state.name, type: e.state.type, members}
    this.setsChanged = true
  }

  private selectorSet(m: Matcher): string {
    return this.addSet(
      ipsetNameFor('s', m.key),
      'hash:net',
      () => {
        const members: string[] = []
        for (const x of this.entities.values()) if (m.test(x)) members.push(...x.nets)
        return members
      },
      (x) => m.test(x),
    )
  }

  private netSet(nets: string[]): string {
    return this.addSet(ipsetNameFor('c', nets.join(',')), 'hash:net', () => nets)
  }

  private namedPortSet(scope: Matcher, portName: string, proto: number): string {
    const protoName = protoToken(proto)
    return this.addSet(
      ipsetNameFor('n', `${scope.key}|${protoName}:${portName}`),
      'hash:ip,port',
      () => {
        const members: string[] = []
        for (const x of this.entities.values()) {
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
      },
      (x) => x.isEndpoint && scope.test(x),
    )
  }

  // --- filter table: dispatch and static chains -----------------------------------------------

  private dispatchChains(): void {
    const from: IptRule[] = []
    const to: IptRule[] = []
    for (const iface of [...this.local.keys()].sort()) {
      from.push({match: ['-i', iface], action: ['-g', endpointChainName('egress', iface)]})
      to.push({match: ['-o', iface], action: ['-g', endpointChainName('ingress', iface)]})
    }
    from.push({comment: 'Unknown interface', match: [], action: ['-j', 'DROP']})
    to.push({comment: 'Unknown interface', match: [], action: ['-j', 'DROP']})
    this.putChain(CHAIN.fromWorkloadDispatch, from, {targets: [], sets: []})
    this.putChain(CHAIN.toWorkloadDispatch, to, {targets: [], sets: []})
  }

  /** cali-INPUT and cali-OUTPUT: their IPIP rules match on the all-hosts set (pinned). */
  private ipipChains(): void {
    const input: IptRule[] = []
    const output: IptRule[] = [{comment: 'Host to workload traffic is not policed', match: ['-o', 'cali+'], action: ['-j', 'RETURN']}]
    const hostNets = this.ipipEnabled ? () => this.allHostIPs.map(canonicalV4).filter((n): n is string => !!n) : undefined
    const set = this.pinnedSet(ALL_HOSTS_SET, 'hash:net', hostNets)
    if (this.ipipEnabled) {
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
    input.push({match: ['-i', 'cali+'], action: ['-g', CHAIN.workloadToHost]})
    this.putChain(CHAIN.input, input, {targets: [], sets: []})
    this.putChain(CHAIN.output, output, {targets: [], sets: []})
  }

  /** Chains that depend only on what a builder is created with. */
  private staticFilterChains(): void {
    const none: ChainDeps = {targets: [], sets: []}
    const toHost: IptRule[] = [{match: [], action: ['-j', CHAIN.fromWorkloadDispatch]}]
    const dflt = this.input.defaultEndpointToHostAction ?? 'ACCEPT'
    if (dflt !== 'RETURN') toHost.push({comment: 'Configured DefaultEndpointToHostAction', match: [], action: ['-j', dflt]})
    this.putChain(CHAIN.workloadToHost, toHost, none)

    this.putChain(
      CHAIN.forward,
      [
        {match: [], action: ['-j', 'MARK', '--set-mark', `0x0/${hex(MARK_ALL)}`]},
        {match: ['-i', 'cali+'], action: ['-j', CHAIN.fromWorkloadDispatch]},
        {match: ['-o', 'cali+'], action: ['-j', CHAIN.toWorkloadDispatch]},
      ],
      none,
    )
  }

  // --- other tables ---------------------------------------------------------------------------

  /** The nat table, with its pool sets (pinned) created, updated or dropped. */
  private natTable(): TableState {
    const natOut: IptRule[] = []
    const v4Pools = this.pools.filter((p) => canonicalV4(p.cidr) !== undefined && p.cidr.includes('/'))
    const masqPools = v4Pools.filter((p) => p.natOutgoing && !p.disabled)
    const masq = this.pinnedSet(MASQ_POOLS_SET, 'hash:net', masqPools.length > 0 ? () => masqPools.map((p) => canonicalV4(p.cidr) as string) : undefined)
    const all = this.pinnedSet(ALL_POOLS_SET, 'hash:net', masqPools.length > 0 ? () => v4Pools.map((p) => canonicalV4(p.cidr) as string) : undefined)
    if (masqPools.length > 0) {
      natOut.push({
        match: ['-m', 'set', '--match-set', masq, 'src', '-m', 'set', '!', '--match-set', all, 'dst'],
        action: ['-j', 'MASQUERADE', '--random-fully'],
      })
    }
    const post: IptRule[] = [{match: [], action: ['-j', CHAIN.natOutgoing]}]
    if (this.ipipEnabled && this.tunnelAddress) {
      post.push({
        match: ['-o', 'tunl0', '-m', 'addrtype', '!', '--src-type', 'LOCAL', '--limit-iface-out', '-m', 'addrtype', '--src-type', 'LOCAL'],
        action: ['-j', 'MASQUERADE'],
      })
    }
    return {
      chains: [
        {name: CHAIN.postrouting, rules: post},
        {name: CHAIN.natOutgoing, rules: natOut},
      ],
      hooks: [{chain: 'POSTROUTING', position: 'append', rule: {match: [], action: ['-j', CHAIN.postrouting]}}],
    }
  }

  private rawTable(): TableState {
    const clear: IptRule = {comment: 'Clear Calico mark bits', match: [], action: ['-j', 'MARK', '--set-mark', `0x0/${hex(MARK_ALL)}`]}
    return {
      chains: [
        {name: CHAIN.output, rules: [clear]},
        {name: CHAIN.prerouting, rules: [clear]},
      ],
      hooks: [
        {chain: 'PREROUTING', position: 'insert', rule: {match: [], action: ['-j', CHAIN.prerouting]}},
        {chain: 'OUTPUT', position: 'insert', rule: {match: [], action: ['-j', CHAIN.output]}},
      ],
    }
  }

  private mangleTable(): TableState {
    return {
      chains: [
        {
          name: CHAIN.prerouting,
          rules: [{match: ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED'], action: ['-j', 'ACCEPT']}],
        },
      ],
      hooks: [{chain: 'PREROUTING', position: 'insert', rule: {match: [], action: ['-j', CHAIN.prerouting]}}],
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
  return new ModelBuilder(input).update(input) as DesiredState
}

/**
 * Builds desired states for a sequence of inputs (a long-running agent's passes), re-rendering
 * only what changed since the previous input; the result always equals buildDesiredState(input).
 * Chains and sets that did not change are the same objects as in the previous result.
 */
export class IncrementalModel {
  private builder: ModelBuilder | undefined

  build(input: IptablesInput): DesiredState {
    if (this.builder) {
      try {
        const out = this.builder.update(input)
        if (out) return out
      } catch {
        // A fresh build gives the authoritative result, or the error a full build gives.
      }
      this.builder = undefined
    }
    const b = new ModelBuilder(input)
    const out = b.update(input) as DesiredState
    this.builder = b
    return out
  }

  /** Forget the previous input: the next build renders everything. */
  reset(): void {
    this.builder = undefined
  }
}

/** Exposed for tests: how one rule of a policy renders (ingress chain, given namespace). */
export function renderPolicyRule(input: IptablesInput, rule: Rule, namespace?: string): IptRule[] {
  return new ModelBuilder(input).renderRule(rule, {...(namespace !== undefined ? {namespace} : {}), where: 'rule'})
}

export type {HookRule}
