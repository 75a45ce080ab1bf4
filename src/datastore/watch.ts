// etcd's Watch (a bidirectional gRPC stream) over the one transport (transport.ts): watchers on
// several prefixes on one stream, starting right after a known revision. When the stream breaks
// (the member died, lost its leader, or stopped answering pings) the watch moves to another
// member by the same rule as every call (Members) and resumes each prefix right after the last
// revision it delivered, so no event is lost or delivered twice. A start revision that etcd has
// compacted, or a watcher etcd cancelled, is reported once as an EtcdError (kind `compacted`):
// the caller resyncs from a fresh list.
import type {ClientHttp2Stream, IncomingHttpHeaders} from 'node:http2'
import {decodeWatchResponse, encodeWatchCancel, encodeWatchCreate, encodeWatchProgress, type WatchResponse} from './proto.js'
import {EtcdClient, EtcdError, noAnswer, prefixEnd, readFrame, type Session, cancelError} from './transport.js'

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
  /** The stream broke; the watch moves to a member that answers and resumes on its own. */
  onDisconnected?(error: EtcdError): void
  /** The stream is back (after onDisconnected), resumed where it left off. */
  onConnected?(endpoint: string): void
  /** etcd cancelled the watch (its start revision was compacted): the caller must resync. */
  onLost(error: EtcdError): void
}

/** Pause before a new round over the members while none takes the watch; doubled up to the cap. */
const RETRY_MS = 250
const RETRY_CAP_MS = 2000

/** One open stream to one member. */
interface Stream {
  session: Session
  stream: ClientHttp2Stream
  /** Watch id etcd gave each prefix's watcher (by prefix index), once created. */
  ids: Array<string | undefined>
  ping?: NodeJS.Timeout
  /** Set while a ping waits for its answer: the stream is given up when it fires. */
  answer?: NodeJS.Timeout
}

/** Twice etcd's default --grpc-keepalive-min-time (5 s): see Watch.keepAlive. */
export const PING_EVERY_MIN_MS = 10_000

export class Watch {
  /** Per prefix: the revision to (re)start from, one after the last delivered. */
  private readonly next: bigint[]
  private current?: Stream
  private closed = false
  private lost = false
  /** Set while open() runs: a loss then is reported just after open() returns. */
  private opening = true
  private lostDuringOpen?: EtcdError
  private progressWaiters: Array<{resolve: (revision: string) => void; reject: (error: EtcdError) => void}> = []

  private constructor(
    private readonly client: EtcdClient,
    private readonly prefixes: readonly string[],
    afterRevision: string,
    private readonly handlers: WatchHandlers,
  ) {
    this.next = prefixes.map(() => BigInt(afterRevision) + 1n)
  }

  /** The highest revision delivered (or the start revision - 1). */
  get lastRevision(): string {
    let top = this.next[0]!
    for (const n of this.next) if (n > top) top = n
    return (top - 1n).toString()
  }

  /** The member the stream is on (undefined while it moves to another). */
  get endpoint(): string | undefined {
    return this.current?.session.target.url
  }

  /**
   * Opens watchers on every prefix, delivering events after `afterRevision`. Fails (an EtcdError
   * naming each member) when no member takes the watch within --timeout.
   */
  static async open(client: EtcdClient, prefixes: readonly string[], afterRevision: string, handlers: WatchHandlers): Promise<Watch> {
    const w = new Watch(client, prefixes, afterRevision, handlers)
    try {
      await w.attach()
    } catch (error) {
      w.close()
      throw error
    } finally {
      w.opening = false
    }
    const why = w.lostDuringOpen
    if (why) setImmediate(() => handlers.onLost(why))
    return w
  }

  /** Asks etcd how far every watcher has got; resolves with that revision. */
  progress(): Promise<string> {
    const s = this.current
    if (!s) return Promise.reject(new EtcdError('unavailable', [{endpoint: '-', did: 'the watch is not connected'}]))
    return new Promise((resolve, reject) => {
      this.progressWaiters.push({resolve, reject})
      s.stream.write(encodeWatchProgress())
    })
  }

  /** Cancels every watcher and closes the stream. */
  close(): void {
    if (this.closed) return
    this.closed = true
    const s = this.current
    this.current = undefined
    const waiters = this.progressWaiters
    this.progressWaiters = []
    for (const w of waiters) w.reject(new EtcdError('unavailable', [{endpoint: s?.session.target.url ?? '-', did: 'the watch was closed'}]))
    if (!s) return
    for (const id of s.ids) if (id !== undefined && !s.stream.destroyed) s.stream.write(encodeWatchCancel(id))
    this.drop(s)
  }

  private drop(s: Stream): void {
    clearInterval(s.ping)
    clearTimeout(s.answer)
    if (!s.stream.destroyed) s.stream.end()
    s.session.session.close()
    // A closed watch no longer holds the process: etcd takes up to a second to end the stream,
    // and a command that waited with a watch (workload add --wait-node) would sit out that second.
    s.session.session.unref()
    // Nothing waits on a closing stream: a member that does not answer the close is not waited for.
    setTimeout(() => s.session.session.destroy(), 1000).unref()
  }

  /**
   * Connects to a member (the members' order and time budget, as for a call) and creates the
   * watchers; rounds over the members until one takes them. `forever`: the stream broke after
   * it was open, so the watch keeps trying until closed instead of giving up with the budget.
   */
  private async attach(forever = false): Promise<void> {
    const m = this.client.members
    let pause = RETRY_MS
    // etcd refuses a watch with a token it no longer knows as "permission denied": once per
    // attach, the token is fetched again before that counts as the final answer.
    let reauthed = !this.client.opts.auth
    for (;;) {
      m.forgetStale()
      let last: EtcdError | undefined
      const order = m.order()
      for (let k = 0; k < order.length && !this.closed; k++) {
        const i = order[k]!
        const waitMs = Math.max(m.waitFor(i, order.length - k), forever ? m.timeoutMs / order.length : 0)
        if (waitMs <= 0) break
        const started = Date.now()
        try {
          await this.start(i, waitMs)
          m.answered(i)
          return
        } catch (error) {
          if (!(error instanceof EtcdError)) throw error
          last = error
          if (error.kind === 'auth' && !reauthed) {
            reauthed = true
            m.token = undefined
            k--
            continue
          }
          if (error.kind === 'auth' || error.kind === 'rejected' || error.kind === 'protocol') throw error
          m.failed(i, error, started)
        }
      }
      if (this.closed) return
      if (!forever && m.remaining() <= pause) throw m.giveUp(last)
      await new Promise((r) => setTimeout(r, pause))
      pause = Math.min(pause * 2, RETRY_CAP_MS)
    }
  }

  /** One member: a new connection, the stream, and every watcher created (resolves) or the error. */
  private async start(i: number, waitMs: number): Promise<void> {
    const t = this.client.members.targets[i]!
    const session = await this.client.session(t, true)
    const token = await this.client.token(t, waitMs).catch((error: unknown) => {
      session.session.destroy()
      throw error
    })
    return new Promise<void>((resolve, reject) => {
      let stream: ClientHttp2Stream
      try {
        stream = session.session.request(EtcdClient.headers('/etcdserverpb.Watch/Watch', token), {endStream: false})
      } catch (error) {
        session.session.destroy()
        reject(session.closedFor ?? new EtcdError('unavailable', [{endpoint: t.url, did: (error as Error).message}]))
        return
      }
      const s: Stream = {session, stream, ids: this.prefixes.map(() => undefined)}
      let created = 0
      let up = false
      const timer = setTimeout(() => broke(noAnswer(t.url, waitMs, !session.heard)), waitMs)
      let headers: IncomingHttpHeaders = {}
      let trailers: IncomingHttpHeaders = {}
      let buf: Buffer = Buffer.alloc(0)
      let ended = false
      /** The stream is over: before it was up, the attempt failed; after, the watch moves on. */
      const broke = (error: EtcdError) => {
        if (ended) return
        ended = true
        clearTimeout(timer)
        this.drop(s)
        if (!up) {
          reject(error)
          return
        }
        if (this.current !== s || this.closed) return
        this.current = undefined
        // A progress request asked on this stream gets no answer now: the caller may ask again.
        const waiters = this.progressWaiters
        this.progressWaiters = []
        for (const w of waiters) w.reject(error)
        this.handlers.onDisconnected?.(error)
        this.client.members.failed(i, error, Date.now())
        this.reattach()
      }
      const onMessage = (r: WatchResponse) => {
        if (r.created && r.canceled && r.compact_revision === '0') {
          // Refused at creation: etcd says why (a token it no longer knows reads "permission denied").
          const why = cancelError(t.url, r.cancel_reason || 'etcd refused the watch')
          if (!up) broke(why)
          else this.loseOnce(why)
          return
        }
        if (r.created) {
          const p = s.ids.indexOf(undefined)
          if (p >= 0) s.ids[p] = r.watch_id
          if (++created === this.prefixes.length && !up) {
            up = true
            clearTimeout(timer)
            if (this.closed) {
              // Closed while this member was being tried: nobody wants the stream any more.
              ended = true
              this.drop(s)
              resolve()
              return
            }
            this.current = s
            s.ping = this.keepAlive(s, t.url, broke)
            resolve()
          }
        }
        const p = s.ids.indexOf(r.watch_id)
        if (r.events.length > 0 && p >= 0) {
          let top = this.next[p]! - 1n
          for (const e of r.events) {
            const rev = BigInt(e.kv.mod_revision)
            // Already delivered before a failover (etcd resumes at next[p], so this is a guard).
            if (rev < this.next[p]!) continue
            if (rev > top) top = rev
            const ev: WatchEvent = {type: e.type, key: e.kv.key.toString(), revision: e.kv.mod_revision}
            if (e.type === 'put') {
              ev.value = e.kv.value.toString()
              ev.createRevision = e.kv.create_revision
            }
            this.handlers.onEvent(ev)
          }
          // etcd never splits one revision's events over two responses (no fragmenting asked for).
          this.next[p] = top + 1n
        }
        if (r.canceled && p >= 0) {
          s.ids[p] = undefined
          if (r.compact_revision !== '0') {
            this.loseOnce(
              new EtcdError('compacted', [{endpoint: t.url, did: `etcd cancelled the watch on ${this.prefixes[p]}: revision ${this.next[p]} was compacted (oldest kept: ${r.compact_revision})`}], {
                compactRevision: r.compact_revision,
              }),
            )
          } else {
            // Cancelled later, for a reason etcd gives.
            this.loseOnce(cancelError(t.url, r.cancel_reason || `etcd cancelled the watch on ${this.prefixes[p]}`))
            return
          }
        }
        if (!r.created && !r.canceled && r.events.length === 0) {
          // A progress report: every watcher has seen everything up to its header's revision.
          const waiters = this.progressWaiters
          this.progressWaiters = []
          for (const w of waiters) w.resolve(r.header.revision)
        }
      }
      stream.on('response', (h) => {
        headers = h
      })
      stream.on('trailers', (h) => {
        trailers = h
      })
      stream.on('data', (c: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, c]) : c
        let at = 0
        for (let f = readFrame(buf, at); f; f = readFrame(buf, at)) {
          at = f.next
          let r: WatchResponse
          try {
            r = decodeWatchResponse(f.message)
          } catch (error) {
            broke(new EtcdError('protocol', [{endpoint: t.url, did: `etcd sent a watch response this client cannot read (${(error as Error).message})`}]))
            return
          }
          onMessage(r)
          if (ended) return
        }
        buf = at === buf.length ? Buffer.alloc(0) : buf.subarray(at)
      })
      stream.on('error', (err: NodeJS.ErrnoException) => {
        broke(session.closedFor ?? new EtcdError('unavailable', [{endpoint: t.url, did: err.message}], {notSent: !session.connected}))
      })
      stream.on('close', () => {
        broke(EtcdClient.streamEnd(session, headers, trailers) ?? new EtcdError('unavailable', [{endpoint: t.url, did: 'etcd ended the watch stream'}]))
      })
      // The watch holds the process alive (an agent), unlike an idle unary connection.
      session.session.ref()
      for (const p of this.prefixes) {
        const key = Buffer.from(p)
        stream.write(encodeWatchCreate({key, range_end: prefixEnd(key), start_revision: this.next[this.prefixes.indexOf(p)]!.toString()}))
      }
    })
  }

  /**
   * HTTP/2 pings on the open stream: a member that stopped answering (a black hole, a stopped
   * process) sends no error, so without an answer within --timeout the watch moves on. The pings
   * are at least PING_EVERY_MIN_MS apart whatever --timeout says: etcd ends a connection whose
   * pings come closer than its --grpc-keepalive-min-time (5 s by default) three times running
   * (GOAWAY, ENHANCE_YOUR_CALM). Pinging every --timeout (5 s by default) sat on that edge, and
   * an idle agent's watch was cut and resumed now and then (a pass each time); a --timeout
   * under 5 s cut it every few pings.
   */
  private keepAlive(s: Stream, endpoint: string, broke: (e: EtcdError) => void): NodeJS.Timeout {
    const wait = Math.max(1000, this.client.members.timeoutMs)
    const timer = setInterval(() => {
      if (s.answer) return
      try {
        s.session.session.ping((err) => {
          if (err) return
          clearTimeout(s.answer)
          s.answer = undefined
        })
      } catch {
        broke(new EtcdError('unavailable', [{endpoint, did: 'connection closed'}]))
        return
      }
      s.answer = setTimeout(() => broke(noAnswer(endpoint, wait, false)), wait)
      s.answer.unref()
    }, Math.max(PING_EVERY_MIN_MS, wait))
    timer.unref()
    return timer
  }

  private loseOnce(error: EtcdError): void {
    if (this.lost || this.closed) return
    this.lost = true
    if (this.opening) this.lostDuringOpen = error
    else this.handlers.onLost(error)
  }

  /** After the open stream broke: another member (or the same one back), resuming every prefix. */
  private reattach(): void {
    this.attach(true).then(
      () => {
        if (this.closed) return
        const s = this.current
        if (s) this.handlers.onConnected?.(s.session.target.url)
      },
      // Only a final answer (credentials refused) ends the retries: report it as the watch lost.
      (error: unknown) => this.loseOnce(error instanceof EtcdError ? error : new EtcdError('unavailable', [{endpoint: '-', did: String(error)}])),
    )
  }
}
