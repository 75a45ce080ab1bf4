import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {buildDesiredState} from '../../src/dataplane/iptables/model.js'
import {
  isEmptyPlan,
  parseIpsetSave,
  parseIptablesSave,
  planAll,
  planIpsets,
  planTable,
} from '../../src/dataplane/iptables/planner.js'
import {lengthLimitedName} from '../../src/dataplane/iptables/render.js'
import type {TableName} from '../../src/dataplane/iptables/types.js'
import {allowAll, baseInput, denyIcmpToPod2} from '../fixtures/iptables/input.js'

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/iptables/${name}`, import.meta.url), 'utf8')

/** Kernel state captured after applying baseInput({policies: [deny, allow]}) next to foreign rules. */
const applied: Record<TableName, string> = {
  filter: fixture('applied-filter.save'),
  nat: fixture('applied-nat.save'),
  raw: fixture('applied-raw.save'),
  mangle: fixture('applied-mangle.save'),
}
const appliedIpset = fixture('applied.ipset')
const DENY_CHAIN = lengthLimitedName('cali-pi-', 'default/deny-icmp-pod2')

/** Every chain and kernel-chain rule a script touches. */
function touched(script: string): string[] {
  return script.split('\n').filter((l) => /^(:|-[AIDRFX] )/.test(l))
}

describe('parseIptablesSave', () => {
  it('reads chains, rules and cali: hashes of one table only', () => {
    const t = parseIptablesSave(applied.filter, 'filter')
    assert.deepEqual(t.chains.get('INPUT')?.map((r) => r.hash), ['lV9p8wDoA5K-ayca', undefined, undefined])
    assert.equal(t.chains.get('FOREIGN')?.[0]?.text, '-A FOREIGN -s 203.0.113.8/32 -j ACCEPT')
    assert.ok(t.chains.get('cali-FORWARD')?.every((r) => typeof r.hash === 'string' && r.hash.length === 16))
    assert.equal(parseIptablesSave(applied.filter, 'nat').chains.size, 0)
    assert.equal(parseIptablesSave('', 'raw').chains.size, 0)
  })
})

describe('planTable', () => {
  it('creates every owned chain and hooks on a fresh table, mentioning no foreign chain', () => {
    const desired = buildDesiredState(baseInput())
    const plan = planTable('filter', desired.tables.filter, parseIptablesSave(fixture('fresh-filter.save'), 'filter'))
    assert.ok(plan)
    const lines = plan.script.split('\n')
    assert.equal(lines[0], '*filter')
    assert.equal(lines.at(-2), 'COMMIT')
    assert.ok(lines.includes(':cali-INPUT - [0:0]'))
    // inserts are written last-first so they end up in model order at the top
    const hooks = lines.filter((l) => /^-[IA] (INPUT|FORWARD|OUTPUT) /.test(l))
    assert.match(hooks[0] as string, /^-I FORWARD -m comment --comment "cali:[\w-]{16}" -j cali-FORWARD$/)
    assert.match(hooks[1] as string, /^-A FORWARD .*Policy explicitly accepted packet.*-j ACCEPT$/)
    assert.match(hooks[2] as string, /^-I INPUT .* -j cali-INPUT$/)
    assert.match(hooks[3] as string, /^-I OUTPUT .* -j cali-OUTPUT$/)
    for (const l of touched(plan.script)) assert.doesNotMatch(l, /FOREIGN|203\.0\.113/)
    // every rule written carries a cali: hash
    for (const l of lines.filter((x) => x.startsWith('-A ') || x.startsWith('-I '))) assert.match(l, /--comment "cali:[\w-]{16}"/)
  })

  it('plans nothing against a kernel that already matches (real iptables-nft-save text)', () => {
    const desired = buildDesiredState(baseInput({policies: [denyIcmpToPod2, allowAll]}))
    const plan = planAll(desired, applied, appliedIpset)
    assert.deepEqual(plan.tables, [])
    assert.equal(plan.ipsets.update, '')
    assert.equal(plan.ipsets.cleanup, '')
    assert.ok(isEmptyPlan(plan))
  })

  it('rewrites only the chains whose rules changed and deletes stale ones', () => {
    // Remove the deny policy: pod2's ingress chain changes, the deny chain goes away.
    const desired = buildDesiredState(baseInput({policies: [allowAll]}))
    const plan = planAll(desired, applied, appliedIpset)
    assert.deepEqual(plan.tables.map((t) => t.table), ['filter'])
    const filter = plan.tables[0]
    assert.ok(filter)
    assert.deepEqual(filter.chainsWritten, ['cali-tw-cali9f8e7d6c5b4'])
    assert.deepEqual(filter.chainsDeleted, [DENY_CHAIN])
    assert.deepEqual(filter.hooksChanged, [])
    const lines = touched(filter.script)
    assert.deepEqual(lines.filter((l) => l.startsWith(':')), [':cali-tw-cali9f8e7d6c5b4 - [0:0]', `:${DENY_CHAIN} - [0:0]`])
    assert.equal(lines.at(-1), `-X ${DENY_CHAIN}`)
    assert.ok(lines.every((l) => !/FOREIGN|INPUT |cali-tw-cali1a2b3c4d5e6/.test(l)))
  })

  it('puts hooks back on top when another tool inserted above them, deleting ours by value', () => {
    const desired = buildDesiredState(baseInput({policies: [denyIcmpToPod2, allowAll]}))
    const moved = applied.filter.replace('-A INPUT -m comment', '-A INPUT -s 203.0.113.99/32 -j ACCEPT\n-A INPUT -m comment')
    const plan = planTable('filter', desired.tables.filter, parseIptablesSave(moved, 'filter'))
    assert.ok(plan)
    assert.deepEqual(plan.hooksChanged, ['INPUT'])
    assert.deepEqual(plan.chainsWritten, [])
    assert.deepEqual(touched(plan.script), [
      '-D INPUT -m comment --comment "cali:lV9p8wDoA5K-ayca" -j cali-INPUT',
      '-I INPUT -m comment --comment "cali:lV9p8wDoA5K-ayca" -j cali-INPUT',
    ])
  })

  // What we do not own is never touched. Proven once by breaking it (issue #24): with isOwnedChain
  // true for every chain, this test and 'rewrites only the chains...' went red.
  it('removes our hooks and chains (and only those) when a table is no longer wanted', () => {
    const plan = planTable('nat', {chains: [], hooks: []}, parseIptablesSave(applied.nat, 'nat'))
    assert.ok(plan)
    assert.deepEqual(touched(plan.script), [
      ':cali-POSTROUTING - [0:0]',
      ':cali-nat-outgoing - [0:0]',
      '-D POSTROUTING -m comment --comment "cali:AaOIvr23RHxBTsMS" -j cali-POSTROUTING',
      '-X cali-POSTROUTING',
      '-X cali-nat-outgoing',
    ])
  })

  it('rewrites a chain someone edited by hand (a rule without our hash)', () => {
    const desired = buildDesiredState(baseInput({policies: [denyIcmpToPod2, allowAll]}))
    const edited = applied.filter.replace('COMMIT', '-A cali-wl-to-host -j ACCEPT\nCOMMIT')
    const plan = planTable('filter', desired.tables.filter, parseIptablesSave(edited, 'filter'))
    assert.deepEqual(plan?.chainsWritten, ['cali-wl-to-host'])
  })

  it('refuses to program a chain outside the cali- prefix', () => {
    assert.throws(() => planTable('filter', {chains: [{name: 'INPUT', rules: []}], hooks: []}, {chains: new Map()}), /not a cali- chain/)
  })
})

describe('ipset planning', () => {
  it('parses only our sets', () => {
    const sets = parseIpsetSave(appliedIpset)
    assert.deepEqual([...sets.keys()], ['cali40all-hosts-net', 'cali40all-ipam-pools', 'cali40masq-ipam-pools'])
    assert.deepEqual(sets.get('cali40all-hosts-net')?.members, ['198.51.100.95', '198.51.100.96'])
  })

  it('creates new sets, swaps changed ones through a temp set and destroys stale ones afterwards', () => {
    const current = parseIpsetSave(
      `${appliedIpset}create cali4t0 hash:net family inet hashsize 1024 maxelem 1048576\ncreate cali40s:stale hash:net family inet\nadd cali40s:stale 192.168.9.9\n`,
    )
    const plan = planIpsets(
      [
        {name: 'cali40all-hosts-net', type: 'hash:net', members: ['198.51.100.95', '198.51.100.97']},
        {name: 'cali40all-ipam-pools', type: 'hash:net', members: ['192.168.0.0/16']},
        {name: 'cali40s:new', type: 'hash:net', members: ['192.168.1.2']},
      ],
      current,
    )
    assert.equal(
      plan.update,
      [
        'destroy cali4t0',
        'create cali4t0 hash:net family inet maxelem 1048576',
        'add cali4t0 198.51.100.95',
        'add cali4t0 198.51.100.97',
        'swap cali4t0 cali40all-hosts-net',
        'destroy cali4t0',
        'create cali40s:new hash:net family inet maxelem 1048576',
        'add cali40s:new 192.168.1.2',
        '',
      ].join('\n'),
    )
    assert.equal(plan.cleanup, 'destroy cali40masq-ipam-pools\ndestroy cali40s:stale\n')
    assert.deepEqual(plan.created, ['cali40s:new'])
    assert.deepEqual(plan.updated, ['cali40all-hosts-net'])
    assert.deepEqual(plan.destroyed, ['cali40masq-ipam-pools', 'cali40s:stale'])
    assert.equal(plan.update.includes('foreign-set') || plan.cleanup.includes('foreign-set'), false)
  })

  it('plans nothing when sets match (member order does not matter)', () => {
    const plan = planIpsets([{name: 'cali40all-hosts-net', type: 'hash:net', members: ['198.51.100.96', '198.51.100.95']}], new Map([
      ['cali40all-hosts-net', {name: 'cali40all-hosts-net', type: 'hash:net', members: ['198.51.100.95', '198.51.100.96']}],
    ]))
    assert.equal(plan.update + plan.cleanup, '')
  })
})
