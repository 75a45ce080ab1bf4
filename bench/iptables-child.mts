// Runs inside a bench namespace (`ip netns exec NS node --import tsx bench/iptables-child.mts
// MODE`), default runner (real iptables-nft-save/-restore and ipset in this namespace).
//   floor: plans the bench input against this (empty) namespace, loads the ipsets (untimed),
//          then times iptables-nft-restore --noflush on exactly the table scripts we would feed.
//   sync:  times render (buildDesiredState + plan against empty saves + planText) cold and again
//          (cached chains), first syncIptables, no-op syncIptables, a one-rule change, then the
//          stateful IptablesSyncer (primed by one read) for a one-rule change and a no-op, and
//          iptables-nft-restore of just the changed chain (old ↔ new text), all in this namespace.
// Prints JSON on stdout.
import {spawnSync} from 'node:child_process'
import {
  buildDesiredState,
  compileSelector,
  type IptablesInput,
  IptablesSyncer,
  iptablesBinaries,
  type PolicyInput,
  planAll,
  planIptables,
  planText,
  syncIptables,
} from '../src/dataplane/iptables/index.js'

const N_POLICIES = Number(process.env.BENCH_IPT_POLICIES ?? 1000)
const N_WEPS = Number(process.env.BENCH_IPT_WEPS ?? 500)

function policy(i: number, port = 8000 + (i % 1000)): PolicyInput {
  return {
    kind: 'GlobalNetworkPolicy',
    name: `bench-${i}`,
    spec: {
      order: i,
      selector: `app == 'a${i % 50}'`,
      types: ['Ingress', 'Egress'],
      ingress: [
        {action: 'Allow', protocol: 'TCP', source: {selector: `role == 'r${i % 20}'`}, destination: {ports: [port]}},
        {action: 'Allow', protocol: 'TCP', source: {nets: [`172.16.${i % 250}.0/24`]}, destination: {ports: [443, 8443]}},
        {action: 'Deny', protocol: 'UDP', destination: {ports: [53]}, source: {notNets: ['172.17.0.0/16']}},
        {action: 'Allow', protocol: 'ICMP'},
      ],
      egress: [{action: 'Allow', protocol: 'TCP', destination: {nets: [`172.18.${i % 250}.0/24`], ports: [5432]}}],
    } as PolicyInput['spec'],
  }
}

export function benchInput(): IptablesInput {
  return {
    nodeName: 'h1',
    tiers: [],
    policies: Array.from({length: N_POLICIES}, (_, i) => policy(i)),
    profiles: [{name: 'kns.default', spec: {ingress: [{action: 'Allow'}], egress: [{action: 'Allow'}]}}],
    workloadEndpoints: Array.from({length: N_WEPS}, (_, i) => ({
      name: `h1-k8s-pod${i}-eth0`,
      namespace: 'default',
      labels: {app: `a${i % 50}`, role: `r${i % 20}`},
      spec: {node: 'h1', interfaceName: `cali${i.toString(16).padStart(11, '0')}`, ipNetworks: [`10.65.${i >> 8}.${i & 255}/32`], profiles: ['kns.default']},
    })) as IptablesInput['workloadEndpoints'],
    hostEndpoints: [],
    networkSets: [],
    pools: [{cidr: '10.64.0.0/12', natOutgoing: true, ipipMode: 'Always', disabled: false}],
    allHostIPs: ['172.31.253.1', '172.31.253.2'],
    compileSelector,
  }
}

const restore = iptablesBinaries().restore
function runRestore(script: string): number {
  const t = performance.now()
  const r = spawnSync(restore, ['--noflush'], {input: script, encoding: 'utf8', maxBuffer: 1 << 28})
  if (r.status !== 0) throw new Error(`${restore} failed: ${r.stderr}`)
  return performance.now() - t
}

const mode = process.argv[2]
const input = benchInput()
if (mode === 'floor') {
  const plan = await planIptables(buildDesiredState(input))
  if (plan.ipsets.update) {
    const r = spawnSync('ipset', ['restore'], {input: plan.ipsets.update, encoding: 'utf8', maxBuffer: 1 << 28})
    if (r.status !== 0) throw new Error(`ipset restore failed: ${r.stderr}`)
  }
  let ms = 0
  let bytes = 0
  for (const t of plan.tables) {
    ms += runRestore(t.script)
    bytes += t.script.length
  }
  process.stdout.write(JSON.stringify({floorMs: ms, tables: plan.tables.map((t) => t.table), scriptBytes: bytes}))
} else {
  const empty = {raw: '', mangle: '', filter: '', nat: ''}
  let t = performance.now()
  const desired = buildDesiredState(input)
  const text = planText(planAll(desired, empty, ''))
  const renderMs = performance.now() - t
  // Same input again: policy/profile chains come from the render cache.
  t = performance.now()
  planText(planAll(buildDesiredState(input), empty, ''))
  const rerenderMs = performance.now() - t
  t = performance.now()
  const first = await syncIptables(input)
  const firstMs = performance.now() - t
  t = performance.now()
  const noop = await syncIptables(input)
  const noopMs = performance.now() - t
  // One-rule change: policy 7's first ingress rule gets another port.
  const changed = {...input, policies: input.policies.map((p, i) => (i === 7 ? policy(7, 9999) : p))}
  const chainsBefore = new Map(desired.tables.filter.chains.map((c) => [c.name, JSON.stringify(c.rules)]))
  const after = buildDesiredState(changed)
  const changedChains = after.tables.filter.chains.filter((c) => chainsBefore.get(c.name) !== JSON.stringify(c.rules)).map((c) => c.name)
  t = performance.now()
  const change = await syncIptables(changed)
  const changeMs = performance.now() - t
  // The stateful syncer, as `node run` keeps one: primed by one sync (reads the kernel, no-op),
  // then the same one-rule change back and a no-op, both planned from memory.
  const syncer = new IptablesSyncer()
  const prime = await syncer.sync(changed)
  if (prime.restoreCalls !== 0) throw new Error('syncer prime was not a no-op')
  t = performance.now()
  const sChange = await syncer.sync(input)
  const syncerChangeMs = performance.now() - t
  t = performance.now()
  const sNoop = await syncer.sync(input)
  const syncerNoopMs = performance.now() - t
  // Verify that memory matched the kernel: a verifying sync reads it and finds nothing to do.
  const verified = await syncer.sync(input, {verify: true})
  if (verified.restoreCalls !== 0 || verified.script !== '') throw new Error(`syncer memory diverged from the kernel:\n${verified.script.slice(0, 2000)}`)
  // Floor for the change: iptables-nft-restore of just the changed chain(s), both directions.
  const chainScript = (plan: ReturnType<typeof planAll>) => {
    const filter = plan.tables.find((x) => x.table === 'filter')?.script ?? ''
    const lines = filter.split('\n').filter((l) => changedChains.some((c) => l.startsWith(`:${c} `) || l.startsWith(`-A ${c} `)))
    return `*filter\n${lines.join('\n')}\nCOMMIT\n`
  }
  const oldChain = chainScript(planAll(desired, empty, ''))
  const newChain = chainScript(planAll(after, empty, ''))
  let chainMs = Number.POSITIVE_INFINITY
  for (let k = 0; k < 3; k++) {
    runRestore(oldChain)
    chainMs = Math.min(chainMs, runRestore(newChain))
  }
  process.stdout.write(
    JSON.stringify({
      renderMs,
      rerenderMs,
      syncerChangeMs,
      syncerChangeRestoreCalls: sChange.restoreCalls,
      syncerChangeReadKernel: sChange.readKernel,
      syncerChangeScriptBytes: sChange.script.length,
      syncerNoopMs,
      syncerNoopReadKernel: sNoop.readKernel,
      scriptBytes: text.length,
      firstMs,
      firstRestoreCalls: first.restoreCalls,
      noopMs,
      noopRestoreCalls: noop.restoreCalls,
      changeMs,
      changeRestoreCalls: change.restoreCalls,
      changeScriptBytes: change.script.length,
      changedChains,
      chainMs,
      chainScriptBytes: newChain.length,
    }),
  )
}
