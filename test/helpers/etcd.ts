// Starts a throwaway etcd for a test file: free loopback ports, temp data dir, a unix-socket
// listener (reachable from network namespaces), stopped by PID.
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, unlinkSync} from 'node:fs'
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
  await waitHealthy()
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
