// The etcd v3 client: every call bounded by a deadline, every write a compare-and-swap, bulk
// writes batched into transactions, watches that resume after failover; all over one transport
// (gRPC over node:http2, transport.ts), whose EtcdErrors become one line naming the endpoints.
import {readFileSync} from 'node:fs'
import {DatastoreError} from '../resources/errors.js'
import type {ClientConfig} from './config.js'
import type {Member, Status} from './proto.js'
import {type Compare, EtcdClient, EtcdError, type EtcdOptions, prefixEnd, type RangeResponse, type RawKV, type RequestOp} from './transport.js'
import {Watch, type WatchHandlers} from './watch.js'

export interface KeyValue {
  key: string
  value: string
  modRevision: string
  createRevision: string
}

/**
 * A value to write, or how to make it: a bulk write encodes each transaction's values just before
 * sending it, so the CLI encodes the next batches while etcd applies the ones in flight.
 */
export type WriteValue = string | (() => string)

export type WriteOp =
  | {type: 'create'; key: string; value: WriteValue}
  | {type: 'update'; key: string; value: WriteValue; modRevision: string}
  | {type: 'put'; key: string; value: WriteValue}
  | {type: 'delete'; key: string; modRevision?: string | undefined}

/** The value an op writes, made once. */
export function opValue(op: {value: WriteValue}): string {
  if (typeof op.value === 'function') op.value = op.value()
  return op.value
}

export type WriteFailure = 'exists' | 'notfound' | 'conflict'

export interface WriteResult {
  ok: boolean
  /** Revision the write landed at (mod revision of the key after a put). */
  revision: string
  failure?: WriteFailure
  /**
   * For deletes without a modRevision guard: the value that was deleted (a guarded delete removed
   * exactly the version the caller read, so etcd is not asked to send it back). For failures:
   * the current value, if any.
   */
  previous?: KeyValue | undefined
}

/** Keys per page of a prefix read. */
export const LIST_PAGE = 1000

/** What a read-back after a failed write may add to --timeout. */
export const READ_BACK_GRACE_MS = 1000

/** Transactions of one bulk write in flight at once. */
export const PIPELINE = 4

/** etcd's default limit on operations in one transaction. */
export const MAX_TXN_OPS = 128

const CONFIRMED = new WeakMap<Error, Set<string>>()

/** After writeBatch failed with `error`: the keys whose writes etcd had confirmed (others may have landed unheard). */
export function confirmedWrites(error: unknown): Set<string> {
  return (error instanceof Error && CONFIRMED.get(error)) || new Set()
}

function toKV(kv: RawKV): KeyValue {
  return {key: kv.key.toString(), value: kv.value.toString(), modRevision: kv.mod_revision, createRevision: kv.create_revision}
}

export class EtcdDatastore {
  private constructor(
    /** Every call: Range and Txn, and the cluster's member list and status for diagnostics. */
    readonly kv: EtcdClient,
    readonly config: ClientConfig,
  ) {}

  static async connect(config: ClientConfig): Promise<EtcdDatastore> {
    if (config.datastoreType !== 'etcdv3')
      throw new DatastoreError(`datastore type '${config.datastoreType}' is not supported by this tool: use etcdv3`)
    const options: EtcdOptions = {
      endpoints: config.endpoints,
      timeoutMs: config.timeoutMs,
      ...EtcdDatastore.credentials(config),
      ...(config.username && config.password ? {auth: {username: config.username, password: config.password}} : {}),
    }
    return new EtcdDatastore(new EtcdClient(options), config)
  }

  /**
   * `n` writes are coming: the connection opens now, while the caller still reads and
   * validates, instead of between validation and the first write.
   */
  expectWrites(n: number): void {
    if (n > MAX_TXN_OPS) this.kv.connect()
  }

  /** A write failed part-way: allow the read-back of what landed a short grace (Members.graceForReadBack). */
  graceForReadBack(): void {
    this.kv.members.graceForReadBack(READ_BACK_GRACE_MS)
  }

  /**
   * Watches every key under `prefixes` from the revision after `afterRevision` (see watch.ts: it
   * fails over between members and resumes; a compacted revision is reported through onLost).
   */
  async watch(prefixes: readonly string[], afterRevision: string, handlers: WatchHandlers): Promise<Watch> {
    try {
      return await Watch.open(this.kv, prefixes, afterRevision, handlers)
    } catch (error) {
      this.wrap(error)
    }
  }

  /** etcd's member list (cluster diagnostics). */
  async memberList(): Promise<{clusterId: string; members: Member[]}> {
    try {
      const r = await this.kv.memberList()
      return {clusterId: r.header.cluster_id ?? '0', members: r.members}
    } catch (error) {
      this.wrap(error)
    }
  }

  /** The status of the member that answers: with one endpoint, that member's (cluster diagnostics). */
  async status(): Promise<Status> {
    try {
      return await this.kv.status()
    } catch (error) {
      this.wrap(error)
    }
  }

  private static credentials(c: ClientConfig): Pick<EtcdOptions, 'tls'> {
    const pem = (inline: string | undefined, file: string | undefined) => {
      if (inline) return Buffer.from(inline)
      if (!file) return undefined
      try {
        return readFileSync(file)
      } catch (error) {
        throw new DatastoreError(`cannot read TLS file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
      }
    }
    const ca = pem(c.caCert, c.caCertFile)
    const key = pem(c.key, c.keyFile)
    const cert = pem(c.cert, c.certFile)
    const wantsTls = ca || key || cert || c.endpoints.some((e) => e.startsWith('https://'))
    return wantsTls ? {tls: {ca, cert, key}} : {}
  }

  /** An EtcdError as one line naming the endpoints (each member and what it did, when several were tried). */
  private wrap(error: unknown): never {
    if (!(error instanceof EtcdError)) throw error
    const where = this.config.endpoints.join(',')
    throw new DatastoreError(`cannot reach etcd at ${where}: ${error.kind === 'auth' ? `connection is unauthorized: ${error.message}` : error.message}`)
  }

  /** The datastore's current revision (a read of one key that never exists). */
  async revision(): Promise<string> {
    try {
      return String((await this.kv.range({key: Buffer.from('/calico/\u0000revision')})).header.revision)
    } catch (error) {
      this.wrap(error)
    }
  }

  async get(key: string): Promise<KeyValue | undefined> {
    try {
      const res = await this.kv.range({key: Buffer.from(key)})
      const kv = res.kvs[0]
      return kv ? toKV(kv) : undefined
    } catch (error) {
      this.wrap(error)
    }
  }

  /**
   * Every key under a prefix, in key order, and the revision of the read. Read in pages of
   * LIST_PAGE keys, all at the revision of the first page (one consistent snapshot), so that a
   * large kind (10,000 policies) never meets gRPC's message size limit.
   */
  async list(prefix: string, opts: {revision?: string} = {}): Promise<{kvs: KeyValue[]; revision: string}> {
    try {
      const end = prefixEnd(Buffer.from(prefix))
      // A given revision reads the prefix as it was then (several prefixes at one revision).
      let revision: string | undefined = opts.revision
      const page = (key: Buffer) => this.kv.range({key, range_end: end, limit: LIST_PAGE, ...(revision ? {revision} : {})})
      const kvs: KeyValue[] = []
      let next: Promise<RangeResponse> | undefined = page(Buffer.from(prefix))
      while (next) {
        const res: RangeResponse = await next
        revision ??= String(res.header.revision)
        const last = res.kvs.at(-1)
        // The next page is asked for before this one is converted, so etcd works meanwhile.
        next = res.more && last ? page(Buffer.concat([last.key, Buffer.from([0])])) : undefined
        // A failed prefetch is reported by the loop's await, not as an unhandled rejection.
        next?.catch(() => {})
        for (const kv of res.kvs) kvs.push(toKV(kv))
      }
      return {kvs, revision: revision ?? '0'}
    } catch (error) {
      this.wrap(error)
    }
  }

  async write(op: WriteOp): Promise<WriteResult> {
    const [r] = await this.writeBatch([op])
    return r!
  }

  /**
   * Writes many ops with per-op create/update/delete semantics. Each batch of up to 128 ops is
   * tried as one transaction whose guards are all of the ops' guards; if any guard fails the
   * batch is retried op by op, so one bad op never blocks the others.
   */
  async writeBatch(ops: WriteOp[], onProgress?: (done: number) => void): Promise<WriteResult[]> {
    const batches: WriteOp[][] = []
    for (let i = 0; i < ops.length; i += MAX_TXN_OPS) batches.push(ops.slice(i, i + MAX_TXN_OPS))
    const out: WriteResult[][] = new Array(batches.length)
    let done = 0
    const runBatch = async (b: number) => {
      const batch = batches[b]!
      const keys = new Set(batch.map((o) => o.key))
      const together = keys.size === batch.length && batch.length > 1 ? await this.tryTogether(batch) : undefined
      if (together) out[b] = together
      else {
        const one: WriteResult[] = []
        for (const op of batch) one.push(await this.one(op))
        out[b] = one
      }
      done += batch.length
      onProgress?.(done)
    }
    // Batches touching distinct keys are independent, so several transactions are in flight at
    // once; a key written twice keeps strict input order (one batch after another).
    const distinct = new Set(ops.map((o) => o.key)).size === ops.length
    const width = distinct ? Math.min(PIPELINE, batches.length) : 1
    let next = 0
    let stop = false
    const lanes = Array.from({length: width}, async () => {
      try {
        while (!stop && next < batches.length) await runBatch(next++)
      } catch (error) {
        stop = true // no new batches after a failure; those in flight finish
        throw error
      }
    })
    const settled = await Promise.allSettled(lanes)
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) {
      // The keys whose writes etcd confirmed before the failure (see confirmedWrites).
      const keys = new Set<string>()
      out.forEach((results, b) => results?.forEach((r, j) => r.ok && keys.add(batches[b]![j]!.key)))
      if (failed.reason instanceof Error) CONFIRMED.set(failed.reason, keys)
      throw failed.reason
    }
    return out.flat()
  }

  private guard(op: WriteOp): Compare | undefined {
    switch (op.type) {
      case 'create':
        return {key: op.key, target: 'Version', result: 'Equal', version: 0} as const
      case 'update':
        return {key: op.key, target: 'Mod', result: 'Equal', mod_revision: op.modRevision} as const
      case 'delete':
        return op.modRevision
          ? ({key: op.key, target: 'Mod', result: 'Equal', mod_revision: op.modRevision} as const)
          : ({key: op.key, target: 'Version', result: 'Greater', version: 0} as const)
      case 'put':
        return undefined
    }
  }

  private request(op: WriteOp): RequestOp {
    return op.type === 'delete'
      ? {request_delete_range: {key: op.key, prev_kv: op.modRevision === undefined}}
      : {request_put: {key: op.key, value: opValue(op)}}
  }

  private async tryTogether(batch: WriteOp[]): Promise<WriteResult[] | undefined> {
    try {
      const compare = batch.map((o) => this.guard(o)).filter((g) => g !== undefined)
      const res = await this.kv.txn({compare, success: batch.map((o) => this.request(o)), failure: []})
      if (!res.succeeded) return undefined
      const rev = String(res.header.revision)
      return batch.map((op, idx) => {
        const r: WriteResult = {ok: true, revision: rev}
        const del = res.responses[idx]?.response_delete_range
        if (op.type === 'delete' && del?.prev_kvs?.[0]) r.previous = toKV(del.prev_kvs[0])
        return r
      })
    } catch (error) {
      this.wrap(error)
    }
  }

  private async one(op: WriteOp): Promise<WriteResult> {
    try {
      const guard = this.guard(op)
      const res = await this.kv.txn({
        compare: guard ? [guard] : [],
        success: [this.request(op)],
        failure: [{request_range: {key: op.key}}],
      })
      const rev = String(res.header.revision)
      if (res.succeeded) {
        const del = res.responses[0]?.response_delete_range
        const r: WriteResult = {ok: true, revision: rev}
        if (del?.prev_kvs?.[0]) r.previous = toKV(del.prev_kvs[0])
        return r
      }
      const current = res.responses[0]?.response_range?.kvs?.[0]
      const previous = current ? toKV(current) : undefined
      const failure: WriteFailure = op.type === 'create' ? 'exists' : previous ? 'conflict' : 'notfound'
      return {ok: false, revision: rev, failure, previous}
    } catch (error) {
      this.wrap(error)
    }
  }

  /** One transaction with etcd's own compares (ranges, Less, ...), errors mapped like every other call. */
  async rawTxn(compare: Compare[], success: RequestOp[]): Promise<{succeeded: boolean; revision: string}> {
    try {
      const res = await this.kv.txn({compare, success, failure: []})
      return {succeeded: res.succeeded, revision: String(res.header.revision)}
    } catch (error) {
      this.wrap(error)
    }
  }

  /** A raw compare-and-swap for callers (IPAM) that guard several keys at once. */
  async txn(
    guards: Array<{key: string; modRevision: string} | {key: string; absent: true}>,
    writes: WriteOp[],
  ): Promise<{succeeded: boolean; revision: string}> {
    try {
      const compare = guards.map(
        (g): Compare =>
          'absent' in g
          ? {key: g.key, target: 'Version', result: 'Equal', version: 0}
          : {key: g.key, target: 'Mod', result: 'Equal', mod_revision: g.modRevision},
      )
      const res = await this.kv.txn({compare, success: writes.map((w) => this.request(w)), failure: []})
      return {succeeded: res.succeeded, revision: String(res.header.revision)}
    } catch (error) {
      this.wrap(error)
    }
  }

  close(): void {
    this.kv.close()
  }
}
