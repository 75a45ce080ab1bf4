// A per-host lock file so two node passes never program one host at once: created with O_EXCL,
// holding the owner's PID; a file whose PID is no longer alive is stale and taken over.
import {mkdir, open, readFile, unlink} from 'node:fs/promises'
import {dirname} from 'node:path'
import {CalicoError} from '../resources/errors.js'

export const DEFAULT_LOCK_FILE = '/var/run/calico/node-apply.lock'

export class LockBusyError extends CalicoError {}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o644)
    await fh.writeFile(`${process.pid}\n`)
    await fh.close()
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new CalicoError(`cannot create lock file ${path}: ${(err as Error).message}`)
  }
}

export interface HeldLock {
  path: string
  release(): Promise<void>
}

/**
 * Takes the lock, waiting up to `waitMs` for another live holder to finish. Stale files (dead or
 * unreadable PID) are removed and the lock retaken.
 */
export async function acquireLock(path: string, opts: {waitMs?: number; pollMs?: number} = {}): Promise<HeldLock> {
  const waitMs = opts.waitMs ?? 60_000
  const pollMs = opts.pollMs ?? 100
  await mkdir(dirname(path), {recursive: true})
  const deadline = Date.now() + waitMs
  let holder = 0
  for (;;) {
    if (await tryCreate(path)) {
      return {
        path,
        release: async () => {
          // Only remove the file while it is still ours.
          const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim())
          if (owner === process.pid) await unlink(path).catch(() => {})
        },
      }
    }
    const text = await readFile(path, 'utf8').catch(() => undefined)
    if (text === undefined) continue // released between our attempts
    holder = Number(text.trim())
    if (!alive(holder) && text.endsWith('\n')) {
      // Stale: the holder died. Remove it unless someone else replaced it meanwhile.
      const again = await readFile(path, 'utf8').catch(() => undefined)
      if (again === text) await unlink(path).catch(() => {})
      continue
    }
    if (Date.now() >= deadline) throw new LockBusyError(`another node pass (pid ${holder || 'unknown'}) holds ${path}; gave up waiting`)
    await new Promise((r) => setTimeout(r, pollMs))
  }
}
