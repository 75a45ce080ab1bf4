// An etcd stand-in for tests of the write path without a server: it holds the keys it is given
// and remembers every write it is asked for.
import type {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'

export function recordingStore(held: Record<string, string> = {}): {store: ResourceStore; writes: unknown[]} {
  const writes: unknown[] = []
  const ds = {
    config: {endpoints: ['fake'], timeoutMs: 1000},
    get: async (key: string) => (key in held ? {key, value: held[key], modRevision: '1', createRevision: '1'} : undefined),
    list: async () => ({kvs: [], revision: '1'}),
    write: async (op: unknown) => {
      writes.push(op)
      return {ok: true, revision: '2'}
    },
    expectWrites: () => {},
    writeBatch: async (ops: unknown[]) => {
      writes.push(...ops)
      return ops.map(() => ({ok: true, revision: '2'}))
    },
    txn: async (_g: unknown, w: unknown[]) => {
      writes.push(...w)
      return {succeeded: true, revision: '2'}
    },
  }
  return {store: new ResourceStore(ds as unknown as EtcdDatastore), writes}
}
