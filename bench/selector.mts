// Selector parse + match throughput: 10,000 distinct selectors parsed once, then matched against
// a sample of 10,000 label sets, versus a naive baseline that re-parses the selector text for
// every match with a naive interpretive evaluator written here (tokenize + evaluate the text
// each time, no AST, no regexes; parseSelector itself caches by text, so calling it again per
// match would only measure the cache). Prints both and the ratios.
// Usage: node --import tsx bench/selector.mts [selectors=10000] [labelSets=10000] [pairs=200000]
import {parseSelector} from '../src/resources/selector.js'

export interface SelectorBench {
  selectors: number
  labelSets: number
  pairs: number
  parseMs: number
  matchMs: number
  naiveMs: number
  matched: number
  /** naive time / (our parse + match time), same pairs. */
  ratio: number
}

function selectorText(i: number): string {
  const k = (n: number) => `k${n % 50}`
  const v = (n: number) => `v${n % 20}`
  switch (i % 6) {
    case 0:
      return `${k(i)} == '${v(i)}' && has(${k(i + 7)}) && app != 'x${i}'`
    case 1:
      return `${k(i)} in {'${v(i)}', '${v(i + 1)}', 'z${i}'} || !has(${k(i + 3)})`
    case 2:
      return `(${k(i)} == '${v(i)}' || ${k(i + 1)} == '${v(i + 2)}') && tier${i % 7} not in {'a', 'b${i}'}`
    case 3:
      return `${k(i)} starts with '${v(i)}' && ${k(i + 2)} contains '1' && id != 'n${i}'`
    case 4:
      return `has(${k(i)}) && has(${k(i + 11)}) && !(${k(i + 5)} == 'q${i}')`
    default:
      return `all() && ${k(i)} ends with '${i % 10}' && id != 'm${i}'`
  }
}

function labelSet(j: number): Record<string, string> {
  const l: Record<string, string> = {app: `a${j % 100}`, id: `n${j}`}
  for (let t = 0; t < 8; t++) l[`k${(j * 7 + t * 13) % 50}`] = `v${(j + t) % 20}`
  l[`tier${j % 7}`] = j % 3 === 0 ? 'a' : 'c'
  return l
}

// ---- naive baseline: evaluates the selector text directly, re-tokenizing on every call.
const isWord = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_' || c === '.' || c === '/' || c === '-'
function tokens(text: string): string[] {
  const out: string[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === ' ') i++
    else if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1)
      out.push(`'${text.slice(i + 1, end)}`)
      i = end + 1
    } else if (isWord(c)) {
      let j = i
      while (j < text.length && isWord(text[j]!)) j++
      out.push(text.slice(i, j))
      i = j
    } else if ((c === '&' || c === '|' || c === '=' || c === '!') && (text[i + 1] === c || text[i + 1] === '=')) {
      out.push(text.slice(i, i + 2))
      i += 2
    } else {
      out.push(c)
      i++
    }
  }
  return out
}
export function naiveMatches(text: string, labels: Record<string, string>): boolean {
  const t = tokens(text)
  let p = 0
  const or = (): boolean => {
    let v = and()
    while (t[p] === '||') {
      p++
      const r = and()
      v = v || r
    }
    return v
  }
  const and = (): boolean => {
    let v = unary()
    while (t[p] === '&&') {
      p++
      const r = unary()
      v = v && r
    }
    return v
  }
  const set = (): string[] => {
    p++ // {
    const vals: string[] = []
    while (t[p] !== '}') {
      if (t[p] !== ',') vals.push(t[p]!.slice(1))
      p++
    }
    p++
    return vals
  }
  const unary = (): boolean => {
    const tok = t[p++]!
    if (tok === '!') return !unary()
    if (tok === '(') {
      const v = or()
      p++
      return v
    }
    if (tok === 'all') {
      p += 2
      return true
    }
    if (tok === 'has') {
      const k = t[p + 1]!
      p += 3
      return k in labels
    }
    const v = labels[tok]
    const op = t[p++]!
    if (op === '==') return v === t[p++]!.slice(1)
    if (op === '!=') return v !== t[p++]!.slice(1)
    if (op === 'in') {
      const vals = set()
      return v !== undefined && vals.includes(v)
    }
    if (op === 'not') {
      p++
      const vals = set()
      return v === undefined || !vals.includes(v)
    }
    if (op === 'starts' || op === 'ends') p++
    const arg = t[p++]!.slice(1)
    if (op === 'contains') return v?.includes(arg) === true
    if (op === 'starts') return v?.startsWith(arg) === true
    if (op === 'ends') return v?.endsWith(arg) === true
    throw new Error(`naive evaluator: unexpected ${op} in ${text}`)
  }
  return or()
}

export function selectorBench(nSel = 10_000, nLabels = 10_000, pairs = 200_000): SelectorBench {
  const texts = Array.from({length: nSel}, (_, i) => selectorText(i))
  if (new Set(texts).size !== nSel) throw new Error('selectors not distinct')
  const labels = Array.from({length: nLabels}, (_, j) => labelSet(j))
  // Sample of (selector, label set) pairs, deterministic.
  const si = new Uint32Array(pairs)
  const li = new Uint32Array(pairs)
  let seed = 12345
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0
    return seed
  }
  for (let p = 0; p < pairs; p++) {
    si[p] = rnd() % nSel
    li[p] = rnd() % nLabels
  }
  // Warm up the naive path (ours is warmed by nothing: its parse is what is measured).
  for (let p = 0; p < 2000; p++) naiveMatches(texts[si[p]!]!, labels[li[p]!]!)

  let t = performance.now()
  const parsed = texts.map((s) => parseSelector(s))
  const parseMs = performance.now() - t
  t = performance.now()
  let matched = 0
  for (let p = 0; p < pairs; p++) if (parsed[si[p]!]!.matches(labels[li[p]!]!)) matched++
  const matchMs = performance.now() - t
  // Naive: interpret the text per match, over the same pairs.
  t = performance.now()
  let naiveMatched = 0
  for (let p = 0; p < pairs; p++) if (naiveMatches(texts[si[p]!]!, labels[li[p]!]!)) naiveMatched++
  const naiveMs = performance.now() - t
  if (naiveMatched !== matched) throw new Error(`naive (${naiveMatched}) and parsed-once (${matched}) disagree`)
  return {selectors: nSel, labelSets: nLabels, pairs, parseMs, matchMs, naiveMs, matched, ratio: naiveMs / (parseMs + matchMs)}
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [a, b, c] = process.argv.slice(2).map(Number)
  const r = selectorBench(a || undefined, b || undefined, c || undefined)
  console.log(`parse ${r.selectors} distinct selectors: ${r.parseMs.toFixed(0)} ms (${((r.selectors * 1000) / r.parseMs).toFixed(0)}/s)`)
  console.log(`match ${r.pairs} (selector, labels) pairs from ${r.selectors} x ${r.labelSets}: ${r.matchMs.toFixed(0)} ms (${((r.pairs * 1000) / r.matchMs).toFixed(0)}/s), ${r.matched} matched`)
  console.log(`naive interpreter (re-tokenize per match), same pairs: ${r.naiveMs.toFixed(0)} ms (${((r.pairs * 1000) / r.naiveMs).toFixed(0)}/s)`)
  console.log(`match only vs naive: ${(r.naiveMs / r.matchMs).toFixed(1)}x faster; parse once + match vs naive: ${r.ratio.toFixed(2)}x`)
}
