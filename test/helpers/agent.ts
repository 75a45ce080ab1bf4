// A `calicoctl node run` agent inside a test network namespace: started with the flags tests use,
// its stderr kept line by line, stopped by its own PID (SIGTERM, then SIGKILL if it hangs).
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {BIN} from './cli.js'
import {waitFor} from './netns.js'

export interface NodeRunAgentOptions {
  ns: string
  name: string
  /** CIDR form, e.g. 198.51.100.95/24. */
  ip: string
  /** Where the BIRD config, lock and status files go. */
  dir: string
  /** ETCD_ENDPOINTS for the agent (a unix socket: loopback is not reachable from a namespace). */
  endpoints: string
  extraArgs?: string[]
  /** The CLI to run (default: this checkout's bin/run.js; the bench also runs main's). */
  bin?: string
}

export class NodeRunAgent {
  readonly log: string[] = []
  readonly child: ChildProcess
  readonly exit: Promise<number | null>
  readonly statusFile: string

  constructor(o: NodeRunAgentOptions) {
    this.statusFile = join(o.dir, 'status.json')
    const args = [
      'netns', 'exec', o.ns, process.execPath, o.bin ?? BIN, 'node', 'run', '--name', o.name, '--ip', o.ip,
      '--bird-config-dir', join(o.dir, 'bird'), '--bird-socket', join(o.dir, 'bird.ctl'), '--lock-file', join(o.dir, 'apply.lock'),
      '--status-file', this.statusFile, '--log-level', 'debug', ...(o.extraArgs ?? []),
    ]
    // `ip netns exec` execs the command, so this PID is the agent's own.
    this.child = spawn('ip', args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {...process.env, ETCD_ENDPOINTS: o.endpoints, DATASTORE_TYPE: 'etcdv3', CALICOCTL_CONFIG: '/nonexistent-default', NO_COLOR: '1'},
    })
    this.exit = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
    let buf = ''
    this.child.stderr?.on('data', (b: Buffer) => {
      buf += b.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      this.log.push(...lines)
    })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** The status file once the agent is running and has made at least `passes` passes. */
  passes(passes = 1, timeoutMs = 90_000): Promise<{state: string; passes: number}> {
    return waitFor(
      `${passes} pass(es) of the agent`,
      () => {
        const s = existsSync(this.statusFile) ? JSON.parse(readFileSync(this.statusFile, 'utf8')) : undefined
        return s?.state === 'running' && s.passes >= passes ? s : undefined
      },
      timeoutMs,
      200,
    )
  }

  /** Resolves once the agent has logged nothing for `ms` (the passes a write caused are done). */
  quiet(ms = 2000, timeoutMs = 600_000): Promise<true> {
    let n = this.log.length
    let since = Date.now()
    return waitFor(
      'the agent to go quiet',
      () => {
        if (this.child.exitCode !== null) throw new Error(`node run exited (${this.child.exitCode})`)
        if (this.log.length !== n) {
          n = this.log.length
          since = Date.now()
        }
        return Date.now() - since >= ms ? true : undefined
      },
      timeoutMs,
      100,
    )
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGTERM')
    await Promise.race([this.exit, new Promise((r) => setTimeout(r, 15_000))])
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}
