// `node apply` killed with SIGKILL at random points, over and over, on a host (network namespace)
// with a real etcd, a pool, three workloads, policies and a BIRD config. Each round flips the
// datastore between two desired states (policies, NAT, AS number, a BGP peer) and deletes owned
// routes by hand, starts an apply and kills it after a random delay up to the length of an
// uninterrupted pass. The next apply must converge to exactly the state an uninterrupted apply
// produced for that desired state: owned routes, the cali iptables chains and rules, the cali
// ipsets, the workload interfaces' sysctls and bird.cfg. The killed pass's lock file never blocks
// the next one, and no resource, block, affinity or handle is lost.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {BIN, cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {uplinkedHost} from '../helpers/hosts.js'
import {inNs, ip, NetnsLab, netnsSkipReason} from '../helpers/netns.js'
import {rng} from '../helpers/random.js'

const skip = netnsSkipReason('bird', 'sysctl', 'etcd', 'iptables-nft-restore', 'iptables-nft-save', 'ipset')

/** Kills that must land on a running pass (the issue asks for at least 20). */
const KILLS = Number(process.env.SIGKILL_ROUNDS ?? 24)

const POOLS = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 192.168.0.0/16
  blockSize: 26
  ipipMode: Never
  natOutgoing: false
  nodeSelector: all()
`

const PEER_NODE = `apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: peer
spec:
  bgp:
    ipv4Address: 198.51.100.96/24
`

/** The two desired states the rounds alternate between. */
function variant(v: 'A' | 'B'): {yaml: string; remove: Array<[string, string]>} {
  const docs: string[] = []
  const n = v === 'A' ? 12 : 8
  for (let i = 0; i < n; i++) {
    const port = v === 'A' ? 8000 + i : 9000 + i
    docs.push(`apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: ${v.toLowerCase()}-pol-${i}
spec:
  order: ${100 + i}
  selector: app == 'pod${i % 3}'
  types: [Ingress, Egress]
  ingress:
    - action: Allow
      protocol: TCP
      source:
        selector: app in {'pod0', 'pod1', 'pod2'}
      destination:
        ports: [${port}, ${port + 100}]
    - action: Deny
      protocol: UDP
      source:
        nets: [203.0.113.${i}/32, 198.51.100.${i + 10}/32]
  egress:
    - action: Allow
`)
  }
  docs.push(`apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeToNodeMeshEnabled: true
  asNumber: ${v === 'A' ? 64512 : 64513}
`)
  docs.push(`apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: nat-pool
spec:
  cidr: 10.244.0.0/16
  blockSize: 26
  ipipMode: Never
  natOutgoing: ${v === 'A'}
  nodeSelector: all()
`)
  if (v === 'B')
    docs.push(`apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: tor
spec:
  peerIP: 198.51.100.1
  asNumber: 65001
`)
  const other = v === 'A' ? 8 : 12
  const remove: Array<[string, string]> = []
  for (let i = 0; i < other; i++) remove.push(['globalnetworkpolicy', `${v === 'A' ? 'b' : 'a'}-pol-${i}`])
  if (v === 'A') remove.push(['bgppeer', 'tor'])
  return {yaml: docs.join('---\n'), remove}
}

interface HostState {
  routes: string[]
  iptables: string[]
  ipsets: string[]
  sysctls: string[]
  birdCfg: string
}

/** Owned routes (protocol 80), normalised and sorted. */
function ownedRoutes(ns: string): string[] {
  const list = JSON.parse(ip('-j', '-n', ns, 'route', 'show', 'proto', '80') || '[]') as Array<Record<string, unknown>>
  return list.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b))))).sort()
}

/**
 * The cali part of iptables-save, per table and chain: every cali- chain with its rules in order,
 * and the rules of other chains that mention cali. Counters dropped; chains sorted, because the
 * order in which chains were created is not part of the desired state.
 */
function caliIptables(ns: string): string[] {
  const out: string[] = []
  let table = ''
  const chains = new Map<string, string[]>()
  const flush = () => {
    for (const [chain, rules] of [...chains.entries()].sort(([a], [b]) => a.localeCompare(b))) out.push(`${table} ${chain}`, ...rules.map((r) => `${table}   ${r}`))
    chains.clear()
  }
  for (const raw of inNs(ns, 'iptables-nft-save', []).split('\n')) {
    const line = raw.replace(/\[\d+:\d+\]/g, '').trim()
    if (line.startsWith('*')) {
      flush()
      table = line
    } else if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0] ?? ''
      if (name.startsWith('cali-')) chains.set(`:${name}`, chains.get(`:${name}`) ?? [])
    } else if (line.startsWith('-A ')) {
      const name = line.split(' ')[1] ?? ''
      if (name.startsWith('cali-') || line.includes('cali')) {
        const key = name.startsWith('cali-') ? `:${name}` : `${name} (cali rules)`
        chains.set(key, [...(chains.get(key) ?? []), line])
      }
    } else if (line === 'COMMIT') flush()
  }
  flush()
  return out
}

function caliIpsets(ns: string): string[] {
  return inNs(ns, 'ipset', ['save'])
    .split('\n')
    .filter((l) => /^(create|add) cali/.test(l))
    // initval is the set's random hash seed, chosen anew whenever a set is created.
    .map((l) => l.replace(/ initval 0x[0-9a-f]+/, ''))
    .sort()
}

function workloadSysctls(ns: string): string[] {
  const links = JSON.parse(ip('-j', '-n', ns, 'link', 'show') || '[]') as Array<{ifname: string}>
  const out: string[] = []
  for (const l of links.filter((x) => x.ifname.startsWith('cali')).sort((a, b) => a.ifname.localeCompare(b.ifname)))
    for (const key of ['proxy_arp', 'forwarding']) out.push(`${l.ifname} ${key}=${inNs(ns, 'sysctl', ['-n', `net.ipv4.conf.${l.ifname}.${key}`]).trim()}`)
  return out
}

/** What differs between two host states, briefly (deepEqual's output of whole states is huge). */
function stateDiff(got: HostState, want: HostState | undefined): string {
  if (!want) return 'no reference state'
  const out: string[] = []
  for (const k of ['routes', 'iptables', 'ipsets', 'sysctls'] as const) {
    const missing = want[k].filter((l) => !got[k].includes(l))
    const extra = got[k].filter((l) => !want[k].includes(l))
    if (missing.length || extra.length) out.push(`${k}: missing ${JSON.stringify(missing.slice(0, 5))}, extra ${JSON.stringify(extra.slice(0, 5))}`)
    else if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) out.push(`${k}: same lines, different order`)
  }
  if (got.birdCfg !== want.birdCfg) out.push('bird.cfg differs')
  return out.join('\n')
}

describe('node apply killed with SIGKILL at random points', {skip, timeout: 2_400_000}, () => {
  const lab = new NetnsLab('sk')
  const scratch = mkdtempSync(join(tmpdir(), 'node-apply-sigkill-'))
  const dir = join(scratch, 'host')
  const birdDir = join(dir, 'bird')
  const lockFile = join(dir, 'apply.lock')
  let etcd: TestEtcd
  let run: ReturnType<typeof cliFor>
  let local: ReturnType<typeof cliFor>
  let ns = ''
  const reference: Partial<Record<'A' | 'B', HostState>> = {}
  /** How long an uninterrupted pass usually takes here (the median of the reference passes). */
  let usualMs = 0
  const figures = {rounds: 0, kills: 0, finishedBeforeKill: 0, partialStates: 0, staleLocks: 0, strayBirdTemps: 0, resourcesLost: 0}
  const running: ChildProcess[] = []

  const applyArgs = (...extra: string[]) => [
    'node', 'apply', '--name', 'host', '--ip', '198.51.100.95/24',
    '--bird-config-dir', birdDir, '--bird-socket', join(dir, 'bird.ctl'), '--lock-file', lockFile, ...extra,
  ]
  const apply = (...extra: string[]) => run(applyArgs(...extra), {netns: ns, timeoutMs: 180_000})

  const state = (): HostState => ({
    routes: ownedRoutes(ns),
    iptables: caliIptables(ns),
    ipsets: caliIpsets(ns),
    sysctls: workloadSysctls(ns),
    birdCfg: readFileSync(join(birdDir, 'bird.cfg'), 'utf8'),
  })

  const setVariant = async (v: 'A' | 'B') => {
    const {yaml, remove} = variant(v)
    const r = await local(['apply', '-f', '-'], {input: yaml})
    assert.equal(r.code, 0, r.stderr)
    const byKind = new Map<string, string[]>()
    for (const [kind, name] of remove) byKind.set(kind, [...(byKind.get(kind) ?? []), name])
    for (const [kind, names] of byKind) {
      const d = await local(['delete', kind, ...names, '--skip-not-exists'])
      assert.equal(d.code, 0, d.stderr)
    }
  }

  /** Keys that a node pass must never lose: resources and the whole IPAM tree. */
  const durableKeys = async (): Promise<string[]> => {
    const kvs = await etcd.client.getAll().prefix('/calico/').keys()
    return kvs.filter((k) => !k.includes('/globalnetworkpolicies/') && !k.includes('/bgppeers/') && !k.includes('/bgpconfigurations/')).sort()
  }
  let baselineKeys: string[] = []

  before(async () => {
    etcd = await startEtcd()
    run = cliFor(etcd.unixEndpoint)
    local = cliFor(etcd.endpoint)
    ns = uplinkedHost(lab)
    for (const doc of [POOLS, PEER_NODE]) {
      const r = await local(['apply', '-f', '-'], {input: doc})
      assert.equal(r.code, 0, r.stderr)
    }
    await setVariant('A')
    const first = await apply()
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`)
    for (let i = 0; i < 3; i++) {
      const pod = lab.addHost(`p${i}`)
      const r = await run(['workload', 'add', `pod${i}`, '--netns', pod, '--node', 'host', '--labels', `app=pod${i}`, '-o', 'json'], {netns: ns})
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    }
  })

  after(async () => {
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await lab.cleanup()
    await etcd?.stop()
    rmSync(scratch, {recursive: true, force: true})
    console.log(`# figures: ${JSON.stringify(figures)}`)
  })

  it('an uninterrupted apply of each desired state gives the reference host state', async () => {
    const took: number[] = []
    for (const v of ['A', 'B', 'A', 'B'] as const) {
      await setVariant(v)
      const t0 = Date.now()
      const r = await apply()
      took.push(Date.now() - t0)
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
      const s = state()
      // The second time round the same desired state gives the same host state.
      if (reference[v]) assert.equal(stateDiff(s, reference[v]), '')
      reference[v] = s
    }
    const a = reference.A as HostState
    const b = reference.B as HostState
    // The two states differ in every part the rounds check, so a half-done pass shows.
    assert.notDeepEqual(a.iptables, b.iptables)
    assert.notDeepEqual(a.ipsets, b.ipsets)
    assert.notEqual(a.birdCfg, b.birdCfg)
    assert.ok(a.routes.some((r) => r.includes('blackhole')), a.routes.join('\n'))
    assert.equal(a.routes.filter((r) => /"dev":"cali/.test(r)).length, 3, a.routes.join('\n'))
    assert.ok(a.iptables.some((l) => /MASQUERADE/.test(l)), 'natOutgoing pool has no MASQUERADE rule')
    assert.match(b.birdCfg, /198\.51\.100\.1/)
    const again = await apply()
    assert.equal(again.stdout.trim(), 'no changes')
    baselineKeys = await durableKeys()
    usualMs = took.sort((x, y) => x - y)[Math.floor(took.length / 2)] ?? 0
    console.log(`# an uninterrupted pass takes ${took.join(', ')} ms here; kills come 5-${usualMs} ms after the start`)
  })

  it('a lock left by a dead pass, or an old empty one, does not block; a live holder does', async () => {
    const dead = spawn(process.execPath, ['-e', '0'])
    await new Promise((r) => dead.once('exit', r))
    writeFileSync(lockFile, `${dead.pid}\n`)
    const r1 = await apply('--lock-timeout', '1s')
    assert.equal(r1.code, 0, `${r1.stdout}\n${r1.stderr}`)
    assert.equal(existsSync(lockFile), false)
    writeFileSync(lockFile, '')
    const old = new Date(Date.now() - 60_000)
    utimesSync(lockFile, old, old)
    const r2 = await apply('--lock-timeout', '1s')
    assert.equal(r2.code, 0, `${r2.stdout}\n${r2.stderr}`)
    // This test process is alive: its lock is respected.
    writeFileSync(lockFile, `${process.pid}\n`)
    const r3 = await apply('--lock-timeout', '1s')
    assert.equal(r3.code, 1, `${r3.stdout}\n${r3.stderr}`)
    assert.equal(r3.stderr.trim(), `another node pass (pid ${process.pid}) holds ${lockFile}; gave up waiting`)
    rmSync(lockFile)
  })

  it(`after each of ${KILLS} kills the next apply converges to exactly the desired state`, async () => {
    const env = {...process.env, ETCD_ENDPOINTS: etcd.unixEndpoint, DATASTORE_TYPE: 'etcdv3', CALICOCTL_CONFIG: '/nonexistent-default', NO_COLOR: '1'}
    let current: 'A' | 'B' = 'B'
    const maxRounds = KILLS * 4
    // Kill delays from TEST_SEED (printed when this file fails), so a failing round can be replayed.
    const delays = rng('sigkill delays')
    while (figures.kills < KILLS) {
      assert.ok(figures.rounds < maxRounds, `only ${figures.kills} of ${figures.rounds} rounds killed a running pass`)
      figures.rounds++
      current = current === 'A' ? 'B' : 'A'
      await setVariant(current)
      // Drift too, so the routes part has work: a workload route and a blackhole gone.
      const owned = JSON.parse(ip('-j', '-n', ns, 'route', 'show', 'proto', '80') || '[]') as Array<{dst: string; type?: string; dev?: string}>
      const victims = [owned.find((r) => r.dev?.startsWith('cali')), owned.find((r) => r.type === 'blackhole')]
      for (const v of victims) if (v) ip('-n', ns, 'route', 'del', ...(v.type === 'blackhole' ? ['blackhole'] : []), v.dst.includes('/') ? v.dst : `${v.dst}/32`)

      const pre = state()

      // The pass, killed after a random delay between 5 ms and an uninterrupted pass's length.
      const delay = 5 + delays.int(Math.max(usualMs - 5, 1))
      const t0 = Date.now()
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...applyArgs()], {env, stdio: 'ignore'})
      running.push(child)
      const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((r) => child.once('exit', (code, signal) => r({code, signal})))
      await Promise.race([exited, new Promise((r) => setTimeout(r, delay))])
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      const how = await exited
      if (how.signal === 'SIGKILL') figures.kills++
      else {
        figures.finishedBeforeKill++
        // Passes in the loop may run faster than the reference ones: move the bound halfway
        // towards this one's length, so kills keep landing inside passes, not only in start-up.
        usualMs = Math.max(50, Math.round((usualMs + Math.min(usualMs, Date.now() - t0)) / 2))
      }

      const mid = state()
      // Changed something but not everything: the kill landed in the middle of the work.
      if (stateDiff(mid, pre) !== '' && stateDiff(mid, reference[current]) !== '') figures.partialStates++
      if (existsSync(lockFile)) figures.staleLocks++

      // The next apply: a stale lock must not hold it up (it would wait for the 1s and fail).
      const r = await apply('--lock-timeout', '1s')
      assert.equal(r.code, 0, `round ${figures.rounds} (killed after ${delay} ms): ${r.stdout}\n${r.stderr}`)
      const after = state()
      assert.equal(stateDiff(after, reference[current]), '', `round ${figures.rounds} (killed after ${delay} ms) did not converge`)
      assert.equal(existsSync(lockFile), false)
      const keys = await durableKeys()
      const lost = baselineKeys.filter((k) => !keys.includes(k))
      figures.resourcesLost += lost.length
      assert.deepEqual(lost, [], `round ${figures.rounds}: keys lost`)
    }
    figures.strayBirdTemps = readdirSync(birdDir).filter((f) => f.endsWith('.tmp')).length
    // Converged means idempotent again, and IPAM is consistent.
    const again = await apply()
    assert.equal(again.code, 0, again.stderr)
    assert.equal(again.stdout.trim(), 'no changes')
    const check = await local(['ipam', 'check'])
    assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`)
    console.log(
      `# ${figures.kills} SIGKILLs in ${figures.rounds} rounds (${figures.finishedBeforeKill} passes finished first); ${figures.partialStates} left a half-applied host, ${figures.staleLocks} a stale lock; resources lost: ${figures.resourcesLost}`,
    )
    assert.ok(figures.partialStates > 0, 'no kill landed in the middle of a change: the test proved nothing')
  })
})
