// The one way this tool runs another program: an argument array, never a shell string.
import {execFile} from 'node:child_process'

export interface RunResult {
  stdout: string
  stderr: string
  exitCode: number
}

export interface RunOptions {
  /** Bytes written to the program's stdin (e.g. an iptables-restore script). */
  input?: string
  timeoutMs?: number
  env?: Record<string, string>
}

export type CommandRunner = (file: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>

/** Runs a program; a non-zero exit is returned as data, not thrown. Missing programs throw. */
export const runCommand: CommandRunner = (file, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      {
        encoding: 'utf8',
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 512 * 1024 * 1024,
        env: {...process.env, LC_ALL: 'C', ...opts.env},
      },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new Error(`${file}: command not found`))
          return
        }
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0
        resolve({stdout, stderr, exitCode: code})
      },
    )
    // A program may exit without reading stdin; the exit code reports that, not an EPIPE crash.
    child.stdin?.on('error', () => {})
    // As bytes: to write a string, Node first reserves three bytes per character (tens of MB
    // for a first iptables-restore at scale, held while the program runs).
    child.stdin?.end(Buffer.from(opts.input ?? '', 'utf8'))
  })

/** Like runCommand but throws a one-line error naming the program when it fails. */
export async function runChecked(file: string, args: readonly string[], opts?: RunOptions): Promise<string> {
  const r = await runCommand(file, args, opts)
  if (r.exitCode !== 0) {
    const detail = (r.stderr || r.stdout).trim().split('\n').filter(Boolean).slice(-1)[0] ?? ''
    throw new Error(`${file} ${args.join(' ')} failed (exit ${r.exitCode})${detail ? `: ${detail}` : ''}`)
  }
  return r.stdout
}

/** Interface and other names that reach a command line must match this (no options, no spaces). */
export function assertSafeName(what: string, value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,252}$/.test(value)) throw new Error(`invalid ${what} '${value}': only letters, digits and _.:@- are allowed`)
  return value
}
