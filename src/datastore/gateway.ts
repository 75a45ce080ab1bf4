// The two etcd KV calls the datastore makes (Range and Txn), spoken as JSON to etcd's gRPC
// gateway (/v3/kv/range, /v3/kv/txn) over node:http(s). Same request and response shapes as
// etcd3's generated client, so either can serve EtcdDatastore; this one needs no grpc and no
// protocol definitions at start-up, which were most of a short CLI run's time. Member failover
// and the auth token (MemberKv) are shared with the gRPC transport for bulk work (wire.ts).
import type {Agent, ClientRequest, IncomingMessage, RequestOptions} from 'node:http'

export interface RawKV {
  key: Buffer
  value: Buffer
  mod_revision: string
  create_revision: string
}

export interface RangeRequest {
  key: Buffer
  range_end?: Buffer
  limit?: number
  revision?: string
}

export interface RangeResponse {
  header: {revision: string}
  kvs: RawKV[]
  more: boolean
}

/** Key and value bytes sent: a Buffer, or a string sent as its UTF-8 (not for grpc-js, which reads strings as base64). */
export type Bytes = Buffer | string

export type Compare = {
  key: Bytes
  /** Compare every key in [key, range_end). */
  range_end?: Bytes
  target: 'Version' | 'Mod'
  result: 'Equal' | 'Greater' | 'Less' | 'NotEqual'
  version?: number
  mod_revision?: string
}

const RESULTS = {Equal: 'EQUAL', Greater: 'GREATER', Less: 'LESS', NotEqual: 'NOT_EQUAL'} as const

export type RequestOp = {request_put: {key: Bytes; value: Bytes}} | {request_delete_range: {key: Bytes; prev_kv?: boolean}} | {request_range: {key: Bytes}}

export interface ResponseOp {
  response_delete_range?: {prev_kvs?: RawKV[]}
  response_range?: {kvs: RawKV[]}
}

export interface TxnRequest {
  compare: Compare[]
  success: RequestOp[]
  failure: RequestOp[]
}

export interface TxnResponse {
  header: {revision: string}
  succeeded: boolean
  responses: ResponseOp[]
}

export interface KvApi {
  range(req: RangeRequest): Promise<RangeResponse>
  txn(req: TxnRequest): Promise<TxnResponse>
}

export interface GatewayOptions {
  endpoints: string[]
  timeoutMs: number
  tls?: {ca?: Buffer; cert?: Buffer; key?: Buffer}
  auth?: {username: string; password: string}
}

/** A failure of the call itself, worded the way EtcdDatastore's error mapping reads grpc's. */
export class GatewayError extends Error {
  constructor(
    message: string,
    /** The request surely never reached etcd, so trying another member is safe even for a write. */
    readonly notSent = false,
    /** The message already names every member and what it did (Members.giveUp). */
    readonly perMember = false,
  ) {
    super(message)
  }
}

export const GRPC_CODES: Record<number, string> = {
  1: 'Cancelled',
  2: 'Unknown',
  3: 'InvalidArgument',
  4: 'DeadlineExceeded',
  5: 'NotFound',
  7: 'PermissionDenied',
  8: 'ResourceExhausted',
  9: 'FailedPrecondition',
  13: 'Internal',
  14: 'Unavailable',
  16: 'Unauthenticated',
}

// Socket errors that happen before a request is written.
export const NOT_SENT = new Set(['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'])

export interface Target {
  url: string
  https: boolean
  host?: string
  port?: number
  socketPath?: string
}

function parseEndpoint(url: string): Target {
  if (url.startsWith('unix://')) return {url, https: false, socketPath: url.slice('unix://'.length)}
  const u = new URL(/^[a-z]+:\/\//.test(url) ? url : `http://${url}`)
  const https = u.protocol === 'https:'
  return {url, https, host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (https ? 443 : 2379))}
}

const b64 = (b: Bytes | undefined) => (b === undefined ? undefined : (typeof b === 'string' ? Buffer.from(b) : b).toString('base64'))

function encodeCompare(c: Compare) {
  return {
    key: b64(c.key),
    ...(c.range_end ? {range_end: b64(c.range_end)} : {}),
    target: c.target === 'Mod' ? 'MOD' : 'VERSION',
    result: RESULTS[c.result],
    ...(c.target === 'Mod' ? {mod_revision: String(c.mod_revision ?? '0')} : {version: String(c.version ?? 0)}),
  }
}

function encodeOp(op: RequestOp) {
  if ('request_put' in op) return {request_put: {key: b64(op.request_put.key), value: b64(op.request_put.value)}}
  if ('request_delete_range' in op) return {request_delete_range: {key: b64(op.request_delete_range.key), prev_kv: op.request_delete_range.prev_kv ?? false}}
  return {request_range: {key: b64(op.request_range.key)}}
}

interface JsonKV {
  key?: string
  value?: string
  mod_revision?: string
  create_revision?: string
}

function decodeKV(kv: JsonKV): RawKV {
  return {
    key: Buffer.from(kv.key ?? '', 'base64'),
    value: Buffer.from(kv.value ?? '', 'base64'),
    mod_revision: kv.mod_revision ?? '0',
    create_revision: kv.create_revision ?? '0',
  }
}

/** The calls a transport makes to one member, with their requests and answers. */
export interface Rpcs {
  range: [RangeRequest, RangeResponse]
  txn: [TxnRequest, TxnResponse]
  authenticate: [{name: string; password: string}, {token?: string}]
}

/** What a member did with one attempt, in the words the final error uses. */
function outcome(error: unknown, waitMs: number): string {
  const m = error instanceof Error ? error.message : String(error)
  if (/^DeadlineExceeded/.test(m)) return `no answer within ${Math.round(waitMs) / 1000}s`
  if (/no leader/.test(m)) return 'no leader'
  if (/ECONNREFUSED/.test(m)) return 'connection refused'
  return m.replace(/^\w+: /, '')
}

/** etcd refused the request before acting on it: another member may take it, even a write. */
const NOT_APPLIED = /etcdserver: (no leader|not capable|too many requests)|ErrGRPCNoLeader/

/** The member could not be reached or could not serve (as opposed to answering the call). */
const UNREACHABLE = /^(Unavailable|DeadlineExceeded|Error|Cancelled):|etcdserver: (leader changed|request timed out|no leader)/

/** Worth another round over the members once the others have been tried. */
const TRANSIENT = /ECONNREFUSED|ECONNRESET|etcdserver: (leader changed|no leader)/

/** Pause between rounds over every member while the budget lasts (an election takes about a second). */
const ROUND_PAUSE_MS = 250

/**
 * One command's knowledge of the etcd members, shared by every transport it uses (the JSON
 * gateway for unary calls, gRPC for bulk writes): the order to try them in and how much of
 * --timeout is left. The rule, the same for every call:
 *  - calls start at the member that answered last; a member that gave no answer is tried last
 *    for the rest of the command;
 *  - a call moves on to the next member when this one refused the connection, has no leader, or
 *    (a read, or a write that surely never reached it) gave no answer; after a round of
 *    refusals it pauses and tries again;
 *  - --timeout bounds the command's waiting, not each call's: from the first failed attempt the
 *    clock runs until some member answers again, and once it has run out every call fails at
 *    once with what each member did the last time it was tried;
 *  - a member not yet heard from gets a share of what is left while others remain untried, so
 *    one black hole first in the list cannot spend the whole budget.
 */
export class Members {
  readonly targets: Target[]
  /** The member that answered last; calls start there. */
  current = 0
  /** Members that gave no answer: tried last. */
  private readonly slow = new Set<number>()
  /** Members that answered at least once. */
  private readonly alive = new Set<number>()
  /** When the budget runs out, once a call has failed (undefined while calls succeed). */
  private deadline?: number
  /** What each member did the last time it failed. */
  private readonly did = new Map<number, string>()
  /** The read-back grace was given. */
  private graced = false
  token?: string

  constructor(
    endpoints: string[],
    readonly timeoutMs: number,
  ) {
    this.targets = endpoints.map(parseEndpoint)
  }

  /** Members in the order to try them. */
  order(): number[] {
    const n = this.targets.length
    const all = Array.from({length: n}, (_, k) => (this.current + k) % n)
    return [...all.filter((i) => !this.slow.has(i)), ...all.filter((i) => this.slow.has(i))]
  }

  /**
   * A long-running process (the agent) is not one command: a budget spent longer ago than
   * another --timeout is forgotten, so its next call tries the members again. A CLI command has
   * ended by then.
   */
  forgetStale(now = Date.now()): void {
    if (this.deadline !== undefined && now > this.deadline + this.timeoutMs) {
      this.deadline = undefined
      this.graced = false
    }
  }

  /** Milliseconds left (the full timeout while nothing has failed). */
  remaining(now = Date.now()): number {
    return this.deadline === undefined ? this.timeoutMs : this.deadline - now
  }

  /** How long one attempt at member i may wait, `untried` members (i among them) still to try in this round. */
  waitFor(i: number, untried: number): number {
    const left = this.remaining()
    return this.alive.has(i) || untried <= 1 ? left : left / untried
  }

  /**
   * After a write failed part-way, one short extension so that what landed can be read back
   * (an election ends within it); given once per command, so the command still ends within
   * --timeout plus `ms`.
   */
  graceForReadBack(ms: number): void {
    if (this.graced) return
    this.graced = true
    if (this.deadline !== undefined && this.remaining() < ms) this.deadline = Date.now() + ms
  }

  answered(i: number): void {
    this.current = i
    this.alive.add(i)
    this.slow.delete(i)
    this.deadline = undefined
  }

  failed(i: number, error: unknown, waitMs: number, startedAt: number): void {
    this.deadline ??= startedAt + this.timeoutMs
    const what = outcome(error, waitMs)
    if (/^no answer/.test(what)) this.slow.add(i)
    this.did.set(i, what)
  }

  /** The error a call gives up with: every member and what it did. */
  giveUp(last: unknown, notSent = false): GatewayError {
    const kind = last instanceof GatewayError ? (/^(\w+): /.exec(last.message)?.[1] ?? 'Unavailable') : 'Unavailable'
    const what = (i: number) => this.did.get(i) ?? 'not tried'
    const text = this.targets.length === 1 ? what(0) : this.targets.map((t, i) => `${t.url} ${what(i)}`).join('; ')
    return new GatewayError(`${kind}: ${text}`, notSent, true)
  }
}

/**
 * What every transport shares: the members (failover and the time budget, see Members) and the
 * auth token. A subclass sends one call to one member (`send`), waiting at most `waitMs`.
 */
export abstract class MemberKv implements KvApi {
  readonly members: Members

  constructor(
    protected readonly opts: GatewayOptions,
    members?: Members,
  ) {
    this.members = members ?? new Members(opts.endpoints, opts.timeoutMs)
  }

  protected get targets(): Target[] {
    return this.members.targets
  }

  range(req: RangeRequest): Promise<RangeResponse> {
    return this.call('range', req, true)
  }

  txn(req: TxnRequest): Promise<TxnResponse> {
    return this.call('txn', req, false)
  }

  abstract close(): void

  /** One call to one member; failures are GatewayErrors worded like grpc's. */
  protected abstract send<R extends keyof Rpcs>(t: Target, rpc: R, req: Rpcs[R][0], waitMs: number, token?: string): Promise<Rpcs[R][1]>

  /** One call, following the members' rule (see Members). */
  private async call<R extends 'range' | 'txn'>(rpc: R, req: Rpcs[R][0], idempotent: boolean): Promise<Rpcs[R][1]> {
    const m = this.members
    m.forgetStale()
    let last: unknown
    // Every attempt was refused before etcd acted on it (the caller may say nothing was written).
    let noneSent = true
    for (let round = 0; ; round++) {
      if (round > 0) {
        if (m.remaining() <= ROUND_PAUSE_MS) break
        await new Promise((r) => setTimeout(r, ROUND_PAUSE_MS))
      }
      const order = m.order()
      let lasting = false
      for (let k = 0; k < order.length; k++) {
        const i = order[k]!
        const waitMs = m.waitFor(i, order.length - k)
        if (waitMs <= 0) break
        const started = Date.now()
        try {
          const out = await this.authorized(m.targets[i]!, rpc, req, waitMs)
          m.answered(i)
          return out
        } catch (error) {
          last = error
          if (!(error instanceof GatewayError)) throw error
          const refusedBeforeActing = error.notSent || NOT_APPLIED.test(error.message)
          // Any other answer from a member (bad auth, too large, compacted) ends the call as it is.
          if (!refusedBeforeActing && !UNREACHABLE.test(error.message)) throw error
          noneSent &&= refusedBeforeActing
          m.failed(i, error, waitMs, started)
          // Refusals and elections pass; anything else (no answer, TLS) is not worth another round.
          if (!TRANSIENT.test(error.message)) lasting = true
          // A write that may have reached etcd is never sent again: the caller re-reads.
          if (!refusedBeforeActing && !idempotent) throw m.giveUp(error)
        }
      }
      if (lasting) break
    }
    throw m.giveUp(last, noneSent)
  }

  /** With user and password: a token first, and once more when etcd says it expired. */
  private async authorized<R extends 'range' | 'txn'>(t: Target, rpc: R, req: Rpcs[R][0], waitMs: number): Promise<Rpcs[R][1]> {
    const auth = this.opts.auth
    if (!auth) return this.send(t, rpc, req, waitMs)
    const m = this.members
    for (let fresh = false; ; fresh = true) {
      if (!m.token) {
        const r = await this.send(t, 'authenticate', {name: auth.username, password: auth.password}, waitMs)
        if (!r.token) throw new GatewayError('Unauthenticated: etcd returned no auth token')
        m.token = r.token
      }
      try {
        return await this.send(t, rpc, req, waitMs, m.token)
      } catch (error) {
        if (fresh || !(error instanceof GatewayError) || !/invalid auth token/.test(error.message)) throw error
        m.token = undefined
      }
    }
  }
}

export class GatewayKv extends MemberKv {
  private agents = new Map<string, Agent>()
  private http?: typeof import('node:http')
  /** Loaded only for https endpoints: it brings TLS and crypto, a tenth of a short run's start-up. */
  private https?: typeof import('node:https')

  protected async send<R extends keyof Rpcs>(t: Target, rpc: R, req: Rpcs[R][0], waitMs: number, token?: string): Promise<Rpcs[R][1]> {
    if (rpc === 'range') {
      const r = req as RangeRequest
      const body = {
        key: b64(r.key),
        ...(r.range_end ? {range_end: b64(r.range_end)} : {}),
        ...(r.limit ? {limit: String(r.limit)} : {}),
        ...(r.revision ? {revision: String(r.revision)} : {}),
      }
      const res = (await this.post(t, '/v3/kv/range', body, waitMs, token)) as {header?: {revision?: string}; kvs?: JsonKV[]; more?: boolean}
      return {header: {revision: res.header?.revision ?? '0'}, kvs: (res.kvs ?? []).map(decodeKV), more: res.more === true} satisfies RangeResponse as Rpcs[R][1]
    }
    if (rpc === 'authenticate') return (await this.post(t, '/v3/auth/authenticate', req, waitMs, token)) as Rpcs[R][1]
    const r = req as TxnRequest
    const body = {compare: r.compare.map(encodeCompare), success: r.success.map(encodeOp), failure: r.failure.map(encodeOp)}
    const res = (await this.post(t, '/v3/kv/txn', body, waitMs, token)) as {
      header?: {revision?: string}
      succeeded?: boolean
      responses?: Array<{response_delete_range?: {prev_kvs?: JsonKV[]}; response_range?: {kvs?: JsonKV[]}}>
    }
    return {
      header: {revision: res.header?.revision ?? '0'},
      succeeded: res.succeeded === true,
      responses: (res.responses ?? []).map((x) => ({
        ...(x.response_delete_range ? {response_delete_range: {prev_kvs: (x.response_delete_range.prev_kvs ?? []).map(decodeKV)}} : {}),
        ...(x.response_range ? {response_range: {kvs: (x.response_range.kvs ?? []).map(decodeKV)}} : {}),
      })),
    } satisfies TxnResponse as Rpcs[R][1]
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy()
    this.agents.clear()
  }

  private async post(t: Target, path: string, body: unknown, waitMs: number, token?: string): Promise<unknown> {
    if (t.https) this.https ??= await import('node:https')
    else this.http ??= await import('node:http')
    const mod = (t.https ? this.https : this.http)!
    let agent = this.agents.get(t.url)
    if (!agent) {
      const tls = this.opts.tls ?? {}
      agent =
        t.https && this.https
          ? new this.https.Agent({keepAlive: true, maxSockets: 8, ...(tls.ca ? {ca: tls.ca} : {}), ...(tls.cert ? {cert: tls.cert} : {}), ...(tls.key ? {key: tls.key} : {})})
          : new mod.Agent({keepAlive: true, maxSockets: 8})
      this.agents.set(t.url, agent)
    }
    const payload = Buffer.from(JSON.stringify(body))
    const options: RequestOptions = {
      method: 'POST',
      path,
      agent,
      // hasleader: a member without a leader says so at once instead of holding the call (etcd's
      // WithRequireLeader), so the call moves on to a member that has one.
      headers: {'content-type': 'application/json', 'content-length': payload.length, 'grpc-metadata-hasleader': 'true', ...(token ? {authorization: token} : {})},
      ...(t.socketPath ? {socketPath: t.socketPath} : {host: t.host, port: t.port}),
    }
    return new Promise((resolve, reject) => {
      let req: ClientRequest | undefined
      // Until the socket connects, nothing was sent: a member that never accepted the connection
      // may be skipped even for a write.
      let connected = false
      const timer = setTimeout(() => {
        req?.destroy()
        reject(new GatewayError(`DeadlineExceeded: no answer within ${Math.round(waitMs) / 1000}s`, !connected))
      }, waitMs)
      const done = (f: () => void) => {
        clearTimeout(timer)
        f()
      }
      req = mod.request(options, (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', (err) => done(() => reject(new GatewayError(`Unavailable: ${err.message}`))))
        res.on('end', () =>
          done(() => {
            const text = Buffer.concat(chunks).toString()
            let json: {error?: string; message?: string; code?: number} & Record<string, unknown>
            try {
              json = JSON.parse(text)
            } catch {
              reject(new GatewayError(`Unknown: etcd answered HTTP ${res.statusCode} with something other than JSON: ${text.slice(0, 120)}`))
              return
            }
            if (res.statusCode === 200 && json.code === undefined) resolve(json)
            else reject(new GatewayError(`${GRPC_CODES[json.code ?? 2] ?? 'Unknown'}: ${json.message ?? json.error ?? `HTTP ${res.statusCode}`}`))
          }),
        )
      })
      req.on('socket', (sock) => {
        if (!sock.connecting) connected = true
        else sock.once('connect', () => (connected = true))
      })
      req.on('error', (err: NodeJS.ErrnoException) =>
        done(() => {
          const code = err.code ?? ''
          reject(new GatewayError(`${NOT_SENT.has(code) ? 'Unavailable' : 'Error'}: ${err.message}`, NOT_SENT.has(code)))
        }),
      )
      req.end(payload)
    })
  }
}
