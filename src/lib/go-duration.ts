// Go durations as Go's time package reads and writes them (time.ParseDuration,
// Duration.String), in nanoseconds as bigint: the one parser and printer for durations in
// manifests (FelixConfiguration, BGPConfiguration...) and in command-line flags (--timeout).

const UNIT_NS: Record<string, bigint> = {ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n}
const DURATION_PART = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y
const MAX_DURATION = (1n << 63n) - 1n

/** Go's time.ParseDuration; undefined when Go would refuse the text. */
export function parseGoDuration(text: string): bigint | undefined {
  let s = text
  let neg = false
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-'
    s = s.slice(1)
  }
  if (s === '0') return 0n
  if (s === '') return undefined
  let total = 0n
  let pos = 0
  while (pos < s.length) {
    DURATION_PART.lastIndex = pos
    const m = DURATION_PART.exec(s)
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) return undefined
    const unit = UNIT_NS[m[3]!]!
    const whole = m[1] === '' ? 0n : BigInt(m[1]!)
    const frac = m[2] ?? ''
    // Go keeps the fraction's precision by scaling; nanosecond resolution is all that survives.
    const fracNs = frac === '' ? 0n : (BigInt(frac) * unit) / 10n ** BigInt(frac.length)
    total += whole * unit + fracNs
    if (total > MAX_DURATION + (neg ? 1n : 0n)) return undefined
    pos = DURATION_PART.lastIndex
  }
  return neg ? -total : total
}

function fracText(v: bigint, digits: number): [string, bigint] {
  let frac = ''
  let printed = false
  let x = v
  for (let i = 0; i < digits; i++) {
    const d = x % 10n
    printed ||= d !== 0n
    if (printed) frac = `${d}${frac}`
    x /= 10n
  }
  return [printed ? `.${frac}` : '', x]
}

/** Go's time.Duration.String: `2m5s`, `1h0m0s`, `1.5s`, `500ms`, `0s`. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s'
  const neg = ns < 0n
  let u = neg ? -ns : ns
  let out: string
  if (u < 1_000_000_000n) {
    if (u < 1000n) out = `${u}ns`
    else if (u < 1_000_000n) {
      const [f, w] = fracText(u, 3)
      out = `${w}${f}µs`
    } else {
      const [f, w] = fracText(u, 6)
      out = `${w}${f}ms`
    }
  } else {
    const [f, secs] = fracText(u, 9)
    u = secs
    out = `${u % 60n}${f}s`
    u /= 60n
    if (u > 0n) {
      out = `${u % 60n}m${out}`
      u /= 60n
      if (u > 0n) out = `${u}h${out}`
    }
  }
  return neg ? `-${out}` : out
}
