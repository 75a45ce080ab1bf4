// IPAM throughput: first one allocator alone (one etcd client) assigning M addresses one at a
// time, then N allocators in parallel (each its own etcd client, one Node process) on K nodes,
// each assigning M. Prints assignments per second for both (the single one is the baseline for
// the parallel ratio) and checks no duplicates across everything.
// Usage: node --import tsx bench/ipam.ts [allocators=8] [perAllocator=100] [nodes=4]
import {EtcdDatastore} from '../src/datastore/etcd.js'
import {Ipam, type IpamPool} from '../src/ipam/index.js'
import {startEtcd} from '../test/helpers/etcd.js'

const [allocators = 8, per = 100, nodes = 4] = process.argv.slice(2).map(Number)
const pool: IpamPool = {name: 'bench', cidr: '10.0.0.0/12', blockSize: 26, disabled: false, nodeSelector: 'all()', ipipMode: 'Always', vxlanMode: 'Never'}

const etcd = await startEtcd()
const stores = await Promise.all(
  Array.from({length: allocators}, () => EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 10_000} as any)),
)
try {
  const soloStarted = process.hrtime.bigint()
  const solo: string[] = []
  {
    const ipam = new Ipam(stores[0]!, {maxRetries: 1000})
    for (let k = 0; k < per; k++) solo.push(...(await ipam.autoAssign({node: 'solo', num: 1, handleId: `solo-${k}`, pools: [pool]})).ips)
  }
  const soloMs = Number(process.hrtime.bigint() - soloStarted) / 1e6
  const soloRate = (solo.length * 1000) / soloMs
  console.log(`1 allocator x ${per}: ${solo.length} addresses in ${soloMs.toFixed(0)} ms (${soloRate.toFixed(0)}/s)`)
  const started = process.hrtime.bigint()
  const all = await Promise.all(
    stores.map(async (ds, i) => {
      const ipam = new Ipam(ds, {maxRetries: 1000})
      const node = `node${i % nodes}`
      const got: string[] = []
      for (let k = 0; k < per; k++) got.push(...(await ipam.autoAssign({node, num: 1, handleId: `bench-${i}-${k}`, pools: [pool]})).ips)
      return got
    }),
  )
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  const ips = [...solo, ...all.flat()]
  const unique = new Set(ips).size
  const rate = ((ips.length - solo.length) * 1000) / ms
  console.log(
    `${allocators} allocators x ${per} on ${nodes} nodes (own clients): ${ips.length - solo.length} addresses in ${ms.toFixed(0)} ms (${rate.toFixed(0)}/s, ${(rate / soloRate).toFixed(2)}x one allocator), duplicates: ${ips.length - unique}`,
  )
  if (unique !== ips.length) process.exitCode = 1
} finally {
  for (const s of stores) s.close()
  await etcd.stop()
}
