// The host agent as a user meets it, on one host namespace with two pods: no sysctl by hand, no
// tuning flags. `workload add` on a host not registered yet waits (--wait-node) and says so in
// one line; a workload's traffic is dropped until the agent programs its policy (fail closed);
// the agent switches IP forwarding on as Felix does (IPForwarding, default Enabled:
// felix/config/config_params.go, felix/dataplane/linux/int_dataplane.go) and per cali interface
// (felix/dataplane/linux/endpoint_mgr.go); `node run` registers the Node first, starts BIRD when
// none answers and stops it on exit, and reuses (reloads, never stops) a BIRD that answers.
import assert from 'node:assert/strict'
import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {NodeRunAgent} from '../helpers/agent.js'
import {BIN, cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {poolYaml, uplinkedHost} from '../helpers/hosts.js'
import {inNs, ip, NetnsLab, netnsSkipReason, waitFor} from '../helpers/netns.js'

const skip = netnsSkipReason('bird', 'birdc', 'ping', 'etcd', 'iptables', 'ipset')

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('node run and workload add with default flags', {skip, timeout: 240_000}, () => {
  const lab = new NetnsLab('nd')
  const scratch = mkdtempSync(join(tmpdir(), 'node-defaults-'))
  let etcd: TestEtcd
  let run: ReturnType<typeof cliFor>
  let host = ''
  let pod1 = ''
  let pod2 = ''
  const ips: Record<string, string> = {}
  const ifaces: Record<string, string> = {}
  const dir = join(scratch, 'h')
  const birdSocket = join(dir, 'bird.ctl')
  const common = () => ['--name', 'h', '--ip', '198.51.100.95/24', '--bird-config-dir', join(dir, 'bird'), '--bird-socket', birdSocket, '--lock-file', join(dir, 'apply.lock')]
  const sysctl = (path: string) => inNs(host, 'cat', [`/proc/sys/net/ipv4/${path}`]).trim()
  const filter = (counters = false) => inNs(host, 'iptables-save', [...(counters ? ['-c'] : []), '-t', 'filter'])
  const ping = (from: string, to: string) => {
    try {
      inNs(from, 'ping', ['-c', '1', '-W', '1', to])
      return true
    } catch {
      return false
    }
  }
  const agents: NodeRunAgent[] = []
  let ownBird: ChildProcess | undefined

  const cliEnv = () => ({...process.env, ETCD_ENDPOINTS: etcd.unixEndpoint, DATASTORE_TYPE: 'etcdv3', CALICOCTL_CONFIG: '/nonexistent-default', NO_COLOR: '1'})
  const addWorkload = async (name: string, netns: string, extra: string[] = []) => {
    const r = await run(['workload', 'add', name, '--netns', netns, '--node', 'h', '-o', 'json', ...extra], {netns: host})
    if (r.code === 0) {
      const w = JSON.parse(r.stdout) as {ip: string; interfaceName: string}
      ips[name] = w.ip.split('/')[0] ?? ''
      ifaces[name] = w.interfaceName
    }
    return r
  }

  before(async () => {
    etcd = await startEtcd()
    run = cliFor(etcd.unixEndpoint)
    host = uplinkedHost(lab)
    pod1 = lab.addHost('p1')
    pod2 = lab.addHost('p2')
    const r = await cliFor(etcd.endpoint)(['apply', '-f', '-'], {input: poolYaml()})
    assert.equal(r.code, 0, r.stderr)
  })

  after(async () => {
    for (const a of agents) await a.stop()
    if (ownBird?.pid && ownBird.exitCode === null) ownBird.kill('SIGTERM')
    await lab.cleanup()
    await etcd?.stop()
    rmSync(scratch, {recursive: true, force: true})
  })

  it('workload add on a host not registered: one line saying it waits, then a one-line error; nothing is left', async () => {
    const r = await addWorkload('pod0', pod1, ['--wait-node', '1s'])
    assert.equal(r.code, 1, r.stdout)
    const lines = r.stderr.trim().split('\n')
    assert.equal(lines.length, 2, r.stderr)
    assert.match(lines[0] ?? '', /node h is not registered yet: waiting up to 1s/)
    assert.match(lines[1] ?? '', /node h is not registered after 1s/)
    assert.doesNotMatch(ip('-n', host, 'link', 'show'), /cali/)
  })

  it('workload add interrupted (SIGTERM, as from a timeout) while it waits: exits 1 at once, nothing done', async () => {
    const t0 = Date.now()
    const env = cliEnv()
    const argv = ['netns', 'exec', host, 'timeout', '--preserve-status', '-s', 'TERM', '6', process.execPath, BIN, 'workload', 'add', 'pod0', '--netns', pod1, '--node', 'h']
    const r = await new Promise<{code: number; stderr: string}>((resolve) =>
      execFile('ip', argv, {env, timeout: 60_000}, (err, _out, stderr) => resolve({code: err ? Number((err as NodeJS.ErrnoException).code) : 0, stderr: String(stderr)})),
    )
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /interrupted while waiting for node h to register: nothing was done/)
    // Hang guard, not a timing assertion: it did not sit out the 30 s wait.
    assert.ok(Date.now() - t0 < 25_000)
    assert.doesNotMatch(ip('-n', host, 'link', 'show'), /cali/)
  })

  it('workload add waits for the Node and proceeds once it is registered', async () => {
    // Started on its own, so that the Node is registered only once it says it waits.
    let stderr = ''
    let stdout = ''
    const child = spawn('ip', ['netns', 'exec', host, process.execPath, BIN, 'workload', 'add', 'pod1', '--netns', pod1, '--node', 'h', '-o', 'json'], {env: cliEnv()})
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    await waitFor('workload add to say it waits', () => (/waiting/.test(stderr) ? true : undefined), 30_000, 100)
    // Registration by a one-shot pass that leaves forwarding and iptables alone.
    const a = await run(['node', 'apply', ...common(), '--no-iptables', '--no-bird', '--ip-forwarding', 'Disabled'], {netns: host})
    assert.equal(a.code, 0, a.stderr)
    assert.equal(await exited, 0, stderr)
    assert.match(stderr, /^node h is not registered yet: waiting up to 30s/)
    assert.equal(stderr.trim().split('\n').length, 1, stderr)
    const w = JSON.parse(stdout) as {ip: string; interfaceName: string}
    ips.pod1 = w.ip.split('/')[0] ?? ''
    ifaces.pod1 = w.interfaceName
    assert.equal(sysctl('ip_forward'), '0', 'IPForwarding Disabled leaves net.ipv4.ip_forward alone')
    const r2 = await addWorkload('pod2', pod2)
    assert.equal(r2.code, 0, r2.stderr)
    assert.equal(r2.stderr, '', 'a registered host: no wait')
  })

  it('a workload the agent has not programmed is dropped (fail closed), with forwarding and routes in place', async () => {
    const saved = filter()
    for (const w of ['pod1', 'pod2']) assert.match(saved, new RegExp(`-A cali-FORWARD -i ${ifaces[w]} .*-j DROP`))
    assert.match(saved, /-A FORWARD .*-j cali-FORWARD/)
    const a = await run(['node', 'apply', ...common(), '--no-iptables', '--no-bird'], {netns: host})
    assert.equal(a.code, 0, a.stderr)
    assert.match(a.stdout, /enabled net\.ipv4\.ip_forward/)
    assert.equal(sysctl('ip_forward'), '1')
    for (const w of ['pod1', 'pod2']) {
      assert.equal(sysctl(`conf/${ifaces[w]}/forwarding`), '1')
      assert.equal(sysctl(`conf/${ifaces[w]}/proxy_arp`), '1')
    }
    assert.equal(ping(pod1, ips.pod2 ?? ''), false, 'pod1 reached pod2 before any policy was programmed')
    const dropped = filter(true).split('\n').find((l) => l.includes(`-i ${ifaces.pod1} `) && l.includes('cali-FORWARD') && l.includes('DROP'))
    assert.match(dropped ?? '', /^\[[1-9]\d*:\d+\]/, `the pending drop counted the ping: ${dropped}`)
  })

  it('node run: registers first, starts BIRD, programs the policy (drops gone, pods talk), stops its BIRD on exit', async () => {
    const agent = new NodeRunAgent({ns: host, name: 'h', ip: '198.51.100.95/24', dir, endpoints: etcd.unixEndpoint})
    agents.push(agent)
    await agent.passes(1)
    const log = agent.log.join('\n')
    const reg = agent.log.findIndex((l) => /\[INFO\] Node h already registered \(198\.51\.100\.95\/24\)/.test(l))
    const firstPass = agent.log.findIndex((l) => /pass \(start\)/.test(l))
    assert.ok(reg >= 0 && (firstPass < 0 || reg < firstPass), `registration is logged before the first pass:\n${log}`)
    const started = await waitFor('BIRD started by the agent', () => /BIRD started \(pid (\d+)\)/.exec(agent.log.join('\n'))?.[1])
    const birdPid = Number(started)
    const status = await waitFor('birdc answers', () => {
      try {
        return inNs(host, 'birdc', ['-s', birdSocket, 'show', 'protocols'])
      } catch {
        return undefined
      }
    })
    assert.match(status, /\sKernel\s/, status)
    await waitFor('the pending drops to be replaced by the policy', () => (/workload not programmed yet/.test(filter()) ? undefined : true), 30_000)
    await waitFor('pod1 to reach pod2', () => (ping(pod1, ips.pod2 ?? '') ? true : undefined), 30_000)
    await agent.stop()
    assert.equal(await agent.exit, 0)
    await waitFor('the agent-started BIRD to exit', () => (alive(birdPid) ? undefined : true), 10_000)
  })

  it('node run reuses (reloads, never stops) a BIRD already answering on the socket', async () => {
    ownBird = spawn('ip', ['netns', 'exec', host, 'bird', '-f', '-c', join(dir, 'bird', 'bird.cfg'), '-s', birdSocket], {stdio: 'ignore'})
    await waitFor('our BIRD to answer', () => {
      try {
        return inNs(host, 'birdc', ['-s', birdSocket, 'show', 'status'])
      } catch {
        return undefined
      }
    })
    const agent = new NodeRunAgent({ns: host, name: 'h', ip: '198.51.100.95/24', dir, endpoints: etcd.unixEndpoint})
    agents.push(agent)
    await agent.passes(1)
    await waitFor('the agent to say it reuses BIRD', () => (/BIRD already answers on .*: reusing it, not starting another \(configure: /.test(agent.log.join('\n')) ? true : undefined), 20_000)
    assert.doesNotMatch(agent.log.join('\n'), /BIRD started/)
    await agent.stop()
    assert.equal(await agent.exit, 0)
    assert.equal(ownBird.exitCode, null, 'a BIRD the agent did not start is left running')
    assert.match(inNs(host, 'birdc', ['-s', birdSocket, 'show', 'status']), /Daemon is up and running/)
  })
})
