// The etcd watch behind `calicoctl node run`: one watch stream over the prefixes a node pass
// reads (Calico resources and IPAM), starting right after a known revision. The datastore's watch
// (src/datastore/watch.ts) moves to another member when the one it is on dies or stops answering,
// and resumes from the last revision it delivered; a watch that etcd cancels (its start revision
// was compacted) is reported so the caller can resync from a fresh revision.
import type {EtcdDatastore} from '../datastore/etcd.js'
import type {Watch, WatchEvent} from '../datastore/watch.js'

export type {WatchEvent} from '../datastore/watch.js'

/** What a node pass reads: every projectcalico.org/v3 resource and the IPAM tree. */
export const NODE_WATCH_PREFIXES = ['/calico/resources/v3/projectcalico.org/', '/calico/ipam/v2/'] as const

export interface WatchHandlers {
  onEvent(event: WatchEvent): void
  /** The stream broke; the watch moves to another member (or waits for one) and resumes on its own. */
  onDisconnected?(reason: string): void
  /** The stream is back, resumed where it left off. */
  onConnected?(endpoint: string): void
  /** etcd cancelled the watch (e.g. its revision was compacted): the caller must resync. */
  onLost(reason: string): void
}

export class DatastoreWatch {
  private constructor(private readonly watch: Watch) {}

  /** Opens the watch on every prefix (one multiplexed stream), delivering events after `afterRevision`. */
  static async open(ds: EtcdDatastore, afterRevision: string, handlers: WatchHandlers, prefixes: readonly string[] = NODE_WATCH_PREFIXES): Promise<DatastoreWatch> {
    const w = await ds.watch(prefixes, afterRevision, {
      onEvent: (e) => handlers.onEvent(e),
      onDisconnected: (error) => handlers.onDisconnected?.(error.message),
      onConnected: (endpoint) => handlers.onConnected?.(endpoint),
      onLost: (error) => handlers.onLost(error.message),
    })
    return new DatastoreWatch(w)
  }

  /** The highest revision delivered (or the start revision - 1). */
  get lastRevision(): string {
    return this.watch.lastRevision
  }

  async close(): Promise<void> {
    this.watch.close()
  }
}
