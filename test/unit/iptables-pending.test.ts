// The drop `workload add` leaves for a workload the agent has not programmed yet (fail closed):
// the restore scripts it writes, against a fake iptables. The kernel side is in
// test/netns/node-defaults.test.ts.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {FILTER_HOOKS} from '../../src/dataplane/iptables/model.js'
import {dropUntilProgrammed, removePendingDrops} from '../../src/dataplane/iptables/pending.js'
import {hookHashes} from '../../src/dataplane/iptables/planner.js'
import type {CommandRunner} from '../../src/lib/exec.js'

const EMPTY = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n'

/**
 * A fake iptables: `saves` are the filter table in turn (the last one stays); a restore fails, as
 * the real one does as a whole, when it creates (-N) a chain the current table has, or with the
 * next of `restoreCodes` when one is given. Each restore's input is recorded.
 */
function fake(saves: string[], restoreCodes: number[] = []) {
  const scripts: string[] = []
  const current = () => saves[0] ?? EMPTY
  const run: CommandRunner = async (file, _args, opts) => {
    if (file.endsWith('-save')) {
      const s = current()
      if (saves.length > 1) saves.shift()
      return {stdout: s, stderr: '', exitCode: 0}
    }
    const input = opts?.input ?? ''
    scripts.push(input)
    const clash = input.split('\n').some((l) => l.startsWith('-N ') && current().includes(`\n:${l.slice(3)} `))
    return {stdout: '', stderr: '', exitCode: restoreCodes.shift() ?? (clash ? 1 : 0)}
  }
  return {run, scripts}
}

describe('pending drops for a workload not programmed yet', () => {
  test('nothing of the agent there: chains created, drops both ways and from the workload to the host, the agent\'s own hooks', async () => {
    const f = fake([EMPTY])
    assert.equal(await dropUntilProgrammed('cali0123456789a', 'legacy', f.run), 'added')
    // One restore and no read: nothing of ours was there.
    assert.equal(f.scripts.length, 1)
    const s = f.scripts[0] ?? ''
    const lines = s.split('\n')
    // The guard: fails as a whole when the agent's dispatch chain exists.
    assert.deepEqual(lines.slice(0, 3), ['*filter', '-N cali-from-wl-dispatch', '-X cali-from-wl-dispatch'])
    assert.ok(lines.includes('-N cali-FORWARD') && lines.includes('-N cali-INPUT'))
    assert.ok(lines.includes('-A cali-FORWARD -i cali0123456789a -m comment --comment "workload not programmed yet" -j DROP'))
    assert.ok(lines.includes('-A cali-FORWARD -o cali0123456789a -m comment --comment "workload not programmed yet" -j DROP'))
    assert.ok(lines.includes('-A cali-INPUT -i cali0123456789a -m comment --comment "workload not programmed yet" -j DROP'))
    // The hook carries the hash the agent gives it, so the agent takes it for its own.
    const hash = hookHashes('FORWARD', FILTER_HOOKS.filter((h) => h.chain === 'FORWARD')).inserts[0]?.hash
    assert.ok(lines.includes(`-I FORWARD -m comment --comment "cali:${hash}" -j cali-FORWARD`), s)
    assert.equal(lines.at(-2), 'COMMIT')
  })

  test('a second workload before the agent: appends its drops, creates nothing twice', async () => {
    const after1 = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:cali-FORWARD - [0:0]\n:cali-INPUT - [0:0]\n-A INPUT -m comment --comment "cali:x" -j cali-INPUT\n-A FORWARD -m comment --comment "cali:y" -j cali-FORWARD\nCOMMIT\n'
    const f = fake([after1])
    assert.equal(await dropUntilProgrammed('calib', 'nft', f.run), 'added')
    // The first try (for a table with nothing of ours) failed as a whole; the second fits the table.
    assert.equal(f.scripts.length, 2)
    const lines = (f.scripts[1] ?? '').split('\n')
    assert.equal(lines.filter((l) => l.startsWith('-N cali-F') || l.startsWith('-N cali-I') || l.startsWith('-I ')).length, 0)
    assert.equal(lines.filter((l) => l.includes('-i calib') || l.includes('-o calib')).length, 3)
  })

  test('the agent has programmed the host: nothing is written (its dispatch drops unknown interfaces)', async () => {
    const f = fake(['*filter\n:cali-from-wl-dispatch - [0:0]\nCOMMIT\n'])
    assert.equal(await dropUntilProgrammed('calic', 'legacy', f.run), 'programmed')
    // Only the first try, which the dispatch chain made fail as a whole.
    assert.equal(f.scripts.length, 1)
  })

  test('the table changed between the read and the write: read again and decide again', async () => {
    const f = fake([EMPTY, '*filter\n:cali-from-wl-dispatch - [0:0]\nCOMMIT\n'], [1, 1])
    assert.equal(await dropUntilProgrammed('calid', 'legacy', f.run), 'programmed')
    assert.equal(f.scripts.length, 2)
  })

  test('workload remove takes out only its own drops, and only before the agent programmed the host', async () => {
    const saved = '*filter\n:cali-FORWARD - [0:0]\n-A cali-FORWARD -i calie -m comment --comment "workload not programmed yet" -j DROP\n-A cali-FORWARD -i calif -m comment --comment "workload not programmed yet" -j DROP\nCOMMIT\n'
    const f = fake([saved])
    assert.equal(await removePendingDrops('calie', 'legacy', f.run), 'removed')
    const lines = (f.scripts[0] ?? '').split('\n')
    assert.deepEqual(lines.filter((l) => l.startsWith('-D')), ['-D cali-FORWARD -i calie -m comment --comment "workload not programmed yet" -j DROP'])
    const g = fake(['*filter\n:cali-from-wl-dispatch - [0:0]\nCOMMIT\n'])
    assert.equal(await removePendingDrops('calie', 'legacy', g.run), 'programmed')
    assert.equal(g.scripts.length, 0)
  })
})
