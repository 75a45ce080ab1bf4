// The etcd watch behind `calicoctl node run`: one watch stream over the prefixes a node pass
// reads (Calico resources and IPAM), starting right after a known revision. The etcd3 client
// resumes a dropped stream from the last revision it saw; a watch that etcd cancels (its start
// revision was compacted) is reported so the caller can resync from a fresh revision.
//
// Two hazards of the etcd3 client (1.1.x) around a cancelled watch, both met when a compacted
// start revision cancels a watcher: (1) cancelling a watcher that etcd already cancelled sends a
// cancel request for an id the client has forgotten, and etcd's reply makes the client throw
// "Failed to find watcher for IWatchResponse" from inside the stream's data handler (an
// uncaught exception), or waits forever for an end that never comes; (2) a watcher's handlers
// attached after create() resolves miss a cancel that arrived in the same read as the creation.
// So: handlers are attached before the watcher connects, a watcher etcd cancelled is never
// cancelled again, and a late reply for a watcher the client has already dropped (our cancel
// crossing etcd's) is ignored instead of thrown.
import type {Etcd3, IKeyValue, WatchBuilder, Watcher} from 'etcd3'

/** What a node pass reads: every projectcalico.org/v3 resource and the IPAM tree. */
export const NODE_WATCH_PREFIXES = ['/calico/resources/v3/projectcalico.org/', '/calico/ipam/v2/'] as const

export interface WatchEvent {
  type: 'put' | 'delete'
  key: string
  /** The event's mod revision. */
  revision: string
  /** The value written (puts), so that a cache can follow without reading the key again. */
  value?: string
  createRevision?: string
}

export interface WatchHandlers {
  onEvent(event: WatchEvent): void
  /** The stream dropped; the client reconnects and resumes on its own. */
  onDisconnected?(reason: string): void
  onConnected?(): void
  /** etcd cancelled the watch (e.g. its revision was compacted): the caller must resync. */
  onLost(reason: string): void
}


function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.split('\n')[0] ?? text
}

export class DatastoreWatch {
  private watchers: Watcher[] = []
  private lost = false
  /** Set while open() runs: a loss then is reported just after open() returns. */
  private opening = true
  private lostDuringOpen: string | undefined
  private connected = new Set<Watcher>()
  /** Watchers etcd cancelled: the client has dropped them, so they are never cancelled again. */
  private cancelledByEtcd = new Set<Watcher>()
  /** The highest revision seen in an event (or the start revision - 1). */
  lastRevision: string

  private constructor(
    startAfter: string,
    private readonly handlers: WatchHandlers,
  ) {
    this.lastRevision = startAfter
  }

  /** Opens the watch on every prefix (one multiplexed gRPC stream), delivering events after `afterRevision`. */
  static async open(client: Etcd3, afterRevision: string, handlers: WatchHandlers, prefixes: readonly string[] = NODE_WATCH_PREFIXES): Promise<DatastoreWatch> {
    const w = new DatastoreWatch(afterRevision, handlers)
    const start = (BigInt(afterRevision) + 1n).toString()
    try {
      for (const p of prefixes) {
        const builder = client.watch().prefix(p).startRevision(start)
        tolerateLateReplies(builder)
        // watcher() attaches at once; our handlers are on it before any reply can arrive.
        const watcher = w.attach(builder.watcher())
        w.watchers.push(watcher)
        await new Promise<void>((resolve, reject) => {
          watcher.once('connected', () => resolve())
          watcher.once('error', reject)
        })
      }
    } catch (err) {
      await w.close()
      throw err
    } finally {
      w.opening = false
    }
    // A loss while opening goes to the caller once it holds the watch (it closes and reopens it).
    const why = w.lostDuringOpen
    if (why !== undefined) setImmediate(() => handlers.onLost(why))
    return w
  }

  private attach(watcher: Watcher): Watcher {
    const event = (type: 'put' | 'delete') => (kv: IKeyValue) => {
      const revision = String(kv.mod_revision)
      if (BigInt(revision) > BigInt(this.lastRevision)) this.lastRevision = revision
      const e: WatchEvent = {type, key: kv.key.toString(), revision}
      if (type === 'put') {
        e.value = kv.value.toString()
        e.createRevision = String(kv.create_revision)
      }
      this.handlers.onEvent(e)
    }
    watcher.on('put', event('put'))
    watcher.on('delete', event('delete'))
    watcher.on('disconnected', (err) => {
      const was = this.connected.size > 0
      this.connected.delete(watcher)
      if (was && this.connected.size === 0) this.handlers.onDisconnected?.(oneLine(err))
    })
    watcher.on('connected', () => {
      const was = this.connected.size > 0
      this.connected.add(watcher)
      // The first connection is the open itself; later ones are reconnections.
      if (!was && !this.opening) this.handlers.onConnected?.()
    })
    watcher.on('error', (err) => {
      // The client emits 'error' only for a watcher etcd cancelled, after dropping it.
      this.cancelledByEtcd.add(watcher)
      if (this.lost) return
      this.lost = true
      // etcd 3.4 gives no cancel reason for a compacted start revision, only compact_revision.
      const why = oneLine(err).replace(/: *$/, ' (start revision compacted?)')
      if (this.opening) this.lostDuringOpen = why
      else this.handlers.onLost(why)
    })
    return watcher
  }

  async close(): Promise<void> {
    const ws = this.watchers.filter((w) => !this.cancelledByEtcd.has(w))
    this.watchers = []
    this.lost = true
    await Promise.all(ws.map((w) => w.cancel().catch(() => undefined)))
  }
}

/** The client's watch manager, as far as tolerateLateReplies touches it. */
interface WatchManagerInternals {
  watchers: Array<{id: string | null}>
  handleResponse(res: {watch_id: string}): void
  lateRepliesTolerated?: boolean
}

/**
 * Makes the builder's watch manager ignore a reply for a watcher it has already dropped, which
 * it would otherwise throw from the stream's data handler (etcd3 1.1.x): the reply to our cancel
 * of a watcher that etcd cancelled at the same moment. Nobody listens for that watcher any more.
 */
function tolerateLateReplies(builder: WatchBuilder): void {
  const manager = (builder as unknown as {manager: WatchManagerInternals}).manager
  if (manager.lateRepliesTolerated || typeof manager.handleResponse !== 'function') return
  const handle = manager.handleResponse.bind(manager)
  manager.handleResponse = (res) => {
    if (!manager.watchers.some((w) => w.id === res.watch_id)) return
    handle(res)
  }
  manager.lateRepliesTolerated = true
}
