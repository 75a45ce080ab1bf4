// Runs every benchmark, prints one table (what, ours, baseline, ratio, target, met?) and writes
// bench/results.json. Timings are best-of-N wall clock on a shared machine: the load average at
// start and end is recorded with them. Never asserts; the exit status is 0 unless a run broke.
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {cpus, loadavg, totalmem} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {bulk} from './apply.mjs'
import {agentStart} from './agent-start.mjs'
import {type BirdBench, birdBench} from './bird.mjs'
import {hostScale} from './host-scale.mjs'
import {type IdleBench, idleBench} from './idle.mjs'
import {type ModeSwitchBench, modeSwitchBench, summary} from './mode-switch.mjs'
import {type IptablesBench, iptablesBench} from './iptables.mjs'
import {type RoutesBench, routesBench} from './routes.mjs'
import {selectorBench} from './selector.mjs'
import {startup} from './startup.mjs'
import {type UmlSeedBench, umlSeedBench} from './uml-seed.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
interface Row {
  what: string
  ours: string
  baseline: string
  ratio: string
  target: string
  met: boolean | null
}
const rows: Row[] = []
const load0 = loadavg()
const started = Date.now()

const s = await startup()
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`
rows.push({what: 'version --client', ours: `${s.version.toFixed(0)} ms`, baseline: `node -e 0: ${s.node.toFixed(0)} ms`, ratio: x(s.version, s.node), target: '<= 2x', met: s.version / s.node <= 2})
rows.push({what: '--help (not a terminal)', ours: `${s.help.toFixed(0)} ms`, baseline: `node -e 0: ${s.node.toFixed(0)} ms`, ratio: x(s.help, s.node), target: '<= 2x', met: s.help / s.node <= 2})
rows.push({what: 'get ippools -o yaml', ours: `${s.get.toFixed(0)} ms`, baseline: `node -e 0: ${s.node.toFixed(0)} ms`, ratio: x(s.get, s.node), target: '<= 3x', met: s.get / s.node <= 3})

const b = await bulk()
const rate = b.n / b.applySeconds
const base = b.baselineN / b.baselineSeconds
rows.push({what: `apply -f ${b.n} mixed`, ours: `${rate.toFixed(0)}/s (${b.applySeconds.toFixed(2)} s)`, baseline: `1 req/resource: ${base.toFixed(0)}/s`, ratio: `${(rate / base).toFixed(1)}x`, target: '>= 5000/s and >= 10x', met: rate >= 5000 && rate / base >= 10})
rows.push({what: `re-apply unchanged ${b.n}`, ours: `${b.noopSeconds.toFixed(2)} s`, baseline: '-', ratio: '-', target: '-', met: null})
rows.push({what: `get gnp -o yaml (${b.getN})`, ours: `${b.getSeconds.toFixed(2)} s`, baseline: '-', ratio: '-', target: '< 2 s', met: b.getSeconds < 2})
const drate = b.n / b.deleteSeconds
const dbase = b.baselineN / b.deleteBaselineSeconds
rows.push({what: `delete -l ${b.n} policies`, ours: `${drate.toFixed(0)}/s (${b.deleteSeconds.toFixed(2)} s)`, baseline: `1 req/resource: ${dbase.toFixed(0)}/s`, ratio: `${(drate / dbase).toFixed(1)}x`, target: 'batched', met: drate / dbase >= 10})

const h = await hostScale()
rows.push({what: 'scale model: datastore write', ours: `${h.keys} keys ${h.populateSeconds.toFixed(1)} s`, baseline: '-', ratio: '-', target: '-', met: null})
h.passes.forEach((p, i) =>
  rows.push({what: `node apply --dry-run pass ${i + 1}`, ours: `${p.seconds.toFixed(2)} s, ${p.maxRssMB.toFixed(0)} MB RSS`, baseline: '-', ratio: '-', target: '< 300 MB', met: p.maxRssMB < 300}),
)
rows.push({what: 'scale model build in-process', ours: `${h.modelSeconds.toFixed(2)} s, heap in use ${h.modelHeapMB.toFixed(0)} MB`, baseline: '-', ratio: '-', target: '-', met: null})
if (h.nodeRun) {
  const n = h.nodeRun
  rows.push({what: `node run first pass (${n.bird ? 'BIRD' : '--no-bird'})`, ours: `${(n.firstPassMs / 1000).toFixed(1)} s`, baseline: '-', ratio: '-', target: '-', met: null})
  const react = (what: string, r: typeof n.policy, target?: number) =>
    rows.push({what: `node run: ${what} (debounce ${n.debounce})`, ours: `${r.ms} ms (pass ${r.passMs} ms)${r.runs && r.runs.length > 1 ? `, best of ${r.runs.length}` : ''}`, baseline: '-', ratio: '-', target: target ? `< ${target} ms` : '-', met: target ? r.ms < target : null})
  react('one policy change', n.policy, 200)
  react('one new remote node + block', n.newNode, 200)
  react('pool ipipMode -> Never', n.poolToNever)
  react('pool ipipMode -> Always', n.poolToAlways)
  rows.push({what: 'node run peak RSS (scale model)', ours: `${n.peakRssMB.toFixed(0)} MB (RSS after: ${n.rssMB.toFixed(0)} MB)`, baseline: '-', ratio: '-', target: '< 300 MB', met: n.peakRssMB < 300})
} else rows.push({what: 'node run (scale model)', ours: `skipped: ${h.nodeRunSkipped}`, baseline: '-', ratio: '-', target: '-', met: null})

// IPAM: one allocator alone, then 8 in parallel with their own clients, as it prints itself.
const ipamOut = execFileSync(process.execPath, ['--import', 'tsx', join(HERE, 'ipam.ts')], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
const [ipamSolo, ipamPar] = [...ipamOut.matchAll(/\((\d+)\/s/g)].map((m) => Number(m[1]))
rows.push({what: 'ipam: 1 allocator x 100', ours: `${ipamSolo ?? '?'}/s`, baseline: '-', ratio: '-', target: '-', met: null})
rows.push({
  what: 'ipam: 8 allocators x 100 (own clients)',
  ours: `${ipamPar ?? '?'}/s`,
  baseline: `1 allocator: ${ipamSolo ?? '?'}/s`,
  ratio: ipamSolo && ipamPar ? x(ipamPar, ipamSolo) : '-',
  target: 'no duplicates',
  met: /duplicates: 0/.test(ipamOut),
})

const sel = selectorBench()
rows.push({what: `selector: parse ${sel.selectors} distinct`, ours: `${sel.parseMs.toFixed(0)} ms (${((sel.selectors * 1000) / sel.parseMs).toFixed(0)}/s)`, baseline: '-', ratio: '-', target: '-', met: null})
rows.push({
  what: `selector: match ${sel.pairs} pairs`,
  ours: `${((sel.pairs * 1000) / sel.matchMs).toFixed(0)}/s`,
  baseline: `naive interpreter: ${((sel.pairs * 1000) / sel.naiveMs).toFixed(0)}/s`,
  ratio: x(sel.naiveMs, sel.matchMs),
  target: '-',
  met: null,
})
rows.push({what: 'selector: parse once + match', ours: `${(sel.parseMs + sel.matchMs).toFixed(0)} ms`, baseline: `naive: ${sel.naiveMs.toFixed(0)} ms`, ratio: x(sel.naiveMs, sel.parseMs + sel.matchMs), target: '-', met: null})

const bird: BirdBench = birdBench()
rows.push({
  what: `bird: render ${bird.nodes}-node mesh + ${bird.peers} peers`,
  ours: `${bird.renderMs.toFixed(0)} ms (${(bird.configBytes / 1024).toFixed(0)} KiB)`,
  baseline: `bird -p on it: ${bird.birdParseMs.toFixed(0)} ms`,
  ratio: x(bird.renderMs, bird.birdParseMs),
  target: '-',
  met: null,
})
rows.push({what: 'bird: bird -p -c of that config', ours: `${bird.birdParseMs.toFixed(0)} ms`, baseline: `no peers: ${bird.birdEmptyMs.toFixed(0)} ms`, ratio: x(bird.birdParseMs, bird.birdEmptyMs), target: '-', met: null})

// Root-only (network namespaces); a failure or missing root is a row, not a broken run.
let routes: RoutesBench | string
try {
  routes = await routesBench()
  rows.push({
    what: `routes: first apply ${routes.routes}`,
    ours: `${routes.firstMs.toFixed(0)} ms`,
    baseline: `1 ip process/route: ${routes.baselineMs.toFixed(0)} ms (from ${routes.baselineSample})`,
    ratio: x(routes.baselineMs, routes.firstMs),
    target: '>= 20x faster',
    met: routes.baselineMs / routes.firstMs >= 20,
  })
  rows.push({
    what: `routes: no-op apply ${routes.routes}`,
    ours: `${routes.noopMs.toFixed(0)} ms`,
    baseline: `first apply: ${routes.firstMs.toFixed(0)} ms`,
    ratio: `${((100 * routes.noopMs) / routes.firstMs).toFixed(1)}%`,
    target: '< 10%',
    met: routes.noopMs / routes.firstMs < 0.1,
  })
} catch (err) {
  routes = (err as Error).message
  rows.push({what: 'routes', ours: `not run: ${routes}`, baseline: '-', ratio: '-', target: '-', met: null})
}
let ipt: IptablesBench | string
try {
  ipt = await iptablesBench()
  rows.push({what: `iptables: render ${ipt.policies}x5 rules, ${ipt.weps} weps`, ours: `${ipt.renderMs.toFixed(0)} ms (${(ipt.scriptBytes / 1024).toFixed(0)} KiB)`, baseline: '-', ratio: '-', target: '-', met: null})
  rows.push({
    what: 'iptables: first apply',
    ours: `${ipt.firstMs.toFixed(0)} ms`,
    baseline: `nft-restore same text: ${ipt.floorMs.toFixed(0)} ms`,
    ratio: x(ipt.firstMs, ipt.floorMs),
    target: '<= 1.5x',
    met: ipt.firstMs / ipt.floorMs <= 1.5,
  })
  rows.push({what: 'iptables: no-op apply', ours: `${ipt.noopMs.toFixed(0)} ms`, baseline: `first apply: ${ipt.firstMs.toFixed(0)} ms`, ratio: x(ipt.noopMs, ipt.firstMs), target: '-', met: null})
  // node apply (one-shot, reads the whole kernel every time): informational.
  rows.push({
    what: 'iptables: one-rule change, one-shot',
    ours: `${ipt.changeMs.toFixed(0)} ms`,
    baseline: `nft-restore that chain: ${ipt.chainMs.toFixed(0)} ms`,
    ratio: x(ipt.changeMs, ipt.chainMs),
    target: '-',
    met: null,
  })
  // node run's IptablesSyncer: plans from memory and re-renders only what changed.
  for (const [what, ms, floorMs, baseline] of [
    ['one-rule change', ipt.syncerChangeMs, ipt.chainMs, 'nft-restore that chain'],
    ["one policy's selector", ipt.syncerSelector.ms, ipt.syncerSelector.floorMs, `restore its ${ipt.syncerSelector.chains} chains`],
    ['one new endpoint', ipt.syncerNewWep.ms, ipt.syncerNewWep.floorMs, `restore its ${ipt.syncerNewWep.chains} chains + ${ipt.syncerNewWep.sets} set`],
  ] as const) {
    rows.push({what: `iptables: ${what}, syncer`, ours: `${ms.toFixed(0)} ms`, baseline: `${baseline}: ${floorMs.toFixed(0)} ms`, ratio: x(ms, floorMs), target: '<= 2x', met: ms / floorMs <= 2})
  }
} catch (err) {
  ipt = (err as Error).message
  rows.push({what: 'iptables', ours: `not run: ${ipt}`, baseline: '-', ratio: '-', target: '-', met: null})
}

// The agent as a user starts it (#20): registration, first pass, `workload add`, against the previous build.
let agent: Awaited<ReturnType<typeof agentStart>> | string
try {
  agent = await agentStart()
  const a = agent
  for (const [what, k, target] of [
    ['node run: start -> Node registered', 'registeredMs', 1000],
    ['node run: start -> first pass done', 'firstPassMs', undefined],
    ['workload add (typed at node run start)', 'workloadAddMs', 1000],
    ['node run start -> workload added', 'workloadReadyMs', undefined],
  ] as const) {
    const prev = a.prev?.[k]
    rows.push({what, ours: `${a.ours[k]} ms`, baseline: prev === undefined ? '-' : `previous build: ${prev} ms`, ratio: prev === undefined ? '-' : x(a.ours[k], prev), target: target ? `< ${target} ms` : '-', met: target ? a.ours[k] < target : null})
  }
} catch (err) {
  agent = (err as Error).message
  rows.push({what: 'node run start / workload add', ours: `not run: ${agent}`, baseline: '-', ratio: '-', target: '-', met: null})
}

/** A root-only benchmark that may be skipped or fail: its rows, or one row saying why it did not run. */
async function optional<T extends object>(what: string, run: () => Promise<T | {skipped: string}>, toRows: (r: T) => Row[]): Promise<T | {skipped: string} | string> {
  const notRun = (why: string) => rows.push({what, ours: `not run: ${why}`, baseline: '-', ratio: '-', target: '-', met: null})
  try {
    const r = await run()
    if ('skipped' in r) notRun(r.skipped)
    else rows.push(...toRows(r))
    return r
  } catch (err) {
    notRun((err as Error).message)
    return (err as Error).message
  }
}

// An idle agent (issue #20): its CPU over a minute with nothing to do, against the previous build.
const idle = await optional('node run idle CPU', idleBench, ({ours, previous}: IdleBench) => {
  const why = (r: IdleBench['ours']) => ((r.passReasons ?? []).length > 0 ? ` (${r.passReasons.join('; ')})` : '')
  const fmt = (r: IdleBench['ours']) => `${r.cpuPercent.toFixed(2)}% (${r.withChildrenPercent.toFixed(2)}% with children), ${r.passes} passes${why(r)}`
  return [
    {
      what: `node run idle CPU (${ours.seconds} s, one core)`,
      ours: fmt(ours),
      baseline: previous ? `previous build: ${fmt(previous)}` : '-',
      ratio: previous && previous.withChildrenPercent > 0 ? x(ours.withChildrenPercent, previous.withChildrenPercent) : '-',
      target: '< 2%, no passes',
      met: ours.withChildrenPercent < 2 && ours.passes === 0,
    },
  ]
})

// The pool's ipipMode switch with two idle agents (patch start -> both kernels), against the previous build.
const modeSwitch = await optional('node run: mode switch, 2 idle agents', modeSwitchBench, (m: ModeSwitchBench) => {
  const ours = summary(m.ours)
  const prev = m.previous ? summary(m.previous) : undefined
  return (['toNever', 'toAlways'] as const).map((dir) => ({
    what: `node run: ipipMode ${dir === 'toNever' ? 'Always -> Never' : 'Never -> Always'}, 2 idle agents (median)`,
    ours: `${ours[dir]} ms (${m.ours[dir].join(', ')})`,
    baseline: prev && m.previous ? `previous build: ${prev[dir]} ms (${m.previous[dir].join(', ')})` : '-',
    ratio: prev ? x(ours[dir], prev[dir]) : '-',
    target: '< 3000 ms',
    met: ours[dir] < 3000,
  }))
})

// The same agent inside user-mode-linux (issue #20's goals are set there): the seed scenario,
// quiet and with two CPU burners, against the figures the previous results.json held.
const umlSeed = await optional('UML seed scenario', umlSeedBench, ({variants, previous}: UmlSeedBench) =>
  variants.flatMap((v) => {
    const p = previous?.find((q) => q.burners === v.burners)
    const where = `UML${v.burners ? `, ${v.burners} burners` : ''}`
    const ms = (what: string, k: 'registeredMs' | 'firstPassMs' | 'workloadAddMs' | 'toNeverMs' | 'toAlwaysMs', target?: number): Row => ({
      what: `${where}: ${what}`,
      ours: `${v[k]} ms`,
      baseline: p ? `previous figure: ${p[k]} ms` : '-',
      ratio: p ? x(v[k], p[k]) : '-',
      target: target ? `< ${target} ms` : '-',
      met: target ? v[k] < target : null,
    })
    return [
      ms('node run start -> Node registered (later host)', 'registeredMs', 5000),
      ms('node run start -> first pass done (later host)', 'firstPassMs'),
      ms('workload add typed at start (slower pod)', 'workloadAddMs', 5000),
      ms('ipipMode -> Never converged after the patch', 'toNeverMs', 3000),
      ms('ipipMode -> Always converged after the patch', 'toAlwaysMs', 3000),
      {
        what: `${where}: node run idle CPU (busier agent)`,
        ours: `${v.idleCpuPercent.toFixed(2)}% (${v.idleCpuWithChildrenPercent.toFixed(2)}% with children)`,
        baseline: p ? `previous figure: ${p.idleCpuWithChildrenPercent.toFixed(2)}% with children` : '-',
        ratio: p && p.idleCpuWithChildrenPercent > 0 ? x(v.idleCpuWithChildrenPercent, p.idleCpuWithChildrenPercent) : '-',
        target: '< 2%',
        met: v.idleCpuWithChildrenPercent < 2,
      },
    ]
  }),
)

const load1 = loadavg()
const header: Row = {what: 'what', ours: 'ours', baseline: 'baseline', ratio: 'ratio', target: 'target', met: null}
const cells = (r: Row) => [r.what, r.ours, r.baseline, r.ratio, r.target, r === header ? 'met?' : r.met === null ? '-' : r.met ? 'yes' : 'NO']
const all = [header, ...rows].map(cells)
const widths = all[0]!.map((_, i) => Math.max(...all.map((c) => c[i]!.length)))
const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`
const table = [line(all[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...all.slice(1).map(line)].join('\n')
const machine = `${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`
const loads = `load average ${load0.map((l) => l.toFixed(2)).join(' ')} at start, ${load1.map((l) => l.toFixed(2)).join(' ')} at end`
console.log(table)
console.log(`\n${machine}; ${loads}; ${((Date.now() - started) / 1000).toFixed(0)} s`)
writeFileSync(join(HERE, 'results.json'), `${JSON.stringify({date: new Date().toISOString(), machine, loadStart: load0, loadEnd: load1, startup: s, bulk: b, hostScale: h, ipam: ipamOut, selector: sel, bird, routes, iptables: ipt, agentStart: agent, idle, modeSwitch, umlSeed, rows}, null, 2)}\n`)
