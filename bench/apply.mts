// Bulk: `apply -f` of N mixed resources (IPPools, BGPPeers, GlobalNetworkPolicies,
// GlobalNetworkSets, a quarter each) through the CLI, against a one-request-per-resource
// baseline (what calicoctl does: get, then create) run in-process in the same run so no process
// start-up is counted against it. The baseline runs over a sample (BENCH_BASELINE_N, same mix)
// and is compared by rate. Then `get globalnetworkpolicies -o yaml` and
// `delete globalnetworkpolicies -l` over N policies. Best of BENCH_REPEAT runs each.
import {readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {EtcdDatastore} from '../src/datastore/etcd.js'
import {ResourceStore} from '../src/datastore/store.js'
import {defaultAndValidate} from '../src/resources/manifest.js'
import {loadManifests} from '../src/service/crud.js'
import {cliFor} from '../test/helpers/cli.js'
import {startEtcd} from '../test/helpers/etcd.js'

const N = Number(process.env.BENCH_N ?? 10_000)
const BASELINE_N = Math.min(N, Number(process.env.BENCH_BASELINE_N ?? 2000))
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3)

function policy(i: number): string {
  return `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: gnp-${i}
  labels: {bench: "yes", app: app-${i % 50}}
spec:
  order: ${i % 1000}
  selector: app == 'app-${i % 50}' && tier in {'web', 'db'}
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: role == 'client-${i % 7}', nets: [10.${i % 256}.0.0/16]}
    destination: {ports: [80, 443, '8000:8080']}
  egress:
  - action: Allow
    protocol: UDP
    destination: {nets: [192.168.${i % 256}.0/24], ports: [53]}
`
}

export function manifest(n: number, only?: 'policies'): string {
  const docs: string[] = []
  for (let i = 0; i < n; i++) {
    const a = Math.floor(i / 256) % 256
    const b = i % 256
    const kind = only === 'policies' ? 2 : i % 4
    if (kind === 0)
      docs.push(`apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-${i}\n  labels: {bench: "yes"}\nspec:\n  cidr: 10.${a}.${b}.0/24\n  ipipMode: Always\n  natOutgoing: true\n`)
    else if (kind === 1)
      docs.push(`apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: peer-${i}\n  labels: {bench: "yes"}\nspec:\n  peerIP: 198.51.${a}.${b}\n  asNumber: ${64512 + (i % 100)}\n`)
    else if (kind === 2) docs.push(policy(i))
    else
      docs.push(`apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: set-${i}\n  labels: {bench: "yes", role: external-${i % 10}}\nspec:\n  nets: [172.${16 + (i % 16)}.${b}.0/24, 2001:db8:${i.toString(16)}::/48]\n`)
  }
  return docs.join('---\n')
}

export interface BulkResult {
  n: number
  applySeconds: number
  /** CPU seconds (user + system) of the CLI process and of etcd during the best apply. */
  applyCpu: {cli: number; etcd: number}
  baselineN: number
  baselineSeconds: number
  noopSeconds: number
  getN: number
  getSeconds: number
  getBytes: number
  deleteSeconds: number
  deleteBaselineSeconds: number
}

/** CPU seconds of a process (own), or of its waited-for children (children: the CLI runs). */
function cpuSeconds(pid: number | 'self', children = false): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  const [u, s] = children ? [f[13], f[14]] : [f[11], f[12]]
  return (Number(u) + Number(s)) / 100
}

export async function bulk(): Promise<BulkResult> {
  const etcd = await startEtcd()
  const prefix = '/calico/resources/v3/projectcalico.org/'
  try {
    const file = join(tmpdir(), `bench-apply-${process.pid}.yaml`)
    writeFileSync(file, manifest(N))
    const run = cliFor(etcd.endpoint)

    let applySeconds = Number.POSITIVE_INFINITY
    let applyCpu = {cli: 0, etcd: 0}
    for (let k = 0; k < REPEAT; k++) {
      await etcd.wipe()
      const [cli0, etcd0] = [cpuSeconds('self', true), cpuSeconds(etcd.pid)]
      const t = performance.now()
      const r = await run(['apply', '-f', file], {timeoutMs: 600_000})
      const seconds = (performance.now() - t) / 1000
      if (seconds < applySeconds) applyCpu = {cli: cpuSeconds('self', true) - cli0, etcd: cpuSeconds(etcd.pid) - etcd0}
      applySeconds = Math.min(applySeconds, seconds)
      if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`)
      const count = (await etcd.client.getAll().prefix(prefix).keys()).filter((k) => !/clusterinformations|tiers\//.test(k)).length
      if (count !== N) throw new Error(`apply stored ${count} of ${N}`)
    }
    // A second apply of the unchanged file: every resource is updated again (a new revision each, as calicoctl).
    let t = performance.now()
    const again = await run(['apply', '-f', file], {timeoutMs: 600_000})
    const noopSeconds = (performance.now() - t) / 1000
    if (again.code !== 0) throw new Error(`re-apply failed: ${again.stderr}`)

    // Baseline: one request per resource (read, then create), in-process, over a sample.
    await etcd.wipe()
    const sample = join(tmpdir(), `bench-apply-sample-${process.pid}.yaml`)
    writeFileSync(sample, manifest(BASELINE_N))
    const ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 10_000})
    const store = new ResourceStore(ds)
    const loaded = loadManifests(sample, {})
    t = performance.now()
    for (const {def, resource} of loaded) {
      defaultAndValidate(def, resource)
      await store.get(def, resource.metadata.name)
      await store.createMany([{def, resource: store.prepareCreate(def, resource)}])
    }
    const baselineSeconds = (performance.now() - t) / 1000
    // Delete baseline: one request per resource, over the same sample.
    t = performance.now()
    for (const {def, resource} of loaded) await store.deleteMany([{def, name: resource.metadata.name}])
    const deleteBaselineSeconds = (performance.now() - t) / 1000
    ds.close()

    // N policies: get as YAML, then delete by label.
    await etcd.wipe()
    const pfile = join(tmpdir(), `bench-policies-${process.pid}.yaml`)
    writeFileSync(pfile, manifest(N, 'policies'))
    const p = await run(['apply', '-f', pfile], {timeoutMs: 600_000})
    if (p.code !== 0) throw new Error(`policy apply failed: ${p.stderr}`)
    let getSeconds = Number.POSITIVE_INFINITY
    let getBytes = 0
    for (let k = 0; k < REPEAT; k++) {
      t = performance.now()
      const g = await run(['get', 'globalnetworkpolicies', '-o', 'yaml'], {timeoutMs: 600_000})
      getSeconds = Math.min(getSeconds, (performance.now() - t) / 1000)
      if (g.code !== 0) throw new Error(`get failed: ${g.stderr}`)
      getBytes = g.stdout.length
    }
    t = performance.now()
    const d = await run(['delete', 'globalnetworkpolicies', '-l', 'bench == "yes"'], {timeoutMs: 600_000})
    const deleteSeconds = (performance.now() - t) / 1000
    if (d.code !== 0) throw new Error(`delete failed: ${d.stderr}`)
    const left = (await etcd.client.getAll().prefix(`${prefix}globalnetworkpolicies/`).keys()).length
    if (left !== 0) throw new Error(`delete left ${left} policies`)
    return {n: N, applySeconds, applyCpu, baselineN: BASELINE_N, baselineSeconds, noopSeconds, getN: N, getSeconds, getBytes, deleteSeconds, deleteBaselineSeconds}
  } finally {
    await etcd.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await bulk()
  const applyRate = r.n / r.applySeconds
  const baseRate = r.baselineN / r.baselineSeconds
  console.log(`apply -f ${r.n} mixed resources (best of ${REPEAT}): ${r.applySeconds.toFixed(2)} s  ${applyRate.toFixed(0)} resources/s (target 5000)`)
  console.log(`  CPU during that apply: CLI ${r.applyCpu.cli.toFixed(2)} s, etcd ${r.applyCpu.etcd.toFixed(2)} s`)
  console.log(`one-request-per-resource baseline (${r.baselineN}): ${r.baselineSeconds.toFixed(2)} s  ${baseRate.toFixed(0)} resources/s`)
  console.log(`speed-up vs baseline: ${(applyRate / baseRate).toFixed(1)}x (target 10x)`)
  console.log(`re-apply of the unchanged file (each rewritten, as calicoctl): ${r.noopSeconds.toFixed(2)} s`)
  console.log(`get globalnetworkpolicies -o yaml (${r.getN}, ${(r.getBytes / 1e6).toFixed(1)} MB): ${r.getSeconds.toFixed(2)} s (target < 2 s)`)
  const delRate = r.n / r.deleteSeconds
  const delBase = r.baselineN / r.deleteBaselineSeconds
  console.log(`delete -l ${r.n} policies: ${r.deleteSeconds.toFixed(2)} s  ${delRate.toFixed(0)}/s; one-per-request baseline ${delBase.toFixed(0)}/s  ${(delRate / delBase).toFixed(1)}x`)
}
