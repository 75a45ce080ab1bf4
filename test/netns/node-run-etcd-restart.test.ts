// etcd crashes (SIGKILL) and comes back on the same port with the same data while `calicoctl node
// run` keeps running on a host (network namespace, etcd over its unix socket). Nothing is written
// while etcd is down. Afterwards a new IP pool (the agent must claim a block: IPAM and a blackhole
// route) and a GlobalNetworkPolicy (iptables) are written: the same agent process, never
// restarted, reconnects its watch, resyncs and programs both into the kernel. The periodic drift
// check is off and the resync interval is an hour, so only the watch can have told it.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {NodeRunAgent} from '../helpers/agent.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {uplinkedHost} from '../helpers/hosts.js'
import {inNs, ip, NetnsLab, netnsSkipReason, waitFor as poll} from '../helpers/netns.js'

const skip = netnsSkipReason('bird', 'sysctl', 'etcd', 'iptables-nft-restore', 'iptables-nft-save', 'ipset')

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) => poll(what, probe, 90_000, 200)

const POOL = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 192.168.0.0/16
  blockSize: 26
  ipipMode: Never
  nodeSelector: all()
`

const AFTER_RESTART = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: after-restart
spec:
  cidr: 10.77.0.0/16
  blockSize: 26
  ipipMode: Never
  nodeSelector: all()
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: after-restart
spec:
  selector: app == 'pod1'
  types: [Ingress]
  ingress:
    - action: Deny
      protocol: TCP
      destination:
        ports: [4242]
`

const blackholes = (ns: string) =>
  (JSON.parse(ip('-j', '-n', ns, 'route', 'show', 'proto', '80') || '[]') as Array<{dst: string; type?: string}>).filter((r) => r.type === 'blackhole').map((r) => r.dst)

describe('node run across an etcd crash and restart', {skip, timeout: 600_000}, () => {
  const lab = new NetnsLab('er')
  const scratch = mkdtempSync(join(tmpdir(), 'node-run-etcd-restart-'))
  const dir = join(scratch, 'host')
  let etcd: TestEtcd
  let local: ReturnType<typeof cliFor>
  let ns = ''
  let agent: NodeRunAgent | undefined
  let log: string[] = []
  const logged = (re: RegExp, from = 0) => log.slice(from).some((l) => re.test(l))

  before(async () => {
    etcd = await startEtcd()
    local = cliFor(etcd.endpoint)
    ns = uplinkedHost(lab)
    const r = await local(['apply', '-f', '-'], {input: POOL})
    assert.equal(r.code, 0, r.stderr)
  })

  after(async () => {
    await agent?.stop()
    await lab.cleanup()
    await etcd?.stop()
    rmSync(scratch, {recursive: true, force: true})
  })

  it('the agent starts and programs the host', async () => {
    agent = new NodeRunAgent({ns, name: 'host', ip: '198.51.100.95/24', dir, endpoints: etcd.unixEndpoint, extraArgs: ['--check-interval', '0', '--resync-interval', '3600s', '--no-route-monitor']})
    log = agent.log
    await agent.passes(1)
    assert.deepEqual(blackholes(ns).filter((d) => d.startsWith('192.168.')).length, 1)
    const pod = lab.addHost('p1')
    const run = cliFor(etcd.unixEndpoint)
    const w = await run(['workload', 'add', 'pod1', '--netns', pod, '--node', 'host', '--labels', 'app=pod1'], {netns: ns})
    assert.equal(w.code, 0, `${w.stdout}\n${w.stderr}`)
  })

  it('etcd crashes, nothing is written, etcd comes back: the same agent applies the next changes', async () => {
    const pid = agent?.pid
    assert.ok(pid)
    const mark = log.length
    await etcd.crash()
    await waitFor('the agent to see the watch drop', () => (logged(/etcd watch disconnected/, mark) ? true : undefined))
    // Down for a while, as in a real outage: the agent keeps running and does not exit.
    await new Promise((r) => setTimeout(r, 3000))
    assert.equal(agent?.child.exitCode, null, log.slice(mark).join('\n'))
    await etcd.resume()
    await waitFor('the watch to reconnect', () => (logged(/etcd watch reconnected/, mark) ? true : undefined))

    const r = await local(['apply', '-f', '-'], {input: AFTER_RESTART})
    assert.equal(r.code, 0, r.stderr)
    // IPAM + routes: a block claimed in the new pool, its blackhole in the kernel.
    const hole = await waitFor('a blackhole for a block of the new pool', () => blackholes(ns).find((d) => d.startsWith('10.77.')))
    assert.match(hole, /^10\.77\.\d+\.\d+\/26$/)
    const blocks = await local(['ipam', 'show', '--show-blocks'])
    assert.match(blocks.stdout, /10\.77\.\d+\.\d+\/26/)
    // iptables: the policy's chain and its rule.
    await waitFor('the policy chain in iptables', () => {
      const save = inNs(ns, 'iptables-nft-save', ['-t', 'filter'])
      return /-A cali-pi-\S+ .*GlobalNetworkPolicy after-restart ingress.*--dports 4242 -j DROP/.test(save) ? true : undefined
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n${inNs(ns, 'iptables-nft-save', ['-t', 'filter']).split('\n').filter((l) => /after-restart|4242/.test(l)).join('\n')}\n${log.slice(mark).join('\n')}`)
    })
    assert.match(log.slice(mark).join('\n'), /\[INFO\] routes: add blackhole 10\.77\./)
    // The same process all along.
    assert.equal(agent?.pid, pid)
    assert.equal(agent?.child.exitCode, null)
    assert.equal(agent?.child.signalCode, null)
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as {pid: number; state: string}
    assert.equal(status.pid, pid)
    assert.equal(status.state, 'running')
  })

  it('SIGTERM still stops it cleanly afterwards', async () => {
    const done = agent?.exit
    agent?.child.kill('SIGTERM')
    assert.equal(await done, 0, log.slice(-10).join('\n'))
  })
})
