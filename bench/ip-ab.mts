// A/B of the IP hot paths against another checkout of this project, in one process, alternated,
// CPU time (user + system) so the load of a shared machine moves both sides alike:
//  - the IP functions the planners and IPAM call per item (10,000 inputs x 10 per sample),
//  - iptables render (buildDesiredState + planAll against empty + planText; 1,000 policies x 5
//    rules, 500 endpoints; bench/iptables-input.mts), warm,
//  - the IptablesSyncer's one-rule, selector and back changes planned from memory (a runner
//    that executes nothing: no iptables is touched),
//  - the routes model + planner for 10,000 remote blocks and 500 workloads.
// Usage: node --import tsx bench/ip-ab.mts BASELINE_CHECKOUT [samples=15]
//   e.g. git worktree add --detach /tmp/base <commit> && ln -s $PWD/node_modules /tmp/base/
import {resolve} from 'node:path'
import {benchInput, policy} from './iptables-input.mjs'

const baseRoot = resolve(process.argv[2] ?? '')
const N = Number(process.argv[3] ?? 15)
if (!process.argv[2]) throw new Error('usage: bench/ip-ab.mts BASELINE_CHECKOUT [samples]')
const ourRoot = resolve(import.meta.dirname, '..')

async function load(root: string) {
  return {
    ipt: await import(`${root}/src/dataplane/iptables/index.ts`),
    iptModel: await import(`${root}/src/dataplane/iptables/model.ts`),
    validate: await import(`${root}/src/resources/validate.ts`),
    ipam: await import(`${root}/src/ipam/net.ts`),
    routesModel: await import(`${root}/src/dataplane/routes/model.ts`),
    routesPlanner: await import(`${root}/src/dataplane/routes/planner.ts`),
    routesTypes: await import(`${root}/src/dataplane/routes/types.ts`),
  }
}
type Tree = Awaited<ReturnType<typeof load>>
const trees: Record<'baseline' | 'ours', Tree> = {baseline: await load(baseRoot), ours: await load(ourRoot)}

const cpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number

/** Alternates the two sides N times (order flipped every sample); CPU ms of each sample. */
async function ab(name: string, run: (t: Tree, side: 'baseline' | 'ours') => unknown): Promise<void> {
  const res: Record<'baseline' | 'ours', number[]> = {baseline: [], ours: []}
  for (let i = 0; i < N; i++) {
    for (const side of i % 2 ? (['ours', 'baseline'] as const) : (['baseline', 'ours'] as const)) {
      const t0 = cpu()
      await run(trees[side], side)
      res[side].push(cpu() - t0)
    }
  }
  const b = res.baseline
  const o = res.ours
  console.log(
    `${name}: baseline best ${Math.min(...b).toFixed(1)} ms, median ${median(b).toFixed(1)} | ours best ${Math.min(...o).toFixed(1)} ms, median ${median(o).toFixed(1)} | ours/baseline best ${(Math.min(...o) / Math.min(...b)).toFixed(2)}, median ${(median(o) / median(b)).toFixed(2)}`,
  )
}

const inputs = Array.from({length: 10000}, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${i % 7}${i % 3 ? '/26' : ''}`)
const cidrs = inputs.map((s) => (s.includes('/') ? s : `${s}/32`))
const addrs = inputs.map((s) => s.split('/')[0] as string)
const v6 = Array.from({length: 10000}, (_, i) => `fd00:${i.toString(16)}::${i % 5}/64`)
const times = (k: number, f: () => unknown) => {
  for (let j = 0; j < k; j++) f()
}
await ab('iptables canonicalV4, 100k', (t) => times(10, () => inputs.map(t.iptModel.canonicalV4)))
await ab('validate parseCidr IPv4, 100k', (t) => times(10, () => cidrs.map(t.validate.parseCidr)))
await ab('validate parseCidr IPv6, 100k', (t) => times(10, () => v6.map(t.validate.parseCidr)))
await ab('ipam parseCidr4, 100k', (t) => times(10, () => cidrs.map((c) => t.ipam.parseCidr4(c))))
await ab('ipam parseIp4, 100k', (t) => times(10, () => addrs.map((a) => t.ipam.parseIp4(a))))
await ab('routes sortByCidr of 10k, x10', (t) => times(10, () => t.routesTypes.sortByCidr([...cidrs].reverse(), (x: string) => x)))

const iptInput = (t: Tree) => ({...benchInput(), compileSelector: t.ipt.compileSelector})
const empty = {raw: '', mangle: '', filter: '', nat: ''}
await ab('iptables render (warm)', (t) => t.ipt.planText(t.ipt.planAll(t.ipt.buildDesiredState(iptInput(t)), empty, '')))

// Nothing runs: every command "succeeds" with empty output.
const runner = async () => ({stdout: '', stderr: '', exitCode: 0})
const syncers: Record<string, {syncer: any; a: any; b: any; c: any}> = {}
for (const side of ['baseline', 'ours'] as const) {
  const t = trees[side]
  const a = iptInput(t)
  const b = {...a, policies: a.policies.map((p, i) => (i === 7 ? policy(7, 9999) : p))}
  const c = {...a, policies: a.policies.map((p, i) => (i === 7 ? {...p, spec: {...p.spec, selector: "app == 'a8'"}} : p))}
  const syncer = new t.ipt.IptablesSyncer()
  await syncer.sync(a, {runner, backend: 'nft'})
  syncers[side] = {syncer, a, b, c}
}
await ab('IptablesSyncer one-rule + selector + back, from memory', async (_t, side) => {
  const s = syncers[side] as {syncer: any; a: any; b: any; c: any}
  await s.syncer.sync(s.b, {runner, backend: 'nft'})
  await s.syncer.sync(s.c, {runner, backend: 'nft'})
  await s.syncer.sync(s.a, {runner, backend: 'nft'})
})

const routeInput = {
  nodeName: 'n0',
  hostInterface: 'eth0',
  nodeIPv4: '198.51.100.1/24',
  pools: [{name: 'p', cidr: '10.0.0.0/8', ipipMode: 'Always', vxlanMode: 'Never', disabled: false, blockSize: 26}],
  blocks: Array.from({length: 10000}, (_, i) => ({cidr: `10.${(i >> 10) & 255}.${(i >> 2) & 255}.${(i & 3) * 64}/26`, affinityNode: `n${(i % 200) + 1}`})),
  nodes: Array.from({length: 201}, (_, i) => ({name: `n${i}`, ipv4Address: `198.51.${100 + (i >> 8)}.${i & 255 || 1}/24`})),
  workloads: Array.from({length: 500}, (_, i) => ({ip: `10.200.${i >> 8}.${i & 255}`, interfaceName: `cali${i}`})),
}
await ab('routes model + plan (10,000 blocks, 500 workloads) + no-op plan', (t) => {
  const want = t.routesModel.desiredRoutes(routeInput)
  if (t.routesPlanner.planRoutes(want, []).length !== want.length || t.routesPlanner.planRoutes(want, want).length !== 0) throw new Error('unexpected plan')
})
