// The incremental model (one builder following a sequence of inputs) must give exactly what a
// full rebuild gives for every input, and keep the objects of chains and sets nothing touched.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {compileSelector} from '../../src/dataplane/iptables/index.js'
import {buildDesiredState, IncrementalModel} from '../../src/dataplane/iptables/model.js'
import type {DesiredState, IptablesInput, PolicyInput, PoolInput, WorkloadEndpointInput} from '../../src/dataplane/iptables/types.js'
import type {Rule} from '../../src/resources/policy-types.js'
import {mulberry32, rng as stream} from '../helpers/random.js'

type Rand = () => number
/** Fixed inputs for the example tests below (the same every run, like fixtures). */
const rng = (seed: number): Rand => mulberry32(seed)
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T
const NAMESPACES = ['ns1', 'ns2']
const SELECTORS = ["app == 'a0'", "app == 'a1'", "role == 'r1'", 'all()', '', 'has(role)', "team == 'x'"]

const RULES: Rule[] = [
  {action: 'Allow'},
  {action: 'Allow', protocol: 'TCP', destination: {ports: [80, 443]}},
  {action: 'Deny', source: {selector: "role == 'r0'"}},
  {action: 'Allow', protocol: 'TCP', source: {selector: "app == 'a2'", namespaceSelector: 'all()'}, destination: {ports: ['http']}},
  {action: 'Allow', source: {nets: ['10.1.0.0/16', '10.2.0.0/16']}},
  {action: 'Pass', destination: {notSelector: "app == 'a3'"}},
  {action: 'Allow', source: {serviceAccounts: {names: ['sa1']}}},
  {action: 'Log', protocol: 'UDP', destination: {notPorts: ['dns']}},
  {action: 'Allow', source: {selector: "has(set)"}},
  {action: 'Deny', protocol: 'TCP', destination: {selector: "role == 'r2'", ports: ['http']}},
] as Rule[]
/** Ports without a protocol: rendering this rule fails, as it must. */
const BAD_RULE = {action: 'Allow', destination: {ports: [80]}} as Rule

function randPolicy(r: Rand, name: string): PolicyInput {
  const namespaced = r() < 0.4
  const rules = (): Rule[] => Array.from({length: Math.floor(r() * 3)}, () => pick(r, RULES))
  const spec: Record<string, unknown> = {selector: pick(r, SELECTORS), ingress: rules(), egress: rules()}
  const order = pick(r, [undefined, 10, 20, 100])
  if (order !== undefined) spec.order = order
  const tier = pick(r, [undefined, undefined, undefined, 'security', 'missing'])
  if (tier !== undefined) spec.tier = tier
  const types = pick(r, [undefined, undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']])
  if (types !== undefined) spec.types = types
  if (!namespaced && r() < 0.2) spec.namespaceSelector = "team == 'x'"
  return namespaced
    ? {kind: 'NetworkPolicy', namespace: pick(r, NAMESPACES), name, spec: spec as PolicyInput['spec']}
    : {kind: 'GlobalNetworkPolicy', name, spec: spec as PolicyInput['spec']}
}

function randWep(r: Rand, i: number): WorkloadEndpointInput {
  const ns = pick(r, NAMESPACES)
  const labels: Record<string, string> = {app: pick(r, ['a0', 'a1', 'a2', 'a3'])}
  if (r() < 0.6) labels.role = pick(r, ['r0', 'r1', 'r2'])
  return {
    name: `pod${i}`,
    namespace: ns,
    labels,
    spec: {
      node: r() < 0.7 ? 'n1' : 'n2',
      interfaceName: `cali${Math.floor(r() * 60)}`,
      ipNetworks: [`10.65.${Math.floor(r() * 4)}.${Math.floor(r() * 250)}/32`],
      profiles: [`kns.${ns}`],
      ...(r() < 0.5 ? {ports: [{name: 'http', protocol: 'TCP', port: 8000 + Math.floor(r() * 3)}, {name: 'dns', protocol: 'UDP', port: 53}]} : {}),
      ...(r() < 0.3 ? {serviceAccountName: pick(r, ['sa1', 'sa2'])} : {}),
    } as WorkloadEndpointInput['spec'],
  }
}

function randInput(r: Rand): IptablesInput {
  const weps: WorkloadEndpointInput[] = []
  const used = new Set<string>()
  for (let i = 0; weps.length < 25; i++) {
    const w = randWep(r, i)
    if (w.spec.node === 'n1' && used.has(w.spec.interfaceName as string)) continue
    if (w.spec.node === 'n1') used.add(w.spec.interfaceName as string)
    weps.push(w)
  }
  return {
    nodeName: 'n1',
    tiers: [{name: 'security', order: 10, defaultAction: 'Pass'}],
    policies: Array.from({length: 20}, (_, i) => randPolicy(r, `p${i}`)),
    profiles: [
      {name: 'kns.ns1', spec: {labelsToApply: {'pcns.team': 'x'}, ingress: [{action: 'Allow'}], egress: [{action: 'Allow'}]}},
      {name: 'kns.ns2', spec: {ingress: [{action: 'Deny', source: {selector: "app == 'a1'"}}], egress: [{action: 'Allow'}]}},
    ] as IptablesInput['profiles'],
    workloadEndpoints: weps,
    hostEndpoints: [{name: 'h1', labels: {role: 'r1'}, spec: {node: 'n1', expectedIPs: ['192.0.2.10']}}] as IptablesInput['hostEndpoints'],
    networkSets: [{name: 'gs1', labels: {set: 'yes'}, nets: ['198.51.100.0/24']}],
    pools: [{cidr: '10.64.0.0/12', natOutgoing: true, ipipMode: 'Always', disabled: false}],
    allHostIPs: ['192.0.2.1', '192.0.2.2'],
    ipipTunnelAddress: '10.64.0.1',
    compileSelector,
  }
}

/** Pools as a cluster may hold them: IPIP ones, VXLAN-style ones (ipipMode Never), IPv6, no NAT. */
function randPool(r: Rand): PoolInput {
  return {
    cidr: pick(r, ['10.96.0.0/16', '192.168.0.0/24', '10.200.0.0/16', 'fd00:1::/64', '10.64.0.0/12']),
    natOutgoing: r() < 0.6,
    ipipMode: pick(r, ['Always', 'CrossSubnet', 'Never', 'Never']),
    disabled: r() < 0.2,
  }
}

const replaceAt = <T>(xs: readonly T[], i: number, x: T): T[] => xs.map((y, j) => (j === i ? x : y))
const removeAt = <T>(xs: readonly T[], i: number): T[] => xs.filter((_, j) => j !== i)

/** One random change, building new objects only for what changes (as a caller would). */
function mutate(r: Rand, input: IptablesInput, step: number): IptablesInput {
  const pi = Math.floor(r() * input.policies.length)
  const wi = Math.floor(r() * input.workloadEndpoints.length)
  const p = input.policies[pi] as PolicyInput
  const w = input.workloadEndpoints[wi] as WorkloadEndpointInput
  if (w === undefined) return {...input, workloadEndpoints: [randWep(r, 1000 + step)]}
  const withPolicy = (spec: Partial<PolicyInput['spec']>): IptablesInput => ({...input, policies: replaceAt(input.policies, pi, {...p, spec: {...p.spec, ...spec}})})
  const withWep = (x: Partial<WorkloadEndpointInput>, spec: Partial<WorkloadEndpointInput['spec']> = {}): IptablesInput => ({
    ...input,
    workloadEndpoints: replaceAt(input.workloadEndpoints, wi, {...w, ...x, spec: {...w.spec, ...spec}}),
  })
  const qi = Math.floor(r() * input.pools.length)
  const q = input.pools[qi]
  const withPool = (x: Partial<PoolInput>): IptablesInput => (q === undefined ? {...input, pools: [randPool(r)]} : {...input, pools: replaceAt(input.pools, qi, {...q, ...x})})
  // A released tunnel address is an absent field, as the node agent builds it.
  const withTunnel = (base: IptablesInput, t: string | undefined): IptablesInput => {
    const out = {...base}
    delete out.ipipTunnelAddress
    return t === undefined ? out : {...out, ipipTunnelAddress: t}
  }
  switch (Math.floor(r() * 30)) {
    case 0:
      return withPolicy({ingress: [...(p.spec.ingress ?? []), pick(r, RULES)]})
    case 1:
      return withPolicy({egress: (p.spec.egress ?? []).slice(1)})
    case 2:
      return withPolicy({selector: pick(r, SELECTORS)})
    case 3:
      return withPolicy({order: pick(r, [1, 10, 50, 1000])})
    case 4:
      return withPolicy({types: pick(r, [['Ingress'], ['Egress'], ['Ingress', 'Egress']]) as PolicyInput['spec']['types']})
    case 5:
      return withPolicy({tier: pick(r, ['default', 'security', 'missing'])})
    case 6:
      return {...input, policies: [...input.policies, randPolicy(r, `new${step}`)]}
    case 7:
      return {...input, policies: removeAt(input.policies, pi)}
    case 8:
      return {...input, workloadEndpoints: [...input.workloadEndpoints, randWep(r, 1000 + step)]}
    case 9:
      return {...input, workloadEndpoints: removeAt(input.workloadEndpoints, wi)}
    case 10:
      return withWep({labels: {...w.labels, app: pick(r, ['a0', 'a1', 'a2', 'a3'])}})
    case 11:
      return withWep({}, {interfaceName: `cali${Math.floor(r() * 60)}`})
    case 12:
      return withWep({}, {ipNetworks: [`10.66.0.${Math.floor(r() * 250)}/32`]})
    case 13:
      return withWep({}, {node: w.spec.node === 'n1' ? 'n2' : 'n1'})
    case 14:
      return {...input, networkSets: [...input.networkSets, {name: `s${step}`, namespace: pick(r, [undefined, 'ns1']), labels: {set: 'yes'}, nets: [`203.0.113.${step % 250}/32`]}]}
    case 15:
      return {...input, networkSets: input.networkSets.slice(1)}
    case 16:
      return {...input, hostEndpoints: [{name: 'h1', labels: {role: pick(r, ['r0', 'r1', 'r2'])}, spec: {node: 'n1', expectedIPs: [`192.0.2.${10 + (step % 50)}`]}}] as IptablesInput['hostEndpoints']}
    case 17:
      return {...input, allHostIPs: [...input.allHostIPs, `192.0.2.${100 + (step % 100)}`]}
    case 18:
      // Broad: a tier's default action (the model starts over).
      return {...input, tiers: [{name: 'security', order: 10, defaultAction: pick(r, ['Pass', 'Deny'] as const)}]}
    case 19:
      // Same content, new objects everywhere: nothing may change.
      return structuredClone({...input, compileSelector: undefined}) as unknown as IptablesInput
    case 20:
      return withPolicy({ingress: [BAD_RULE]})
    case 21:
      // Every local endpoint goes away (later steps add new ones).
      return {...input, workloadEndpoints: input.workloadEndpoints.filter((x) => x.spec.node !== 'n1' || r() < 0.2)}
    case 22:
      // The same position with another key: a rename, or a second copy of a neighbour's key.
      return {...input, policies: replaceAt(input.policies, pi, r() < 0.5 ? {...p, name: `renamed${step}`} : {...(input.policies[(pi + 1) % input.policies.length] as PolicyInput)})}
    case 23:
      return withPool({ipipMode: pick(r, ['Always', 'CrossSubnet', 'Never'])})
    case 24:
      return withPool({natOutgoing: !q?.natOutgoing})
    case 25:
      return withPool({disabled: !q?.disabled})
    case 26:
      return {...input, pools: [...input.pools, randPool(r)]}
    case 27:
      return {...input, pools: removeAt(input.pools, qi)}
    case 28:
      return withTunnel(input, pick(r, [undefined, '10.64.0.1', '10.64.3.7']))
    case 29: {
      // A pool's ipipMode switch as a node agent sees it: the mode and the tunnel address at once.
      const on = q?.ipipMode === 'Never'
      return withTunnel(withPool({ipipMode: on ? 'Always' : 'Never'}), on ? '10.64.0.1' : undefined)
    }
    default:
      return withWep({}, {ports: [{name: 'http', protocol: 'TCP', port: 9000 + (step % 5)}]} as Partial<WorkloadEndpointInput['spec']>)
  }
}

function outcome(f: () => DesiredState): DesiredState | string {
  try {
    return f()
  } catch (e) {
    return `error: ${(e as Error).message}`
  }
}

describe('iptables incremental model', () => {
  let totalErrors = 0
  // Random sequences from TEST_SEED (printed when this file fails; replayable).
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`equals a full rebuild after each of 150 random changes (sequence ${seed})`, () => {
      const r = stream(`iptables-incremental sequence ${seed}`)
      let input = randInput(r)
      const model = new IncrementalModel()
      let errors = 0
      for (let step = 0; step < 150; step++) {
        let next = mutate(r, input, step)
        if (next.compileSelector === undefined) next = {...next, compileSelector}
        const full = outcome(() => buildDesiredState(next))
        const inc = outcome(() => model.build(next))
        assert.deepStrictEqual(inc, full, `seed ${seed} step ${step}`)
        if (typeof full === 'string') errors++
        else input = next
      }
      // Mostly valid inputs: the sequence must mostly exercise the incremental path.
      assert.ok(errors < 50, `errors: ${errors}`)
      totalErrors += errors
    })
  }

  it('the random sequences exercised invalid inputs too', () => {
    assert.ok(totalErrors > 0)
  })

  it('a node without local endpoints still has dispatch chains that drop, then gains one', () => {
    const input = {...randInput(rng(9)), workloadEndpoints: []}
    const model = new IncrementalModel()
    const empty = model.build(input)
    const names = (s: DesiredState) => s.tables.filter.chains.map((c) => c.name)
    // cali-FORWARD and cali-wl-to-host jump to them: without them iptables-restore fails.
    for (const name of ['cali-from-wl-dispatch', 'cali-to-wl-dispatch']) {
      const c = empty.tables.filter.chains.find((x) => x.name === name)
      assert.deepEqual(c?.rules, [{comment: 'Unknown interface', match: [], action: ['-j', 'DROP']}])
    }
    const wep = randWep(rng(10), 1)
    const one = {...input, workloadEndpoints: [{...wep, spec: {...wep.spec, node: 'n1', interfaceName: 'caliONE'}}]}
    const after = model.build(one)
    assert.deepStrictEqual(after, buildDesiredState(one))
    assert.ok(names(after).includes('cali-tw-caliONE'))
    assert.deepStrictEqual(model.build(input), empty)
  })

  it('keeps the objects of chains and sets that a change does not touch', () => {
    const input = randInput(rng(42))
    const model = new IncrementalModel()
    const before = model.build(input)
    assert.equal(model.build({...input}), before, 'an unchanged input gives the same state object')
    // A rule change of one policy that applies to some local endpoint.
    const pi = input.policies.findIndex((p) => before.tables.filter.chains.some((c) => c.name === `cali-pi-default/${p.name}`))
    assert.ok(pi >= 0, 'some default-tier policy has an ingress chain')
    const p = input.policies[pi] as PolicyInput
    const changed = {...input, policies: replaceAt(input.policies, pi, {...p, spec: {...p.spec, ingress: [{action: 'Deny', protocol: 'UDP'} as Rule]}})}
    const after = model.build(changed)
    assert.deepStrictEqual(after, buildDesiredState(changed))
    const old = new Map(before.tables.filter.chains.map((c) => [c.name, c]))
    const renewed = after.tables.filter.chains.filter((c) => old.get(c.name) !== c).map((c) => c.name)
    assert.deepEqual(renewed, [`cali-pi-default/${p.name}`])
    assert.equal(after.tables.nat, before.tables.nat)
  })

  it('a pool ipipMode switch with its tunnel address renews no policy chain', () => {
    const input = randInput(rng(42))
    const model = new IncrementalModel()
    const before = model.build(input)
    const never: IptablesInput = {...input, pools: [{cidr: '10.64.0.0/12', natOutgoing: true, ipipMode: 'Never', disabled: false}]}
    delete never.ipipTunnelAddress
    const policyChains = (s: DesiredState) => s.tables.filter.chains.filter((c) => /^cali-p[io]-/.test(c.name))
    assert.ok(policyChains(before).length > 0)
    let prev = before
    for (const next of [never, input]) {
      const after = model.build(next)
      assert.deepStrictEqual(after, buildDesiredState(next))
      const old = new Map(prev.tables.filter.chains.map((c) => [c.name, c]))
      const renewed = after.tables.filter.chains.filter((c) => old.get(c.name) !== c).map((c) => c.name)
      // The IPIP rules: cali-INPUT/-OUTPUT and the endpoints' egress chains; nothing else.
      assert.ok(renewed.includes('cali-INPUT') && renewed.some((n) => n.startsWith('cali-fw-')), renewed.join(' '))
      assert.ok(renewed.every((n) => /^cali-(INPUT|OUTPUT|fw-)/.test(n)), renewed.join(' '))
      assert.deepEqual(policyChains(after), policyChains(prev))
      assert.ok(policyChains(after).every((c, i) => c === policyChains(prev)[i]))
      assert.notEqual(after.tables.nat, prev.tables.nat)
      prev = after
    }
  })

  it('a new local endpoint renews only its own chains and the dispatch chains', () => {
    const input = randInput(rng(7))
    const model = new IncrementalModel()
    const before = model.build(input)
    const wep = {...randWep(rng(8), 500), spec: {...randWep(rng(8), 500).spec, node: 'n1', interfaceName: 'caliNEW'}}
    const changed = {...input, workloadEndpoints: [...input.workloadEndpoints, wep]}
    const after = model.build(changed)
    assert.deepStrictEqual(after, buildDesiredState(changed))
    const old = new Map(before.tables.filter.chains.map((c) => [c.name, c]))
    const renewed = after.tables.filter.chains.filter((c) => old.get(c.name) !== c).map((c) => c.name)
    // Its tw/fw chains, both dispatch chains, and at most the policy chains first called now.
    for (const name of ['cali-from-wl-dispatch', 'cali-to-wl-dispatch', 'cali-fw-caliNEW', 'cali-tw-caliNEW']) assert.ok(renewed.includes(name), name)
    assert.ok(renewed.every((n) => /^cali-(fw|tw)-caliNEW$|dispatch$|^cali-p[io]-|^cali-pr[io]-/.test(n)), renewed.join(' '))
  })
})
