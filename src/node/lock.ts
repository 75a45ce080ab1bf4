// A per-host lock file so two node passes never program one host at once, holding the owner's
// PID; a file whose PID is no longer alive is stale and taken over. The file is written whole
// under a private name and then hard-linked into place (link fails if the lock exists), so a
// pass killed at any instant leaves either no lock file or one naming its (dead) PID, never an
// empty one that would block every later pass.
import {link, mkdir, readdir, readFile, stat, unlink, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {processAlive as alive} from '../lib/process.js'
import {CalicoError} from '../resources/errors.js'

export const DEFAULT_LOCK_FILE = '/var/run/calico/node-apply.lock'

/** A lock file that names no PID (written by something else) counts as stale after this long. */
export const UNREADABLE_STALE_MS = 5000

export class LockBusyError extends CalicoError {}

const tmpName = (path: string, pid: number) => `${path}.tmp-${pid}`

async function tryCreate(path: string): Promise<boolean> {
  const tmp = tmpName(path, process.pid)
  try {
    await writeFile(tmp, `${process.pid}\n`, {mode: 0o644})
    await link(tmp, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new CalicoError(`cannot create lock file ${path}: ${(err as Error).message}`)
  } finally {
    await unlink(tmp).catch(() => {})
  }
}

/** Removes private files of passes that died between writing and linking them. */
async function removeDeadTemps(path: string): Promise<void> {
  const prefix = `${basename(path)}.tmp-`
  const names = await readdir(dirname(path)).catch(() => [] as string[])
  for (const n of names) {
    if (!n.startsWith(prefix)) continue
    const pid = Number(n.slice(prefix.length))
    if (pid !== process.pid && !alive(pid)) await unlink(join(dirname(path), n)).catch(() => {})
  }
}

export interface HeldLock {
  path: string
  release(): Promise<void>
}

/**
 * Takes the lock, waiting up to `waitMs` for another live holder to finish. Stale files (dead
 * PID, or no PID at all for longer than UNREADABLE_STALE_MS) are removed and the lock retaken.
 */
export async function acquireLock(path: string, opts: {waitMs?: number; pollMs?: number} = {}): Promise<HeldLock> {
  const waitMs = opts.waitMs ?? 60_000
  const pollMs = opts.pollMs ?? 100
  await mkdir(dirname(path), {recursive: true})
  await removeDeadTemps(path)
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
    const named = /^\d+\n$/.test(text)
    const age = named ? 0 : Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now())
    if ((named && !alive(holder)) || (!named && age > UNREADABLE_STALE_MS)) {
      // Stale: the holder died. Remove it unless someone else replaced it meanwhile.
      const again = await readFile(path, 'utf8').catch(() => undefined)
      if (again === text) await unlink(path).catch(() => {})
      continue
    }
    if (Date.now() >= deadline) throw new LockBusyError(`another node pass (pid ${holder || 'unknown'}) holds ${path}; gave up waiting`)
    await new Promise((r) => setTimeout(r, pollMs))
  }
}
