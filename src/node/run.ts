// `calicoctl node run`: the long-running host agent. The datastore is listed once into an
// in-memory cache (cache.ts) at a known revision, then one etcd watch (resource and IPAM
// prefixes) from that revision keeps the cache current key by key; events are debounced into
// passes. A pass after datastore changes runs only the parts whose inputs changed (see
// partsForChanges); start, resync, drift checks, retries, a restarted BIRD or a deleted route run
// every part. A dropped stream resumes from the last revision; a cancelled watch (compaction) and
// every resync interval re-list the datastore; a periodic drift check (drift.ts: no program run
// but on its own long iptables interval) and a kernel route monitor catch drift (an owned route
// deleted, a flushed cali- chain); a resync or check that finds no difference costs no pass.
// Routes on devices newer than a pass's snapshot are not deleted (InterfaceAges, grace as
// Felix's). As calico-node it runs BIRD (started after the first pass unless one answers on the
// socket; --no-bird opts out). SIGTERM/SIGINT stop the agent and leave the dataplane in place.
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, rename, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {type IptablesBackend, IptablesSyncer, resolveIptablesBackend} from '../dataplane/iptables/executor.js'
import {InterfaceAges} from '../dataplane/routes/executor.js'
import type {RouteOp} from '../dataplane/routes/types.js'
import type {EtcdDatastore} from '../datastore/etcd.js'
import {Ipam} from '../ipam/index.js'
import {SnapshotCache} from './cache.js'
import {DriftCheck} from './drift.js'
import {publishNodeStatus, statusFromPass} from './node-status-key.js'
import {formatPassTimes, type NodePassOptions, type NodePassResult, type PartName, partsForChanges, runNodePass, type SnapshotSource} from './pass.js'
import {registerAndLog} from './identity.js'
import type {Logger} from './log.js'
import {DatastoreWatch, type WatchEvent} from './watch.js'
import {sleep} from '../lib/sleep.js'

export {LOG_LEVELS, type Logger, type LogLevel, makeLogger} from './log.js'

export interface BirdSupervision {
  binary: string
  configPath: string
  socketPath: string
}

export interface NodeRunOptions {
  datastore: EtcdDatastore
  /** The pass, exactly as `node apply` would run it (never dryRun). */
  pass: Omit<NodePassOptions, 'dryRun'>
  resyncIntervalMs: number
  /** How often the kernel is compared with what the passes left (spawn-free; a difference makes a pass; 0 = never). */
  checkIntervalMs: number
  /** How often a drift check also reads iptables and ipsets back (default 90 s; 0 = never). */
  iptablesRefreshMs?: number
  debounceMs: number
  statusFile?: string
  bird?: BirdSupervision
  /** Write this host's Node before anything else (default true; false: the caller did, see registerAndLog). */
  register?: boolean
  /** Watch the kernel's routes (`ip monitor route`) to restore a deleted owned route at once. */
  routeMonitor?: boolean
  log: Logger
  /** Aborting stops the agent; `runNodeAgent` then resolves. */
  signal: AbortSignal
  /** Test hook: replaces runNodePass. */
  runPass?: (opts: NodePassOptions) => Promise<NodePassResult>
}

export interface NodeRunStatus {
  pid: number
  node?: string
  state: 'starting' | 'running' | 'stopped'
  startedAt: string
  lastApply?: {time: string; durationMs: number; reason: string; changed: boolean; failed: boolean; changes: string[]; errors: string[]}
  passes: number
  revision?: string
  bird?: {supervised: boolean; pid?: number; restarts: number}
}

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.split('\n')[0] ?? text
}

/** A long-running child (BIRD, `ip monitor`): argument array, never a shell. */
function spawnChild(file: string, args: readonly string[]): ChildProcess {
  return spawn(file, [...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, LC_ALL: 'C'}})
}

function stopChild(child: ChildProcess | undefined, ms = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL')
      resolve()
    }, ms)
    child.once('exit', () => {
      clearTimeout(t)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** Keeps BIRD running on the generated config; restarts it (with back-off) when it dies. */
class BirdSupervisor {
  child?: ChildProcess
  restarts = 0
  private stopping = false
  private backoffMs = 500

  constructor(
    private readonly cfg: BirdSupervision,
    private readonly log: Logger,
    private readonly onRestart: () => void,
  ) {}

  start(): void {
    if (this.stopping) return
    const args = ['-f', '-c', this.cfg.configPath, '-s', this.cfg.socketPath]
    const child = spawnChild(this.cfg.binary, args)
    this.child = child
    let tail = ''
    child.stdout?.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-2000)))
    child.stderr?.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-2000)))
    child.once('error', (err) => {
      // No such binary: restarting cannot help. Say so once and run without BGP.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.stopping = true
        this.log('error', `BIRD: ${this.cfg.binary} not found; BGP routes are not programmed (install BIRD 2, or pass --no-bird when BGP is managed elsewhere)`)
      } else this.log('error', `BIRD: cannot start ${this.cfg.binary}: ${message(err)}`)
    })
    child.once('spawn', () => this.log('info', `BIRD started (pid ${child.pid}): ${this.cfg.binary} ${args.join(' ')}`))
    const startedAt = Date.now()
    child.once('close', (code, sig) => {
      if (this.stopping) return
      const last = tail.trim().split('\n').slice(-1)[0] ?? ''
      this.log('warn', `BIRD exited (${sig ?? `code ${code}`})${last ? `: ${last}` : ''}; restarting`)
      this.restarts++
      if (Date.now() - startedAt > 30_000) this.backoffMs = 500
      const wait = this.backoffMs
      this.backoffMs = Math.min(this.backoffMs * 2, 10_000)
      setTimeout(() => {
        if (this.stopping) return
        this.start()
        this.onRestart()
      }, wait)
    })
  }

  async stop(): Promise<void> {
    this.stopping = true
    await stopChild(this.child)
  }
}

/** Pass reasons for which iptables is re-read from the kernel rather than planned from memory (a drift check hands the syncer its own read). */
const VERIFY_REASONS = /\b(resync|retry)\b/

/** Pass reasons that only mean "the datastore changed": such a pass runs the parts that read what changed. Any other reason runs every part. */
const INCREMENTAL_REASONS = new Set(['datastore change', 'pending'])

/**
 * The cache as a pass's snapshot source. `full`: run every part; `reload`: list the datastore
 * again first (resync). `carry` collects the node/ipam parts a pass could not re-run for changes
 * it picked up mid-pass (when it re-read its own writes): the next pass runs them.
 */
export function cacheSource(cache: SnapshotCache, o: {full: boolean; reload: boolean; carry: Set<PartName>}): SnapshotSource {
  return {
    read: async (name) => {
      if (o.reload) await cache.load()
      const {snapshot, changes} = cache.snapshot()
      if (o.full) {
        o.carry.clear()
        return {snapshot}
      }
      const parts = new Set([...o.carry, ...partsForChanges(changes, name)])
      o.carry.clear()
      return {snapshot, parts}
    },
    reread: async (name) => {
      await cache.reread(SnapshotCache.ownWritePrefixes(name))
      const {snapshot, changes} = cache.snapshot()
      for (const p of partsForChanges(changes, name)) if (p === 'node' || p === 'ipam') o.carry.add(p)
      return snapshot
    },
  }
}

/**
 * With CALICOCTL_PROFILE_PASSES=DIR, a CPU profile of each pass (DIR/pass-<pid>-<n>.cpuprofile,
 * read with bench/prof-summary.mjs): the agent's reaction times are spent inside passes.
 */
let profiledPasses = 0
async function startPassProfile(): Promise<(() => Promise<void>) | undefined> {
  const dir = process.env.CALICOCTL_PROFILE_PASSES
  if (!dir) return undefined
  const {Session} = await import('node:inspector/promises')
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return async () => {
    const {profile} = await session.post('Profiler.stop')
    session.disconnect()
    await mkdir(dir, {recursive: true})
    await writeFile(join(dir, `pass-${process.pid}-${++profiledPasses}.cpuprofile`), JSON.stringify(profile))
  }
}

/** The destination of an `ip -o monitor route` deletion line, as route ops name it (`192.168.1.5/32`). */
export function deletedDst(line: string): string | undefined {
  const m = /^Deleted (?:(?:unicast|blackhole|unreachable|prohibit|throw) )?(\d+\.\d+\.\d+\.\d+(?:\/\d+)?)\s/.exec(line)
  if (!m?.[1]) return undefined
  return m[1].includes('/') ? m[1] : `${m[1]}/32`
}

/** Runs the agent until `signal` aborts. Rejects only when the start-up (first revision read) fails. */
export async function runNodeAgent(opts: NodeRunOptions): Promise<void> {
  const {log, signal} = opts
  const runPass = opts.runPass ?? runNodePass
  const status: NodeRunStatus = {pid: process.pid, state: 'starting', startedAt: new Date().toISOString(), passes: 0}

  const writeStatus = async () => {
    if (!opts.statusFile) return
    try {
      await mkdir(dirname(opts.statusFile), {recursive: true})
      const tmp = join(dirname(opts.statusFile), `.${process.pid}.node-status.tmp`)
      await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`)
      await rename(tmp, opts.statusFile)
    } catch (err) {
      log('warn', `cannot write status file ${opts.statusFile}: ${message(err)}`)
    }
  }

  // --- the pass scheduler: at most one pass at a time; reasons collected while waiting ---
  const reasons = new Set<string>()
  const iptSyncer = new IptablesSyncer()
  // `auto` costs an `iptables --version` run: resolved once, and again on passes that re-read
  // the kernel; when it cannot be told, the pass gets `auto` and its iptables part says why.
  let iptBackend: IptablesBackend | undefined
  const backendFor = async (verify: boolean): Promise<IptablesBackend | undefined> => {
    const asked = opts.pass.iptables?.backend
    if (asked !== 'auto') return asked
    if (!iptBackend || iptBackend === 'auto' || verify) iptBackend = await resolveIptablesBackend('auto').catch(() => 'auto' as const)
    return iptBackend
  }
  const cache = new SnapshotCache(opts.pass.store, new Ipam(opts.pass.store.ds))
  // When each device was first seen: a workload route is not deleted on a snapshot older than its device.
  const interfaceAges = new InterfaceAges()
  const drift = new DriftCheck({...(opts.pass.iptables?.enabled === false ? {} : {iptables: iptSyncer}), iptablesRefreshMs: opts.iptablesRefreshMs ?? 90_000})
  const carry = new Set<PartName>()
  const backendOpts = async () => {
    const backend = await backendFor(false)
    return backend ? {backend} : {}
  }
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let failures = 0
  let stopped = false
  let bird: BirdSupervisor | undefined
  let birdChecked = false
  // After the first pass (it wrote the config): reuse a BIRD that answers on the socket (the pass
  // reloaded it), else start one and keep it running.
  const startBird = async () => {
    if (!opts.bird || stopped) return
    const {BirdControl} = await import('../dataplane/bird/index.js')
    const control = existsSync(opts.bird.socketPath) ? await BirdControl.connect(opts.bird.socketPath).catch(() => undefined) : undefined
    if (control) {
      // Not ours to stop: reloaded on the generated config now and on each change, never killed.
      const r = await control.configure().catch((err) => ({ok: false, message: message(err)}))
      control.close()
      log(r.ok ? 'info' : 'warn', `BIRD already answers on ${opts.bird.socketPath}: reusing it, not starting another (configure: ${r.message})`)
    } else if (!existsSync(opts.bird.configPath)) log('error', `no BIRD config at ${opts.bird.configPath}; BIRD not started`)
    else {
      bird = new BirdSupervisor(opts.bird, log, () => schedule('BIRD restarted', 1000))
      bird.start()
      status.bird = {supervised: true, restarts: 0}
    }
  }
  // Owned routes the kernel reported deleted while a pass ran. Checked when it ends: the pass may
  // have deleted them itself, or read the kernel before they went (or not run its routes part).
  const deletedMidPass = new Set<string>()
  const recheckMidPassDeletes = (r: NodePassResult | undefined) => {
    if (deletedMidPass.size === 0) return
    const detail = r?.parts.find((p) => p.part === 'routes')?.detail as {ops?: RouteOp[]} | undefined
    const own = new Set((detail?.ops ?? []).filter((o) => o.op === 'delete').map((o) => o.route.dst))
    const others = [...deletedMidPass].filter((d) => !own.has(d))
    deletedMidPass.clear()
    if (others.length === 0) return
    log('info', `kernel: owned route${others.length === 1 ? '' : 's'} removed during a pass (${others.join(', ')}); re-applying`)
    reasons.add('route deleted')
  }

  const schedule = (reason: string, delayMs = opts.debounceMs) => {
    if (stopped) return
    reasons.add(reason)
    if (running || timer) return
    timer = setTimeout(() => {
      timer = undefined
      running = doPass().finally(() => {
        running = undefined
        if (reasons.size > 0 && !stopped) schedule('pending', failures > 0 ? Math.min(500 * 2 ** failures, 10_000) : opts.debounceMs)
      })
    }, delayMs)
  }

  const doPass = async () => {
    const why = [...reasons].join(', ')
    reasons.clear()
    // The revision this pass is known to include: read before it starts (a write during the
    // pass may or may not be in it), so `--wait` never counts a node as done too early.
    const appliedRev = watch?.lastRevision
    const t0 = Date.now()
    const full = why.split(', ').some((w) => !INCREMENTAL_REASONS.has(w))
    const profile = await startPassProfile()
    const verify = VERIFY_REASONS.test(why)
    let r: NodePassResult
    try {
      const backend = await backendFor(verify)
      r = await runPass({
        ...opts.pass,
        dryRun: false,
        interfaceAges,
        source: cacheSource(cache, {full, reload: /\bresync\b/.test(why), carry}),
        // One syncer for the agent's life: passes plan iptables from what it last wrote; drift
        // checks, resyncs and retries make it re-read the kernel (a flushed cali- chain is refilled).
        iptables: {enabled: true, ...opts.pass.iptables, ...(backend ? {backend} : {}), syncer: iptSyncer, verify},
      })
    } catch (err) {
      failures++
      reasons.add('retry')
      deletedMidPass.clear() // the retry is a full pass
      log('error', `pass failed (${why}): ${message(err)}`)
      return
    } finally {
      await profile?.()
    }
    recheckMidPassDeletes(r)
    drift.record(r)
    const ms = Date.now() - t0
    status.passes++
    status.node = r.node
    const errors = r.parts.filter((p) => p.status === 'failed').map((p) => `${p.part}: ${p.error ?? 'failed'}`)
    const changes = r.parts.flatMap((p) => p.changes.map((c) => `${p.part}: ${c.trim()}`))
    for (const c of changes) log('info', c)
    for (const e of errors) log('error', e)
    if (r.changed || r.failed) log('info', `pass (${why}) took ${ms} ms: ${changes.length} change${changes.length === 1 ? '' : 's'}${r.failed ? `, ${errors.length} failed` : ''} (${formatPassTimes(r)})`)
    else log('debug', `pass (${why}) took ${ms} ms: no changes (${formatPassTimes(r)})`)
    status.lastApply = {time: new Date().toISOString(), durationMs: ms, reason: why, changed: r.changed, failed: r.failed, changes, errors}
    failures = r.failed ? failures + 1 : 0
    // A failing part (e.g. etcd briefly gone) is retried with back-off rather than waiting for the next check.
    if (r.failed) reasons.add('retry')
    if (carry.size > 0) reasons.add('pending')
    if (watch) status.revision = watch.lastRevision
    if (bird) status.bird = {supervised: true, ...(bird.child?.pid ? {pid: bird.child.pid} : {}), restarts: bird.restarts}
    status.state = 'running'
    if (!birdChecked) {
      birdChecked = true
      await startBird()
    }
    await writeStatus()
    if (appliedRev) await publish(statusFromPass(r, appliedRev, {passes: status.passes, pid: process.pid, startedAt: status.startedAt}))
  }

  // Per-node status in etcd, read by `node list` and `--wait`.
  let lastPublished: ReturnType<typeof statusFromPass> | undefined
  const publish = async (s: ReturnType<typeof statusFromPass>) => {
    lastPublished = s
    await publishNodeStatus(opts.datastore, s).catch((err) => log('warn', `cannot publish node status: ${message(err)}`))
  }

  // --- the watch ---
  let watch: DatastoreWatch | undefined
  const openWatch = async (reason: string): Promise<void> => {
    for (let attempt = 0; !stopped && !signal.aborted; attempt++) {
      try {
        // The cache's list and the watch meet at one revision: nothing is missed or seen twice.
        await cache.load()
        const rev = cache.loadedRevision.toString()
        watch = await DatastoreWatch.open(opts.datastore, rev, {
          onEvent: (e: WatchEvent) => {
            log('debug', `etcd ${e.type} ${e.key} (revision ${e.revision})`)
            cache.apply(e)
            // Every event makes a pass, even one that changes nothing here: it publishes the
            // revision the node has seen (`--wait`). Parts whose inputs did not change are not run.
            schedule('datastore change')
          },
          onDisconnected: (why) => log('warn', `etcd watch disconnected (${why}); resuming from revision ${watch?.lastRevision ?? rev} when it is back`),
          onConnected: (endpoint) => {
            log('info', `etcd watch reconnected to ${endpoint}, resuming after revision ${watch?.lastRevision ?? rev}`)
            schedule('watch reconnected')
          },
          onLost: (why) => {
            log('warn', `etcd watch lost (${why}); full resync`)
            const old = watch
            watch = undefined
            void old?.close().then(() => openWatch('watch lost'))
          },
        })
        log('debug', `watching etcd from revision ${BigInt(rev) + 1n}`)
        schedule(reason, 0)
        return
      } catch (err) {
        log('error', `cannot open the etcd watch: ${message(err)}; retrying`)
        await sleep(Math.min(500 * 2 ** attempt, 10_000), signal)
      }
    }
  }

  // --- the kernel route monitor: an owned route (proto 80) deleted by someone else ---
  let monitor: ChildProcess | undefined
  const startMonitor = () => {
    if (!opts.routeMonitor || stopped) return
    const m = spawnChild('ip', ['-o', 'monitor', 'route'])
    monitor = m
    let buf = ''
    m.stdout?.on('data', (b: Buffer) => {
      buf += b.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const line of lines) {
        if (!/^Deleted /.test(line) || !/\bproto 80\b/.test(line)) continue
        // During a pass it may be the pass's own delete: decided when the pass ends (a deletion by
        // someone else must not be dropped, or the route stays missing until the next drift check).
        if (running) {
          const dst = deletedDst(line)
          if (dst) deletedMidPass.add(dst)
          else reasons.add('route deleted')
          continue
        }
        log('info', `kernel: owned route removed (${line.replace(/^Deleted /, '').trim()}); re-applying`)
        schedule('route deleted')
      }
    })
    m.stderr?.resume()
    m.once('error', (err) => log('warn', `route monitor unavailable: ${message(err)}`))
    m.once('close', () => {
      if (!stopped) setTimeout(startMonitor, 1000)
    })
  }

  await writeStatus()
  log('info', `node run: pid ${process.pid}; resync every ${opts.resyncIntervalMs / 1000}s, drift check every ${opts.checkIntervalMs / 1000}s`)

  // Registration first: this host's Node is written before the datastore is listed or the
  // dataplane touched, so `workload add` works as soon as the agent is started.
  if (opts.register !== false) await registerAndLog(opts.pass.store, opts.pass.identity, log, opts.pass.interfaces)

  // Start: the revision before the first pass, then the pass; BIRD starts on the config the
  // first pass wrote (see startBird, called when that pass ends).
  await openWatch('start')
  startMonitor()
  // Periodic checks cost a pass only when they find a difference; none runs beside a pass.
  let checking = false
  const idleCheck = (what: string, find: () => Promise<string[]>) => {
    if (stopped || running || timer || checking) return
    checking = true
    find()
      .then((diffs) => {
        if (diffs.length === 0) return log('debug', `${what}: no difference`)
        log('info', `${what}: ${diffs.join('; ')}; re-applying`)
        schedule(what, 0)
      })
      .catch((err) => {
        log('warn', `${what} failed: ${message(err)}; re-applying`)
        schedule(what, 0)
      })
      .finally(() => (checking = false))
  }
  const resync = setInterval(() => idleCheck('resync', async () => ((await cache.load()) ? ['the datastore differs from the cache'] : [])), opts.resyncIntervalMs)
  const check = opts.checkIntervalMs > 0 ? setInterval(() => idleCheck('drift check', async () => drift.check(await backendOpts())), opts.checkIntervalMs) : undefined

  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}))

  // Stop: no new passes; let a running one finish; leave routes, iptables and tunl0 in place.
  stopped = true
  clearInterval(resync)
  if (check) clearInterval(check)
  if (timer) clearTimeout(timer)
  timer = undefined
  reasons.clear()
  if (running) await running
  await watch?.close()
  await stopChild(monitor, 1000)
  await bird?.stop()
  status.state = 'stopped'
  await writeStatus()
  if (lastPublished) await publish({...lastPublished, state: 'stopped', time: new Date().toISOString()})
  log('info', 'node run: stopped; the dataplane is left in place')
}
