// A per-host lock file so two node passes never program one host at once, holding the owner's
// PID; a file whose PID is no longer alive is stale and taken over. The file is written whole
// under a private name and then hard-linked into place (link fails if the lock exists), so a
// pass killed at any instant leaves either no lock file or one naming its (dead) PID, never an
// empty one that would block every later pass.
//
// Taking over a stale lock is atomic: the stale file is never removed (removing it by name could
// remove a fresh lock another pass made in between). Instead a pass first claims that one stale
// file, by creating `<lock>.takeover-<inode>-<mtime>` exclusively (the same link trick), checks the
// lock is still that very file, and renames its own file over it. Only the claim's holder may
// replace the stale file, so of any number of passes that find it stale, exactly one takes it
// over. A claim whose holder died is itself a stale file and is taken over the same way.
import {link, mkdir, open, readdir, readFile, rename, stat, unlink, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {processAlive as alive} from '../lib/process.js'
import {CalicoError} from '../resources/errors.js'
import {sleep} from '../lib/sleep.js'

export const DEFAULT_LOCK_FILE = '/var/run/calico/node-apply.lock'

/** A lock file that names no PID (written by something else) counts as stale after this long. */
export const UNREADABLE_STALE_MS = 5000

export class LockBusyError extends CalicoError {}

let tmpSeq = 0
/** A private name for a file this process is about to put in place (unique per call). */
const tmpName = (path: string) => `${path}.tmp-${process.pid}-${tmpSeq++}`

/** A file as one open file saw it: its content and its identity (inode, modification time). */
interface Seen {
  text: string
  ino: bigint
  mtimeNs: bigint
}

/** Content and identity read from one open file, so both describe the same file. */
async function inspect(path: string): Promise<Seen | undefined> {
  let fh: Awaited<ReturnType<typeof open>>
  try {
    fh = await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new CalicoError(`cannot read lock file ${path}: ${(err as Error).message}`)
  }
  try {
    const st = await fh.stat({bigint: true})
    return {text: await fh.readFile('utf8'), ino: st.ino, mtimeNs: st.mtimeNs}
  } finally {
    await fh.close()
  }
}

const sameFile = (a: {ino: bigint; mtimeNs: bigint} | undefined, b: Seen) => a !== undefined && a.ino === b.ino && a.mtimeNs === b.mtimeNs

/** The PID a lock (or claim) file names, and whether it is stale. */
function judge(seen: Seen): {holder: number; stale: boolean} {
  if (/^\d+\n$/.test(seen.text)) {
    const holder = Number(seen.text.trim())
    return {holder, stale: !alive(holder)}
  }
  return {holder: 0, stale: Date.now() - Number(seen.mtimeNs / 1_000_000n) > UNREADABLE_STALE_MS}
}

/** Writes this process's PID under a private name; the caller links or renames it into place. */
async function ownFile(path: string): Promise<string> {
  const tmp = tmpName(path)
  try {
    await writeFile(tmp, `${process.pid}\n`, {mode: 0o644})
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw new CalicoError(`cannot create lock file ${path}: ${(err as Error).message}`)
  }
  return tmp
}

/** Creates `path` naming this process, unless it exists. */
async function tryCreate(path: string): Promise<boolean> {
  const tmp = await ownFile(path)
  try {
    await link(tmp, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new CalicoError(`cannot create lock file ${path}: ${(err as Error).message}`)
  } finally {
    await unlink(tmp).catch(() => {})
  }
}

const claimName = (path: string, seen: Seen) => `${path}.takeover-${seen.ino}-${seen.mtimeNs}`

/**
 * Replaces the stale file `path` (as `seen`) by one naming this process. True when done; a PID
 * when that live pass is taking it over right now; 0 when it is no longer that file (look again).
 */
async function takeOver(path: string, seen: Seen): Promise<true | number> {
  const claim = claimName(path, seen)
  for (;;) {
    if (await tryCreate(claim)) break
    const other = await inspect(claim)
    if (other === undefined) continue // that claimer just finished: claim again, then see
    const {holder, stale} = judge(other)
    if (!stale) return holder
    const won = await takeOver(claim, other) // the claimer died: its claim is ours if we take it over
    if (won !== true) return won
    break
  }
  try {
    // The claim is ours: nobody else may replace this stale file, so if it is still in place it
    // stays there until the rename below swaps ours in.
    if (!sameFile(await stat(path, {bigint: true}).catch(() => undefined), seen)) return 0
    const tmp = await ownFile(path)
    try {
      await rename(tmp, path)
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw new CalicoError(`cannot take over lock file ${path}: ${(err as Error).message}`)
    }
    return true
  } finally {
    await unlink(claim).catch(() => {})
  }
}

/**
 * Removes what dead passes left next to the lock: private files of passes that died before
 * putting them in place, and claims on files that are no longer there (nobody can use them).
 */
async function removeLeftovers(path: string): Promise<void> {
  const dir = dirname(path)
  const base = `${basename(path)}.`
  const names = await readdir(dir).catch(() => [] as string[])
  for (const n of names) {
    if (!n.startsWith(base)) continue
    const tmp = /\.tmp-(\d+)(?:-\d+)?$/.exec(n)
    if (tmp) {
      const pid = Number(tmp[1])
      if (pid !== process.pid && !alive(pid)) await unlink(join(dir, n)).catch(() => {})
      continue
    }
    const claim = /^(.*)\.takeover-(\d+)-(\d+)$/.exec(n)
    if (claim) {
      const target = await stat(join(dir, claim[1] as string), {bigint: true}).catch(() => undefined)
      if (!target || target.ino !== BigInt(claim[2] as string) || target.mtimeNs !== BigInt(claim[3] as string)) await unlink(join(dir, n)).catch(() => {})
    }
  }
}

export interface HeldLock {
  path: string
  release(): Promise<void>
}

/**
 * Takes the lock, waiting up to `waitMs` for another live holder to finish. Stale files (dead
 * PID, or no PID at all for longer than UNREADABLE_STALE_MS) are taken over.
 */
export async function acquireLock(path: string, opts: {waitMs?: number; pollMs?: number} = {}): Promise<HeldLock> {
  const waitMs = opts.waitMs ?? 60_000
  const pollMs = opts.pollMs ?? 100
  await mkdir(dirname(path), {recursive: true})
  await removeLeftovers(path)
  const deadline = Date.now() + waitMs
  const held: HeldLock = {
    path,
    release: async () => {
      // Only remove the file while it is still ours.
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim())
      if (owner === process.pid) await unlink(path).catch(() => {})
    },
  }
  for (;;) {
    if (await tryCreate(path)) return held
    const seen = await inspect(path)
    if (seen === undefined) continue // released between our attempts
    let {holder, stale} = judge(seen)
    if (stale) {
      const r = await takeOver(path, seen)
      if (r === true) return held
      if (r === 0) continue
      holder = r
    }
    if (Date.now() >= deadline) throw new LockBusyError(`another node pass (pid ${holder || 'unknown'}) holds ${path}; gave up waiting`)
    await sleep(pollMs)
  }
}
