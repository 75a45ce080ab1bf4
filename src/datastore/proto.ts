// The few etcd v3 protobuf messages the datastore sends and reads (KV Range and Txn, Watch, Auth
// Authenticate, Cluster MemberList, Maintenance Status), encoded and decoded by hand from etcd's
// rpc.proto and kv.proto field numbers, so that no protobuf library or .proto file is loaded.

// --- The messages, as the datastore builds and reads them ---

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

/** Key and value bytes sent: a Buffer, or a string sent as its UTF-8. */
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


const VARINT = 0
const LEN = 2

function varintLen(n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

/** An int64 given as a decimal string (etcd's revisions), as a number when it fits one exactly. */
function int64(s: string | number | undefined): number | bigint {
  if (s === undefined) return 0
  const n = Number(s)
  if (Number.isSafeInteger(n) && n >= 0) return n
  const b = BigInt(s)
  // Negative int64s are sent as their 64-bit two's complement, as protobuf does.
  return b < 0n ? b + (1n << 64n) : b
}

/**
 * Writes one message in two passes over the same code: the first measures every nested message
 * and byte field (in order), the second writes into one buffer of exactly the right size, which
 * starts with gRPC's 5-byte frame header (not compressed, big-endian length).
 */
export class ProtoWriter {
  private sizes: number[] = []
  private k = 0
  private measuring = true
  private len = 0
  private buf = Buffer.alloc(0)
  private pos = 0

  static frame(body: (w: ProtoWriter) => void): Buffer {
    const w = new ProtoWriter()
    body(w)
    w.measuring = false
    w.buf = Buffer.allocUnsafe(5 + w.len)
    w.buf[0] = 0
    w.buf.writeUInt32BE(w.len, 1)
    w.pos = 5
    body(w)
    return w.buf
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire)
  }

  private varint(n: number | bigint): void {
    if (typeof n === 'bigint') {
      do {
        const low = Number(n & 0x7fn)
        n >>= 7n
        if (this.measuring) this.len++
        else this.buf[this.pos++] = n > 0n ? low | 0x80 : low
      } while (n > 0n)
      return
    }
    if (this.measuring) {
      this.len += varintLen(n)
      return
    }
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 128) | 0x80
      n = Math.floor(n / 128)
    }
    this.buf[this.pos++] = n
  }

  /** A varint field, left out when zero (proto3's default), unless `always`. */
  uint(field: number, n: number | bigint, always = false): void {
    if (n === 0 && !always) return
    this.tag(field, VARINT)
    this.varint(n)
  }

  bool(field: number, b: boolean | undefined): void {
    if (b) this.uint(field, 1)
  }

  /** A bytes or string field (strings as UTF-8), left out when empty. */
  bytes(field: number, b: Buffer | string | undefined): void {
    if (b === undefined || b.length === 0) return
    this.tag(field, LEN)
    if (this.measuring) {
      const n = typeof b === 'string' ? Buffer.byteLength(b) : b.length
      this.sizes.push(n)
      this.len += varintLen(n) + n
      return
    }
    const n = this.sizes[this.k++]!
    this.varint(n)
    if (typeof b === 'string') this.buf.write(b, this.pos)
    else b.copy(this.buf, this.pos)
    this.pos += n
  }

  /** A nested message field; written even when empty (a oneof member or a repeated element). */
  message(field: number, body: () => void): void {
    this.tag(field, LEN)
    if (this.measuring) {
      const slot = this.sizes.length
      this.sizes.push(0)
      const start = this.len
      body()
      const n = this.len - start
      this.sizes[slot] = n
      this.len += varintLen(n)
      return
    }
    this.varint(this.sizes[this.k++]!)
    body()
  }
}

const RESULT = {Equal: 0, Greater: 1, Less: 2, NotEqual: 3} as const
const TARGET = {Version: 0, Mod: 2} as const

function writeCompare(w: ProtoWriter, c: Compare): void {
  w.uint(1, RESULT[c.result])
  w.uint(2, TARGET[c.target])
  w.bytes(3, c.key)
  // A oneof member is sent even when zero, so etcd sees which target is meant.
  if (c.target === 'Mod') w.uint(6, int64(c.mod_revision ?? '0'), true)
  else w.uint(4, int64(c.version ?? 0), true)
  w.bytes(64, c.range_end)
}

function writeOp(w: ProtoWriter, op: RequestOp): void {
  if ('request_put' in op) {
    w.message(2, () => {
      w.bytes(1, op.request_put.key)
      w.bytes(2, op.request_put.value)
    })
  } else if ('request_delete_range' in op) {
    w.message(3, () => {
      w.bytes(1, op.request_delete_range.key)
      w.bool(3, op.request_delete_range.prev_kv)
    })
  } else w.message(1, () => w.bytes(1, op.request_range.key))
}

export function encodeTxn(req: TxnRequest): Buffer {
  return ProtoWriter.frame((w) => {
    for (const c of req.compare) w.message(1, () => writeCompare(w, c))
    for (const op of req.success) w.message(2, () => writeOp(w, op))
    for (const op of req.failure) w.message(3, () => writeOp(w, op))
  })
}

export function encodeRange(req: RangeRequest): Buffer {
  return ProtoWriter.frame((w) => {
    w.bytes(1, req.key)
    w.bytes(2, req.range_end)
    w.uint(3, int64(req.limit))
    w.uint(4, int64(req.revision))
  })
}

export function encodeAuthenticate(req: {name: string; password: string}): Buffer {
  return ProtoWriter.frame((w) => {
    w.bytes(1, req.name)
    w.bytes(2, req.password)
  })
}

/** A protobuf decoding failure: etcd sent something these readers do not understand. */
export class ProtoError extends Error {}

/** Reads fields of one message in [pos, end) of a buffer; bytes fields are views, not copies. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  more(): boolean {
    return this.pos < this.end
  }

  /** The next field's number; its wire type is left in `wire`. */
  wire = 0
  field(): number {
    const t = this.varint()
    this.wire = t % 8
    return Math.floor(t / 8)
  }

  private byte(): number {
    if (this.pos >= this.end) throw new ProtoError('truncated message')
    return this.buf[this.pos++]!
  }

  varint(): number {
    let n = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      const b = this.byte()
      n += (b & 0x7f) * mul
      if (b < 0x80) return n
      mul *= 128
    }
    throw new ProtoError('varint too long')
  }

  /** An int64 (or, `unsigned`, a uint64 such as a member ID) as a decimal string, exact beyond 2^53 too. */
  int64(unsigned = false): string {
    const start = this.pos
    const n = this.varint()
    if (Number.isSafeInteger(n)) return String(n)
    let b = 0n
    for (let i = this.pos - 1; i >= start; i--) b = (b << 7n) | BigInt(this.buf[i]! & 0x7f)
    return (unsigned ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b)).toString()
  }

  /** A length-delimited field's [start, end). */
  span(): [number, number] {
    const n = this.varint()
    const start = this.pos
    if (start + n > this.end) throw new ProtoError('truncated field')
    this.pos = start + n
    return [start, start + n]
  }

  bytes(): Buffer {
    const [s, e] = this.span()
    return this.buf.subarray(s, e)
  }

  sub(): Reader {
    const [s, e] = this.span()
    return new Reader(this.buf, s, e)
  }

  skip(): void {
    switch (this.wire) {
      case 0:
        this.varint()
        return
      case 1:
        this.pos += 8
        return
      case 2:
        this.span()
        return
      case 5:
        this.pos += 4
        return
      default:
        throw new ProtoError(`unexpected wire type ${this.wire}`)
    }
  }
}

/** ResponseHeader: the revision always; the cluster and member IDs (uint64) for the diagnostics. */
export interface Header {
  revision: string
  cluster_id?: string
  member_id?: string
}

/**
 * Reads a message's fields, each known field number by its handler (which reads the value from
 * `r`), skipping the others. For the messages read once per call; the per-key ones (KeyValue,
 * Range) keep their own loop.
 */
function fields(r: Reader, on: Record<number, () => unknown>): void {
  while (r.more()) {
    const read = on[r.field()]
    if (read) read()
    else r.skip()
  }
}

function readHeader(r: Reader): Header {
  const h: Header = {revision: '0'}
  fields(r, {1: () => (h.cluster_id = r.int64(true)), 2: () => (h.member_id = r.int64(true)), 3: () => (h.revision = r.int64())})
  return h
}

function readKV(r: Reader): RawKV {
  const kv: RawKV = {key: Buffer.alloc(0), value: Buffer.alloc(0), mod_revision: '0', create_revision: '0'}
  while (r.more()) {
    switch (r.field()) {
      case 1:
        kv.key = r.bytes()
        break
      case 2:
        kv.create_revision = r.int64()
        break
      case 3:
        kv.mod_revision = r.int64()
        break
      case 5:
        kv.value = r.bytes()
        break
      default:
        r.skip()
    }
  }
  return kv
}

function readRange(r: Reader): RangeResponse {
  const out: RangeResponse = {header: {revision: '0'}, kvs: [], more: false}
  while (r.more()) {
    switch (r.field()) {
      case 1:
        out.header = readHeader(r.sub())
        break
      case 2:
        out.kvs.push(readKV(r.sub()))
        break
      case 3:
        out.more = r.varint() !== 0
        break
      default:
        r.skip()
    }
  }
  return out
}

function readResponseOp(r: Reader): ResponseOp {
  const out: ResponseOp = {}
  while (r.more()) {
    const f = r.field()
    if (f === 1) out.response_range = {kvs: readRange(r.sub()).kvs}
    else if (f === 3) {
      const d = r.sub()
      const prev: RawKV[] = []
      while (d.more()) {
        if (d.field() === 3) prev.push(readKV(d.sub()))
        else d.skip()
      }
      out.response_delete_range = {prev_kvs: prev}
    } else r.skip()
  }
  return out
}

function reader(message: Buffer): Reader {
  return new Reader(message, 0, message.length)
}

export function decodeRange(message: Buffer): RangeResponse {
  return readRange(reader(message))
}

export function decodeTxn(message: Buffer): TxnResponse {
  const r = reader(message)
  const out: TxnResponse = {header: {revision: '0'}, succeeded: false, responses: []}
  while (r.more()) {
    switch (r.field()) {
      case 1:
        out.header = readHeader(r.sub())
        break
      case 2:
        out.succeeded = r.varint() !== 0
        break
      case 3:
        out.responses.push(readResponseOp(r.sub()))
        break
      default:
        r.skip()
    }
  }
  return out
}

export function decodeAuthenticate(message: Buffer): {token?: string} {
  const r = reader(message)
  let token: string | undefined
  while (r.more()) {
    if (r.field() === 2) token = r.bytes().toString()
    else r.skip()
  }
  return token === undefined ? {} : {token}
}

// --- Watch (a bidirectional stream of WatchRequest / WatchResponse) ---

/** WatchCreateRequest inside a WatchRequest: every key in [key, range_end) from start_revision on. */
export function encodeWatchCreate(req: {key: Buffer; range_end: Buffer; start_revision: string; progress_notify?: boolean}): Buffer {
  return ProtoWriter.frame((w) =>
    w.message(1, () => {
      w.bytes(1, req.key)
      w.bytes(2, req.range_end)
      w.uint(3, int64(req.start_revision))
      w.bool(4, req.progress_notify)
    }),
  )
}

/** WatchCancelRequest inside a WatchRequest. */
export function encodeWatchCancel(watchId: string): Buffer {
  return ProtoWriter.frame((w) => w.message(2, () => w.uint(1, int64(watchId))))
}

/** WatchProgressRequest inside a WatchRequest: etcd answers with the revision every watcher has reached. */
export function encodeWatchProgress(): Buffer {
  return ProtoWriter.frame((w) => w.message(3, () => {}))
}

export interface WatchEventRaw {
  type: 'put' | 'delete'
  kv: RawKV
}

export interface WatchResponse {
  header: Header
  watch_id: string
  created: boolean
  canceled: boolean
  compact_revision: string
  cancel_reason: string
  events: WatchEventRaw[]
}

export function decodeWatchResponse(message: Buffer): WatchResponse {
  const r = reader(message)
  const out: WatchResponse = {header: {revision: '0'}, watch_id: '0', created: false, canceled: false, compact_revision: '0', cancel_reason: '', events: []}
  fields(r, {
    1: () => (out.header = readHeader(r.sub())),
    2: () => (out.watch_id = r.int64()),
    3: () => (out.created = r.varint() !== 0),
    4: () => (out.canceled = r.varint() !== 0),
    5: () => (out.compact_revision = r.int64()),
    6: () => (out.cancel_reason = r.bytes().toString()),
    11: () => {
      const e = r.sub()
      const ev: WatchEventRaw = {type: 'put', kv: {key: Buffer.alloc(0), value: Buffer.alloc(0), mod_revision: '0', create_revision: '0'}}
      fields(e, {1: () => (ev.type = e.varint() === 1 ? 'delete' : 'put'), 2: () => (ev.kv = readKV(e.sub()))})
      out.events.push(ev)
    },
  })
  return out
}

// --- Cluster MemberList and Maintenance Status (cluster diagnostics) ---

export function encodeMemberList(): Buffer {
  // linearizable: the list as the leader knows it, not a possibly stale member's.
  return ProtoWriter.frame((w) => w.bool(1, true))
}

export function encodeEmpty(): Buffer {
  return ProtoWriter.frame(() => {})
}

export interface Member {
  ID: string
  name: string
  peerURLs: string[]
  clientURLs: string[]
  isLearner: boolean
}

export function decodeMemberList(message: Buffer): {header: Header; members: Member[]} {
  const r = reader(message)
  const out: {header: Header; members: Member[]} = {header: {revision: '0'}, members: []}
  fields(r, {
    1: () => (out.header = readHeader(r.sub())),
    2: () => {
      const m = r.sub()
      const member: Member = {ID: '0', name: '', peerURLs: [], clientURLs: [], isLearner: false}
      fields(m, {
        1: () => (member.ID = m.int64(true)),
        2: () => (member.name = m.bytes().toString()),
        3: () => member.peerURLs.push(m.bytes().toString()),
        4: () => member.clientURLs.push(m.bytes().toString()),
        5: () => (member.isLearner = m.varint() !== 0),
      })
      out.members.push(member)
    },
  })
  return out
}

export interface Status {
  header: Header
  version: string
  dbSize: string
  leader: string
  raftIndex: string
  raftTerm: string
}

export function decodeStatus(message: Buffer): Status {
  const r = reader(message)
  const out: Status = {header: {revision: '0'}, version: '', dbSize: '0', leader: '0', raftIndex: '0', raftTerm: '0'}
  fields(r, {
    1: () => (out.header = readHeader(r.sub())),
    2: () => (out.version = r.bytes().toString()),
    3: () => (out.dbSize = r.int64()),
    4: () => (out.leader = r.int64(true)),
    5: () => (out.raftIndex = r.int64(true)),
    6: () => (out.raftTerm = r.int64(true)),
  })
  return out
}
