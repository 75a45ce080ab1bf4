// Test hosts as network namespaces. Names carry a per-run prefix so leftovers of a crashed run
// can be found and removed; only namespaces and processes this harness made are ever touched.
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'

export const RUN_PREFIX = `ct${process.pid % 10000}`

export function sh(file: string, args: string[], input?: string): string {
  return execFileSync(file, args, {encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe']})
}

export function ip(...args: string[]): string {
  return sh('ip', args)
}

export function inNs(ns: string, file: string, args: string[], input?: string): string {
  return sh('ip', ['netns', 'exec', ns, file, ...args], input)
}

export function isRoot(): boolean {
  return process.getuid?.() === 0
}

export function haveCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** Why a root/netns test cannot run here, or undefined when it can. In CI it always can. */
export function netnsSkipReason(...commands: string[]): string | undefined {
  if (!isRoot()) return 'needs root for network namespaces'
  for (const c of ['ip', ...commands]) if (!haveCommand(c)) return `needs ${c}`
  return undefined
}

export class NetnsLab {
  readonly namespaces: string[] = []
  readonly processes: ChildProcess[] = []
  private seq = 0

  constructor(readonly tag: string) {}

  /** A fresh namespace with loopback up. */
  addHost(short: string): string {
    const name = `${RUN_PREFIX}${this.tag}-${short}`
    try {
      ip('netns', 'del', name)
    } catch {}
    ip('netns', 'add', name)
    this.namespaces.push(name)
    ip('-n', name, 'link', 'set', 'lo', 'up')
    return name
  }

  /** A veth pair with one end in each namespace (never in the root namespace). */
  link(nsA: string, ifA: string, addrA: string | undefined, nsB: string, ifB: string, addrB: string | undefined): void {
    const tmpA = `${RUN_PREFIX}x${this.seq}a`
    const tmpB = `${RUN_PREFIX}x${this.seq++}b`
    ip('link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB)
    ip('link', 'set', tmpA, 'netns', nsA)
    ip('link', 'set', tmpB, 'netns', nsB)
    ip('-n', nsA, 'link', 'set', tmpA, 'name', ifA)
    ip('-n', nsB, 'link', 'set', tmpB, 'name', ifB)
    if (addrA) ip('-n', nsA, 'addr', 'add', addrA, 'dev', ifA)
    if (addrB) ip('-n', nsB, 'addr', 'add', addrB, 'dev', ifB)
    ip('-n', nsA, 'link', 'set', ifA, 'up')
    ip('-n', nsB, 'link', 'set', ifB, 'up')
  }

  /** Starts a long-running process inside a namespace; it is killed by PID on cleanup. */
  spawnIn(ns: string, file: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, file, ...args], {stdio: ['ignore', 'pipe', 'pipe']})
    this.processes.push(child)
    return child
  }

  async cleanup(): Promise<void> {
    for (const p of this.processes.reverse()) {
      if (p.exitCode === null && p.signalCode === null) {
        const done = new Promise((r) => p.once('exit', r))
        p.kill('SIGTERM')
        await Promise.race([done, new Promise((r) => setTimeout(r, 3000))])
        if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
      }
    }
    for (const ns of this.namespaces.reverse()) {
      try {
        ip('netns', 'del', ns)
      } catch {}
    }
    this.namespaces.length = 0
  }
}

/** Polls `probe` until it returns a value (errors count as not yet), or fails naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 300): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
