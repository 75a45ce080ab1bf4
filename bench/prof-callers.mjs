// Who calls a hot function: `node bench/prof-callers.mjs PROFILE NAME` prints self time of
// functions named NAME by the nearest caller in our own code (dist/ or src/).
import {readFileSync} from 'node:fs'
const prof = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const name = process.argv[3]
const parent = new Map()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n)
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const dt = new Map()
for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0))
const acc = new Map()
for (const n of prof.nodes) {
  if (n.callFrame.functionName !== name) continue
  let p = parent.get(n.id)
  while (p && !/\/(dist|src)\//.test(p.callFrame.url)) p = parent.get(p.id)
  const key = p ? `${p.callFrame.functionName} ${p.callFrame.url.replace(/.*\/(dist|src)\//, '$1/')}:${p.callFrame.lineNumber}` : '?'
  const total = (function sum(x) { return (dt.get(x.id) ?? 0) + (x.children ?? []).reduce((s, c) => s + sum(byId.get(c)), 0) })(n)
  acc.set(key, (acc.get(key) ?? 0) + total / 1000)
}
for (const [k, v] of [...acc].sort((a, b) => b[1] - a[1])) console.log(`${v.toFixed(1).padStart(8)} ms  ${k}`)
