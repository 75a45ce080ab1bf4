// Two Calico hosts for dataplane tests: "master" (198.51.100.95) and "node" (198.51.100.96) as
// network namespaces on one segment (a veth pair), each programmed by `calicoctl node apply`
// with its own BIRD, pool 192.168.0.0/16 in BGP mode (ipipMode Never: this kernel has no IPIP),
// and pods made by `calicoctl workload add`. Every pod runs a small agent (one node process in
// the pod's namespace) that listens on TCP ports, records who connected, and makes TCP
// connections on request, so traffic checks cost no process start-up. Etcd is the caller's;
// everything else this helper makes is removed by teardown(), which is idempotent.
import assert from 'node:assert/strict'
import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {type CliOptions, type CliResult, cliFor} from './cli.js'
import type {TestEtcd} from './etcd.js'
import {inNs, ip, NetnsLab, waitFor} from './netns.js'

export {waitFor}

export type Backend = 'nft' | 'legacy'

export const POOL_CIDR = '192.168.0.0/16'
export const POOL_NAME = 'default-ipv4-ippool'

export function poolYaml(opts: {natOutgoing?: boolean; ipipMode?: string} = {}): string {
  return `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: ${POOL_NAME}
spec:
  cidr: ${POOL_CIDR}
  blockSize: 26
  ipipMode: ${opts.ipipMode ?? 'Never'}
  natOutgoing: ${opts.natOutgoing ?? false}
  nodeSelector: all()
`
}

/**
 * One host namespace (`short`) whose eth0 198.51.100.95/24 faces a gateway namespace, with a
 * default route via an unused address (proxy ARP answers only for addresses the host can route).
 * Nothing else is set by hand: forwarding is the agent's to switch on.
 */
export function uplinkedHost(lab: NetnsLab, short = 'h'): string {
  const ns = lab.addHost(short)
  lab.link(ns, 'eth0', '198.51.100.95/24', lab.addHost(`${short}g`), 'eth0', '198.51.100.96/24')
  ip('-n', ns, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth0')
  return ns
}

export interface SimHost {
  name: 'master' | 'node'
  /** The host's network namespace. */
  ns: string
  addr: string
  /** Scratch directory: BIRD config, socket, pid file, lock. */
  dir: string
}

export interface Pod {
  name: string
  namespace: string
  host: SimHost
  /** The pod's network namespace. */
  ns: string
  ip: string
  interfaceName: string
  /** WorkloadEndpoint name. */
  endpoint: string
  labels: Record<string, string>
  /** TCP ports the pod's agent listens on. */
  ports: number[]
  agent: PodAgent
}

export interface TcpResult {
  ok: boolean
  /** 'connected', or why not: 'timeout' (dropped), 'ECONNREFUSED', ... */
  detail: string
}


/** Runs a program in a namespace without blocking the event loop (so probes can overlap). */
function runIn(ns: string, file: string, args: string[], timeoutMs = 15_000): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, file, ...args], {encoding: 'utf8', timeout: timeoutMs}, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({code, stdout, stderr})
    })
  })
}

// The pod agent. argv[1]: JSON list of ports. Prints {"ev":"ready"} once listening, one
// {"ev":"conn"} line per accepted connection, and answers {"op":"connect"} requests on stdin.
const AGENT = `
const net = require('node:net')
const readline = require('node:readline')
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
const ports = JSON.parse(process.argv[1])
let listening = 0
for (const port of ports) {
  const srv = net.createServer((s) => {
    out({ev: 'conn', port, from: s.remoteAddress})
    s.on('error', () => {})
    s.end('hello ' + port + '\\n')
  })
  srv.listen(port, '0.0.0.0', () => { if (++listening === ports.length) out({ev: 'ready'}) })
}
if (ports.length === 0) out({ev: 'ready'})
readline.createInterface({input: process.stdin}).on('line', (line) => {
  const req = JSON.parse(line)
  const s = net.connect({host: req.host, port: req.port})
  let done = false
  const finish = (ok, detail) => { if (done) return; done = true; clearTimeout(t); s.destroy(); out({id: req.id, ok, detail}) }
  const t = setTimeout(() => finish(false, 'timeout'), req.timeoutMs)
  let got = ''
  s.on('data', (b) => { got += b; if (got.includes('\\n')) finish(got.startsWith('hello ' + req.port), got.startsWith('hello') ? 'connected' : 'unexpected answer ' + got.trim()) })
  s.on('error', (e) => finish(false, e.code || String(e)))
  s.on('end', () => finish(false, 'closed without answer'))
})
process.stdin.on('end', () => process.exit(0))
`

export class PodAgent {
  readonly connections: Array<{port: number; from: string}> = []
  private readonly pending = new Map<number, (r: TcpResult) => void>()
  private seq = 0
  readonly ready: Promise<void>

  constructor(readonly child: ChildProcess) {
    let onReady: () => void = () => {}
    this.ready = new Promise((r) => {
      onReady = r
    })
    child.stderr?.resume()
    createInterface({input: child.stdout!}).on('line', (line) => {
      let msg: {ev?: string; id?: number; ok?: boolean; detail?: string; port?: number; from?: string}
      try {
        msg = JSON.parse(line)
      } catch {
        return
      }
      if (msg.ev === 'ready') onReady()
      else if (msg.ev === 'conn') this.connections.push({port: msg.port ?? 0, from: (msg.from ?? '').replace(/^::ffff:/, '')})
      else if (msg.id !== undefined) {
        this.pending.get(msg.id)?.({ok: msg.ok === true, detail: msg.detail ?? ''})
        this.pending.delete(msg.id)
      }
    })
    child.once('exit', () => {
      for (const resolve of this.pending.values()) resolve({ok: false, detail: 'pod agent exited'})
      this.pending.clear()
    })
  }

  /** Opens a TCP connection from the pod; ok only when the listener's greeting came back. */
  connect(host: string, port: number, timeoutMs = 1500): Promise<TcpResult> {
    const id = this.seq++
    return new Promise((resolve) => {
      this.pending.set(id, resolve)
      this.child.stdin?.write(`${JSON.stringify({id, host, port, timeoutMs})}\n`)
    })
  }
}

export interface TwoHostOptions {
  etcd: TestEtcd
  backend: Backend
  /** Short tag in namespace names (a few letters). */
  tag: string
  natOutgoing?: boolean
}

export class TwoHosts {
  readonly lab: NetnsLab
  readonly scratch: string
  readonly master: SimHost
  readonly node: SimHost
  readonly pods: Pod[] = []
  /** The CLI inside a host namespace (etcd over its unix socket). */
  readonly run: ReturnType<typeof cliFor>
  /** The CLI in the root namespace (etcd over loopback). */
  readonly local: ReturnType<typeof cliFor>
  readonly backend: Backend
  private readonly children: ChildProcess[] = []
  private torndown = false
  private manifests = 0

  constructor(private readonly opts: TwoHostOptions) {
    this.backend = opts.backend
    this.lab = new NetnsLab(opts.tag)
    this.scratch = mkdtempSync(join(tmpdir(), `hosts-${opts.tag}-`))
    this.run = cliFor(opts.etcd.unixEndpoint)
    this.local = cliFor(opts.etcd.endpoint)
    const mk = (name: 'master' | 'node', short: string, addr: string): SimHost => ({name, ns: this.lab.addHost(short), addr, dir: join(this.scratch, name)})
    this.master = mk('master', 'm', '198.51.100.95')
    this.node = mk('node', 'n', '198.51.100.96')
  }

  get hosts(): SimHost[] {
    return [this.master, this.node]
  }

  /** iptables of this backend (for another tool's rules and for reading counters). */
  get iptables(): string {
    return `iptables-${this.backend}`
  }

  iptablesSave(h: SimHost, table: string, counters = false): string {
    return inNs(h.ns, `iptables-${this.backend}-save`, [...(counters ? ['-c'] : []), '-t', table])
  }

  /** Segment, pool, first apply on both hosts, BIRD on both, BGP routes between them. */
  async setup(): Promise<void> {
    this.lab.link(this.master.ns, 'eth0', `${this.master.addr}/24`, this.node.ns, 'eth0', `${this.node.addr}/24`)
    for (const h of this.hosts) {
      // A default route via an unused address, so proxy ARP answers for 169.254.1.1.
      ip('-n', h.ns, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth0')
    }
    const r = await this.local(['apply', '-f', '-'], {input: poolYaml({natOutgoing: this.opts.natOutgoing ?? false})})
    assert.equal(r.code, 0, r.stderr)
    await this.applyAll()
    for (const h of this.hosts) {
      const child = this.spawnTracked(h.ns, 'bird', ['-f', '-c', join(h.dir, 'bird', 'bird.cfg'), '-s', join(h.dir, 'bird.ctl'), '-P', join(h.dir, 'bird.pid')])
      child.stdout?.resume()
      child.stderr?.resume()
    }
    await waitFor('BIRD control sockets', () => (this.hosts.every((h) => existsSync(join(h.dir, 'bird.ctl'))) ? true : undefined))
  }

  /** `calicoctl node apply` for one host, with this backend. */
  apply(h: SimHost, ...extra: string[]): Promise<CliResult> {
    return this.run(
      [
        'node', 'apply', '--name', h.name, '--ip', `${h.addr}/24`, '--iptables-backend', this.backend,
        '--bird-config-dir', join(h.dir, 'bird'), '--bird-socket', join(h.dir, 'bird.ctl'), '--lock-file', join(h.dir, 'apply.lock'),
        ...extra,
      ],
      {netns: h.ns},
    )
  }

  /** Applies on both hosts at once; fails the test on any error. */
  async applyAll(): Promise<CliResult[]> {
    const rs = await Promise.all(this.hosts.map((h) => this.apply(h)))
    rs.forEach((r, i) => assert.equal(r.code, 0, `node apply on ${this.hosts[i]?.name}:\n${r.stdout}\n${r.stderr}`))
    return rs
  }

  /** `calicoctl workload add` on a host, then starts the pod's agent listening on `ports`. */
  async addPod(h: SimHost, name: string, opts: {namespace?: string; labels?: Record<string, string>; profiles?: string[]; ports?: number[]} = {}): Promise<Pod> {
    const podNs = this.lab.addHost(`p${this.pods.length}`)
    const labels = opts.labels ?? {}
    const args = ['workload', 'add', name, '--netns', podNs, '--node', h.name, '--iptables-backend', this.backend, '-o', 'json']
    if (opts.namespace) args.push('--namespace', opts.namespace)
    if (Object.keys(labels).length > 0) args.push('--labels', Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','))
    for (const p of opts.profiles ?? []) args.push('--profile', p)
    const r = await this.run(args, {netns: h.ns})
    assert.equal(r.code, 0, `workload add ${name}:\n${r.stdout}\n${r.stderr}`)
    const w = JSON.parse(r.stdout) as {ip: string; interfaceName: string; endpoint: string; namespace: string}
    const ports = opts.ports ?? []
    const agent = await this.startAgent(podNs, ports)
    const pod: Pod = {name, namespace: w.namespace, host: h, ns: podNs, ip: w.ip.split('/')[0] ?? '', interfaceName: w.interfaceName, endpoint: w.endpoint, labels, ports, agent}
    this.pods.push(pod)
    return pod
  }

  /** An agent (listener and TCP client) in a host's own namespace, e.g. as a destination outside the pool. */
  addAgent(h: SimHost, ports: number[]): Promise<PodAgent> {
    return this.startAgent(h.ns, ports)
  }

  private async startAgent(ns: string, ports: number[]): Promise<PodAgent> {
    const agent = new PodAgent(this.spawnTracked(ns, process.execPath, ['-e', AGENT, JSON.stringify(ports)], true))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      agent.ready,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`agent in ${ns} did not start listening on ${ports.join(',')}`)), 30_000)
      }),
    ]).finally(() => clearTimeout(timer))
    return agent
  }

  /** Waits until each host has the other's blocks as BGP routes and every pod answers a ping from its peers. */
  async waitConverged(timeoutMs = 90_000): Promise<void> {
    const blockOf = (a: string) => `${a.split('.').slice(0, 3).join('.')}.${Number(a.split('.')[3]) & ~63}/26`
    for (const p of this.pods) {
      for (const h of this.hosts) {
        if (h === p.host) continue
        await waitFor(
          `BGP route to ${blockOf(p.ip)} on ${h.name}`,
          () => (ip('-n', h.ns, 'route', 'show', 'proto', 'bird').includes(`${blockOf(p.ip)} via ${p.host.addr}`) ? true : undefined),
          timeoutMs,
        )
      }
    }
  }

  /** One ping from a pod; true when answered. */
  async ping(from: Pod, to: string): Promise<boolean> {
    return (await runIn(from.ns, 'ping', ['-c', '1', '-W', '1', '-n', '-q', to])).code === 0
  }

  /** A TCP connection from a pod to an address (greeting from the listener required). */
  tcp(from: Pod, to: string, port: number, timeoutMs = 1500): Promise<TcpResult> {
    return from.agent.connect(to, port, timeoutMs)
  }

  /** `calicoctl apply|delete -f <file>` of a manifest, from the root namespace. */
  async manifest(verb: 'apply' | 'delete', yaml: string): Promise<void> {
    // A file rather than stdin: `delete -f -` is refused by the current build ("not both").
    const file = join(this.scratch, `manifest-${this.manifests++}.yaml`)
    writeFileSync(file, yaml)
    const r = await this.local([verb, '-f', file])
    assert.equal(r.code, 0, `${verb}:\n${yaml}\n${r.stdout}\n${r.stderr}`)
  }

  cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
    return this.local(args, opts)
  }

  private spawnTracked(ns: string, file: string, args: string[], stdin = false): ChildProcess {
    // `ip netns exec` execs the program, so the child's PID is the program's own.
    const child = spawn('ip', ['netns', 'exec', ns, file, ...args], {stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe']})
    child.stdin?.on('error', () => {})
    this.children.push(child)
    return child
  }

  /** Stops every process this helper started (by PID), then removes namespaces and scratch files. */
  async teardown(): Promise<void> {
    if (this.torndown) return
    this.torndown = true
    for (const c of [...this.children].reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue
      const exited = new Promise((r) => c.once('exit', r))
      c.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    }
    await this.lab.cleanup()
    rmSync(this.scratch, {recursive: true, force: true})
  }
}
