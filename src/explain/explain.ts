// `node explain`: the path a packet takes between two workloads (or a workload and an
// address) and the policy verdict on each side, evaluated from a datastore snapshot with the
// same models `node apply` programs: the routes model for the path, and the iptables model's
// rendered chains (run through a small interpreter) for the verdict.
import {buildDesiredState, compileSelector} from '../dataplane/iptables/index.js'
import {renderPolicyRule} from '../dataplane/iptables/model.js'
import {endpointChainName, policyChainName, policyId, profileChainName} from '../dataplane/iptables/names.js'
import {MARK_ACCEPT, MARK_PASS} from '../dataplane/iptables/render.js'
import type {IptablesInput, PolicyInput} from '../dataplane/iptables/types.js'
import {desiredRoutes} from '../dataplane/routes/model.js'
import {cidr4Contains, isIPv4, netContains, parseIPv4, parseNet4} from '../lib/ip.js'
import {formatRoute, type Route} from '../dataplane/routes/types.js'
import {buildIptablesInput, buildRouteInput, type HostContext, poolViews, type Snapshot} from '../node/snapshot.js'
import {CalicoError} from '../resources/errors.js'
import {kubernetesPolicyToCalico} from '../resources/kinds/stagedkubernetesnetworkpolicy.js'
import {type Resource, specOf} from '../resources/types.js'
import {ChainInterpreter, type Packet, protocolNumber} from './iptables-eval.js'

/** Stands for the host's uplink in routes computed away from the host. */
export const UPLINK = 'uplink'

export interface Endpoint {
  input: string
  ip: string
  workload?: {name: string; namespace: string; node: string; interfaceName: string}
}

export interface PathHop {
  node: string
  route?: string
  via: 'tunnel' | 'direct' | 'bgp' | 'local' | 'blackhole' | 'none'
  detail: string
}

export interface PolicyStep {
  kind: 'tier' | 'policy' | 'profile' | 'end-of-tier' | 'no-profile'
  name: string
  tier?: string
  /** 1-based index of the rule that decided (policies and profiles). */
  rule?: number
  action?: 'Allow' | 'Deny' | 'Pass' | 'no match'
  detail?: string
}

export interface SideVerdict {
  direction: 'egress' | 'ingress'
  endpoint: string
  node: string
  steps: PolicyStep[]
  verdict: 'Allow' | 'Deny'
  notes: string[]
}

export interface ExplainResult {
  packet: Packet & {protocolName: string}
  source: Endpoint
  destination: Endpoint
  path: PathHop[]
  encapsulation: string
  policy: SideVerdict[]
  verdict: 'Allow' | 'Deny'
  /** The same packet under the policies as they would be with every staged policy enforced. */
  staged?: {policy: SideVerdict[]; verdict: 'Allow' | 'Deny'}
}

/** Staged policies of a datastore (never programmed; shown next to the enforced verdict). */
export interface StagedPolicies {
  global: Resource[]
  namespaced: Resource[]
  kubernetes: Resource[]
}

export interface ExplainRequest {
  source: string
  destination: string
  protocol?: string
  port?: number
  sourcePort?: number
  icmpType?: number
  icmpCode?: number
}


const isIp = isIPv4

/** A workload by name, namespace/name, workload or pod name, or IP; else a plain IPv4 address. */
export function resolveEndpoint(snap: Snapshot, text: string): Endpoint {
  const ip = text.split('/')[0] ?? text
  const weps = snap.workloadEndpoints
  const byName = weps.filter((w) => {
    const s = specOf(w)
    const ns = w.metadata.namespace ?? 'default'
    return w.metadata.name === text || `${ns}/${w.metadata.name}` === text || s.workload === text || s.pod === text || `${ns}/${s.workload}` === text
  })
  const byIp = isIp(ip) ? weps.filter((w) => ((specOf(w).ipNetworks ?? []) as string[]).some((n) => n.split('/')[0] === ip)) : []
  const found = byName.length > 0 ? byName : byIp
  if (found.length > 1) throw new CalicoError(`'${text}' matches ${found.length} workloads: ${found.map((w) => `${w.metadata.namespace}/${w.metadata.name}`).join(', ')}; use namespace/name`)
  const w = found[0]
  if (w) {
    const s = specOf(w)
    const v4 = ((s.ipNetworks ?? []) as string[]).map((n) => n.split('/')[0] ?? n).find(isIp)
    if (!v4) throw new CalicoError(`workload ${w.metadata.namespace}/${w.metadata.name} has no IPv4 address`)
    return {
      input: text,
      ip: byName.length > 0 ? v4 : ip,
      workload: {name: w.metadata.name, namespace: w.metadata.namespace ?? 'default', node: String(s.node ?? ''), interfaceName: String(s.interfaceName ?? '')},
    }
  }
  if (!isIp(ip)) throw new CalicoError(`'${text}' is neither a workload (name, namespace/name or IP) nor an IPv4 address`)
  return {input: text, ip}
}

function hostFor(snap: Snapshot, node: string): HostContext {
  const n = snap.nodes.find((x) => x.metadata.name === node)
  const addr = specOf(n).bgp?.ipv4Address as string | undefined
  if (!addr) throw new CalicoError(`node ${node} has no IPv4 address (Node spec.bgp.ipv4Address); run 'calicoctl node apply' on it`)
  return {nodeName: node, nodeIPv4: addr, hostInterface: UPLINK}
}

function lpm(routes: Route[], ip: string): Route | undefined {
  const addr = parseIPv4(ip)
  let best: {r: Route; len: number} | undefined
  for (const r of routes) {
    const net = parseNet4(r.dst)
    if (!net || addr === undefined || !cidr4Contains(net.cidr, addr)) continue
    if (!best || net.cidr.prefix > best.len) best = {r, len: net.cidr.prefix}
  }
  return best?.r
}

function blockOf(snap: Snapshot, ip: string): {cidr: string; node?: string | undefined} | undefined {
  return snap.blocks.find((b) => netContains(b.cidr, ip))
}

function poolOf(snap: Snapshot, ip: string) {
  return poolViews(snap).find((p) => netContains(p.cidr, ip))
}

const nodeIp = (snap: Snapshot, node: string | undefined) =>
  ((specOf(snap.nodes.find((n) => n.metadata.name === node)).bgp?.ipv4Address as string | undefined) ?? '').split('/')[0] ?? ''

/** The route one host uses for a destination, from the routes model (and BIRD for Never pools). */
function hop(snap: Snapshot, node: string, dstIp: string): PathHop {
  const routes = desiredRoutes(buildRouteInput(snap, hostFor(snap, node)))
  const r = lpm(routes, dstIp)
  if (r) {
    const text = formatRoute(r)
    if (r.type === 'blackhole') return {node, route: text, via: 'blackhole', detail: `blackhole: ${dstIp} is in this node's block but no local workload has it: dropped`}
    if (r.dev === 'tunl0') return {node, route: text, via: 'tunnel', detail: `IP-in-IP through tunl0 to ${r.gateway}`}
    if (r.gateway) return {node, route: text.replaceAll(UPLINK, '<uplink>'), via: 'direct', detail: `directly to ${r.gateway} on the same subnet (CrossSubnet, no encapsulation)`}
    return {node, route: text, via: 'local', detail: `delivered to the local workload on ${r.dev}`}
  }
  const pool = poolOf(snap, dstIp)
  const block = blockOf(snap, dstIp)
  if (pool && block?.node && block.node !== node) {
    const gw = nodeIp(snap, block.node)
    if (pool.ipipMode === 'Never' && pool.vxlanMode !== 'Always' && gw)
      return {node, route: `${block.cidr} via ${gw} dev <uplink> proto bird`, via: 'bgp', detail: `learned over BGP from ${block.node} (pool ${pool.name} has no encapsulation)`}
    return {node, via: 'none', detail: `no route: block ${block.cidr} of node ${block.node} has no route here (is ${block.node}'s address known?)`}
  }
  if (pool) return {node, via: 'none', detail: `no route: ${dstIp} is in pool ${pool.name} but in no allocated block`}
  return {node, via: 'none', detail: `not a Calico address: the host's own routing table (default route) decides`}
}

interface ChainOwner {
  kind: 'policy' | 'profile'
  name: string
  tier?: string
  namespace?: string
  rules: unknown[]
}

function chainOwners(input: IptablesInput, dir: 'ingress' | 'egress'): Map<string, ChainOwner> {
  const out = new Map<string, ChainOwner>()
  for (const p of input.policies as PolicyInput[]) {
    const tier = p.spec.tier ?? 'default'
    const ns = p.kind === 'NetworkPolicy' ? p.namespace : undefined
    const display = ns ? `${ns}/${p.name}` : p.name
    out.set(policyChainName(dir, policyId(tier, p.name, ns)), {
      kind: 'policy',
      name: `${p.kind} ${display}`,
      tier,
      ...(ns ? {namespace: ns} : {}),
      rules: (p.spec[dir] ?? []) as unknown[],
    })
  }
  for (const pr of input.profiles) out.set(profileChainName(dir, pr.name), {kind: 'profile', name: `Profile ${pr.name}`, rules: (pr.spec[dir] ?? []) as unknown[]})
  return out
}

const ACTION_OF: Record<string, PolicyStep['action']> = {Allow: 'Allow', Deny: 'Deny', Pass: 'Pass'}

/** The verdict of one endpoint chain (cali-fw-/cali-tw-), step by step. */
export function evaluateSide(input: IptablesInput, dir: 'ingress' | 'egress', ep: Endpoint, pkt: Packet): SideVerdict {
  const w = ep.workload!
  const state = buildDesiredState(input)
  const interp = new ChainInterpreter(state)
  const chain = endpointChainName(dir, w.interfaceName)
  const side: SideVerdict = {direction: dir, endpoint: `${w.namespace}/${w.name}`, node: w.node, steps: [], verdict: 'Deny', notes: []}
  if (!interp.hasChain(chain)) {
    side.notes.push(`no chain ${chain} in the model for node ${w.node} (is the workload's interface name valid?)`)
    return side
  }
  const owners = chainOwners(input, dir)
  const run = interp.run(chain, pkt)
  for (const [i, h] of run.hits.entries()) {
    if (h.chain === chain) {
      const c = h.rule.comment ?? ''
      const t = /^Start of tier (.*)$/.exec(c)
      if (t) side.steps.push({kind: 'tier', name: t[1]!})
      else if (/^End of tier (\S+)\./.test(c)) side.steps.push({kind: 'end-of-tier', name: /^End of tier (\S+)\./.exec(c)![1]!, action: 'Deny', detail: 'no policy in the tier allowed or passed the packet'})
      else if (c === 'Drop if no profiles matched') side.steps.push({kind: 'no-profile', name: 'profiles', action: 'Deny', detail: 'no policy or profile allowed the packet'})
      const target = h.rule.action[1] ?? ''
      const owner = owners.get(target)
      if (owner) {
        // The rules of the called chain that matched, mapped back to the Calico rule that rendered them.
        const counts = owner.rules.map((r) => renderPolicyRule(input, r as never, owner.namespace).length)
        const inner = []
        for (const x of run.hits.slice(i + 1)) {
          if (x.chain !== target) break
          inner.push(x)
        }
        const step: PolicyStep = {kind: owner.kind, name: owner.name, ...(owner.tier ? {tier: owner.tier} : {}), action: 'no match'}
        for (const x of inner) {
          let idx = x.index
          let rule = 0
          while (rule < counts.length && idx >= counts[rule]!) idx -= counts[rule++]!
          const calico = owner.rules[rule] as {action?: string} | undefined
          if (!calico || calico.action === 'Log') continue
          step.rule = rule + 1
          step.action = ACTION_OF[calico.action ?? ''] ?? 'no match'
          break
        }
        side.steps.push(step)
      }
    }
  }
  side.verdict = run.result === 'ACCEPT' || (run.result === 'RETURN' && (run.mark & MARK_ACCEPT) !== 0) ? 'Allow' : 'Deny'
  void MARK_PASS
  if (run.unknown.length > 0) side.notes.push(`could not evaluate: ${[...new Set(run.unknown)].join(', ')}`)
  return side
}

const PROTO_NAMES: Record<number, string> = {1: 'icmp', 6: 'tcp', 17: 'udp', 132: 'sctp'}

/**
 * The policies as they would be if the staged ones were enforced (the StagedAction semantics of
 * api/pkg/apis/projectcalico/v3/stagednetworkpolicy.go ConvertStagedPolicyToEnforced): Set (or
 * no action) puts the staged policy in place of the enforced one of the same name and namespace,
 * or adds it; Delete removes that policy; Learn and Ignore change nothing. A staged Kubernetes
 * policy stands for the Calico policy a Kubernetes NetworkPolicy is converted to.
 */
export function withStagedPolicies(snap: Snapshot, staged: StagedPolicies): Snapshot {
  const keyOf = (r: Resource) => `${r.metadata.namespace ?? ''}/${r.metadata.name}`
  const apply = (enforced: Resource[], list: Resource[], toEnforced: (st: Resource) => Resource): Resource[] => {
    const out = new Map(enforced.map((r) => [keyOf(r), r]))
    for (const st of list) {
      const policy = toEnforced(st)
      const action = specOf(st).stagedAction
      if (action === 'Delete') out.delete(keyOf(policy))
      else if (action === undefined || action === '' || action === 'Set') out.set(keyOf(policy), policy)
    }
    return [...out.values()]
  }
  const calico = (kind: string) => (st: Resource): Resource => {
    const {stagedAction: _, ...spec} = specOf(st)
    return {apiVersion: st.apiVersion, kind, metadata: st.metadata, spec}
  }
  return {
    ...snap,
    globalNetworkPolicies: apply(snap.globalNetworkPolicies, staged.global, calico('GlobalNetworkPolicy')),
    // A staged Kubernetes policy stands for the knp.default.<name> policy Calico converts it to.
    networkPolicies: apply(apply(snap.networkPolicies, staged.namespaced, calico('NetworkPolicy')), staged.kubernetes, kubernetesPolicyToCalico),
  }
}

/** What decided one side, e.g. `allow by default.allow-dns` or `deny by end of tier default`. */
export function decidedBy(side: SideVerdict): string {
  const d = side.steps.find((s) => s.action === 'Allow' || s.action === 'Deny')
  let who = 'no policy or profile'
  if (d?.kind === 'policy') {
    // `GlobalNetworkPolicy name` or `NetworkPolicy ns/name`: shown as tier.name, ns/tier.name.
    const full = d.name.slice(d.name.indexOf(' ') + 1)
    const slash = full.indexOf('/')
    const [ns, name] = slash >= 0 ? [`${full.slice(0, slash)}/`, full.slice(slash + 1)] : ['', full]
    who = `${ns}${d.tier && !name.startsWith(`${d.tier}.`) ? `${d.tier}.${name}` : name}`
  } else if (d?.kind === 'profile') who = d.name.replace(/^Profile /, 'profile ')
  else if (d?.kind === 'end-of-tier') who = `end of tier ${d.name}`
  return `${side.verdict.toLowerCase()} by ${who}`
}

export function explain(snap: Snapshot, req: ExplainRequest, staged?: StagedPolicies): ExplainResult {
  const source = resolveEndpoint(snap, req.source)
  const destination = resolveEndpoint(snap, req.destination)
  if (!source.workload && !destination.workload) throw new CalicoError('at least one of source and destination must be a workload')
  const protocol = protocolNumber(req.protocol ?? (req.port !== undefined ? 'tcp' : 'icmp'))
  if (req.port !== undefined && protocol !== 6 && protocol !== 17 && protocol !== 132) throw new CalicoError('--port needs --protocol tcp, udp or sctp')
  const pkt: Packet = {
    src: source.ip,
    dst: destination.ip,
    protocol,
    ...(protocol === 1 ? {icmpType: req.icmpType ?? 8, icmpCode: req.icmpCode ?? 0} : {}),
    ...(req.port !== undefined ? {dstPort: req.port} : {}),
    ...(protocol !== 1 ? {srcPort: req.sourcePort ?? 40000} : {}),
  }

  // The path: the source host's route, then (if elsewhere) the destination host's.
  const path: PathHop[] = []
  let encapsulation = 'none'
  const sNode = source.workload?.node
  const dNode = destination.workload?.node
  if (sNode) {
    const h = hop(snap, sNode, destination.ip)
    path.push(h)
    if (h.via === 'tunnel') encapsulation = `IP-in-IP (protocol 4): outer ${nodeIp(snap, sNode)} -> ${h.route?.split(' via ')[1]?.split(' ')[0] ?? '?'}`
  }
  if (dNode && dNode !== sNode) path.push(hop(snap, dNode, destination.ip))

  const sides = (s: Snapshot): SideVerdict[] => {
    const out: SideVerdict[] = []
    if (source.workload) out.push(evaluateSide(buildIptablesInput(s, hostFor(s, source.workload.node), compileSelector), 'egress', source, pkt))
    if (destination.workload) out.push(evaluateSide(buildIptablesInput(s, hostFor(s, destination.workload.node), compileSelector), 'ingress', destination, pkt))
    return out
  }
  const policy = sides(snap)
  const pathOk = path.length > 0 && path.every((h) => h.via !== 'none' && h.via !== 'blackhole') && (!dNode || path[path.length - 1]!.via === 'local')
  const overall = (p: SideVerdict[]) => (p.every((x) => x.verdict === 'Allow') && (pathOk || !dNode) ? 'Allow' : 'Deny')
  const result: ExplainResult = {packet: {...pkt, protocolName: PROTO_NAMES[protocol] ?? String(protocol)}, source, destination, path, encapsulation, policy, verdict: overall(policy)}
  if (staged && staged.global.length + staged.namespaced.length + staged.kubernetes.length > 0) {
    const would = sides(withStagedPolicies(snap, staged))
    result.staged = {policy: would, verdict: overall(would)}
  }
  return result
}

function describeEndpoint(e: Endpoint): string {
  return e.workload ? `workload ${e.workload.namespace}/${e.workload.name} (${e.ip}) on ${e.workload.node}, ${e.workload.interfaceName}` : `address ${e.ip} (not a workload)`
}

export function formatExplain(r: ExplainResult): string {
  const p = r.packet
  const ports = p.protocol === 1 ? ` type ${p.icmpType} code ${p.icmpCode}` : p.dstPort !== undefined ? ` port ${p.dstPort}` : ''
  const lines = [
    `Packet:      ${p.protocolName} ${p.src} -> ${p.dst}${ports} (new connection)`,
    `Source:      ${describeEndpoint(r.source)}`,
    `Destination: ${describeEndpoint(r.destination)}`,
    '',
    'Path:',
  ]
  r.path.forEach((h, i) => lines.push(`  ${i + 1}. on ${h.node}: ${h.route ?? '(no route)'}`, `     ${h.detail}`))
  if (r.path.length === 0) lines.push('  (the source is not a workload: its route to the destination host is outside Calico)')
  lines.push(`  encapsulation: ${r.encapsulation}`, '', 'Policy:')
  for (const [i, s] of r.policy.entries()) {
    lines.push(`  ${s.direction} ${s.direction === 'egress' ? 'from' : 'to'} ${s.endpoint} on ${s.node}:`)
    if (s.steps.length === 0) lines.push('    (no policy or profile applies)')
    for (const st of s.steps) {
      if (st.kind === 'tier') lines.push(`    tier ${st.name}`)
      else if (st.kind === 'end-of-tier') lines.push(`      end of tier ${st.name}: Deny (${st.detail})`)
      else if (st.kind === 'no-profile') lines.push(`    Deny: ${st.detail}`)
      else lines.push(`      ${st.name}: ${st.rule ? `rule ${st.rule} matched -> ${st.action}` : 'no rule matched'}`)
    }
    for (const n of s.notes) lines.push(`    note: ${n}`)
    lines.push(`    => ${s.verdict}`)
    const would = r.staged?.policy[i]
    if (would) lines.push(`    enforced: ${decidedBy(s)}; staged: ${decidedBy(would)}${would.verdict !== s.verdict ? ' (enforcing the staged policies would change this)' : ''}`)
  }
  lines.push('', `Verdict: ${r.verdict}${r.staged ? ` (staged: ${r.staged.verdict})` : ''}`)
  return `${lines.join('\n')}\n`
}
