// Starts a throwaway etcd for a test file: free loopback ports, temp data dir, a unix-socket
// listener (reachable from network namespaces), stopped by PID.
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, unlinkSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Etcd3} from 'etcd3'

export interface TestEtcd {
  /** http://127.0.0.1:PORT */
  endpoint: string
  /** unix:///abs/dir/etcd.sock:PORT, usable from inside a network namespace */
  unixEndpoint: string
  dir: string
  pid: number
  client: Etcd3
  /** Deletes every key, so tests in one file start clean. */
  wipe(): Promise<void>
  stop(): Promise<void>
  /** Stops etcd but keeps its data (for outage tests); start() brings it back on the same ports. */
  pause(): Promise<void>
  resume(): Promise<void>
  /** Kills etcd with SIGKILL (a crash: no clean shutdown), keeping its data; resume() restarts it. */
  crash(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startEtcd(): Promise<TestEtcd> {
  // Test files run in parallel, and a port found free can be taken before etcd binds it: then
  // etcd exits at once, and it starts again on other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEtcdOnce()
    } catch (error) {
      if (!(error instanceof EtcdExitedEarly) || attempt === 3) throw error
    }
  }
}

class EtcdExitedEarly extends Error {}

async function startEtcdOnce(): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-etcd-'))
  const clientPort = await freePort()
  const peerPort = await freePort()
  const endpoint = `http://127.0.0.1:${clientPort}`
  const unixEndpoint = `unix://${dir}/etcd.sock:${clientPort}`
  let proc: ChildProcess | undefined

  const launch = () => {
    proc = spawn(
      'etcd',
      [
        '--name', 'test',
        '--data-dir', join(dir, 'data'),
        '--listen-client-urls', `${endpoint},unix://etcd.sock:${clientPort}`,
        '--advertise-client-urls', endpoint,
        '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
        '--initial-cluster', `test=http://127.0.0.1:${peerPort}`,
        '--logger', 'zap', '--log-level', 'error',
      ],
      {cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], env: {PATH: process.env.PATH ?? '/usr/bin:/bin'}},
    )
  }
  const client = new Etcd3({hosts: endpoint, dialTimeout: 1000})
  const waitHealthy = async () => {
    const deadline = Date.now() + 15_000
    for (;;) {
      try {
        await client.get('/health-probe').string()
        return
      } catch (error) {
        // With auth enabled, etcd answering that we gave no user name is etcd up and serving.
        if (/user name is empty/.test(String(error))) return
        if (proc && (proc.exitCode !== null || proc.signalCode !== null)) throw new EtcdExitedEarly(`etcd exited at start (${proc.exitCode ?? proc.signalCode}): ${String(error)}`)
        if (Date.now() > deadline) throw new Error(`etcd did not become healthy: ${String(error)}`)
        await sleep(100)
      }
    }
  }
  const kill = async () => {
    const p = proc
    if (!p || p.exitCode !== null) return
    const exited = new Promise((r) => p.once('exit', r))
    p.kill('SIGTERM')
    await Promise.race([exited, sleep(5000)])
    if (p.exitCode === null) p.kill('SIGKILL')
  }
  launch()
  try {
    await waitHealthy()
  } catch (error) {
    client.close()
    await kill()
    rmSync(dir, {recursive: true, force: true})
    throw error
  }
  const handle: TestEtcd = {
    endpoint,
    unixEndpoint,
    dir,
    get pid() {
      return proc?.pid ?? -1
    },
    client,
    async wipe() {
      await client.delete().all()
    },
    async stop() {
      client.close()
      await kill()
      rmSync(dir, {recursive: true, force: true})
    },
    async pause() {
      await kill()
    },
    async crash() {
      const p = proc
      if (!p || p.exitCode !== null || p.signalCode !== null) return
      const exited = new Promise((r) => p.once('exit', r))
      p.kill('SIGKILL')
      await exited
    },
    async resume() {
      // A crashed etcd leaves its unix socket file behind, and binding it again would fail.
      try {
        unlinkSync(join(dir, `etcd.sock:${clientPort}`))
      } catch {}
      launch()
      await waitHealthy()
    },
  }
  return handle
}

export interface TestEtcdMember {
  name: string
  /** http://127.0.0.1:PORT */
  endpoint: string
  /** unix:///abs/dir/etcd.sock:PORT, usable from inside a network namespace */
  unixEndpoint: string
  readonly pid: number
  readonly running: boolean
  /** SIGKILL: the member is gone at once, as when its machine dies. */
  kill(): Promise<void>
  /** Starts a killed member again on its data directory (it rejoins the cluster). */
  restart(): Promise<void>
}

export interface TestEtcdCluster {
  members: TestEtcdMember[]
  /** Every member's client URL, comma-separated (ETCD_ENDPOINTS). */
  endpoints: string
  /** Every member's unix-socket URL, comma-separated, for clients inside network namespaces. */
  unixEndpoints: string
  /** A client over every member. */
  client: Etcd3
  /** Index of the current leader among the running members (asks each one). */
  leader(): Promise<number>
  stop(): Promise<void>
}

/** Three (or n) etcd members on loopback forming one cluster, each with a unix-socket listener too. */
export async function startEtcdCluster(size = 3): Promise<TestEtcdCluster> {
  // As for one etcd: a port found free can be taken by a parallel test file before a member binds
  // it, and then that member never comes up; the cluster starts again on other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEtcdClusterOnce(size)
    } catch (error) {
      if (attempt === 3) throw error
    }
  }
}

async function startEtcdClusterOnce(size: number): Promise<TestEtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-etcd-cluster-'))
  const specs: Array<{name: string; clientPort: number; peerPort: number; dir: string}> = []
  for (let i = 0; i < size; i++) {
    const name = `m${i}`
    const mdir = join(dir, name)
    mkdirSync(mdir)
    specs.push({name, clientPort: await freePort(), peerPort: await freePort(), dir: mdir})
  }
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',')
  const token = `ctl-${process.pid}-${Date.now()}`
  const launch = (s: (typeof specs)[number]) =>
    spawn(
      'etcd',
      [
        '--name', s.name,
        '--data-dir', join(s.dir, 'data'),
        '--listen-client-urls', `http://127.0.0.1:${s.clientPort},unix://etcd.sock:${s.clientPort}`,
        '--advertise-client-urls', `http://127.0.0.1:${s.clientPort}`,
        '--listen-peer-urls', `http://127.0.0.1:${s.peerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${s.peerPort}`,
        '--initial-cluster', initialCluster,
        '--initial-cluster-token', token,
        '--initial-cluster-state', 'new',
        '--logger', 'zap', '--log-level', 'error',
      ],
      {cwd: s.dir, stdio: ['ignore', 'ignore', 'inherit'], env: {PATH: process.env.PATH ?? '/usr/bin:/bin'}},
    )
  const procs: ChildProcess[] = specs.map(launch)
  const members: TestEtcdMember[] = specs.map((s, i) => {
    const proc = () => procs[i] as ChildProcess
    return {
      name: s.name,
      endpoint: `http://127.0.0.1:${s.clientPort}`,
      unixEndpoint: `unix://${s.dir}/etcd.sock:${s.clientPort}`,
      get pid() {
        return proc().pid ?? -1
      },
      get running() {
        return proc().exitCode === null && proc().signalCode === null
      },
      async kill() {
        const p = proc()
        if (p.exitCode !== null || p.signalCode !== null) return
        const exited = new Promise((r) => p.once('exit', r))
        p.kill('SIGKILL')
        await exited
      },
      async restart() {
        if (this.running) return
        // Its data directory holds its membership: it rejoins the cluster it left. The killed
        // process left its unix socket behind, which would stop the new one from listening.
        rmSync(join(s.dir, `etcd.sock:${s.clientPort}`), {force: true})
        procs[i] = launch(s)
      },
    }
  })
  const endpoints = members.map((m) => m.endpoint)
  const client = new Etcd3({hosts: endpoints, dialTimeout: 1000})
  const statusOf = async (m: TestEtcdMember) => {
    const one = new Etcd3({hosts: m.endpoint, dialTimeout: 1000})
    try {
      return await one.maintenance.status()
    } finally {
      one.close()
    }
  }
  const stop = async () => {
    client.close()
    for (const p of procs) {
      if (p.exitCode !== null || p.signalCode !== null) continue
      const exited = new Promise((r) => p.once('exit', r))
      p.kill('SIGTERM')
      await Promise.race([exited, sleep(5000)])
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
    }
    rmSync(dir, {recursive: true, force: true})
  }
  const leader = async (): Promise<number> => {
    const deadline = Date.now() + 30_000
    for (;;) {
      for (let i = 0; i < members.length; i++) {
        const m = members[i] as TestEtcdMember
        if (!m.running) continue
        try {
          const s = await statusOf(m)
          if (s.leader !== '0' && s.leader === s.header.member_id) return i
        } catch {}
      }
      if (Date.now() > deadline) throw new Error('etcd cluster has no leader')
      await sleep(200)
    }
  }
  try {
    // Healthy when every member answers and one of them leads.
    const deadline = Date.now() + 30_000
    for (const m of members) {
      for (;;) {
        try {
          await statusOf(m)
          break
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`etcd member ${m.name} did not come up: ${String(error)}`)
          await sleep(200)
        }
      }
    }
    await leader()
    await client.put('/health-probe').value('ok')
    await client.delete().key('/health-probe')
  } catch (error) {
    await stop()
    throw error
  }
  return {members, endpoints: endpoints.join(','), unixEndpoints: members.map((m) => m.unixEndpoint).join(','), client, leader, stop}
}
