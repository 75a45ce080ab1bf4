// The etcd v3 client: every call bounded by a deadline, every write a compare-and-swap, bulk
// writes batched into transactions. Unary calls go through etcd's JSON gateway (gateway.ts),
// bulk writes over gRPC with hand-encoded messages (wire.ts); etcd3 and grpc load only for
// watches (`node run`), or for everything with CALICOCTL_ETCD_TRANSPORT=grpc.
import {readFileSync} from 'node:fs'
import type {Etcd3, IOptions} from 'etcd3'
import {DatastoreError} from '../resources/errors.js'
import type {ClientConfig} from './config.js'
import {type Bytes, type Compare, GatewayError, GatewayKv, type GatewayOptions, type KvApi, type RangeResponse, type RawKV, type RequestOp} from './gateway.js'
import type {GrpcWireKv} from './wire.js'

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

/** The first key after every key with this prefix (etcd's range_end for a prefix). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0])
}

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
  private grpc?: Promise<Etcd3>
  private wire?: Promise<GrpcWireKv>
  /**
   * Keys and values as sent in writes: strings for our own transports (encoded straight into the
   * request, no Buffer each), Buffers for grpc-js (which would read a string as base64).
   */
  private readonly bytes: (s: string) => Bytes

  private constructor(
    /** Range and Txn: the only unary calls made. */
    readonly kv: KvApi,
    readonly config: ClientConfig,
    private readonly tls: ReturnType<typeof EtcdDatastore.credentials>,
    grpc?: Etcd3,
    /** How kv (the gateway) was set up; bulk calls reach the same members the same way over gRPC. */
    private readonly kvOptions?: GatewayOptions,
  ) {
    if (grpc) this.grpc = Promise.resolve(grpc)
    this.bytes = grpc ? (s) => Buffer.from(s) : (s) => s
  }

  static async connect(config: ClientConfig): Promise<EtcdDatastore> {
    if (config.datastoreType !== 'etcdv3')
      throw new DatastoreError(`datastore type '${config.datastoreType}' is not supported by this tool: use etcdv3`)
    const tls = EtcdDatastore.credentials(config)
    // With client certificates, etcd's gateway dials its own gRPC port using the server's
    // certificate, which fails unless that certificate is also valid for client auth: use grpc.
    if (process.env.CALICOCTL_ETCD_TRANSPORT === 'grpc' || tls?.certChain) {
      const client = await EtcdDatastore.grpcClient(config, tls)
      return new EtcdDatastore(client.kv as unknown as KvApi, config, tls, client)
    }
    const options: GatewayOptions = {
      endpoints: config.endpoints,
      timeoutMs: config.timeoutMs,
      ...(tls ? {tls: {ca: tls.rootCertificate, ...(tls.certChain ? {cert: tls.certChain} : {}), ...(tls.privateKey ? {key: tls.privateKey} : {})}} : {}),
      ...(config.username && config.password ? {auth: {username: config.username, password: config.password}} : {}),
    }
    return new EtcdDatastore(new GatewayKv(options), config, tls, undefined, options)
  }

  /**
   * `n` writes are coming: the bulk transport loads and connects now, while the caller still
   * reads and validates, instead of between validation and the first write.
   */
  expectWrites(n: number): void {
    if (n > MAX_TXN_OPS) void this.wireKv()?.then((kv) => kv.connect())
  }

  /**
   * The transport for bulk work (several transactions): gRPC over node:http2 with hand-encoded
   * messages, which costs etcd a third of the gateway's CPU per write and loads in milliseconds.
   * Undefined where kv is grpc-js already (client certificates) and with
   * CALICOCTL_ETCD_TRANSPORT=gateway (for comparisons): bulk work then stays on kv.
   */
  private wireKv(): Promise<GrpcWireKv> | undefined {
    if (!this.kvOptions || process.env.CALICOCTL_ETCD_TRANSPORT === 'gateway') return undefined
    const options = this.kvOptions
    // The same members, in the same order, with the same time budget as the unary calls.
    const members = this.kv instanceof GatewayKv ? this.kv.members : undefined
    this.wire ??= import('./wire.js').then((m) => new m.GrpcWireKv(options, members))
    return this.wire
  }

  /** A write failed part-way: allow the read-back of what landed a short grace (Members.graceForReadBack). */
  graceForReadBack(): void {
    if (this.kv instanceof GatewayKv) this.kv.members.graceForReadBack(READ_BACK_GRACE_MS)
  }

  /** The grpc client, for watches; created on first use. */
  watchClient(): Promise<Etcd3> {
    this.grpc ??= EtcdDatastore.grpcClient(this.config, this.tls)
    return this.grpc
  }

  private static async grpcClient(config: ClientConfig, tls: ReturnType<typeof EtcdDatastore.credentials>): Promise<Etcd3> {
    // grpc-js logs reconnect noise to stderr; our own errors say what went wrong.
    process.env.GRPC_VERBOSITY ??= 'NONE'
    const {Etcd3} = await import('etcd3')
    const {noop, retry, handleWhen} = await import('cockatiel')
    const {isRecoverableError} = await import('etcd3')
    const opts: IOptions = {
      hosts: config.endpoints,
      dialTimeout: config.timeoutMs,
      // One page of a list can exceed gRPC's 4 MiB default when values are large.
      grpcOptions: {'grpc.max_receive_message_length': 256 * 1024 * 1024},
      // Unary calls are bounded; watch streams live as long as their watcher.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : {deadline: Date.now() + config.timeoutMs}),
      faultHandling: {
        // With several members a failed call moves on to the next; with one, fail at once.
        global: config.endpoints.length > 1 ? retry(handleWhen(isRecoverableError), {maxAttempts: config.endpoints.length}) : noop,
        host: () => noop,
      },
    }
    if (tls) {
      opts.credentials = tls
      // grpc-js sets the TLS server name to the endpoint's IP, which Node warns about (DEP0123)
      // on stderr; certificates with IP SANs are how etcd is usually set up, so stay quiet.
      process.noDeprecation = true
    }
    if (config.username && config.password) opts.auth = {username: config.username, password: config.password}
    return new Etcd3(opts)
  }

  private static credentials(c: ClientConfig): IOptions['credentials'] {
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
    if (!wantsTls) return undefined
    const creds: NonNullable<IOptions['credentials']> = {rootCertificate: ca ?? (undefined as unknown as Buffer)}
    if (key) creds.privateKey = key
    if (cert) creds.certChain = cert
    return creds
  }

  /** Turns grpc/etcd failures into one line naming the endpoint. */
  private wrap(error: unknown): never {
    if (error instanceof DatastoreError) throw error
    const e = error as Error
    const where = this.config.endpoints.join(',')
    let name = e?.constructor?.name ?? ''
    let reason = (e?.message ?? String(error)).split('\n')[0] ?? ''
    // The gateway's errors start with grpc's code name: read it as the kind.
    if (error instanceof GatewayError) {
      name = /^(\w+): /.exec(reason)?.[1] ?? name
      reason = reason.replace(/^\w+: /, '')
    }
    if (error instanceof GatewayError && error.perMember) {
      // Already one line naming each member and what it did.
    } else if (/Deadline|deadline/.test(name + reason)) reason = `no answer within ${this.config.timeoutMs / 1000}s`
    else if (/Unavailable|ECONNREFUSED|No connection established/.test(name + reason)) reason = /Last error: (?:Error: )?([^.]*)/.exec(reason)?.[1] ?? (error instanceof GatewayError ? reason : 'connection refused or unavailable')
    else if (/Unauthenticated|auth|permission/i.test(name + reason)) reason = `connection is unauthorized: ${reason}`
    // OpenSSL's own text ("80DC…:error:0A000412:SSL routines:…") says little; say what it means.
    if (/alert bad certificate|alert certificate (expired|required|unknown)|alert unknown ca/i.test(reason))
      reason = `TLS handshake refused by the server: our client certificate is missing, expired or not signed by a CA it trusts (${/alert [a-z ]+/i.exec(reason)![0]})`
    else if (/unable to verify|self.signed|certificate has expired|not yet valid|altnames|Hostname\/IP does not match/i.test(reason))
      reason = `the server's TLS certificate was not accepted: ${reason}`
    throw new DatastoreError(`cannot reach etcd at ${where}: ${reason}`)
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
    const kv: KvApi = (batches.length > 1 ? await this.wireKv() : undefined) ?? this.kv
    const out: WriteResult[][] = new Array(batches.length)
    let done = 0
    const runBatch = async (b: number) => {
      const batch = batches[b]!
      const keys = new Set(batch.map((o) => o.key))
      const together = keys.size === batch.length && batch.length > 1 ? await this.tryTogether(kv, batch) : undefined
      if (together) out[b] = together
      else {
        const one: WriteResult[] = []
        for (const op of batch) one.push(await this.one(kv, op))
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

  private guard(op: WriteOp) {
    switch (op.type) {
      case 'create':
        return {key: this.bytes(op.key), target: 'Version', result: 'Equal', version: 0} as const
      case 'update':
        return {key: this.bytes(op.key), target: 'Mod', result: 'Equal', mod_revision: op.modRevision} as const
      case 'delete':
        return op.modRevision
          ? ({key: this.bytes(op.key), target: 'Mod', result: 'Equal', mod_revision: op.modRevision} as const)
          : ({key: this.bytes(op.key), target: 'Version', result: 'Greater', version: 0} as const)
      case 'put':
        return undefined
    }
  }

  private request(op: WriteOp) {
    return op.type === 'delete'
      ? {request_delete_range: {key: this.bytes(op.key), prev_kv: op.modRevision === undefined}}
      : {request_put: {key: this.bytes(op.key), value: this.bytes(opValue(op))}}
  }

  private async tryTogether(kv: KvApi, batch: WriteOp[]): Promise<WriteResult[] | undefined> {
    try {
      const compare = batch.map((o) => this.guard(o)).filter((g) => g !== undefined)
      const res = await kv.txn({compare: compare as any, success: batch.map((o) => this.request(o)) as any, failure: []})
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

  private async one(kv: KvApi, op: WriteOp): Promise<WriteResult> {
    try {
      const guard = this.guard(op)
      const res = await kv.txn({
        compare: guard ? [guard as any] : [],
        success: [this.request(op) as any],
        failure: [{request_range: {key: this.bytes(op.key)}}],
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
      const compare = guards.map((g) =>
        'absent' in g
          ? {key: this.bytes(g.key), target: 'Version', result: 'Equal', version: 0}
          : {key: this.bytes(g.key), target: 'Mod', result: 'Equal', mod_revision: g.modRevision},
      )
      const res = await this.kv.txn({compare: compare as any, success: writes.map((w) => this.request(w)) as any, failure: []})
      return {succeeded: res.succeeded, revision: String(res.header.revision)}
    } catch (error) {
      this.wrap(error)
    }
  }

  close(): void {
    if (this.kv instanceof GatewayKv) this.kv.close()
    void this.wire?.then((kv) => kv.close())
    void this.grpc?.then((c) => c.close())
  }
}
