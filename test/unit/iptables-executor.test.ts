// The executor with a fake runner: which programs it runs, with which arguments and stdin.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {backendFromVersion, iptablesBinaries, resolveIptablesBackend, syncIptables} from '../../src/dataplane/iptables/executor.js'
import {compileSelector} from '../../src/dataplane/iptables/index.js'
import type {CommandRunner, RunOptions} from '../../src/lib/exec.js'
import {CalicoError} from '../../src/resources/errors.js'
import {allowAll, baseInput, denyIcmpToPod2} from '../fixtures/iptables/input.js'

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/iptables/${name}`, import.meta.url), 'utf8')

interface Call {
  file: string
  args: readonly string[]
  input?: string
}

/** A kernel frozen at the captured fixture state; restores may be made to fail. */
function fakeKernel(failRestore?: string): {runner: CommandRunner; calls: Call[]} {
  const calls: Call[] = []
  const runner: CommandRunner = async (file, args, opts: RunOptions = {}) => {
    calls.push({file, args, ...(opts.input !== undefined ? {input: opts.input} : {})})
    if (file.endsWith('-save')) return {stdout: fixture(`applied-${args[1]}.save`), stderr: '', exitCode: 0}
    if (file === 'ipset' && args[0] === 'save') return {stdout: fixture('applied.ipset'), stderr: '', exitCode: 0}
    if (file.endsWith('-restore') && failRestore) return {stdout: '', stderr: `${failRestore}\nError occurred at line: 7\n`, exitCode: 1}
    return {stdout: '', stderr: '', exitCode: 0}
  }
  return {runner, calls}
}

const matching = baseInput({policies: [denyIcmpToPod2, allowAll]})

describe('syncIptables with a fake runner', () => {
  it('only reads when the kernel already matches', async () => {
    const k = fakeKernel()
    const r = await syncIptables(matching, {runner: k.runner})
    assert.equal(r.restoreCalls, 0)
    assert.equal(r.script, '')
    const {save} = iptablesBinaries()
    assert.deepEqual(
      k.calls.map((c) => [c.file, ...c.args].join(' ')),
      ['raw', 'mangle', 'filter', 'nat'].map((t) => `${save} -t ${t}`).concat('ipset save'),
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

  it('feeds one iptables-restore --noflush per changed table on stdin, through the chosen backend', async () => {
    const k = fakeKernel()
    // The fake kernel does not change, so the read-back reports non-convergence; the writes are what we check.
    await assert.rejects(syncIptables(baseInput({policies: [allowAll]}), {runner: k.runner, backend: 'legacy'}), /did not converge/)
    const restores = k.calls.filter((c) => c.file.endsWith('-restore'))
    assert.equal(restores.length, 1)
    assert.equal(restores[0]?.file, 'iptables-legacy-restore')
    assert.deepEqual(restores[0]?.args, ['--noflush', '--wait'])
    assert.match(restores[0]?.input ?? '', /^\*filter\n[\s\S]*\nCOMMIT\n$/)
  })

  it('reports a failed restore in one line naming the table', async () => {
    const k = fakeKernel('iptables-restore v1.8.9 (nf_tables): Set cali40s:x doesn\'t exist.')
    await assert.rejects(syncIptables(baseInput({policies: [allowAll]}), {runner: k.runner}), (e: unknown) => {
      assert.ok(e instanceof CalicoError)
      assert.match(e.message, /^iptables table filter not changed: iptables-nft-restore failed: .*doesn't exist\. Error occurred at line: 7$/)
      return true
    })
    // nothing after the failed table: no stale-set cleanup
    assert.equal(k.calls.filter((c) => c.file === 'ipset' && c.args[0] === 'restore').length, 0)
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
      if (file.endsWith('-save')) return {stdout: fixture(`applied-${args[1]}.save`), stderr: '', exitCode: 0}
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
