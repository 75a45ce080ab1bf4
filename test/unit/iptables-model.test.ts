import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ALL_HOSTS_SET, ALL_POOLS_SET, MASQ_POOLS_SET, buildDesiredState, renderPolicyRule} from '../../src/dataplane/iptables/model.js'
import {lengthLimitedName, ruleBody, ruleHashes} from '../../src/dataplane/iptables/render.js'
import type {DesiredState, IptChain, IptablesInput, PolicyInput} from '../../src/dataplane/iptables/types.js'
import {CalicoError} from '../../src/resources/errors.js'
import {allowAll, baseInput, denyIcmpToPod2} from '../fixtures/iptables/input.js'

const POD1 = 'cali1a2b3c4d5e6'
const POD2 = 'cali9f8e7d6c5b4'
// 'cali-pi-default/deny-icmp-pod2' is 30 characters: hashed
const DENY_CHAIN = lengthLimitedName('cali-pi-', 'default/deny-icmp-pod2')

function chain(state: DesiredState, name: string, table: keyof DesiredState['tables'] = 'filter'): IptChain {
  const c = state.tables[table].chains.find((x) => x.name === name)
  assert.ok(c, `chain ${name} missing; have ${state.tables[table].chains.map((x) => x.name).join(' ')}`)
  return c
}

const lines = (c: IptChain): string[] => c.rules.map(ruleBody)

function set(state: DesiredState, name: string) {
  const s = state.ipsets.find((x) => x.name === name)
  assert.ok(s, `ipset ${name} missing`)
  return s
}

/** The single rendered rules of a policy with one ingress rule, as text. */
function renderOne(input: IptablesInput, rule: PolicyInput['spec']['ingress'] extends (infer R)[] | undefined ? R : never, ns?: string): string[] {
  return renderPolicyRule(input, rule, ns).map(ruleBody)
}

describe('iptables model: chain layout', () => {
  it('dispatches only local workload interfaces, then drops unknown ones', () => {
    const s = buildDesiredState(baseInput())
    assert.deepEqual(lines(chain(s, 'cali-from-wl-dispatch')), [
      `-i ${POD1} -g cali-fw-${POD1}`,
      `-i ${POD2} -g cali-fw-${POD2}`,
      '-m comment --comment "Unknown interface" -j DROP',
    ])
    assert.deepEqual(lines(chain(s, 'cali-to-wl-dispatch')), [
      `-o ${POD1} -g cali-tw-${POD1}`,
      `-o ${POD2} -g cali-tw-${POD2}`,
      '-m comment --comment "Unknown interface" -j DROP',
    ])
    assert.equal(s.tables.filter.chains.some((c) => c.name.includes('cali000000000aa')), false)
  })

  it('walks conntrack, tiers of policies, profiles and a final drop in the endpoint chain', () => {
    const s = buildDesiredState(baseInput({policies: [allowAll, denyIcmpToPod2]}))
    const tw = lines(chain(s, `cali-tw-${POD2}`))
    assert.deepEqual(tw, [
      '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-m conntrack --ctstate INVALID -j DROP',
      '-j MARK --set-mark 0x0/0x30000',
      '-m comment --comment "Start of tier default" -j MARK --set-mark 0x0/0x20000',
      // order 10 before order 100, whatever the input order
      `-m mark --mark 0x0/0x20000 -j ${DENY_CHAIN}`,
      '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-m mark --mark 0x0/0x20000 -j cali-pi-default/allow-all',
      '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
      '-j cali-pri-kns.default',
      '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-m comment --comment "Drop if no profiles matched" -j DROP',
    ])
    // pod1 is not selected by the deny policy; only allow-all applies
    assert.equal(lines(chain(s, `cali-tw-${POD1}`)).some((l) => l.includes('deny-icmp')), false)
    // deny-icmp-pod2 is ingress only: no egress chain for it
    assert.equal(s.tables.filter.chains.some((c) => c.name.startsWith('cali-po-') && c.name !== 'cali-po-default/allow-all'), false)
    assert.deepEqual(lines(chain(s, DENY_CHAIN)), [
      '-m comment --comment "GlobalNetworkPolicy deny-icmp-pod2 ingress" -p icmp -j DROP',
    ])
  })

  it('orders tiers by order and honours defaultAction Pass', () => {
    const sec: PolicyInput = {kind: 'GlobalNetworkPolicy', name: 'sec1', spec: {tier: 'security', ingress: [{action: 'Pass'}]}}
    const s = buildDesiredState(
      baseInput({tiers: [{name: 'security', order: 5, defaultAction: 'Pass'}], policies: [allowAll, sec]}),
    )
    const tw = lines(chain(s, `cali-tw-${POD1}`))
    const secStart = tw.indexOf('-m comment --comment "Start of tier security" -j MARK --set-mark 0x0/0x20000')
    const defStart = tw.indexOf('-m comment --comment "Start of tier default" -j MARK --set-mark 0x0/0x20000')
    assert.ok(secStart >= 0 && defStart > secStart)
    assert.equal(tw.some((l) => l.includes('End of tier security')), false)
    assert.ok(tw.some((l) => l.includes('End of tier default')))
    assert.deepEqual(lines(chain(s, 'cali-pi-security/sec1')), [
      '-m comment --comment "GlobalNetworkPolicy sec1 ingress" -j MARK --set-mark 0x20000/0x20000',
      '-m mark --mark 0x20000/0x20000 -j RETURN',
    ])
  })

  it('is deterministic whatever the input order', () => {
    const a = baseInput({policies: [allowAll, denyIcmpToPod2]})
    const b = baseInput({policies: [denyIcmpToPod2, allowAll]})
    b.workloadEndpoints = [...b.workloadEndpoints].reverse()
    assert.deepEqual(buildDesiredState(a), buildDesiredState(b))
  })

  it('hooks kernel chains: inserts for filter, appended POSTROUTING in nat', () => {
    const s = buildDesiredState(baseInput())
    assert.deepEqual(
      s.tables.filter.hooks.map((h) => `${h.position} ${h.chain} ${ruleBody(h.rule)}`),
      [
        'insert INPUT -j cali-INPUT',
        'insert FORWARD -j cali-FORWARD',
        'insert OUTPUT -j cali-OUTPUT',
        'append FORWARD -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT',
      ],
    )
    assert.deepEqual(s.tables.nat.hooks.map((h) => `${h.position} ${h.chain} ${ruleBody(h.rule)}`), ['append POSTROUTING -j cali-POSTROUTING'])
    for (const t of ['raw', 'mangle', 'filter', 'nat'] as const) {
      for (const c of s.tables[t].chains) assert.ok(c.name.startsWith('cali-') && c.name.length <= 28, c.name)
    }
  })

  it('hashes over-long policy chain names to 28 characters', () => {
    const long: PolicyInput = {kind: 'NetworkPolicy', namespace: 'default', name: 'a-very-long-policy-name-for-testing', spec: {ingress: [{action: 'Allow'}]}}
    const s = buildDesiredState(baseInput({policies: [long]}))
    const name = lengthLimitedName('cali-pi-', 'default/default/a-very-long-policy-name-for-testing')
    assert.equal(name.length, 28)
    assert.match(name, /^cali-pi-_[A-Za-z0-9_-]{19}$/)
    assert.ok(chain(s, name))
  })
})

describe('iptables model: IPIP and natOutgoing', () => {
  it('accepts IPIP only from Calico hosts and drops IPIP from workloads', () => {
    const s = buildDesiredState(baseInput())
    assert.deepEqual(lines(chain(s, 'cali-INPUT')), [
      `-m comment --comment "Allow IPIP packets from Calico hosts" -p 4 -m set --match-set ${ALL_HOSTS_SET} src -m addrtype --dst-type LOCAL -j ACCEPT`,
      '-m comment --comment "Drop IPIP packets from non-Calico hosts" -p 4 -j DROP',
      '-i cali+ -g cali-wl-to-host',
    ])
    assert.ok(lines(chain(s, `cali-fw-${POD1}`)).includes('-m comment --comment "Drop IPinIP encapped packets originating in workloads" -p 4 -j DROP'))
    assert.deepEqual(set(s, ALL_HOSTS_SET).members, ['198.51.100.95', '198.51.100.96'])
  })

  it('has no IPIP rules or all-hosts set without an IPIP pool', () => {
    const s = buildDesiredState(baseInput({pools: [{cidr: '192.168.0.0/16', natOutgoing: false, ipipMode: 'Never', disabled: false}]}))
    assert.equal(lines(chain(s, 'cali-INPUT')).some((l) => l.includes('-p 4')), false)
    assert.equal(s.ipsets.some((x) => x.name === ALL_HOSTS_SET), false)
    assert.deepEqual(chain(s, 'cali-nat-outgoing', 'nat').rules, [])
  })

  it('masquerades from natOutgoing pools to anything outside all pools', () => {
    const s = buildDesiredState(
      baseInput({
        pools: [
          {cidr: '192.168.0.0/16', natOutgoing: true, ipipMode: 'Always', disabled: false},
          {cidr: '10.20.0.0/16', natOutgoing: false, ipipMode: 'Never', disabled: false},
          {cidr: '10.30.0.0/16', natOutgoing: true, ipipMode: 'Never', disabled: true},
          {cidr: 'fd00::/64', natOutgoing: true, ipipMode: 'Never', disabled: false},
        ],
        ipipTunnelAddress: '192.168.0.1',
      }),
    )
    assert.deepEqual(lines(chain(s, 'cali-nat-outgoing', 'nat')), [
      `-m set --match-set ${MASQ_POOLS_SET} src -m set ! --match-set ${ALL_POOLS_SET} dst -j MASQUERADE --random-fully`,
    ])
    assert.deepEqual(set(s, MASQ_POOLS_SET).members, ['192.168.0.0/16'])
    assert.deepEqual(set(s, ALL_POOLS_SET).members, ['10.20.0.0/16', '10.30.0.0/16', '192.168.0.0/16'])
    assert.deepEqual(lines(chain(s, 'cali-POSTROUTING', 'nat')), [
      '-j cali-nat-outgoing',
      '-o tunl0 -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE',
    ])
  })
})

describe('iptables model: rule rendering', () => {
  const input = baseInput({
    networkSets: [{name: 'ext', namespace: 'default', labels: {app: 'pod1'}, nets: ['203.0.113.0/24', '2001:db8::/64']}],
  })

  it('renders protocols, ICMP type/code, nets and notNets', () => {
    assert.deepEqual(renderOne(input, {action: 'Deny', protocol: 'ICMP', icmp: {type: 8, code: 0}, source: {nets: ['198.51.100.7']}}), [
      '-p icmp -m icmp --icmp-type 8/0 -s 198.51.100.7/32 -j DROP',
    ])
    assert.deepEqual(renderOne(input, {action: 'Deny', protocol: 1, notICMP: {type: 3}, destination: {notNets: ['10.0.0.0/8']}}), [
      '-p icmp -m icmp ! --icmp-type 3 ! -d 10.0.0.0/8 -j DROP',
    ])
    assert.deepEqual(renderOne(input, {action: 'Deny', protocol: 'UDP', notProtocol: 'TCP'}), ['-p udp ! -p tcp -j DROP'])
    assert.deepEqual(renderOne(input, {action: 'Deny', protocol: 132}), ['-p sctp -j DROP'])
    assert.deepEqual(renderOne(input, {action: 'Deny', protocol: 47}), ['-p 47 -j DROP'])
  })

  it('puts several nets in an ipset, keeps only IPv4 and skips IPv6-only rules', () => {
    const s = buildDesiredState(
      baseInput({
        policies: [
          {
            kind: 'GlobalNetworkPolicy',
            name: 'nets',
            spec: {
              ingress: [
                {action: 'Allow', source: {nets: ['10.1.2.3/8', '192.0.2.0/24', '2001:db8::/32']}},
                {action: 'Deny', source: {nets: ['2001:db8::/32']}},
                {action: 'Deny', ipVersion: 6},
                {action: 'Deny', protocol: 'ICMPv6'},
              ],
            },
          },
        ],
      }),
    )
    const pi = lines(chain(s, 'cali-pi-default/nets'))
    assert.equal(pi.length, 2)
    const m = /--match-set (\S+) src/.exec(pi[0] as string)
    assert.ok(m?.[1])
    assert.deepEqual(set(s, m[1]).members, ['10.0.0.0/8', '192.0.2.0/24'])
  })

  it('splits more than 15 ports into several multiport rules and handles ranges', () => {
    const ports = Array.from({length: 16}, (_, i) => 1000 + i)
    const out = renderOne(input, {action: 'Allow', protocol: 'TCP', destination: {ports: [...ports, '2000:2010']}})
    assert.deepEqual(out, [
      `-p tcp -m multiport --destination-ports ${ports.slice(0, 15).join(',')} -j MARK --set-mark 0x10000/0x10000`,
      '-p tcp -m multiport --destination-ports 1015,2000:2010 -j MARK --set-mark 0x10000/0x10000',
      '-m mark --mark 0x10000/0x10000 -j RETURN',
    ])
    assert.deepEqual(renderOne(input, {action: 'Deny', protocol: 'UDP', source: {notPorts: [53]}}), [
      '-p udp -m multiport ! --source-ports 53 -j DROP',
    ])
  })

  it('turns selectors into ipsets: namespaced policies see only their namespace', () => {
    const pol: PolicyInput = {
      kind: 'NetworkPolicy',
      namespace: 'default',
      name: 'fp',
      spec: {selector: 'all()', ingress: [{action: 'Allow', source: {selector: 'has(app)'}}]},
    }
    const gpol: PolicyInput = {kind: 'GlobalNetworkPolicy', name: 'g-from-pods', spec: {ingress: [{action: 'Allow', source: {selector: 'has(app)'}}]}}
    const s = buildDesiredState({...input, policies: [pol, gpol]})
    const nsSet = /--match-set (\S+) src/.exec(lines(chain(s, 'cali-pi-default/default/fp'))[0] as string)?.[1]
    const gSet = /--match-set (\S+) src/.exec(lines(chain(s, 'cali-pi-default/g-from-pods'))[0] as string)?.[1]
    assert.ok(nsSet && gSet && nsSet !== gSet)
    assert.ok(nsSet.startsWith('cali40s:') && nsSet.length <= 31)
    // pod1, pod2 and the namespaced network set; not pod3 in namespace "other"; no IPv6
    assert.deepEqual(set(s, nsSet).members, ['192.168.1.2', '192.168.1.3', '203.0.113.0/24'])
    assert.deepEqual(set(s, gSet).members, ['192.168.1.2', '192.168.1.3', '192.168.2.7', '203.0.113.0/24'])
    // the NetworkPolicy applies only to endpoints in its own namespace
    assert.ok(lines(chain(s, `cali-tw-${POD1}`)).some((l) => l.includes('cali-pi-default/default/fp')))
  })

  it('handles notSelector and namespaceSelector', () => {
    const s = buildDesiredState({
      ...input,
      namespaces: [
        {name: 'default', labels: {env: 'dev'}},
        {name: 'other', labels: {env: 'prod'}},
      ],
      policies: [
        {
          kind: 'GlobalNetworkPolicy',
          name: 'g',
          spec: {ingress: [{action: 'Deny', source: {namespaceSelector: "env == 'prod'", notSelector: "app == 'pod9'"}}]},
        },
      ],
    })
    const rule = lines(chain(s, 'cali-pi-default/g'))[0] as string
    const m = /-m set --match-set (\S+) src -m set ! --match-set (\S+) src -j DROP$/.exec(rule)
    assert.ok(m?.[1] && m[2], rule)
    assert.deepEqual(set(s, m[1]).members, ['192.168.2.7'])
    assert.deepEqual(set(s, m[2]).members, [])
  })

  it('matches named ports through hash:ip,port sets', () => {
    const s = buildDesiredState({
      ...input,
      policies: [{kind: 'GlobalNetworkPolicy', name: 'web', spec: {ingress: [{action: 'Allow', protocol: 'TCP', destination: {ports: ['http', 443]}}]}}],
    })
    const pi = lines(chain(s, 'cali-pi-default/web'))
    assert.equal(pi[0], '-m comment --comment "GlobalNetworkPolicy web ingress" -p tcp -m multiport --destination-ports 443 -j MARK --set-mark 0x10000/0x10000')
    const m = /-p tcp -m set --match-set (\S+) dst,dst -j MARK/.exec(pi[1] as string)
    assert.ok(m?.[1], pi[1])
    const named = set(s, m[1])
    assert.equal(named.type, 'hash:ip,port')
    assert.deepEqual(named.members, ['192.168.1.3,tcp:8080'])
  })

  it('renders Log and Pass actions', () => {
    assert.deepEqual(renderOne(input, {action: 'Log', protocol: 'TCP'}), ['-p tcp -j LOG --log-prefix "calico-packet: " --log-level 5'])
    assert.deepEqual(renderOne(input, {action: 'Pass'}), ['-j MARK --set-mark 0x20000/0x20000', '-m mark --mark 0x20000/0x20000 -j RETURN'])
  })

  it('rejects input that must not reach a command line', () => {
    const bad = baseInput()
    const w = bad.workloadEndpoints[0]
    assert.ok(w)
    w.spec = {...w.spec, interfaceName: 'cali1 -j ACCEPT'}
    assert.throws(() => buildDesiredState(bad), (e: unknown) => e instanceof CalicoError && /invalid interfaceName 'cali1 -j ACCEPT'/.test(e.message))
    assert.throws(() => renderOne(input, {action: 'Allow', destination: {ports: [80]}}), /ports need protocol/)
    assert.throws(() => renderOne(input, {action: 'Allow', protocol: 'TCP', icmp: {type: 8}}), /icmp needs protocol ICMP/)
    assert.throws(() => renderOne(input, {action: 'Allow', protocol: 'bogus'}), CalicoError)
  })
})

describe('iptables rule hashes', () => {
  it('are 16 base64url characters, chained over position and chain name', () => {
    const r1 = {match: ['-p', 'tcp'], action: ['-j', 'ACCEPT']}
    const r2 = {match: [], action: ['-j', 'DROP']}
    const h = ruleHashes('cali-x', [r1, r2])
    for (const x of h) assert.match(x, /^[A-Za-z0-9_-]{16}$/)
    assert.equal(ruleHashes('cali-x', [r1, r2]).join(), h.join())
    assert.notEqual(ruleHashes('cali-y', [r1, r2])[0], h[0])
    // changing the first rule changes the second rule's hash too
    const h2 = ruleHashes('cali-x', [{...r1, match: ['-p', 'udp']}, r2])
    assert.notEqual(h2[1], h[1])
  })
})
