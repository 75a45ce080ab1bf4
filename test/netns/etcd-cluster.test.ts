// `calicoctl node run` on a host (network namespace) against a three-member etcd cluster, given
// all three members' unix sockets. The member that serves the agent's watch is made leader (etcd
// move-leader) and then killed with SIGKILL: the same agent process moves its watch to a surviving
// member and programs what the CLI writes next through the other two (a new pool's block as a
// blackhole route, a policy in iptables).
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {NodeRunAgent} from '../helpers/agent.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcdCluster, type TestEtcdCluster} from '../helpers/etcd.js'
import {uplinkedHost} from '../helpers/hosts.js'
import {inNs, ip, NetnsLab, netnsSkipReason, waitFor as poll} from '../helpers/netns.js'

const skip = netnsSkipReason('etcd', 'etcdctl', 'sysctl', 'bird', 'iptables-nft-restore', 'iptables-nft-save', 'ipset')

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) => poll(what, probe, 90_000, 200)

/** How many watch streams a member serves (its Prometheus metrics). */
async function watchStreams(endpoint: string): Promise<number> {
  const text = await (await fetch(`${endpoint}/metrics`)).text()
  return Number(/^etcd_debugging_mvcc_watch_stream_total (\d+)/m.exec(text)?.[1] ?? 'NaN')
}

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

const AFTER_KILL = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: after-kill
spec:
  cidr: 10.88.0.0/16
  blockSize: 26
  ipipMode: Never
  nodeSelector: all()
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: after-kill
spec:
  selector: all()
  types: [Ingress]
  ingress:
    - action: Deny
      protocol: TCP
      destination:
        ports: [4343]
`

const blackholes = (ns: string) =>
  (JSON.parse(ip('-j', '-n', ns, 'route', 'show', 'proto', '80') || '[]') as Array<{dst: string; type?: string}>).filter((r) => r.type === 'blackhole').map((r) => r.dst)

describe('node run against a three-member etcd cluster with the watch member killed', {skip, timeout: 600_000}, () => {
  const lab = new NetnsLab('ec')
  const scratch = mkdtempSync(join(tmpdir(), 'etcd-cluster-netns-'))
  const dir = join(scratch, 'host')
  let cluster: TestEtcdCluster
  let ns = ''
  let agent: NodeRunAgent | undefined
  let log: string[] = []

  before(async () => {
    cluster = await startEtcdCluster(3)
    ns = uplinkedHost(lab)
    const r = await cliFor(cluster.endpoints)(['apply', '-f', '-'], {input: POOL})
    assert.equal(r.code, 0, r.stderr)
  })

  after(async () => {
    await agent?.stop()
    await lab.cleanup()
    await cluster?.stop()
    rmSync(scratch, {recursive: true, force: true})
  })

  it('the agent runs with all three members and the member serving its watch, made leader, is killed', async () => {
    agent = new NodeRunAgent({ns, name: 'host', ip: '198.51.100.95/24', dir, endpoints: cluster.unixEndpoints, extraArgs: ['--check-interval', '0', '--resync-interval', '3600s', '--no-route-monitor']})
    log = agent.log
    await agent.passes(1)
    assert.equal(blackholes(ns).filter((d) => d.startsWith('192.168.')).length, 1)
    // A workload, so that policy has an endpoint to apply to.
    const w = await cliFor(cluster.unixEndpoints)(['workload', 'add', 'pod1', '--netns', lab.addHost('p1'), '--node', 'host', '--labels', 'app=pod1'], {netns: ns})
    assert.equal(w.code, 0, `${w.stdout}\n${w.stderr}`)

    // The member holding the agent's watch stream (nothing else here watches).
    const watchIdx = await waitFor('exactly one member serving the watch', async () => {
      const counts = await Promise.all(cluster.members.map((m) => watchStreams(m.endpoint)))
      const busy = counts.flatMap((c, i) => (c > 0 ? [i] : []))
      return busy.length === 1 ? busy[0] : undefined
    })
    const target = cluster.members[watchIdx]
    assert.ok(target)
    // Make it the leader too, so one kill takes both the leader and the agent's stream.
    const leaderIdx = await cluster.leader()
    if (leaderIdx !== watchIdx) {
      const members = await cluster.client.cluster.memberList({})
      const id = members.members.find((m) => m.name === target.name)?.ID
      assert.ok(id)
      execFileSync('etcdctl', ['--endpoints', cluster.members[leaderIdx]?.endpoint ?? '', 'move-leader', BigInt(id).toString(16)], {stdio: 'ignore', env: {...process.env, ETCDCTL_API: '3'}})
      await waitFor('the watch member to lead', async () => ((await cluster.leader()) === watchIdx ? true : undefined))
    }
    console.log(`# agent's watch on ${target.name}; leader was ${cluster.members[leaderIdx]?.name}${leaderIdx === watchIdx ? '' : ' (leadership moved)'}; killing ${target.name}`)
    const mark = log.length
    await target.kill()
    await waitFor('the agent to see its watch drop', () => (log.slice(mark).some((l) => /etcd watch disconnected/.test(l)) ? true : undefined))
    await waitFor('the watch to come back on another member', () => (log.slice(mark).some((l) => /etcd watch reconnected/.test(l)) ? true : undefined))
    const counts = await Promise.all(cluster.members.filter((m) => m.running).map((m) => watchStreams(m.endpoint)))
    assert.equal(counts.filter((c) => c > 0).length, 1, `watch streams per surviving member: ${counts}`)
  })

  it('the CLI writes through the survivors and the same agent programs the change', async () => {
    const pid = agent?.pid
    const r = await cliFor(cluster.endpoints)(['apply', '-f', '-'], {input: AFTER_KILL})
    assert.equal(r.code, 0, r.stderr)
    const hole = await waitFor('a blackhole for a block of the new pool', () => blackholes(ns).find((d) => d.startsWith('10.88.')))
    assert.match(hole, /^10\.88\.\d+\.\d+\/26$/)
    await waitFor('the policy in iptables', () =>
      /GlobalNetworkPolicy after-kill ingress.*--dports 4343 -j DROP/.test(inNs(ns, 'iptables-nft-save', ['-t', 'filter'])) ? true : undefined,
    )
    const got = await cliFor(cluster.endpoints)(['get', 'ippools', '-o', 'json'])
    assert.equal(got.code, 0, got.stderr)
    assert.match(got.stdout, /after-kill/)
    assert.equal(agent?.pid, pid)
    assert.equal(agent?.child.exitCode, null)
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as {pid: number; state: string; lastApply?: {failed: boolean}}
    assert.equal(status.pid, pid)
    assert.equal(status.lastApply?.failed, false)
  })
})
