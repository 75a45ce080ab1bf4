// The apply lock under contention, between real processes (the lock names PIDs): passes that
// start together against a stale lock (its holder died) take it over one at a time, never two.
// Proven once by breaking it: with the old takeover (read the stale PID, read it again, unlink,
// create) two or three of the 8 passes won the same round here; this test went red.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {createInterface, type Interface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import {after, before, describe, it} from 'node:test'
import {acquireLock} from '../../src/node/lock.js'

const WORKER = join(dirname(fileURLToPath(import.meta.url)), '..', 'faults', 'lock-worker.ts')
const PASSES = 8

interface Pass {
  proc: ChildProcess
  lines: Interface
  ask(cmd: string): Promise<string>
}

function startPass(path: string): Pass {
  const proc = spawn(process.execPath, ['--import', 'tsx', WORKER, path], {stdio: ['pipe', 'pipe', 'inherit']})
  const lines = createInterface({input: proc.stdout!})
  const waiting: Array<(line: string) => void> = []
  lines.on('line', (l) => waiting.shift()?.(l))
  return {
    proc,
    lines,
    ask: (cmd) =>
      new Promise((resolve) => {
        waiting.push(resolve)
        proc.stdin!.write(`${cmd}\n`)
      }),
  }
}

/** The PID of a process that has exited: a stale lock names it. */
const deadPid = () => spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'}).stdout.trim()

describe('apply lock: 8 concurrent passes', {timeout: 300_000}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'node-lock-'))
  const path = join(dir, 'apply.lock')
  let passes: Pass[] = []
  before(async () => {
    passes = Array.from({length: PASSES}, () => startPass(path))
    // Each answers once it is up (tsx start-up is slow on a loaded machine): then all start together.
    for (const p of passes) assert.equal(await p.ask('release'), 'released')
  })
  after(() => {
    for (const p of passes) p.proc.stdin?.end()
    rmSync(dir, {recursive: true, force: true})
  })

  it('against a stale lock: exactly one wins, round after round', async () => {
    for (let round = 0; round < 20; round++) {
      const dead = deadPid()
      writeFileSync(path, `${dead}\n`)
      const answers = await Promise.all(passes.map((p) => p.ask('try 0')))
      try {
        const winners = passes.filter((_, i) => answers[i] === 'won')
        assert.equal(winners.length, 1, `round ${round}: ${answers.join(', ')}`)
        assert.deepEqual(answers.filter((a) => a !== 'won' && a !== 'busy'), [])
        assert.equal(readFileSync(path, 'utf8'), `${winners[0]!.proc.pid}\n`, 'the lock names the winner')
      } finally {
        for (const p of passes) await p.ask('release')
      }
    }
    // Nothing left behind but the directory itself: no claim or temp files.
    assert.deepEqual(readdirSync(dir), [])
  })

  it('never two inside at once while holders keep dying (stale locks taken over under contention)', async () => {
    const answers = await Promise.all(passes.map((p) => p.ask(`loop 20 ${deadPid()}`)))
    assert.deepEqual(answers, passes.map(() => 'done 20'))
  })
})

describe('apply lock: what dead passes leave behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'node-lock-left-'))
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('a pass that died while taking over a stale lock does not block the next one', async () => {
    const path = join(dir, 'a.lock')
    writeFileSync(path, `${deadPid()}\n`)
    const st = statSync(path, {bigint: true})
    // Its claim on the stale file, naming it (dead too), as a SIGKILL between claim and rename leaves.
    writeFileSync(`${path}.takeover-${st.ino}-${st.mtimeNs}`, `${deadPid()}\n`)
    const l = await acquireLock(path, {waitMs: 0})
    assert.equal(readFileSync(path, 'utf8'), `${process.pid}\n`)
    assert.deepEqual(readdirSync(dir), ['a.lock'], 'the dead claim was taken over and removed')
    await l.release()
  })

  it('private files of dead passes and claims on files long gone are removed; a live pass\'s are kept', async () => {
    const path = join(dir, 'b.lock')
    const dead = deadPid()
    writeFileSync(`${path}.tmp-${dead}-0`, `${dead}\n`)
    writeFileSync(`${path}.tmp-${process.ppid}-3`, `${process.ppid}\n`)
    writeFileSync(`${path}.takeover-1-2`, `${dead}\n`)
    const l = await acquireLock(path, {waitMs: 0})
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('b.')).sort(), ['b.lock', `b.lock.tmp-${process.ppid}-3`])
    await l.release()
  })
})
