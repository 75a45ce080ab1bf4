// Puts a rendered BIRD config in place: unchanged → nothing; else validate a temp copy (by the
// running daemon's `configure check`, or `bird -p -c` when none runs), rename it over the live
// file, and ask the daemon to reconfigure.
import {randomBytes} from 'node:crypto'
import {readdir, readFile, rename, unlink, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {type CommandRunner, runCommand} from '../../lib/exec.js'
import {processAlive} from '../../lib/process.js'
import {CalicoError} from '../../resources/errors.js'
import {BirdControl, BirdNotRunningError, type BirdClientOptions, type ConfigureResult, type ProtocolRow} from './control.js'

export interface ApplyBirdOptions {
  configPath: string
  socketPath: string
  text: string
  /** Only report what would happen. */
  dryRun?: boolean
  /** The bird binary used for `bird -p -c` (default `bird`). */
  birdBinary?: string
  runner?: CommandRunner
  client?: BirdClientOptions
}

export type ApplyBirdStatus = 'unchanged' | 'would-change' | 'reloaded' | 'written-not-running'

export interface ApplyBirdResult {
  status: ApplyBirdStatus
  changed: boolean
  reloaded: boolean
  message: string
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}

/** `bird -p -c FILE`: undefined when the file parses, else BIRD's message. */
export async function checkBirdConfig(file: string, birdBinary = 'bird', runner: CommandRunner = runCommand): Promise<string | undefined> {
  const r = await runner(birdBinary, ['-p', '-c', file], {timeoutMs: 10_000})
  if (r.exitCode === 0) return undefined
  const msg = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean).join('; ')
  return msg.replace(/^bird:\s*/, '') || `exit status ${r.exitCode}`
}

export async function applyBirdConfig(opts: ApplyBirdOptions): Promise<ApplyBirdResult> {
  const {configPath, socketPath, text} = opts
  if (!configPath.startsWith('/')) throw new CalicoError(`BIRD config path must be absolute: ${configPath}`)
  const current = await readIfExists(configPath)
  if (current === text) return {status: 'unchanged', changed: false, reloaded: false, message: `${configPath} is up to date`}
  if (opts.dryRun) return {status: 'would-change', changed: true, reloaded: false, message: `would update ${configPath}`}

  await removeOrphanTemps(configPath)
  const tmp = join(dirname(configPath), `.${basename(configPath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  // BGP passwords live in the config: then only root may read it.
  await writeFile(tmp, text, {mode: /^\s*password "/m.test(text) ? 0o600 : 0o644})
  // A running daemon checks the new file over its socket; only without one is `bird -p` started.
  let control: BirdControl | undefined
  try {
    control = await BirdControl.connect(socketPath, opts.client).catch((e) => {
      if (e instanceof BirdNotRunningError) return undefined
      throw e
    })
    const problem = control && !tmp.includes('"') ? await daemonCheck(control, tmp) : await checkBirdConfig(tmp, opts.birdBinary, opts.runner)
    if (problem !== undefined) {
      throw new CalicoError(`generated BIRD config rejected by ${control ? 'BIRD' : 'bird -p'}, ${configPath} left unchanged: ${problem.split(tmp).join('<new config>')}`)
    }
    await rename(tmp, configPath)
  } catch (e) {
    control?.close()
    await unlink(tmp).catch(() => {})
    throw e
  }
  if (!control) return {status: 'written-not-running', changed: true, reloaded: false, message: `wrote ${configPath}; BIRD is not running, so nothing was reloaded`}

  let result: ConfigureResult
  try {
    result = await control.configure()
  } finally {
    control.close()
  }
  if (!result.ok) throw new CalicoError(`BIRD refused to reconfigure from ${configPath}: ${result.message}`)
  if (result.file && result.file !== configPath) {
    throw new CalicoError(`BIRD at ${socketPath} reads ${result.file}, not ${configPath}; the new config is not in effect`)
  }
  return {status: 'reloaded', changed: true, reloaded: true, message: `wrote ${configPath}; BIRD: ${result.message}`}
}

/** Temp copies left by a pass that was killed between writing and renaming (its pid is gone). */
async function removeOrphanTemps(configPath: string): Promise<void> {
  const prefix = `.${basename(configPath)}.`
  const names = await readdir(dirname(configPath)).catch(() => [] as string[])
  for (const name of names) {
    const pid = name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length).split('.')[0]) : Number.NaN
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue
    await unlink(join(dirname(configPath), name)).catch(() => {})
  }
}

/** The daemon's verdict on FILE: undefined when it parses, else BIRD's message. */
async function daemonCheck(control: BirdControl, file: string): Promise<string | undefined> {
  const r = await control.checkConfig(file)
  return r.ok ? undefined : r.message
}

const PEER_TYPES: Record<string, string> = {Mesh: 'node-to-node mesh', Global: 'global', Node: 'node specific'}

/** Peer rows as calicoctl shows them: [address, type, state, since, info]. */
export function peerStatusRows(rows: readonly ProtocolRow[], family: 4 | 6 = 4): string[][] {
  const out: string[][] = []
  for (const r of rows) {
    if (r.proto !== 'BGP') continue
    const m = /^(Global|Node|Mesh)_(.+)$/.exec(r.name)
    if (!m) continue
    const addr = (m[2] ?? '').replace(/_/g, family === 4 ? '.' : ':')
    // calicoctl splits BIRD's line into words: the info reads with single spaces (node/status.go unmarshalBIRD).
    out.push([addr, PEER_TYPES[m[1] ?? ''] ?? '', r.state, r.since, r.info.split(/\s+/).filter(Boolean).join(' ')])
  }
  return out
}

