// The etcd watch behind `calicoctl node run`: one watch stream over the prefixes a node pass
// reads (Calico resources and IPAM), starting right after a known revision. The etcd3 client
// resumes a dropped stream from the last revision it saw; a watch that etcd cancels (its start
// revision was compacted) is reported so the caller can resync from a fresh revision.
import type {Etcd3, IKeyValue, Watcher} from 'etcd3'

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
  private connected = new Set<Watcher>()
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
      for (const p of prefixes) w.watchers.push(w.attach(await client.watch().prefix(p).startRevision(start).create()))
    } catch (err) {
      await w.close()
      throw err
    }
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
      if (!was) this.handlers.onConnected?.()
    })
    watcher.on('error', (err) => {
      if (this.lost) return
      this.lost = true
      // etcd 3.4 gives no cancel reason for a compacted start revision, only compact_revision.
      this.handlers.onLost(oneLine(err).replace(/: *$/, ' (start revision compacted?)'))
    })
    this.connected.add(watcher)
    return watcher
  }

  async close(): Promise<void> {
    const ws = this.watchers
    this.watchers = []
    this.lost = true
    await Promise.all(ws.map((w) => w.cancel().catch(() => undefined)))
  }
}
