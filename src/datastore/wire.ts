// etcd's KV Range and Txn (and Auth Authenticate) spoken as gRPC straight over node:http2, with
// the messages encoded by hand (proto.ts). For bulk work: the JSON gateway costs etcd about three
// times the CPU per write (it decodes JSON and base64, then calls itself over gRPC), and grpc-js
// with protobufjs costs the CLI more to load than the whole write takes.
import type {ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders} from 'node:http2'
import {GRPC_CODES, GatewayError, MemberKv, NOT_SENT, type Rpcs, type Target} from './gateway.js'
import {decodeAuthenticate, decodeRange, decodeTxn, encodeAuthenticate, encodeRange, encodeTxn} from './proto.js'

const PATHS = {range: '/etcdserverpb.KV/Range', txn: '/etcdserverpb.KV/Txn', authenticate: '/etcdserverpb.Auth/Authenticate'} as const

/** Receive windows large enough that a page of 1,000 big values never waits for window updates. */
const WINDOW = 32 * 1024 * 1024

interface Session {
  session: ClientHttp2Session
  /** Set once the connection (and TLS handshake) is up: before that, nothing was sent. */
  connected: boolean
  /** Set once the member's HTTP/2 settings arrived: before that, etcd cannot have read a request. */
  heard: boolean
  /** Why we closed it (a call's deadline): the other calls on it fail for the same reason. */
  closedFor?: GatewayError
}

export class GrpcWireKv extends MemberKv {
  private sessions = new Map<string, Session>()
  private http2?: typeof import('node:http2')

  protected async send<R extends keyof Rpcs>(t: Target, rpc: R, req: Rpcs[R][0], waitMs: number, token?: string): Promise<Rpcs[R][1]> {
    const body = rpc === 'range' ? encodeRange(req as Rpcs['range'][0]) : rpc === 'txn' ? encodeTxn(req as Rpcs['txn'][0]) : encodeAuthenticate(req as Rpcs['authenticate'][0])
    const message = await this.unary(t, PATHS[rpc], body, waitMs, token)
    return (rpc === 'range' ? decodeRange(message) : rpc === 'txn' ? decodeTxn(message) : decodeAuthenticate(message)) as Rpcs[R][1]
  }

  /** Opens the connection to the member calls start at, ahead of the first call. */
  connect(): void {
    this.session(this.targets[this.members.order()[0]!]!).catch(() => {})
  }

  close(): void {
    for (const s of this.sessions.values()) s.session.destroy()
    this.sessions.clear()
  }

  private async session(t: Target): Promise<Session> {
    const known = this.sessions.get(t.url)
    if (known && !known.session.closed && !known.session.destroyed) return known
    this.http2 ??= await import('node:http2')
    const tls = this.opts.tls ?? {}
    const net = t.socketPath ? await import('node:net') : undefined
    const host = t.host?.includes(':') ? `[${t.host}]` : (t.host ?? 'localhost')
    const session = this.http2.connect(`${t.https ? 'https' : 'http'}://${host}:${t.port ?? 80}`, {
      settings: {initialWindowSize: WINDOW},
      ...(net && t.socketPath ? {createConnection: () => net.connect(t.socketPath!)} : {}),
      ...(t.https ? {ca: tls.ca, cert: tls.cert, key: tls.key, ALPNProtocols: ['h2']} : {}),
    })
    const s: Session = {session, connected: false, heard: false}
    session.once('connect', () => {
      s.connected = true
      session.setLocalWindowSize(WINDOW)
    })
    session.once('remoteSettings', () => {
      s.heard = true
    })
    // Errors reach the streams too; this keeps a session error from being an uncaught exception.
    session.on('error', () => {})
    session.once('close', () => {
      if (this.sessions.get(t.url) === s) this.sessions.delete(t.url)
    })
    // No call in flight: the connection must not keep the process alive.
    session.unref()
    this.sessions.set(t.url, s)
    return s
  }

  private async unary(t: Target, path: string, frame: Buffer, waitMs: number, token?: string): Promise<Buffer> {
    const s = await this.session(t)
    return new Promise<Buffer>((resolve, reject) => {
      let stream: ClientHttp2Stream | undefined
      let settled = false
      const fail = (error: GatewayError) => {
        if (settled) return
        error = s.closedFor ?? error
        settled = true
        clearTimeout(timer)
        stream?.close()
        reject(error)
      }
      const timer = setTimeout(() => {
        // A member that stopped answering keeps no session: the next call connects afresh.
        s.closedFor ??= new GatewayError(`DeadlineExceeded: no answer within ${Math.round(waitMs) / 1000}s`, !s.heard)
        fail(s.closedFor)
        s.session.destroy()
      }, waitMs)
      try {
        // hasleader: see GatewayKv.post.
        stream = s.session.request({':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', hasleader: 'true', ...(token ? {token} : {})})
      } catch (error) {
        fail(new GatewayError(`Unavailable: ${(error as Error).message}`, !s.connected))
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
        // The socket's own error (a refused connection) is more telling than the stream's.
        const cause = (err as {cause?: NodeJS.ErrnoException}).cause ?? err
        const code = cause.code ?? ''
        fail(new GatewayError(`${NOT_SENT.has(code) || !s.connected ? 'Unavailable' : 'Error'}: ${cause.message}`, !s.connected || NOT_SENT.has(code)))
      })
      stream.on('close', () => {
        if (settled) return
        // A trailers-only answer (an error) carries grpc-status in the headers.
        const status = Number(trailers['grpc-status'] ?? headers['grpc-status'] ?? (Number(headers[':status']) === 200 ? Number.NaN : 14))
        if (status !== 0) {
          const raw = String(trailers['grpc-message'] ?? headers['grpc-message'] ?? (headers[':status'] ? `HTTP ${headers[':status']}` : 'connection closed'))
          let text = raw
          try {
            text = decodeURIComponent(raw)
          } catch {}
          fail(new GatewayError(`${GRPC_CODES[status] ?? 'Unknown'}: ${text}`, !s.connected))
          return
        }
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
        if (all.length < 5 || all[0] !== 0 || all.readUInt32BE(1) !== all.length - 5) {
          fail(new GatewayError('Unknown: etcd answered with a gRPC message this client cannot read'))
          return
        }
        settled = true
        clearTimeout(timer)
        resolve(all.subarray(5))
      })
      stream.end(frame)
    })
  }
}
