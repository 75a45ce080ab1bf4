// One node pass's view of the apply lock, for the lock's concurrency test: a separate process
// (the lock names PIDs) that takes commands on stdin, one per line, and answers one line each.
//   try WAIT_MS      acquire, waiting up to WAIT_MS: "won" or "busy"
//   release          release what it holds: "released"
//   loop N DEADPID   N times: acquire (waiting), check nobody else is inside, then release; every
//                    third time "crash" instead: leave the lock naming DEADPID, as a pass killed
//                    while holding it would. Answers "done N" or "overlap ..." at the first overlap.
import {unlink, writeFile} from 'node:fs/promises'
import {createInterface} from 'node:readline'
import {acquireLock, type HeldLock} from '../../src/node/lock.js'

const path = process.argv[2] as string
const inside = `${path}.inside`
let held: HeldLock | undefined
const say = (line: string) => process.stdout.write(`${line}\n`)

for await (const line of createInterface({input: process.stdin})) {
  const [cmd, a, b] = line.trim().split(' ')
  if (cmd === 'try') {
    try {
      held = await acquireLock(path, {waitMs: Number(a), pollMs: 5})
      say('won')
    } catch (err) {
      say(/another node pass/.test((err as Error).message) ? 'busy' : `error ${(err as Error).message}`)
    }
  } else if (cmd === 'release') {
    await held?.release()
    held = undefined
    say('released')
  } else if (cmd === 'loop') {
    let overlap = ''
    try {
      for (let i = 0; i < Number(a) && !overlap; i++) {
        const lock = await acquireLock(path, {waitMs: 120_000, pollMs: 10})
        // 'wx' fails if the file exists: a second pass inside the lock at the same time.
        try {
          await writeFile(inside, String(process.pid), {flag: 'wx'})
        } catch {
          overlap = `overlap at iteration ${i}`
          break
        }
        await new Promise((r) => setImmediate(r))
        await unlink(inside)
        if (i % 3 === 2) await writeFile(path, `${b}\n`) // killed while holding: a stale lock
        else await lock.release()
      }
    } catch (err) {
      overlap = `error ${(err as Error).message}`
    }
    say(overlap || `done ${a}`)
  }
}
