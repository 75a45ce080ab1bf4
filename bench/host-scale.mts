// Host scale model: a datastore with 1,000 nodes (each with an affine /26 block), 10,000
// GlobalNetworkPolicies, 5,000 WorkloadEndpoints (100 on this host), written straight into etcd
// in Calico's stored form. Then `node apply --dry-run` for host-0 (reads everything, builds the
// route, iptables and BIRD models, reads the kernel, plans; changes nothing), run twice as a
// fresh process, with wall time and peak RSS of each; and the in-process model build
// (snapshot read + the four builders + iptables desired state) with its heap growth.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {encodeResource} from '../src/datastore/codec.js'
import {EtcdDatastore, type WriteOp} from '../src/datastore/etcd.js'
import {ResourceStore} from '../src/datastore/store.js'
import {buildDesiredState, compileSelector} from '../src/dataplane/iptables/index.js'
import {Ipam} from '../src/ipam/index.js'
import {newBlock} from '../src/ipam/block.js'
import {encodeAffinity, encodeBlock} from '../src/ipam/codec.js'
import {affinityKey, blockKey} from '../src/ipam/keys.js'
import {buildBirdInput, buildIptablesInput, buildRouteInput, buildTunnelInput, readSnapshot} from '../src/node/snapshot.js'
import {kindByName} from '../src/resources/registry.js'
import type {Resource} from '../src/resources/types.js'
import {BIN} from '../test/helpers/cli.js'
import {startEtcd} from '../test/helpers/etcd.js'

const NODES = Number(process.env.BENCH_NODES ?? 1000)
const POLICIES = Number(process.env.BENCH_POLICIES ?? 10_000)
const WEPS = Number(process.env.BENCH_WEPS ?? 5000)
const LOCAL = Number(process.env.BENCH_LOCAL_WEPS ?? 100)

const ip4 = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const BASE = (10 << 24) >>> 0 // pool 10.0.0.0/16, /26 blocks: node i has block i

async function populate(ds: EtcdDatastore): Promise<number> {
  const store = new ResourceStore(ds)
  const ops: WriteOp[] = []
  const put = (kind: string, r: Resource) => {
    const def = kindByName(kind)!
    const res = store.prepareCreate(def, r)
    ops.push({type: 'put', key: store.keyOf(def, res.metadata.name, res.metadata.namespace), value: encodeResource(def, res)})
  }
  const v3 = 'projectcalico.org/v3'
  put('IPPool', {apiVersion: v3, kind: 'IPPool', metadata: {name: 'pool'}, spec: {cidr: '10.0.0.0/16', blockSize: 26, ipipMode: 'Always', natOutgoing: true, nodeSelector: 'all()'}})
  put('ClusterInformation', {apiVersion: v3, kind: 'ClusterInformation', metadata: {name: 'default'}, spec: {clusterType: 'etcd,bgp', datastoreReady: true}})
  const now = new Date()
  for (let i = 0; i < NODES; i++) {
    const name = `host-${i}`
    const block = `${ip4(BASE + i * 64)}/26`
    put('Node', {apiVersion: v3, kind: 'Node', metadata: {name, labels: {rack: `r${i % 20}`}}, spec: {bgp: {ipv4Address: `172.16.${i >> 8}.${i & 255}/16`, ipv4IPIPTunnelAddr: ip4(BASE + i * 64 + 1)}}})
    ops.push({type: 'put', key: blockKey(block), value: encodeBlock(newBlock(block, name, now))})
    ops.push({type: 'put', key: affinityKey(name, block), value: encodeAffinity({state: 'confirmed', deleted: false})})
  }
  for (let i = 0; i < POLICIES; i++) {
    put('GlobalNetworkPolicy', {
      apiVersion: v3,
      kind: 'GlobalNetworkPolicy',
      metadata: {name: `gnp-${i}`},
      spec: {
        order: i,
        selector: `app == 'app-${i % 200}'`,
        types: ['Ingress', 'Egress'],
        ingress: [{action: 'Allow', protocol: 'TCP', source: {selector: `role == 'client-${i % 13}'`}, destination: {ports: [80, 443]}}],
        egress: [{action: 'Allow', protocol: 'UDP', destination: {nets: [`192.168.${i % 256}.0/24`], ports: [53]}}],
      },
    })
  }
  for (let i = 0; i < WEPS; i++) {
    const node = i < LOCAL ? 0 : 1 + (i % (NODES - 1))
    const nodeName = `host-${node}`
    const pod = `pod-${i}`
    const addr = ip4(BASE + node * 64 + 2 + (i % 60))
    put('WorkloadEndpoint', {
      apiVersion: v3,
      kind: 'WorkloadEndpoint',
      metadata: {name: `${nodeName.replaceAll('-', '--')}-k8s-${pod.replaceAll('-', '--')}-eth0`, namespace: 'default', labels: {app: `app-${i % 200}`, role: `client-${i % 13}`, 'projectcalico.org/namespace': 'default', 'projectcalico.org/orchestrator': 'k8s'}},
      spec: {orchestrator: 'k8s', node: nodeName, pod, endpoint: 'eth0', interfaceName: `cali${i.toString(16).padStart(11, '0')}`, ipNetworks: [`${addr}/32`], profiles: ['kns.default']},
    })
  }
  await ds.writeBatch(ops)
  return ops.length
}

export interface HostScaleResult {
  keys: number
  populateSeconds: number
  passes: Array<{seconds: number; maxRssMB: number}>
  modelSeconds: number
  modelHeapMB: number
}

/** One `node apply --dry-run` as a fresh process: wall time and peak RSS (GNU time). */
function timedPass(endpoint: string, dir: string): {seconds: number; maxRssMB: number; stdout: string} {
  const args = ['node', 'apply', '--dry-run', '--name', 'host-0', '--ip', '172.16.0.0/16', '--bird-config-dir', join(dir, 'bird'), '--bird-socket', join(dir, 'bird.ctl')]
  const t = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', process.execPath, ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), BIN, ...args], {env: {...process.env, NO_COLOR: '1', ETCD_ENDPOINTS: endpoint}, encoding: 'utf8', maxBuffer: 1 << 28})
  const seconds = (performance.now() - t) / 1000
  const rss = /MAXRSS (\d+)/.exec(r.stderr ?? '')
  if (!rss) throw new Error(`node apply --dry-run failed: ${r.stderr}`)
  return {seconds, maxRssMB: Number(rss[1]) / 1024, stdout: r.stdout}
}

export async function hostScale(): Promise<HostScaleResult> {
  const etcd = await startEtcd()
  const dir = mkdtempSync(join(tmpdir(), 'host-scale-'))
  try {
    const ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 30_000})
    let t = performance.now()
    const keys = await populate(ds)
    const populateSeconds = (performance.now() - t) / 1000

    const passes: Array<{seconds: number; maxRssMB: number}> = []
    for (let k = 0; k < 2; k++) {
      const {seconds, maxRssMB, stdout} = timedPass(etcd.endpoint, dir)
      if (k === 0 && process.env.BENCH_VERBOSE) console.log(stdout)
      passes.push({seconds, maxRssMB})
    }

    // The model alone, in-process: snapshot read, the four builders, the iptables desired state.
    const store = new ResourceStore(ds)
    const ipam = new Ipam(ds)
    const globalGc = (globalThis as {gc?: () => void}).gc
    globalGc?.()
    const heap0 = process.memoryUsage().heapUsed
    t = performance.now()
    const snap = await readSnapshot(store, ipam)
    const host = {nodeName: 'host-0', nodeIPv4: '172.16.0.0/16', hostInterface: 'eth0'}
    buildTunnelInput(snap, host)
    buildRouteInput(snap, host)
    buildBirdInput(snap, host)
    const desired = buildDesiredState(buildIptablesInput(snap, host, compileSelector))
    const modelSeconds = (performance.now() - t) / 1000
    const modelHeapMB = process.memoryUsage().heapUsed / 1e6 // heap in use with the model held (bench process included)
    void heap0
    void desired
    ds.close()
    return {keys, populateSeconds, passes, modelSeconds, modelHeapMB}
  } finally {
    rmSync(dir, {recursive: true, force: true})
    await etcd.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await hostScale()
  console.log(`datastore: ${NODES} nodes + blocks, ${POLICIES} policies, ${WEPS} endpoints (${LOCAL} local): ${r.keys} keys written in ${r.populateSeconds.toFixed(1)} s`)
  r.passes.forEach((p, i) => console.log(`node apply --dry-run pass ${i + 1}: ${p.seconds.toFixed(2)} s, peak RSS ${p.maxRssMB.toFixed(0)} MB`))
  console.log(`in-process model (snapshot + builders + iptables state): ${r.modelSeconds.toFixed(2)} s, heap in use ${r.modelHeapMB.toFixed(0)} MB`)
}
