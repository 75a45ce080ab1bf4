// A client for BIRD's control socket (the protocol birdc speaks): a `0001` greeting, then per
// command a reply of coded lines. `CODE-text` continues, `CODE text` ends the reply, and a line
// starting with a space continues the previous code.
import {createConnection, type Socket} from 'node:net'
import {CalicoError} from '../../resources/errors.js'

export interface BirdReplyLine {
  code: number
  text: string
}

export interface BirdReply {
  lines: BirdReplyLine[]
  /** True once the terminating line (code followed by a space) has been seen. */
  complete: boolean
}

const CODED = /^(\d{4})([ -])(.*)$/

/**
 * Parses raw reply lines. Lines beginning with a space carry on with the previous code.
 * Stops at the first `CODE<space>` line; anything after it is ignored.
 */
export function scanBirdReply(raw: readonly string[]): BirdReply {
  const lines: BirdReplyLine[] = []
  let code: number | undefined
  for (const line of raw) {
    if (line === '') continue
    const m = CODED.exec(line)
    if (m) {
      code = Number(m[1])
      lines.push({code, text: m[3] ?? ''})
      if (m[2] === ' ') return {lines, complete: true}
      continue
    }
    if (line.startsWith(' ') && code !== undefined) {
      lines.push({code, text: line.slice(1)})
      continue
    }
    throw new CalicoError(`unexpected output line from BIRD: ${JSON.stringify(line)}`)
  }
  return {lines, complete: false}
}

export function isErrorCode(code: number): boolean {
  return code >= 8000
}

export interface ProtocolRow {
  name: string
  proto: string
  table: string
  state: string
  since: string
  info: string
}

const ROW = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+(?: \d{1,2}:\d{2}:\d{2}(?:\.\d+)?)?)(?:\s+(.*?))?\s*$/

/** Rows of a `show protocols` reply (the 2002 header line is skipped). */
export function parseProtocols(reply: BirdReply): ProtocolRow[] {
  const rows: ProtocolRow[] = []
  for (const l of reply.lines) {
    if (isErrorCode(l.code)) throw new CalicoError(`BIRD: ${l.text.trim()}`)
    if (l.code !== 1002) continue
    const m = ROW.exec(l.text.trim())
    if (!m) throw new CalicoError(`unexpected protocol line from BIRD: ${JSON.stringify(l.text)}`)
    rows.push({name: m[1] ?? '', proto: m[2] ?? '', table: m[3] ?? '', state: m[4] ?? '', since: m[5] ?? '', info: m[6] ?? ''})
  }
  return rows
}

export interface ConfigureResult {
  ok: boolean
  /** The last line BIRD sent, e.g. `Reconfigured` or the parse error. */
  message: string
  /** The file BIRD read (from `0002 Reading configuration from ...`), if it said. */
  file?: string
  reply: BirdReply
}

/** Interprets the reply to `configure`: 0003/0004/0018/0019/0020 are fine, 8xxx/9xxx are errors. */
export function parseConfigure(reply: BirdReply): ConfigureResult {
  const err = reply.lines.find((l) => isErrorCode(l.code))
  const reading = reply.lines.find((l) => l.code === 2)
  const last = reply.lines[reply.lines.length - 1]
  const res: ConfigureResult = {
    ok: err === undefined && reply.complete,
    message: (err ?? last)?.text.trim() ?? 'no reply',
    reply,
  }
  const file = reading ? /from (.+)$/.exec(reading.text)?.[1] : undefined
  if (file) res.file = file
  return res
}

/** The daemon is not there (no socket file, nobody listening). */
export class BirdNotRunningError extends CalicoError {}

export interface BirdClientOptions {
  timeoutMs?: number
}

/** How long `configure` and `configure check` may take before BIRD replies. */
export const CONFIGURE_TIMEOUT_MS = 60_000

/** One connection to the control socket; commands are sent one at a time. */
export class BirdControl {
  private buf = ''
  private waiters: Array<() => void> = []
  private ended: Error | undefined

  private constructor(
    private readonly sock: Socket,
    private readonly timeoutMs: number,
  ) {
    sock.setEncoding('utf8')
    sock.on('data', (d: string) => {
      this.buf += d
      this.wake()
    })
    sock.on('error', (e) => {
      this.ended = e
      this.wake()
    })
    sock.on('close', () => {
      this.ended ??= new CalicoError('BIRD closed the control connection')
      this.wake()
    })
  }

  static async connect(socketPath: string, opts: BirdClientOptions = {}): Promise<BirdControl> {
    const timeoutMs = opts.timeoutMs ?? 2000
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection({path: socketPath})
      const timer = setTimeout(() => {
        s.destroy()
        reject(new CalicoError(`timed out connecting to BIRD at ${socketPath}`))
      }, timeoutMs)
      s.once('connect', () => {
        clearTimeout(timer)
        resolve(s)
      })
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') reject(new BirdNotRunningError(`BIRD is not running (no control socket at ${socketPath})`))
        else reject(new CalicoError(`cannot connect to BIRD at ${socketPath}: ${e.message}`))
      })
    })
    const c = new BirdControl(sock, timeoutMs)
    try {
      const hello = await c.readReply()
      if (!hello.lines.some((l) => l.code === 1)) throw new CalicoError(`unexpected greeting from BIRD: ${hello.lines[0]?.text ?? ''}`)
    } catch (e) {
      c.close()
      throw e
    }
    return c
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  private async readReply(timeoutMs = this.timeoutMs): Promise<BirdReply> {
    const raw: string[] = []
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const nl = this.buf.indexOf('\n')
      if (nl >= 0) {
        const line = this.buf.slice(0, nl).replace(/\r$/, '')
        this.buf = this.buf.slice(nl + 1)
        raw.push(line)
        const r = scanBirdReply(raw)
        if (r.complete) return r
        continue
      }
      if (this.ended) throw this.ended instanceof CalicoError ? this.ended : new CalicoError(`BIRD control socket: ${this.ended.message}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new CalicoError('timed out waiting for a reply from BIRD')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Sends one command line and returns its whole reply. */
  async command(cmd: string, timeoutMs?: number): Promise<BirdReply> {
    if (/[\n\r]/.test(cmd)) throw new CalicoError('a BIRD command is a single line')
    this.sock.write(`${cmd}\n`)
    return this.readReply(timeoutMs)
  }

  async showProtocols(): Promise<ProtocolRow[]> {
    return parseProtocols(await this.command('show protocols'))
  }

  async configure(): Promise<ConfigureResult> {
    return parseConfigure(await this.command('configure', this.parseTimeoutMs()))
  }

  /** BIRD answers `configure` only after parsing the whole file: seconds with a thousand peers. */
  private parseTimeoutMs(): number {
    return Math.max(this.timeoutMs, CONFIGURE_TIMEOUT_MS)
  }

  /**
   * `configure check "FILE"`: the daemon parses FILE without using it. No process is started,
   * which is what makes it cheaper than `bird -p` where spawning is slow (user-mode-linux).
   */
  async checkConfig(file: string): Promise<ConfigureResult> {
    if (file.includes('"')) throw new CalicoError(`cannot name ${file} to BIRD: it contains a double quote`)
    return parseConfigure(await this.command(`configure check "${file}"`, this.parseTimeoutMs()))
  }

  close(): void {
    this.sock.destroy()
  }
}

async function withBird<T>(socketPath: string, f: (c: BirdControl) => Promise<T>, opts?: BirdClientOptions): Promise<T> {
  const c = await BirdControl.connect(socketPath, opts)
  try {
    return await f(c)
  } finally {
    c.close()
  }
}

/** `show protocols` over the control socket. Throws BirdNotRunningError when BIRD is absent. */
export function showProtocols(socketPath: string, opts?: BirdClientOptions): Promise<ProtocolRow[]> {
  return withBird(socketPath, (c) => c.showProtocols(), opts)
}

/** `configure` over the control socket (BIRD re-reads the file it was started with). */
export function configureBird(socketPath: string, opts?: BirdClientOptions): Promise<ConfigureResult> {
  return withBird(socketPath, (c) => c.configure(), opts)
}
