// The one etcd transport: etcd's v3 API spoken as gRPC straight over node:http2, with the few
// messages it needs encoded by hand (proto.ts). Unary calls (Range, Txn, Authenticate, the
// cluster's member list and status) go through `call`, which follows one failover rule for every
// call (Members); the watch stream (watch.ts) opens its own connection through the same members.
// Every failure is an EtcdError: a kind, and the member(s) tried with what each did.
//
// Why not etcd's JSON gateway or grpc-js: the gateway costs etcd about three times the CPU per
// write (it decodes JSON and base64, then calls itself over gRPC) and cannot pass client
// certificates on; grpc-js with protobufjs costs a short CLI run more to load than its work.
import type {ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders} from 'node:http2'
import {
  decodeAuthenticate,
  decodeMemberList,
  decodeRange,
  decodeStatus,
  decodeTxn,
  encodeAuthenticate,
  encodeEmpty,
  encodeMemberList,
  encodeRange,
  encodeTxn,
  type Member,
  type RangeRequest,
  type RangeResponse,
  type Status,
  type TxnRequest,
  type TxnResponse,
} from './proto.js'

export type {Bytes, Compare, RangeRequest, RangeResponse, RawKV, RequestOp, ResponseOp, TxnRequest, TxnResponse} from './proto.js'

export interface KvApi {
  range(req: RangeRequest): Promise<RangeResponse>
  txn(req: TxnRequest): Promise<TxnResponse>
}

export interface EtcdOptions {
  endpoints: string[]
  timeoutMs: number
  tls?: {ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined}
  auth?: {username: string; password: string}
}

/** The first key after every key with this prefix (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer | string): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0])
}

/**
 * What went wrong, as far as the caller acts on it:
 *  - unavailable: the member could not be reached or could not serve (refused, reset, leader changed);
 *  - timeout: no answer within the time allowed;
 *  - no-leader: the member has no leader and refused the request before acting on it;
 *  - tls: the TLS handshake failed (either side refused the other's certificate);
 *  - auth: etcd refused the credentials or the permission;
 *  - compacted: the revision asked for was compacted (a watch must resync from a fresh list);
 *  - rejected: etcd refused the request itself (too many operations, a key twice, too large);
 *  - protocol: an answer this client cannot read.
 */
export type EtcdErrorKind = 'unavailable' | 'timeout' | 'no-leader' | 'tls' | 'auth' | 'compacted' | 'rejected' | 'protocol'

/** One member tried, and what it did. */
export interface Attempt {
  endpoint: string
  did: string
}

/** Kinds after which the next member is tried: the call never reached etcd's state machine. */
const MOVE_ON: ReadonlySet<EtcdErrorKind> = new Set(['unavailable', 'timeout', 'no-leader', 'tls'])
/** Kinds that may pass by themselves (a restart, an election): worth another round over the members. */
const TRANSIENT: ReadonlySet<EtcdErrorKind> = new Set(['unavailable', 'no-leader'])

export class EtcdError extends Error {
  readonly kind: EtcdErrorKind
  /** Every member tried, in list order, and what each did the last time. */
  readonly attempts: Attempt[]
  /** The request surely never reached etcd, so sending it again (even a write) is safe. */
  readonly notSent: boolean
  /** etcd's own error description (rpctypes), when etcd answered with one. */
  readonly etcd: string | undefined
  /** For `compacted`: the oldest revision still kept. */
  readonly compactRevision: string | undefined

  constructor(kind: EtcdErrorKind, attempts: Attempt[], opts: {notSent?: boolean; etcd?: string; compactRevision?: string} = {}) {
    super(attempts.length === 1 ? attempts[0]!.did : attempts.map((a) => `${a.endpoint} ${a.did}`).join('; '))
    this.name = 'EtcdError'
    this.kind = kind
    this.attempts = attempts
    this.notSent = opts.notSent ?? false
    this.etcd = opts.etcd
    this.compactRevision = opts.compactRevision
  }

  /** What the member did, for one attempt's error. */
  get did(): string {
    return this.attempts.at(-1)?.did ?? this.message
  }
}

/**
 * etcd's error descriptions (its rpctypes) that say more than the gRPC status: the kind, and
 * whether etcd refused before acting (so another member may take even a write).
 */
const ETCD_ERRORS: ReadonlyMap<string, {kind: EtcdErrorKind; notSent?: boolean; did?: string}> = new Map([
  ['etcdserver: no leader', {kind: 'no-leader', notSent: true, did: 'no leader'}],
  ['etcdserver: not capable', {kind: 'unavailable', notSent: true}],
  ['etcdserver: too many requests', {kind: 'unavailable', notSent: true}],
  ['etcdserver: leader changed', {kind: 'unavailable'}],
  ['etcdserver: request timed out', {kind: 'unavailable'}],
  ['etcdserver: request timed out, possibly due to previous leader failure', {kind: 'unavailable'}],
  ['etcdserver: request timed out, possibly due to connection lost', {kind: 'unavailable'}],
  ['etcdserver: mvcc: required revision has been compacted', {kind: 'compacted'}],
  ['etcdserver: authentication failed, invalid user ID or password', {kind: 'auth'}],
  ['etcdserver: user name is empty', {kind: 'auth'}],
  ['etcdserver: user name not found', {kind: 'auth'}],
  ['etcdserver: invalid auth token', {kind: 'auth'}],
  ['etcdserver: permission denied', {kind: 'auth'}],
])

/** etcd's answer to a token it no longer knows (expired, or the member restarted): authenticate again. */
export const INVALID_TOKEN = 'etcdserver: invalid auth token'

/** gRPC status codes and the kind each means when etcd's description says nothing more. */
const STATUS_KIND: Record<number, EtcdErrorKind> = {4: 'timeout', 7: 'auth', 14: 'unavailable', 16: 'auth'}

/** A gRPC status other than OK from one member (or, status 0, a reason etcd gave for cancelling a watch). */
export function statusError(endpoint: string, status: number, desc: string, notSent: boolean): EtcdError {
  const known = ETCD_ERRORS.get(desc)
  const kind = known?.kind ?? STATUS_KIND[status] ?? 'rejected'
  return new EtcdError(kind, [{endpoint, did: known?.did ?? desc}], {notSent: notSent || (known?.notSent ?? false), etcd: desc})
}

/** grpc-go's status codes by name, as they appear in a watch's cancel reason. */
const GO_CODES: Record<string, number> = {Canceled: 1, Unknown: 2, InvalidArgument: 3, DeadlineExceeded: 4, NotFound: 5, PermissionDenied: 7, ResourceExhausted: 8, FailedPrecondition: 9, OutOfRange: 11, Internal: 13, Unavailable: 14, Unauthenticated: 16}

/**
 * The reason etcd gives for cancelling (or refusing) a watch: a gRPC status as grpc-go formats
 * it ("rpc error: code = Unauthenticated desc = etcdserver: invalid auth token") or etcd's bare
 * description, read as the same status a unary call would have ended with.
 */
export function cancelError(endpoint: string, reason: string): EtcdError {
  const go = /^rpc error: code = (\w+) desc = (.*)$/s.exec(reason)
  return go ? statusError(endpoint, GO_CODES[go[1]!] ?? 2, go[2]!, false) : statusError(endpoint, 0, reason, false)
}

// Socket errors that happen before a request is written.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'])

/** OpenSSL's verification results for the server's certificate (Node's error codes). */
const SERVER_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** A socket or TLS failure reaching one member, read from Node's error code. */
function socketError(endpoint: string, err: NodeJS.ErrnoException, connected: boolean): EtcdError {
  const code = err.code ?? ''
  if (SERVER_CERT_CODES.has(code)) return new EtcdError('tls', [{endpoint, did: `the server's TLS certificate was not accepted: ${err.message}`}], {notSent: true})
  // The server's TLS alert (ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE, ..._CERTIFICATE_REQUIRED, ...).
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(\w+)$/.exec(code)?.[1]
  if (alert)
    return new EtcdError('tls', [{endpoint, did: `TLS handshake refused by the server: our client certificate is missing, expired or not signed by a CA it trusts (alert ${alert.toLowerCase().replaceAll('_', ' ')})`}], {notSent: true})
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_')) return new EtcdError('tls', [{endpoint, did: err.message}], {notSent: true})
  const notSent = NOT_SENT.has(code) || !connected
  return new EtcdError('unavailable', [{endpoint, did: code === 'ECONNREFUSED' ? 'connection refused' : err.message}], {notSent})
}

export const noAnswer = (endpoint: string, waitMs: number, notSent: boolean): EtcdError =>
  new EtcdError('timeout', [{endpoint, did: `no answer within ${Math.round(waitMs) / 1000}s`}], {notSent})

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

/** Pause between rounds over every member while the budget lasts (an election takes about a second). */
const ROUND_PAUSE_MS = 250

/**
 * One command's knowledge of the etcd members, shared by every call and the watch: the order to
 * try them in and how much of --timeout is left. The rule, the same for every call:
 *  - calls start at the member that answered last; a member that gave no answer is tried last
 *    for the rest of the command;
 *  - a call moves on to the next member when this one refused the connection, has no leader, failed
 *    the TLS handshake, or (a read, or a write that surely never reached it) gave no answer; after
 *    a round of refusals it pauses and tries again;
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

  failed(i: number, error: EtcdError, startedAt: number): void {
    this.deadline ??= startedAt + this.timeoutMs
    if (error.kind === 'timeout') this.slow.add(i)
    this.did.set(i, error.did)
  }

  /** The error a call gives up with: every member and what it did. */
  giveUp(last: EtcdError | undefined, notSent = false): EtcdError {
    const attempts = this.targets.map((t, i) => ({endpoint: t.url, did: this.did.get(i) ?? 'not tried'}))
    return new EtcdError(last?.kind ?? 'unavailable', attempts, {notSent, ...(last?.etcd ? {etcd: last.etcd} : {})})
  }
}

/** Receive windows large enough that a page of 1,000 big values never waits for window updates. */
const WINDOW = 32 * 1024 * 1024

export interface Session {
  session: ClientHttp2Session
  target: Target
  /** Set once the connection (and TLS handshake) is up: before that, nothing was sent. */
  connected: boolean
  /** Set once the member's HTTP/2 settings arrived: before that, etcd cannot have read a request. */
  heard: boolean
  /** Why the session failed or was closed: calls on it fail for that reason. */
  closedFor?: EtcdError
}

/** One gRPC message from a framed body (compression flag 0, big-endian length), or undefined if incomplete. */
export function readFrame(buf: Buffer, at: number): {message: Buffer; next: number} | undefined {
  if (buf.length - at < 5) return undefined
  const len = buf.readUInt32BE(at + 1)
  if (buf.length - at - 5 < len) return undefined
  return {message: buf.subarray(at + 5, at + 5 + len), next: at + 5 + len}
}

const PATHS = {
  range: '/etcdserverpb.KV/Range',
  txn: '/etcdserverpb.KV/Txn',
  authenticate: '/etcdserverpb.Auth/Authenticate',
  memberList: '/etcdserverpb.Cluster/MemberList',
  status: '/etcdserverpb.Maintenance/Status',
} as const

/** The etcd client: unary calls with failover, sessions per member, and the auth token. */
export class EtcdClient implements KvApi {
  readonly members: Members
  private sessions = new Map<string, Session>()
  /** Connections being opened, by member URL, so calls made together wait for one. */
  private opening = new Map<string, Promise<Session>>()
  private http2?: typeof import('node:http2')

  constructor(
    readonly opts: EtcdOptions,
    members?: Members,
  ) {
    this.members = members ?? new Members(opts.endpoints, opts.timeoutMs)
  }

  range(req: RangeRequest): Promise<RangeResponse> {
    return this.call(PATHS.range, encodeRange(req), decodeRange, true)
  }

  txn(req: TxnRequest): Promise<TxnResponse> {
    return this.call(PATHS.txn, encodeTxn(req), decodeTxn, false)
  }

  /** The cluster's members, as the leader knows them. */
  memberList(): Promise<{header: {revision: string; cluster_id?: string}; members: Member[]}> {
    return this.call(PATHS.memberList, encodeMemberList(), decodeMemberList, true)
  }

  /** The status of the member that answers (with one endpoint: that member's). */
  status(): Promise<Status> {
    return this.call(PATHS.status, encodeEmpty(), decodeStatus, true)
  }

  /** Opens the connection to the member calls start at, ahead of the first call. */
  connect(): void {
    this.session(this.members.targets[this.members.order()[0]!]!).catch(() => {})
  }

  close(): void {
    for (const s of this.sessions.values()) s.session.destroy()
    this.sessions.clear()
  }

  /** One call, following the members' rule (see Members). */
  private async call<T>(path: string, frame: Buffer, decode: (m: Buffer) => T, idempotent: boolean): Promise<T> {
    const m = this.members
    m.forgetStale()
    let last: EtcdError | undefined
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
          const out = decode(await this.authorized(m.targets[i]!, path, frame, waitMs))
          m.answered(i)
          return out
        } catch (error) {
          if (!(error instanceof EtcdError)) throw error
          last = error
          // Any other answer from a member (bad auth, too large, compacted) ends the call as it is.
          if (!MOVE_ON.has(error.kind)) throw error
          noneSent &&= error.notSent
          m.failed(i, error, started)
          // Refusals and elections pass; anything else (no answer, TLS) is not worth another round.
          if (!TRANSIENT.has(error.kind)) lasting = true
          // A write that may have reached etcd is never sent again: the caller re-reads.
          if (!error.notSent && !idempotent) throw m.giveUp(error)
        }
      }
      if (lasting) break
    }
    throw m.giveUp(last, noneSent)
  }

  /** With user and password: a token first, and once more when etcd says it is no longer valid. */
  private async authorized(t: Target, path: string, frame: Buffer, waitMs: number): Promise<Buffer> {
    if (!this.opts.auth) return this.unary(t, path, frame, waitMs)
    for (let fresh = false; ; fresh = true) {
      const token = await this.token(t, waitMs)
      try {
        return await this.unary(t, path, frame, waitMs, token)
      } catch (error) {
        if (fresh || !(error instanceof EtcdError) || error.etcd !== INVALID_TOKEN) throw error
        this.members.token = undefined
      }
    }
  }

  /** The auth token (undefined without user and password), fetched from member t if none is held. */
  async token(t: Target, waitMs: number): Promise<string | undefined> {
    const auth = this.opts.auth
    if (!auth) return undefined
    if (this.members.token) return this.members.token
    const r = decodeAuthenticate(await this.unary(t, PATHS.authenticate, encodeAuthenticate({name: auth.username, password: auth.password}), waitMs))
    if (!r.token) throw new EtcdError('auth', [{endpoint: t.url, did: 'etcd returned no auth token'}])
    this.members.token = r.token
    return r.token
  }

  /**
   * An HTTP/2 connection to member t: the shared one for unary calls, or (`own`) a new one that
   * the caller closes (a watch, which must not be torn down with a timed-out call's session).
   */
  async session(t: Target, own = false): Promise<Session> {
    if (own) return this.open(t, true)
    const known = this.sessions.get(t.url)
    if (known && !known.session.closed && !known.session.destroyed && !known.closedFor) return known
    // Calls made together (a command's first reads go out at once) share one connection: the
    // first opens it, the others wait for that one instead of each dialling its own.
    const opening = this.opening.get(t.url)
    if (opening) return opening
    const p = this.open(t, false).finally(() => this.opening.delete(t.url))
    this.opening.set(t.url, p)
    return p
  }

  private async open(t: Target, own: boolean): Promise<Session> {
    this.http2 ??= await import('node:http2')
    const tls = this.opts.tls ?? {}
    const net = t.socketPath ? await import('node:net') : undefined
    const host = t.host?.includes(':') ? `[${t.host}]` : (t.host ?? 'localhost')
    let session: ClientHttp2Session
    try {
      session = this.http2.connect(`${t.https ? 'https' : 'http'}://${host}:${t.port ?? 80}`, {
        settings: {initialWindowSize: WINDOW},
        ...(net && t.socketPath ? {createConnection: () => net.connect(t.socketPath!)} : {}),
        ...(t.https ? {ca: tls.ca, cert: tls.cert, key: tls.key, ALPNProtocols: ['h2']} : {}),
      })
    } catch (error) {
      // A certificate and key that do not match fail here, before any connection.
      throw socketError(t.url, error as NodeJS.ErrnoException, false)
    }
    const s: Session = {session, target: t, connected: false, heard: false}
    session.once('connect', () => {
      s.connected = true
      session.setLocalWindowSize(WINDOW)
    })
    session.once('remoteSettings', () => {
      s.heard = true
    })
    // The session's own error (a refused connection, a TLS alert) says more than the stream's.
    session.on('error', (err: NodeJS.ErrnoException) => {
      s.closedFor ??= socketError(t.url, err, s.connected)
    })
    session.once('close', () => {
      if (this.sessions.get(t.url) === s) this.sessions.delete(t.url)
    })
    // No call in flight: the connection must not keep the process alive.
    session.unref()
    if (!own) this.sessions.set(t.url, s)
    return s
  }

  /** gRPC request headers (hasleader: a member without a leader says so at once instead of holding the call). */
  static headers(path: string, token?: string): Record<string, string> {
    return {':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', hasleader: 'true', ...(token ? {token} : {})}
  }

  /** The error a stream ended with: its gRPC status, or what the connection did. */
  static streamEnd(s: Session, headers: IncomingHttpHeaders, trailers: IncomingHttpHeaders): EtcdError | undefined {
    // A trailers-only answer (an error) carries grpc-status in the headers.
    const raw = trailers['grpc-status'] ?? headers['grpc-status']
    if (raw === undefined) {
      if (s.closedFor) return s.closedFor
      const http = headers[':status']
      return new EtcdError(http ? 'protocol' : 'unavailable', [{endpoint: s.target.url, did: http ? `etcd answered HTTP ${http} without a gRPC status` : 'connection closed'}], {notSent: !s.connected})
    }
    const status = Number(raw)
    if (status === 0) return undefined
    const msg = String(trailers['grpc-message'] ?? headers['grpc-message'] ?? '')
    let desc = msg
    try {
      desc = decodeURIComponent(msg)
    } catch {}
    return statusError(s.target.url, status, desc, !s.connected)
  }

  private async unary(t: Target, path: string, frame: Buffer, waitMs: number, token?: string): Promise<Buffer> {
    const s = await this.session(t)
    return new Promise<Buffer>((resolve, reject) => {
      let stream: ClientHttp2Stream | undefined
      let settled = false
      const fail = (error: EtcdError) => {
        if (settled) return
        error = s.closedFor ?? error
        settled = true
        clearTimeout(timer)
        stream?.close()
        reject(error)
      }
      const timer = setTimeout(() => {
        // A member that stopped answering keeps no session: the next call connects afresh.
        s.closedFor ??= noAnswer(t.url, waitMs, !s.heard)
        fail(s.closedFor)
        s.session.destroy()
      }, waitMs)
      try {
        stream = s.session.request(EtcdClient.headers(path, token))
      } catch (error) {
        fail(socketError(t.url, error as NodeJS.ErrnoException, s.connected))
        return
      }
      const chunks: Buffer[] = []
      let headers: IncomingHttpHeaders = {}
      let trailers: IncomingHttpHeaders = {}
      stream.on('response', (h) => {
        headers = h
      })
      stream.on('trailers', (h) => {
        trailers = h
      })
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('error', (err: NodeJS.ErrnoException) => {
        const cause = (err as {cause?: NodeJS.ErrnoException}).cause ?? err
        fail(socketError(t.url, cause, s.connected))
      })
      stream.on('close', () => {
        if (settled) return
        const error = EtcdClient.streamEnd(s, headers, trailers)
        if (error) {
          fail(error)
          return
        }
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
        const one = readFrame(all, 0)
        if (!one || all[0] !== 0 || one.next !== all.length) {
          fail(new EtcdError('protocol', [{endpoint: t.url, did: 'etcd answered with a gRPC message this client cannot read'}]))
          return
        }
        settled = true
        clearTimeout(timer)
        resolve(one.message)
      })
      stream.end(frame)
    })
  }
}
