// `node run` reacts incrementally (issue #9): with an agent running on `master` (its own network
// namespace, BIRD supervised, pool in BGP mode), a policy written to etcd makes a pass that runs
// only the iptables part and still puts the policy's rule into the kernel; a second host joining
// (its Node and block) makes passes on master that leave node registration and tunl0 alone, and
// the new host's block arrives in master's kernel as a BGP route; a BGPFilter on a BGPPeer runs
// only the BIRD part, its import rule refuses the other host's block, and a filter change is a
// BIRD configure that keeps the session.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {BirdControl, showProtocols} from '../../src/dataplane/bird/index.js'
import {NodeRunAgent} from '../helpers/agent.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {inNs, ip, NetnsLab, netnsSkipReason, waitFor} from '../helpers/netns.js'
import {poolYaml} from '../helpers/hosts.js'

const skip = netnsSkipReason('bird', 'sysctl', 'etcd', 'iptables-nft-restore', 'ipset')


const POLICY = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-icmp-pod1
spec:
  selector: app == 'pod1'
  types: [Ingress]
  ingress:
    - action: Deny
      protocol: ICMP
    - action: Allow
`

/** BIRD's count of routes the protocol's import filter refused (`show protocols all`, Import updates). */
async function importFiltered(socket: string, protocol: string): Promise<number> {
  const c = await BirdControl.connect(socket)
  try {
    const r = await c.command(`show protocols all ${protocol}`)
    const line = r.lines.map((l) => l.text).find((t) => /^\s*Import updates:/.test(t)) ?? ''
    // Columns: received, rejected, filtered, ignored, accepted.
    return Number(line.trim().split(/\s+/)[4] ?? 0) || 0
  } finally {
    c.close()
  }
}

/** The `pass (...) took N ms: ... (times)` lines logged after `from`. */
const passLines = (agent: NodeRunAgent, from: number) => agent.log.slice(from).filter((l) => /\] pass \(.*\) took \d+ ms/.test(l))

describe('node run: incremental passes', {skip, timeout: 300_000}, () => {
  const lab = new NetnsLab('ni')
  const scratch = mkdtempSync(join(tmpdir(), 'node-run-incr-'))
  let etcd: TestEtcd
  let run: ReturnType<typeof cliFor>
  let local: ReturnType<typeof cliFor>
  let master: NodeRunAgent | undefined
  let other: NodeRunAgent | undefined
  let mNs = ''
  let nNs = ''
  let podNs = ''

  before(async () => {
    etcd = await startEtcd()
    run = cliFor(etcd.unixEndpoint)
    local = cliFor(etcd.endpoint)
    mNs = lab.addHost('m')
    nNs = lab.addHost('n')
    podNs = lab.addHost('p')
    lab.link(mNs, 'eth0', '198.51.100.95/24', nNs, 'eth0', '198.51.100.96/24')
    for (const ns of [mNs, nNs]) ip('-n', ns, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth0')
    const r = await local(['apply', '-f', '-'], {input: poolYaml()})
    assert.equal(r.code, 0, r.stderr)
  })

  after(async () => {
    await master?.stop()
    await other?.stop()
    await lab.cleanup()
    await etcd?.stop()
    rmSync(scratch, {recursive: true, force: true})
  })

  const agentFor = (ns: string, name: string, addr: string) =>
    new NodeRunAgent({
      ns, name, ip: `${addr}/24`, dir: join(scratch, name), endpoints: etcd.unixEndpoint,
      // No periodic drift check: every pass after the start comes from a datastore change.
      extraArgs: ['--bird-timers', 'fast', '--check-interval', '0'],
    })

  it('a policy change runs only the iptables part, and its rule reaches the kernel', async () => {
    master = agentFor(mNs, 'master', '198.51.100.95')
    await master.passes(1)
    const w = await run(['workload', 'add', 'pod1', '--netns', podNs, '--node', 'master', '--labels', 'app=pod1'], {netns: mNs})
    assert.equal(w.code, 0, `${w.stdout}\n${w.stderr}`)
    const save = () => inNs(mNs, 'iptables-save', ['-t', 'filter'])
    // The workload's own passes (its endpoint and block) settle before the policy is written.
    await waitFor('the workload endpoint chain', () => (/-A cali-tw-cali\w+ /.test(save()) ? true : undefined), 30_000)
    await master.quiet()
    assert.doesNotMatch(save(), /GlobalNetworkPolicy deny-icmp-pod1 ingress/)

    const from = master.log.length
    const p = await local(['apply', '-f', '-'], {input: POLICY})
    assert.equal(p.code, 0, p.stderr)
    await waitFor('the policy rule in the kernel', () => (/GlobalNetworkPolicy deny-icmp-pod1 ingress/.test(save()) ? true : undefined), 20_000)
    const line = await waitFor('the pass that applied it', () => passLines(master!, from).find((l) => /: [1-9]\d* changes?/.test(l)), 10_000)
    assert.match(line, /pass \(datastore change\)/)
    assert.match(line, /node not run, ipam not run, tunnel not run, routes not run, bird not run, iptables \d+ ms\)$/, line)
    console.log(`# ${line.replace(/^.*\] /, '')}`)
  })

  it('a new remote node runs routes, BIRD and iptables on master, and its block arrives as a BGP route', async () => {
    assert.ok(master)
    const from = master.log.length
    other = agentFor(nNs, 'node', '198.51.100.96')
    await other.passes(1)
    // The route BIRD learned from the new host (its block's blackhole, exported over the mesh).
    const route = await waitFor('a proto bird route via the new host on master', () => {
      const rs = JSON.parse(ip('-j', '-n', mNs, 'route', 'show', 'proto', 'bird') || '[]') as Array<{dst: string; gateway?: string}>
      return rs.find((x) => x.gateway === '198.51.100.96' && x.dst.startsWith('192.168.'))
    }, 60_000)
    console.log(`# master: ${route.dst} via ${route.gateway} proto bird`)
    assert.match(readFileSync(join(scratch, 'master', 'bird', 'bird.cfg'), 'utf8'), /Mesh_198_51_100_96/)
    // Every pass since the new host appeared came from the datastore; none re-registered master's
    // Node or touched tunl0, and the new Node's pass ran routes and BIRD.
    const lines = passLines(master, from)
    assert.ok(lines.length > 0, 'no pass on master')
    for (const l of lines) {
      assert.match(l, /pass \((datastore change|pending)(, (datastore change|pending))*\)/, l)
      assert.match(l, /node not run, .*tunnel not run/, l)
    }
    assert.ok(lines.some((l) => /routes \d+ ms, bird \d+ ms/.test(l)), lines.join('\n'))
    for (const l of lines) console.log(`# ${l.replace(/^.*\] /, '')}`)
  })

  it('a BGPFilter reaches the running BIRD through the watch: only the BIRD part runs, a filter change keeps the session', async () => {
    assert.ok(master && other)
    const socket = join(scratch, 'master', 'bird.ctl')
    const fromNode = () => (JSON.parse(ip('-j', '-n', mNs, 'route', 'show', 'proto', 'bird') || '[]') as Array<{dst: string; gateway?: string}>).filter((x) => x.gateway === '198.51.100.96')
    const filter = (action: 'Accept' | 'Reject') => `apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata: {name: from-node}
spec:
  importV4: [{cidr: 192.168.0.0/16, matchOperator: In, action: ${action}}]
`
    const from = master.log.length
    const r = await local(['apply', '-f', '-'], {
      input: `${filter('Reject')}---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: master-to-node}
spec: {node: master, peerIP: 198.51.100.96, asNumber: 64512, filters: [from-node]}
`,
    })
    assert.equal(r.code, 0, r.stderr)
    await waitFor('master up with the filtered peer', async () => ((await showProtocols(socket)).find((p) => p.name === 'Node_198_51_100_96')?.info.startsWith('Established') ? true : undefined), 60_000)
    // BIRD counts what the import filter refused: the node's block arrived and was filtered.
    await waitFor('the node block filtered on import', async () => ((await importFiltered(socket, 'Node_198_51_100_96')) > 0 ? true : undefined), 60_000)
    await waitFor('the node block gone from master', () => (fromNode().length === 0 ? true : undefined), 60_000)
    assert.match(readFileSync(join(scratch, 'master', 'bird', 'bird.cfg'), 'utf8'), /'bgp_from-node_importFilterV4'\(\);/)
    const lines = passLines(master, from).filter((l) => /: [1-9]\d* changes?/.test(l))
    assert.ok(lines.length > 0, 'no pass with changes')
    for (const l of lines) assert.match(l, /node not run, ipam not run, tunnel not run, routes not run, bird \d+ ms, iptables not run\)$/, l)

    const before = (await showProtocols(socket)).find((p) => p.name === 'Node_198_51_100_96')!
    const accept = await local(['apply', '-f', '-'], {input: filter('Accept')})
    assert.equal(accept.code, 0, accept.stderr)
    await waitFor('the node block back on master', () => (fromNode().length > 0 ? true : undefined), 60_000)
    const after = (await showProtocols(socket)).find((p) => p.name === 'Node_198_51_100_96')!
    // BIRD's configure re-ran the import filter over the session it had: same state, same since.
    assert.deepEqual([after.state, after.since], [before.state, before.since])
  })
})
