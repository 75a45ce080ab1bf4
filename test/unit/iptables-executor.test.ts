// The executor with a fake runner: which programs it runs, with which arguments and stdin.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {backendFromVersion, IptablesSyncer, iptablesBinaries, resolveIptablesBackend, splitSave, syncIptables} from '../../src/dataplane/iptables/executor.js'
import {buildDesiredState, compileSelector} from '../../src/dataplane/iptables/index.js'
import {isEmptyPlan, kernelAfter, parseKernel, planParsed} from '../../src/dataplane/iptables/planner.js'
import type {CommandRunner, RunOptions} from '../../src/lib/exec.js'
import {CalicoError} from '../../src/resources/errors.js'
import {allowAll, baseInput, denyIcmpToPod2} from '../fixtures/iptables/input.js'

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/iptables/${name}`, import.meta.url), 'utf8')
/** What `iptables-save` with no table prints: every table, one after another. */
const fullSave = (): string => ['raw', 'mangle', 'filter', 'nat'].map((t) => fixture(`applied-${t}.save`)).join('')

interface Call {
  file: string
  args: readonly string[]
  input?: string
}

/** A kernel frozen at the captured fixture state; restores may be made to fail (also later, via `failing`). */
function fakeKernel(failRestore?: string): {runner: CommandRunner; calls: Call[]; failing: {message: string | undefined}} {
  const calls: Call[] = []
  const failing = {message: failRestore}
  const runner: CommandRunner = async (file, args, opts: RunOptions = {}) => {
    calls.push({file, args, ...(opts.input !== undefined ? {input: opts.input} : {})})
    if (file.endsWith('-save')) return {stdout: args.length === 0 ? fullSave() : fixture(`applied-${args[1]}.save`), stderr: '', exitCode: 0}
    if (file === 'ipset' && args[0] === 'save') return {stdout: fixture('applied.ipset'), stderr: '', exitCode: 0}
    if (file.endsWith('-restore') && failing.message) return {stdout: '', stderr: `${failing.message}\nError occurred at line: 7\n`, exitCode: 1}
    return {stdout: '', stderr: '', exitCode: 0}
  }
  return {runner, calls, failing}
}

const matching = baseInput({policies: [denyIcmpToPod2, allowAll]})

/** A kernel with none of our chains or sets; a restore fails (as iptables-restore reports it) at line `failAt`. */
interface EmptyKernel {
  runner: CommandRunner
  calls: Call[]
  failAt: number | undefined
  tablesOf: (planText: string) => string
}
function emptyKernel(): EmptyKernel {
  const k: EmptyKernel = {
    calls: [] as Call[],
    failAt: undefined as number | undefined,
    runner: (async (file, args, opts: RunOptions = {}) => {
      k.calls.push({file, args, ...(opts.input !== undefined ? {input: opts.input} : {})})
      if (file.endsWith('-restore') && k.failAt !== undefined) return {stdout: '', stderr: `iptables-nft-restore: line ${k.failAt} failed\n`, exitCode: 1}
      return {stdout: '', stderr: '', exitCode: 0}
    }) as CommandRunner,
    /** The iptables-restore input inside a dry run's script text. */
    tablesOf: (planText: string): string =>
      planText
        .split(/^# /m)
        .filter((part) => part.startsWith('iptables-restore'))
        .map((part) => part.slice(part.indexOf('\n') + 1))
        .join(''),
  }
  return k
}

describe('syncIptables with a fake runner', () => {
  it('only reads, with one iptables-save for every table, when the kernel already matches', async () => {
    const k = fakeKernel()
    const r = await syncIptables(matching, {runner: k.runner})
    assert.equal(r.restoreCalls, 0)
    assert.equal(r.script, '')
    const {save} = iptablesBinaries()
    assert.deepEqual(
      k.calls.map((c) => [c.file, ...c.args].join(' ')),
      [save, 'ipset save'],
    )
  })

  it('dry run reports the scripts and writes nothing', async () => {
    const k = fakeKernel()
    const r = await syncIptables(baseInput({policies: [allowAll]}), {runner: k.runner, dryRun: true})
    assert.deepEqual(r.changedTables, ['filter'])
    assert.match(r.script, /# iptables-restore --noflush \(filter\)\n\*filter\n/)
    assert.equal(r.restoreCalls, 0)
    assert.ok(k.calls.every((c) => c.file.endsWith('-save') || (c.file === 'ipset' && c.args[0] === 'save')))
  })

  it('feeds the changed table to one iptables-restore --noflush on stdin, through the chosen backend', async () => {
    const k = fakeKernel()
    const r = await syncIptables(baseInput({policies: [allowAll]}), {runner: k.runner, backend: 'legacy'})
    assert.equal(r.restoreCalls, 1)
    const restores = k.calls.filter((c) => c.file.endsWith('-restore'))
    assert.equal(restores.length, 1)
    // No read-back: exit 0 of the atomic restore is the confirmation; nothing is read after it.
    assert.ok(k.calls.slice(k.calls.indexOf(restores[0] as Call)).every((c) => !c.file.endsWith('-save')), k.calls.map((c) => c.file).join(' '))
    assert.equal(restores[0]?.file, 'iptables-legacy-restore')
    assert.deepEqual(restores[0]?.args, ['--noflush', '--wait'])
    assert.match(restores[0]?.input ?? '', /^\*filter\n[\s\S]*\nCOMMIT\n$/)
  })

  it('feeds every changed table to one iptables-restore, each table its own COMMIT', async () => {
    const k = emptyKernel()
    const r = await syncIptables(matching, {runner: k.runner})
    assert.deepEqual(r.changedTables, ['raw', 'mangle', 'filter', 'nat'])
    assert.equal(r.restoreCalls, 1)
    const restores = k.calls.filter((c) => c.file.endsWith('-restore'))
    assert.equal(restores.length, 1)
    const input = restores[0]?.input ?? ''
    assert.deepEqual([...input.matchAll(/^\*(\w+)$/gm)].map((m) => m[1]), ['raw', 'mangle', 'filter', 'nat'])
    assert.equal(input.match(/^COMMIT$/gm)?.length, 4)
    // ipset: sets created before the restore; nothing stale to destroy, so no cleanup call.
    assert.deepEqual(k.calls.map((c) => [c.file, ...c.args].join(' ')), ['iptables-nft-save', 'ipset save', 'ipset restore', 'iptables-nft-restore --noflush --wait'])
  })

  it('names the table of a combined restore that failed, and the ones committed before it', async () => {
    const k = emptyKernel()
    const plan = (await syncIptables(matching, {runner: k.runner, dryRun: true})).script
    // The line that fails is the first rule line of the filter section of the combined script.
    const lines = k.tablesOf(plan).split('\n')
    const filterAt = lines.indexOf('*filter')
    const line = lines.findIndex((l, i) => i > filterAt && l.startsWith('-A cali-')) + 1
    assert.ok(filterAt > 0 && line > filterAt + 1)
    k.failAt = line
    await assert.rejects(syncIptables(matching, {runner: k.runner}), (e: unknown) => {
      assert.ok(e instanceof CalicoError)
      assert.match(e.message, new RegExp(`^iptables table filter not changed \\(raw, mangle applied before it\\): iptables-nft-restore failed: .*line ${line} failed \\[-A cali-`))
      // The failing rule itself, as fed to iptables-restore.
      assert.ok(e.message.endsWith(`[${lines[line - 1]}]`), e.message)
      return true
    })
  })

  it('reports a failed restore in one line naming the table', async () => {
    const k = fakeKernel('iptables-restore v1.8.9 (nf_tables): Set cali40s:x doesn\'t exist.')
    await assert.rejects(syncIptables(baseInput({policies: [allowAll]}), {runner: k.runner}), (e: unknown) => {
      assert.ok(e instanceof CalicoError)
      assert.match(e.message, /^iptables table filter not changed: iptables-nft-restore failed: .*doesn't exist\. Error occurred at line: 7 \[(-A|-I|-D|:)\S* .+\]$/)
      return true
    })
    // nothing after the failed table: no stale-set cleanup
    assert.equal(k.calls.filter((c) => c.file === 'ipset' && c.args[0] === 'restore').length, 0)
  })
})

/** denyIcmpToPod2 with TCP instead of ICMP: one rule of one policy chain changes. */
const oneRuleChanged = baseInput({
  policies: [{...denyIcmpToPod2, spec: {...denyIcmpToPod2.spec, ingress: [{action: 'Deny', protocol: 'TCP'}]}}, allowAll],
})
const saves = (calls: Call[]): number => calls.filter((c) => c.file.endsWith('-save') || (c.file === 'ipset' && c.args[0] === 'save')).length

describe('IptablesSyncer', () => {
  it('plans a one-rule change from memory: no iptables-save, one restore of just the changed chain', async () => {
    const k = fakeKernel()
    const syncer = new IptablesSyncer()
    const first = await syncer.sync(matching, {runner: k.runner})
    assert.equal(first.readKernel, true)
    assert.equal(saves(k.calls), 2)
    k.calls.length = 0
    const second = await syncer.sync(oneRuleChanged, {runner: k.runner})
    assert.equal(second.readKernel, false)
    assert.equal(saves(k.calls), 0)
    assert.deepEqual(k.calls.map((c) => c.file), ['iptables-nft-restore'])
    const script = k.calls[0]?.input ?? ''
    const declared = script.split('\n').filter((l) => l.startsWith(':'))
    assert.equal(declared.length, 1, script)
    assert.match(declared[0] ?? '', /^:cali-pi-/)
    assert.match(script, / -p tcp -j DROP\n/)
    // Memory now holds the change: the same input again runs nothing at all.
    k.calls.length = 0
    const third = await syncer.sync(oneRuleChanged, {runner: k.runner})
    assert.equal(third.restoreCalls, 0)
    assert.deepEqual(k.calls, [])
  })

  it('re-reads the kernel when asked to verify, and finds what memory missed', async () => {
    const k = fakeKernel()
    const syncer = new IptablesSyncer()
    await syncer.sync(matching, {runner: k.runner})
    await syncer.sync(oneRuleChanged, {runner: k.runner})
    k.calls.length = 0
    // The frozen fake kernel still holds the old rule: only a real read can notice that.
    const r = await syncer.sync(oneRuleChanged, {runner: k.runner, verify: true})
    assert.equal(r.readKernel, true)
    assert.equal(saves(k.calls), 2)
    assert.equal(r.restoreCalls, 1)
  })

  it('re-reads the kernel after a failed restore', async () => {
    const k = fakeKernel()
    const syncer = new IptablesSyncer()
    await syncer.sync(matching, {runner: k.runner})
    k.failing.message = 'iptables-restore: line 3 failed'
    await assert.rejects(syncer.sync(oneRuleChanged, {runner: k.runner}), /iptables table filter not changed/)
    k.failing.message = undefined
    k.calls.length = 0
    const r = await syncer.sync(oneRuleChanged, {runner: k.runner})
    assert.equal(r.readKernel, true)
    assert.equal(saves(k.calls), 2)
    assert.equal(r.restoreCalls, 1)
  })

  it('dry run never replaces what the syncer remembers', async () => {
    const k = fakeKernel()
    const syncer = new IptablesSyncer()
    await syncer.sync(matching, {runner: k.runner})
    const dry = await syncer.sync(oneRuleChanged, {runner: k.runner, dryRun: true})
    assert.deepEqual(dry.changedTables, ['filter'])
    k.calls.length = 0
    const r = await syncer.sync(oneRuleChanged, {runner: k.runner})
    assert.equal(r.restoreCalls, 1)
    assert.equal(saves(k.calls), 0)
  })
})

describe('kernelAfter', () => {
  it('predicts the kernel after a plan: re-planning against it is empty and other tools\' rules keep their place', () => {
    const foreign = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 198.51.100.7/32 -j DROP\n-A FORWARD -j LOG\nCOMMIT\n'
    const before = parseKernel({filter: foreign}, '')
    const desired = buildDesiredState(matching)
    const plan = planParsed(desired, before)
    assert.ok(plan.tables.length > 0)
    const after = kernelAfter(before, desired, plan)
    assert.ok(isEmptyPlan(planParsed(desired, after)))
    const input = after.tables.filter.chains.get('INPUT') ?? []
    assert.deepEqual(input.map((r) => r.hash === undefined), [false, true])
    assert.equal(input[1]?.text, '-A INPUT -s 198.51.100.7/32 -j DROP')
    const forward = after.tables.filter.chains.get('FORWARD') ?? []
    // cali-FORWARD on top, the other tool's rule, then our appended accept-mark rule.
    assert.deepEqual(forward.map((r) => r.hash === undefined), [false, true, false])
    // Before is not modified.
    assert.equal(before.tables.filter.chains.get('INPUT')?.length, 1)
  })
})

describe('splitSave', () => {
  it('cuts a whole dump into its tables; absent and foreign tables are handled', () => {
    const dump = '# Generated by iptables-save\n*security\n:INPUT ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j cali-INPUT\nCOMMIT\n# Completed\n*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n'
    const t = splitSave(dump)
    assert.equal(t.filter, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j cali-INPUT\nCOMMIT\n')
    assert.equal(t.nat, '*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n')
    assert.equal(t.raw, '')
    assert.equal(t.mangle, '')
    assert.deepEqual(splitSave(fullSave()), Object.fromEntries(['raw', 'mangle', 'filter', 'nat'].map((n) => [n, fixture(`applied-${n}.save`).replace(/^#.*\n/gm, '')])))
  })
})

describe('compileSelector adapter', () => {
  it('uses the real selector language with Felix-style ids', () => {
    const s = compileSelector("app == 'pod2' && has(tier)")
    assert.equal(s.matches({app: 'pod2', tier: 'x'}), true)
    assert.equal(s.matches({app: 'pod2'}), false)
    assert.match(s.id, /^s:[\w-]+$/)
    assert.equal(compileSelector("app == 'pod2' && has(tier)").id, s.id)
    assert.notEqual(compileSelector("app == 'pod1' && has(tier)").id, s.id)
  })
})

describe('iptables backend auto', () => {
  it('reads the flavour from iptables --version', () => {
    assert.equal(backendFromVersion('iptables v1.8.9 (nf_tables)'), 'nft')
    assert.equal(backendFromVersion('iptables v1.8.9 (legacy)\n'), 'legacy')
    assert.equal(backendFromVersion('iptables v1.6.1'), 'legacy')
    assert.equal(backendFromVersion('iptables v1.8.9'), undefined)
    assert.equal(backendFromVersion(''), undefined)
  })

  it('auto asks the system iptables once per sync and then uses that flavour only', async () => {
    const calls: string[] = []
    const runner: CommandRunner = async (file, args) => {
      calls.push(`${file} ${args.join(' ')}`)
      if (file === 'iptables') return {stdout: 'iptables v1.8.9 (legacy)\n', stderr: '', exitCode: 0}
      if (file.endsWith('-save')) return {stdout: args.length === 0 ? fullSave() : fixture(`applied-${args[1]}.save`), stderr: '', exitCode: 0}
      if (file === 'ipset') return {stdout: fixture('applied.ipset'), stderr: '', exitCode: 0}
      return {stdout: '', stderr: '', exitCode: 0}
    }
    const r = await syncIptables(matching, {runner, backend: 'auto'})
    assert.equal(r.restoreCalls, 0)
    assert.equal(calls.filter((c) => c === 'iptables --version').length, 1)
    assert.ok(calls.filter((c) => c.includes('-save')).every((c) => c.startsWith('iptables-legacy-save ')), calls.join('\n'))
    assert.equal(await resolveIptablesBackend('nft', runner), 'nft')
  })

  it('auto without a readable iptables is an error naming the way out', async () => {
    const runner: CommandRunner = async () => ({stdout: '', stderr: 'iptables: not found', exitCode: 127})
    await assert.rejects(resolveIptablesBackend('auto', runner), /pass --iptables-backend nft or legacy/)
  })
})
