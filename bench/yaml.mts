// YAML in-process, same run, interleaved (BENCH_REPEAT rounds, the order alternating each round;
// best of each, and the median of the rounds' ratios, which a busy machine disturbs least):
//  - reading: what `apply -f` does before any write (splitDocuments, resourceFromDoc,
//    defaultAndValidate) over BENCH_N mixed resources (bench/apply.mts's manifest), this tree
//    against another checkout's src (BENCH_BASELINE_SRC, e.g. /work/main/src), when given;
//  - writing: `get globalnetworkpolicies -o yaml` of BENCH_N policies (printResources' value):
//    our writer (src/output/yaml-emit.ts dumpYaml) against js-yaml's dump with the same options.
// Usage: node --import tsx bench/yaml.mts
import {performance} from 'node:perf_hooks'
import yaml from 'js-yaml'
import {outputDocument} from '../src/output/printers.js'
import {DUMP_OPTIONS, dumpYaml} from '../src/output/yaml-emit.js'
import * as ours from '../src/resources/manifest.js'
import {API_VERSION} from '../src/resources/types.js'
import {manifest} from './apply.mjs'

const N = Number(process.env.BENCH_N ?? 10_000)
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5)
const BASELINE = process.env.BENCH_BASELINE_SRC

type ManifestModule = typeof ours

function read(m: ManifestModule, text: string) {
  const docs = m.splitDocuments([{source: 'bench.yaml', text}])
  return docs.map((d) => {
    const {def, resource} = m.resourceFromDoc(d)
    return {def, resource: m.defaultAndValidate(def, resource)}
  })
}

function time(f: () => unknown): number {
  const t = performance.now()
  f()
  return performance.now() - t
}

interface Timing {
  best: Record<string, number>
  /** Median over rounds of each entry's time over the first entry's. */
  ratio: Record<string, number>
}

function measure(runs: Record<string, () => unknown>): Timing {
  const names = Object.keys(runs)
  const best: Record<string, number> = Object.fromEntries(names.map((k) => [k, Infinity]))
  const ratios: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]))
  for (let i = 0; i < REPEAT; i++) {
    const round: Record<string, number> = {}
    for (const k of i % 2 ? [...names].reverse() : names) round[k] = time(runs[k]!)
    for (const k of names) {
      best[k] = Math.min(best[k]!, round[k]!)
      ratios[k]!.push(round[k]! / round[names[0]!]!)
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  return {best, ratio: Object.fromEntries(names.map((k) => [k, median(ratios[k]!)]))}
}

const text = manifest(N)
const base: ManifestModule | undefined = BASELINE ? await import(`${BASELINE}/resources/manifest.ts`) : undefined
const reads = measure({ours: () => read(ours, text), ...(base ? {baseline: () => read(base, text)} : {})})
console.log(`read ${N} mixed resources: ${reads.best.ours!.toFixed(0)} ms best (${Math.round((N / reads.best.ours!) * 1000)}/s)`)
if (base)
  console.log(`  baseline ${BASELINE}: ${reads.best.baseline!.toFixed(0)} ms best (${Math.round((N / reads.best.baseline!) * 1000)}/s); ours/baseline time: best ${(reads.best.ours! / reads.best.baseline!).toFixed(2)}x, median of rounds ${(1 / reads.ratio.baseline!).toFixed(2)}x`)

const policies = read(ours, manifest(N, 'policies'))
const value = {apiVersion: API_VERSION, kind: 'GlobalNetworkPolicyList', items: policies.map((p) => outputDocument(p.def, p.resource)), metadata: {resourceVersion: '1'}}
console.log(`  the writers' texts are the same: ${dumpYaml(value) === yaml.dump(value, DUMP_OPTIONS)}`)
const writes = measure({dumpYaml: () => dumpYaml(value), jsYamlDump: () => yaml.dump(value, DUMP_OPTIONS)})
console.log(`write ${N} policies as YAML: dumpYaml ${writes.best.dumpYaml!.toFixed(0)} ms best, js-yaml dump ${writes.best.jsYamlDump!.toFixed(0)} ms best; dump/dumpYaml time: best ${(writes.best.jsYamlDump! / writes.best.dumpYaml!).toFixed(2)}x, median of rounds ${writes.ratio.jsYamlDump!.toFixed(2)}x`)
