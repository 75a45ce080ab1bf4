// Bulk apply: 5,000 resources from one file through the CLI, against a naive baseline that
// applies the same resources one etcd request at a time (read, then create), in the same run.
import {writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {EtcdDatastore} from '../src/datastore/etcd.js'
import {ResourceStore} from '../src/datastore/store.js'
import {loadManifests} from '../src/service/crud.js'
import {defaultAndValidate} from '../src/resources/manifest.js'
import {cliFor} from '../test/helpers/cli.js'
import {startEtcd} from '../test/helpers/etcd.js'

const N = Number(process.env.BENCH_N ?? 5000)

function manifest(n: number): string {
  const docs: string[] = []
  for (let i = 0; i < n; i++) {
    const a = Math.floor(i / 256)
    const b = i % 256
    if (i % 2 === 0)
      docs.push(`apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-${i}\n  labels: {bench: "yes"}\nspec:\n  cidr: 10.${a}.${b}.0/24\n  ipipMode: Always\n  natOutgoing: true\n`)
    else docs.push(`apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: peer-${i}\nspec:\n  peerIP: 198.51.${a}.${b}\n  asNumber: ${64512 + (i % 100)}\n`)
  }
  return docs.join('---\n')
}

const etcd = await startEtcd()
try {
  const file = join(tmpdir(), `bench-apply-${process.pid}.yaml`)
  writeFileSync(file, manifest(N))
  const run = cliFor(etcd.endpoint)

  let t = performance.now()
  const r = await run(['apply', '-f', file], {timeoutMs: 600_000})
  const batched = (performance.now() - t) / 1000
  if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`)
  const count = (await etcd.client.getAll().prefix('/calico/resources/v3/projectcalico.org/').keys()).length
  await etcd.wipe()

  // Baseline: what a one-request-per-resource tool does (calicoctl: get, then create), in-process
  // so that no process start-up is counted against it.
  const ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 10_000})
  const store = new ResourceStore(ds)
  const loaded = loadManifests(file, {})
  t = performance.now()
  for (const {def, resource} of loaded) {
    defaultAndValidate(def, resource)
    await store.get(def, resource.metadata.name)
    await store.createMany([{def, resource: store.prepareCreate(def, resource)}])
  }
  const naive = (performance.now() - t) / 1000
  ds.close()

  // A second apply of the unchanged file: everything is compared, nothing written.
  await etcd.wipe()
  await run(['apply', '-f', file], {timeoutMs: 600_000})
  t = performance.now()
  await run(['apply', '-f', file], {timeoutMs: 600_000})
  const noop = (performance.now() - t) / 1000

  console.log(`resources: ${N} (stored ${count})`)
  console.log(`calicoctl apply -f (batched, one process): ${batched.toFixed(2)} s  ${(N / batched).toFixed(0)} resources/s`)
  console.log(`naive one-request-per-resource baseline:   ${naive.toFixed(2)} s  ${(N / naive).toFixed(0)} resources/s`)
  console.log(`speed-up vs baseline: ${(naive / batched).toFixed(1)}x`)
  console.log(`re-apply of unchanged file (no writes):     ${noop.toFixed(2)} s`)
} finally {
  await etcd.stop()
}
