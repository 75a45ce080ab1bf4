// Runs the built CLI as a subprocess, the way an operator or script would.
import {execFile} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export interface CliOptions {
  env?: Record<string, string | undefined>
  input?: string
  /** Run inside this network namespace (via `ip netns exec`). */
  netns?: string
  timeoutMs?: number
  /** Working directory (commands that write into it, such as `cluster diags`). */
  cwd?: string
  /** Called with stderr as it comes (the whole of it is in the result too). */
  onStderr?: (text: string) => void
}

export function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries({...process.env, NO_COLOR: '1', ...opts.env})) if (v !== undefined) env[k] = v
  const file = opts.netns ? 'ip' : process.execPath
  const argv = opts.netns ? ['netns', 'exec', opts.netns, process.execPath, BIN, ...args] : [BIN, ...args]
  return new Promise((resolve) => {
    const child = execFile(file, argv, {env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024}, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as any).code as number) : 1) : 0
      resolve({code, stdout: String(stdout), stderr: String(stderr)})
    })
    if (opts.onStderr) child.stderr?.on('data', (b: Buffer | string) => opts.onStderr?.(String(b)))
    if (opts.input !== undefined) child.stdin?.end(opts.input)
    else child.stdin?.end()
  })
}

/** A CLI bound to one etcd endpoint, with no config file in the way. */
export function cliFor(endpoint: string) {
  return (args: string[], opts: CliOptions = {}) =>
    cli(args, {...opts, env: {ETCD_ENDPOINTS: endpoint, DATASTORE_TYPE: 'etcdv3', CALICOCTL_CONFIG: '/nonexistent-default', ...opts.env}})
}
