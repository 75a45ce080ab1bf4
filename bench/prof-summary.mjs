// Summarises a .cpuprofile: self time by package (or by file for our own code), top N.
import {readFileSync} from 'node:fs'
const prof = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const byFile = process.argv[3] === 'fn'
const self = new Map()
const dt = new Map()
for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0))
let total = 0
for (const n of prof.nodes) {
  const t = (dt.get(n.id) ?? 0) / 1000
  total += t
  const url = n.callFrame.url || `(${n.callFrame.functionName || 'native'})`
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  let key = m ? m[1] : url.replace(/^file:\/\/.*?\/(dist|src)\//, '$1/')
  if (byFile) key = `${n.callFrame.functionName || '(anon)'} ${key}:${n.callFrame.lineNumber}`
  self.set(key, (self.get(key) ?? 0) + t)
}
console.log(`total ${total.toFixed(0)} ms`)
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[4] ?? 25))) console.log(`${v.toFixed(1).padStart(8)} ms  ${k}`)
