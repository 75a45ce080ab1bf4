// `node explain --live`: the datastore explanation, checked against this host's kernel. The route
// the kernel picks (`ip route get`, as for a packet arriving from the source workload's interface)
// is compared with the hop explain predicted, and the rule counters of the endpoint and policy
// chains (`iptables-save -c`) are matched, by their `cali:<hash>` comments, to the rules the
// model renders, so each counter is tied to a Calico rule. Differences are listed, never fatal.
import {readFile} from 'node:fs/promises'
import {buildDesiredState, compileSelector, type IptablesBackend, iptablesBinaries, resolveIptablesBackend} from '../dataplane/iptables/index.js'
import {renderPolicyRule} from '../dataplane/iptables/model.js'
import {endpointChainName, policyChainName, policyId, profileChainName} from '../dataplane/iptables/names.js'
import {ruleHashes, sanitizeComment} from '../dataplane/iptables/render.js'
import type {IptablesInput, IptChain, IptRule} from '../dataplane/iptables/types.js'
import type {ResourceStore} from '../datastore/store.js'
import {Ipam} from '../ipam/index.js'
import {assertSafeName, type CommandRunner, runCommand} from '../lib/exec.js'
import {cidr4Contains, isIPv4, parseIPv4, parseNet4} from '../lib/ip.js'
import {resolveNodeName} from '../node/identity.js'
import {readSnapshot} from '../node/cache.js'
import {buildIptablesInput, type Snapshot} from '../node/snapshot.js'
import {CalicoError} from '../resources/errors.js'
import {specOf} from '../resources/types.js'
import {type ExplainRequest, type ExplainResult, explain, formatExplain, type PathHop, UPLINK} from './explain.js'

/** A route as the kernel reports it (or as explain expects it). */
export interface RouteView {
  /** The matching table entry's prefix (`default` for the default route). */
  prefix?: string
  type: string
  gateway?: string
  dev?: string
  onlink: boolean
  protocol?: string
  scope?: string
  /** The lookup failed: the kernel's message (e.g. "No route to host"). */
  error?: string
  text: string
}

export interface ExpectedRoute {
  via: PathHop['via']
  text: string
  type?: string
  gateway?: string
  dev?: string
  onlink?: boolean
  protocol?: string
}

export interface LiveRoute {
  node: string
  /** The lookup as an `ip` command line. */
  lookup: string
  expected: ExpectedRoute
  actual: RouteView
  match: boolean
  differences: string[]
}

export interface LiveRuleCounter {
  /** 1-based position in the kernel chain. */
  index: number
  packets: number
  bytes: number
  /** What the rule is: the Calico rule it renders, or its comment / target. */
  description: string
  /** False when the kernel rule is not one the model renders for this chain (stale or foreign). */
  inModel: boolean
}

export interface LiveChain {
  chain: string
  /** `egress from ns/name`, `ingress to ns/name`, or the policy/profile owning the chain. */
  role: string
  present: boolean
  rules: LiveRuleCounter[]
  differences: string[]
}

/** The rule explain says decides on this host's side, and what the kernel counted for it. */
export interface LiveDecision {
  direction: 'egress' | 'ingress'
  endpoint: string
  /** e.g. `GlobalNetworkPolicy allow-icmp` or `Profile kns.default`. */
  owner: string
  chain?: string
  rule: number
  action: string
  /** Packets counted by the iptables rules that rule renders to (first of them); undefined when the chain is not in the kernel. */
  packets?: number
}

export interface LiveResult {
  node: string
  route?: LiveRoute
  counters: LiveChain[]
  decisions: LiveDecision[]
  /** Every difference found, one line each (also listed under route and chains). */
  differences: string[]
  notes: string[]
}

export interface LiveOptions {
  /** This host's node name (default: $NODENAME, else the host name). */
  nodeName?: string
  backend?: IptablesBackend
  runner?: CommandRunner
}

function safeIp(what: string, text: string): string {
  if (!isIPv4(text)) throw new CalicoError(`invalid ${what} '${text}': not an IPv4 address`)
  return text
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)[0] ?? ''
  ).replace(/^RTNETLINK answers:\s*/, '')
}

// ---------------------------------------------------------------------------------------------
// Routes

interface IpRouteJson {
  dst?: string
  type?: string
  gateway?: string
  dev?: string
  protocol?: string
  scope?: string
  flags?: string[]
}

function routeText(r: Omit<RouteView, 'text'>): string {
  if (r.error) return `(lookup failed: ${r.error})`
  const parts: string[] = []
  if (r.type !== 'unicast') parts.push(r.type)
  parts.push(r.prefix ?? '?')
  if (r.gateway) parts.push('via', r.gateway)
  if (r.dev) parts.push('dev', r.dev)
  if (r.onlink) parts.push('onlink')
  if (r.protocol) parts.push('proto', r.protocol)
  if (r.scope && r.scope !== 'global' && r.scope !== 'universe') parts.push('scope', r.scope)
  return parts.join(' ')
}

function viewOf(j: IpRouteJson): RouteView {
  // fibmatch prints a host route without its /32.
  const prefix = j.dst && j.dst !== 'default' && !j.dst.includes('/') ? `${j.dst}/32` : j.dst
  const v: Omit<RouteView, 'text'> = {
    ...(prefix ? {prefix} : {}),
    type: j.type ?? 'unicast',
    ...(j.gateway ? {gateway: j.gateway} : {}),
    ...(j.dev ? {dev: j.dev} : {}),
    onlink: (j.flags ?? []).includes('onlink'),
    ...(j.protocol ? {protocol: j.protocol} : {}),
    ...(j.scope ? {scope: j.scope} : {}),
  }
  return {...v, text: routeText(v)}
}

function parseJsonArray<T>(text: string): T[] {
  try {
    const v = JSON.parse(text || '[]') as unknown
    return Array.isArray(v) ? (v as T[]) : []
  } catch {
    return []
  }
}

/** Longest-prefix match over the main table; used when the kernel lookup itself fails (blackhole, unreachable). */
function lpmTable(routes: IpRouteJson[], ip: string): IpRouteJson | undefined {
  const addr = parseIPv4(ip)
  let best: {r: IpRouteJson; len: number} | undefined
  for (const r of routes) {
    const net = parseNet4(r.dst === 'default' ? '0.0.0.0/0' : (r.dst ?? ''))
    if (!net || addr === undefined || !cidr4Contains(net.cidr, addr)) continue
    if (!best || net.cidr.prefix > best.len) best = {r, len: net.cidr.prefix}
  }
  return best?.r
}

/** The kernel's route for `dst`: the `ip route get` lookup, asked with `fibmatch` so the answer is the table entry it hit (prefix, proto, flags). */
export async function kernelRoute(run: CommandRunner, dst: string, from?: {ip: string; iif: string}): Promise<{lookup: string; route: RouteView}> {
  const args = [safeIp('destination', dst)]
  if (from) args.push('from', safeIp('source', from.ip), 'iif', assertSafeName('interface name', from.iif))
  const lookup = `ip route get ${args.join(' ')}`
  const fib = await run('ip', ['-j', 'route', 'get', 'fibmatch', ...args])
  if (fib.exitCode === 0) {
    const entry = parseJsonArray<IpRouteJson>(fib.stdout)[0]
    if (entry) return {lookup, route: viewOf(entry)}
  }
  // The lookup fails for blackhole/unreachable/prohibit routes and when forwarding is off; name the entry if there is one.
  const error = firstLine(fib.stderr || fib.stdout) || `exit ${fib.exitCode}`
  const table = await run('ip', ['-j', 'route', 'show', 'table', 'main'])
  const entry = table.exitCode === 0 ? lpmTable(parseJsonArray<IpRouteJson>(table.stdout), dst) : undefined
  if (entry?.type && entry.type !== 'unicast') return {lookup, route: viewOf(entry)}
  const v = {type: 'none', onlink: false, error}
  return {lookup, route: {...v, text: routeText(v)}}
}

const CALICO_PROTOCOLS = new Set(['80', 'bird'])

/** What explain's hop means as a kernel route on this host. */
export function expectedRoute(h: PathHop, uplink: string | undefined): ExpectedRoute {
  const text = h.route ?? '(no Calico route)'
  const gw = /\bvia (\S+)/.exec(text)?.[1]
  const dev = /\bdev (\S+)/.exec(text)?.[1]
  const base = {via: h.via, text: uplink ? text.replaceAll('<uplink>', uplink).replaceAll(` ${UPLINK} `, ` ${uplink} `) : text}
  switch (h.via) {
    case 'blackhole':
      return {...base, type: 'blackhole', protocol: '80'}
    case 'local':
      return {...base, type: 'unicast', ...(dev ? {dev} : {}), protocol: '80'}
    case 'tunnel':
      return {...base, type: 'unicast', ...(gw ? {gateway: gw} : {}), dev: 'tunl0', onlink: true, protocol: '80'}
    case 'direct':
      return {...base, type: 'unicast', ...(gw ? {gateway: gw} : {}), ...(uplink ? {dev: uplink} : {}), onlink: true, protocol: '80'}
    case 'bgp':
      return {...base, type: 'unicast', ...(gw ? {gateway: gw} : {}), ...(uplink ? {dev: uplink} : {}), protocol: 'bird'}
    default:
      return base
  }
}

export function compareRoute(exp: ExpectedRoute, act: RouteView): string[] {
  const diffs: string[] = []
  if (exp.via === 'none') {
    if (act.protocol && CALICO_PROTOCOLS.has(act.protocol)) diffs.push(`explain predicts no Calico route, but the kernel has ${act.text}`)
    return diffs
  }
  if (act.error) return [`expected ${exp.text}, but the kernel lookup failed: ${act.error}`]
  if (exp.type && exp.type !== act.type) diffs.push(`route type: expected ${exp.type}, kernel has ${act.type} (${act.text})`)
  if (exp.gateway !== undefined && exp.gateway !== act.gateway) diffs.push(`next hop: expected ${exp.gateway}, kernel has ${act.gateway ?? 'none'} (${act.text})`)
  if (exp.gateway === undefined && exp.type === 'unicast' && act.gateway) diffs.push(`next hop: expected none (directly connected), kernel has ${act.gateway}`)
  if (exp.dev !== undefined && exp.dev !== act.dev) diffs.push(`device: expected ${exp.dev}, kernel has ${act.dev ?? 'none'}`)
  if (exp.onlink !== undefined && exp.onlink !== act.onlink) diffs.push(`onlink: expected ${exp.onlink ? 'onlink' : 'no onlink'}, kernel has ${act.onlink ? 'onlink' : 'no onlink'}`)
  if (exp.protocol !== undefined && exp.protocol !== act.protocol) diffs.push(`proto: expected ${exp.protocol}, kernel has ${act.protocol ?? 'none'} (${act.text})`)
  return diffs
}

/** /proc/sys/net belongs to the reader's network namespace, so this is this host's setting. */
async function forwardingOff(): Promise<boolean> {
  try {
    return (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim() === '0'
  } catch {
    return false
  }
}

/** The interface carrying an address on this host (the uplink for the node IP). */
async function interfaceWith(run: CommandRunner, ip: string): Promise<string | undefined> {
  const r = await run('ip', ['-j', '-4', 'addr', 'show'])
  if (r.exitCode !== 0) return undefined
  const links = parseJsonArray<{ifname?: string; addr_info?: Array<{local?: string}>}>(r.stdout)
  return links.find((l) => (l.addr_info ?? []).some((a) => a.local === ip))?.ifname
}

// ---------------------------------------------------------------------------------------------
// Counters

export interface CountedRule {
  packets: number
  bytes: number
  hash?: string
  text: string
}

/** The filter table of `iptables-save -c`, by chain. */
export function parseCountedSave(text: string): Map<string, CountedRule[]> {
  const chains = new Map<string, CountedRule[]>()
  let inFilter = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('*')) inFilter = line === '*filter'
    if (!inFilter || line === '' || line.startsWith('#')) continue
    if (line.startsWith(':')) {
      const name = line.slice(1).split(/\s+/)[0]
      if (name && !chains.has(name)) chains.set(name, [])
      continue
    }
    const m = /^\[(\d+):(\d+)\]\s+-A\s+(\S+)\s*(.*)$/.exec(line)
    if (!m) continue
    const rules = chains.get(m[3]!) ?? []
    chains.set(m[3]!, rules)
    const hash = /--comment "?cali:([A-Za-z0-9_-]+)"?/.exec(line)?.[1]
    rules.push({packets: Number(m[1]), bytes: Number(m[2]), ...(hash ? {hash} : {}), text: `-A ${m[3]} ${m[4]}`.trim()})
  }
  return chains
}

interface ChainOwner {
  role: string
  /** Calico rules of the policy or profile, with how many iptables rules each renders to. */
  rules: Array<{action: string; count: number}>
}

function ownersOf(input: IptablesInput, dir: 'ingress' | 'egress'): Map<string, ChainOwner> {
  const out = new Map<string, ChainOwner>()
  const describe = (rules: unknown[], ns?: string) =>
    rules.map((r) => ({action: String((r as {action?: string}).action ?? '?'), count: renderPolicyRule(input, r as never, ns).length}))
  for (const p of input.policies) {
    const tier = p.spec.tier ?? 'default'
    const ns = p.kind === 'NetworkPolicy' ? p.namespace : undefined
    out.set(policyChainName(dir, policyId(tier, p.name, ns)), {
      role: `${p.kind} ${ns ? `${ns}/` : ''}${p.name} (${dir})`,
      rules: describe((p.spec[dir] ?? []) as unknown[], ns),
    })
  }
  for (const pr of input.profiles)
    out.set(profileChainName(dir, pr.name), {role: `Profile ${pr.name} (${dir})`, rules: describe((pr.spec[dir] ?? []) as unknown[])})
  return out
}

function jumpTarget(rule: IptRule): string | undefined {
  const i = rule.action.findIndex((t) => t === '-j' || t === '-g')
  return i >= 0 ? rule.action[i + 1] : undefined
}

/** What one model rule is, in words: the Calico rule it came from, or its comment or target. */
function describeRule(rule: IptRule, index: number, owner: ChainOwner | undefined, owners: Map<string, ChainOwner>): string {
  if (owner) {
    let idx = index
    let n = 0
    while (n < owner.rules.length && idx >= owner.rules[n]!.count) idx -= owner.rules[n++]!.count
    const calico = owner.rules[n]
    if (calico) return `rule ${n + 1} (${calico.action})${calico.count > 1 ? ` [${idx + 1}/${calico.count}]` : ''}`
  }
  const target = jumpTarget(rule)
  const owned = target ? owners.get(target) : undefined
  if (owned) return `-> ${target} (${owned.role.replace(/ \((ingress|egress)\)$/, '')})`
  if (rule.comment) return sanitizeComment(rule.comment)
  return [...rule.match, ...rule.action].join(' ') || '(empty rule)'
}

function compareChain(chain: IptChain | undefined, name: string, role: string, kernel: CountedRule[] | undefined, owner: ChainOwner | undefined, owners: Map<string, ChainOwner>): LiveChain {
  const out: LiveChain = {chain: name, role, present: kernel !== undefined, rules: [], differences: []}
  if (!chain) {
    out.differences.push(`${name}: not in the model for this node`)
    return out
  }
  if (!kernel) {
    out.differences.push(`${name} (${role}): missing from the kernel (the model has ${chain.rules.length} rule${chain.rules.length === 1 ? '' : 's'})`)
    return out
  }
  const hashes = ruleHashes(name, chain.rules)
  const byHash = new Map(hashes.map((h, i) => [h, i]))
  kernel.forEach((k, i) => {
    const at = k.hash !== undefined ? byHash.get(k.hash) : undefined
    out.rules.push({
      index: i + 1,
      packets: k.packets,
      bytes: k.bytes,
      description: at !== undefined ? describeRule(chain.rules[at]!, at, owner, owners) : `not in the model: ${k.text}`,
      inModel: at !== undefined,
    })
  })
  const kernelHashes = kernel.map((k) => k.hash)
  const missing = hashes.filter((h) => !kernelHashes.includes(h)).length
  const extra = out.rules.filter((r) => !r.inModel).length
  if (missing > 0 || extra > 0 || hashes.some((h, i) => kernelHashes[i] !== h) || kernel.length !== hashes.length)
    out.differences.push(
      `${name} (${role}): the kernel chain differs from the model (model ${hashes.length} rules, kernel ${kernel.length}; ${missing} missing, ${extra} not in the model)`,
    )
  return out
}

/** The endpoint chains of this host's endpoints in the packet's path, and the policy/profile chains they call. */
async function liveCounters(
  run: CommandRunner,
  backend: IptablesBackend | undefined,
  input: IptablesInput,
  sides: Array<{dir: 'ingress' | 'egress'; iface: string; endpoint: string}>,
): Promise<{chains: LiveChain[]; notes: string[]}> {
  const {save} = iptablesBinaries(await resolveIptablesBackend(backend, run))
  const r = await run(save, ['-c', '-t', 'filter'])
  if (r.exitCode !== 0) throw new CalicoError(`${save} -c -t filter failed: ${firstLine(r.stderr || r.stdout)}`)
  const kernel = parseCountedSave(r.stdout)
  const model = new Map(buildDesiredState(input).tables.filter.chains.map((c) => [c.name, c]))
  const chains: LiveChain[] = []
  for (const side of sides) {
    const owners = ownersOf(input, side.dir)
    const epChain = endpointChainName(side.dir, assertSafeName('interface name', side.iface))
    const ep = model.get(epChain)
    chains.push(compareChain(ep, epChain, `${side.dir} ${side.dir === 'egress' ? 'from' : 'to'} ${side.endpoint}`, kernel.get(epChain), undefined, owners))
    const called = [...new Set((ep?.rules ?? []).map(jumpTarget).filter((t): t is string => !!t && owners.has(t)))]
    for (const c of called) chains.push(compareChain(model.get(c), c, owners.get(c)!.role, kernel.get(c), owners.get(c), owners))
  }
  return {chains, notes: [`counters from ${save} -c -t filter (packets and bytes since the rule was written)`]}
}

/** For each side on this host: the policy or profile rule that decided, with its counter. */
function decisionsOf(result: ExplainResult, node: string, chains: LiveChain[]): LiveDecision[] {
  const out: LiveDecision[] = []
  for (const side of result.policy) {
    if (side.node !== node) continue
    const step = side.steps.find((st) => (st.kind === 'policy' || st.kind === 'profile') && st.rule !== undefined && st.action !== 'no match' && st.action !== 'Pass')
    if (!step?.rule) continue
    const chain = chains.find((c) => c.role === `${step.name} (${side.direction})`)
    const first = chain?.rules.find((r) => r.description === `rule ${step.rule} (${step.action})` || r.description.startsWith(`rule ${step.rule} (${step.action}) [1/`))
    out.push({
      direction: side.direction,
      endpoint: side.endpoint,
      owner: step.name,
      ...(chain ? {chain: chain.chain} : {}),
      rule: step.rule,
      action: step.action ?? '?',
      ...(chain?.present && first ? {packets: first.packets} : {}),
    })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// The whole check

export async function liveCheck(snap: Snapshot, result: ExplainResult, opts: LiveOptions = {}): Promise<LiveResult> {
  const run = opts.runner ?? runCommand
  const node = resolveNodeName({...(opts.nodeName ? {name: opts.nodeName} : {})})
  const live: LiveResult = {node, counters: [], decisions: [], differences: [], notes: []}
  const nodeRes = snap.nodes.find((n) => n.metadata.name === node)
  const nodeCidr = specOf(nodeRes).bgp?.ipv4Address as string | undefined
  if (!nodeRes || !nodeCidr) {
    live.notes.push(`node ${node} is not a Calico node with an IPv4 address here: use --name to say which node this host is`)
    return live
  }
  const nodeIp = nodeCidr.split('/')[0] ?? nodeCidr
  const src = result.source.workload?.node === node ? result.source : undefined
  const dst = result.destination.workload?.node === node ? result.destination : undefined
  if (!src && !dst) {
    const where = [...new Set([result.source.workload?.node, result.destination.workload?.node].filter(Boolean))].join(' or ')
    live.notes.push(`neither endpoint is on node ${node}: run --live on ${where}`)
    return live
  }

  // The route: for a local source, the lookup the host makes for a packet arriving from its interface.
  const hop = result.path.find((h) => h.node === node)
  if (hop) {
    const uplink = await interfaceWith(run, nodeIp)
    const from = src?.workload ? {ip: src.ip, iif: src.workload.interfaceName} : undefined
    const {lookup, route} = await kernelRoute(run, result.destination.ip, from)
    if (from && route.error && (await forwardingOff())) route.error += ' (net.ipv4.ip_forward is 0 here: this host forwards no workload traffic)'
    const expected = expectedRoute(hop, uplink)
    const differences = compareRoute(expected, route)
    live.route = {node, lookup, expected, actual: route, match: differences.length === 0, differences}
    live.differences.push(...differences.map((d) => `route: ${d}`))
  }

  const input = buildIptablesInput(snap, {nodeName: node, nodeIPv4: nodeCidr, hostInterface: UPLINK}, compileSelector)
  const sides: Array<{dir: 'ingress' | 'egress'; iface: string; endpoint: string}> = []
  for (const [e, dir] of [
    [src, 'egress'],
    [dst, 'ingress'],
  ] as const)
    if (e?.workload) sides.push({dir, iface: e.workload.interfaceName, endpoint: `${e.workload.namespace}/${e.workload.name}`})
  const counters = await liveCounters(run, opts.backend, input, sides)
  live.counters = counters.chains
  live.notes.push(...counters.notes)
  for (const c of counters.chains) live.differences.push(...c.differences.map((d) => `iptables: ${d}`))
  live.decisions = decisionsOf(result, node, counters.chains)
  const other = [result.source, result.destination].find((e) => e.workload && e.workload.node !== node)
  if (other?.workload) live.notes.push(`${other.workload.namespace}/${other.workload.name} is on ${other.workload.node}: run --live there for its side`)
  return live
}

export function formatLive(l: LiveResult): string {
  const lines = ['', `Live (this host is node ${l.node}):`]
  if (l.route) {
    const r = l.route
    lines.push(`  route: ${r.lookup}`, `    expected: ${r.expected.text}`, `    kernel:   ${r.actual.text}`, `    => ${r.match ? 'match' : 'DIFFERENT'}`)
  }
  if (l.counters.length > 0) lines.push('  counters (packets bytes):')
  for (const c of l.counters) {
    lines.push(`    ${c.chain} (${c.role})${c.present ? '' : ': not in the kernel'}`)
    for (const r of c.rules) lines.push(`      ${String(r.index).padStart(2)}. ${String(r.packets).padStart(8)} ${String(r.bytes).padStart(10)}  ${r.description}${r.packets > 0 ? '  <- matched' : ''}`)
  }
  for (const d of l.decisions)
    lines.push(
      `  ${d.direction} ${d.direction === 'egress' ? 'from' : 'to'} ${d.endpoint}: explain says ${d.owner} rule ${d.rule} (${d.action}) decides; ${d.packets === undefined ? 'its chain is not in the kernel' : `the kernel counted ${d.packets} packet${d.packets === 1 ? '' : 's'} on it`}`,
    )
  for (const n of l.notes) lines.push(`  note: ${n}`)
  if (!l.route && l.counters.length === 0) lines.push('  nothing was compared with the kernel')
  else if (l.differences.length === 0) lines.push('  no differences between the datastore and the kernel')
  else {
    lines.push(`  ${l.differences.length} difference${l.differences.length === 1 ? '' : 's'} between the datastore and the kernel:`)
    for (const d of l.differences) lines.push(`    DIFFERENCE: ${d}`)
  }
  return `${lines.join('\n')}\n`
}

/** `node explain --live`: the datastore explanation plus the comparison with this host's kernel. */
export async function runLiveExplain(
  store: ResourceStore,
  req: ExplainRequest,
  output: 'text' | 'json',
  opts: LiveOptions = {},
): Promise<{text: string; result: ExplainResult & {live: LiveResult}}> {
  const snap = await readSnapshot(store, new Ipam(store.ds))
  const base = explain(snap, req)
  const live = await liveCheck(snap, base, opts)
  const result = {...base, live}
  return {result, text: output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : `${formatExplain(base)}${formatLive(live)}`}
}
