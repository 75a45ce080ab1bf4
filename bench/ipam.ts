// IPAM throughput under contention: N allocators (own etcd clients) on K nodes, each assigning
// M addresses one at a time. Prints wall time and addresses per second; checks no duplicates.
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
  const ips = all.flat()
  const unique = new Set(ips).size
  console.log(`${allocators} allocators x ${per} on ${nodes} nodes: ${ips.length} addresses in ${ms.toFixed(0)} ms (${((ips.length * 1000) / ms).toFixed(0)}/s), duplicates: ${ips.length - unique}`)
  if (unique !== ips.length) process.exitCode = 1
} finally {
  for (const s of stores) s.close()
  await etcd.stop()
}
