// Every random choice in the tests comes from here, so a failure can be replayed. The run's seed
// is TEST_SEED (scripts/test.sh draws one per run and prints it); when unset, one is drawn now.
// Each use takes its own stream by name (rng('sigkill delays')), so adding random choices in one
// test does not shift another's. A test file that fails prints its seed on the way out:
//   TEST_SEED=N node --import tsx --test test/unit/x.test.ts     replays it
// fast-check properties take their seed from the same place (fcSeed) and print seed and path
// themselves when they fail.

function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new Error(`TEST_SEED must be an integer, not '${text}'`)
  return n >>> 0
}

/** The run's seed: TEST_SEED, or drawn at start. */
export const TEST_SEED: number = parseSeed(process.env.TEST_SEED) ?? Math.floor(Math.random() * 2 ** 31)

let announced = false
function announceOnFailure(): void {
  if (announced) return
  announced = true
  process.on('exit', (code) => {
    if (code !== 0 || (process.exitCode !== undefined && process.exitCode !== 0))
      process.stderr.write(`# random choices in this file came from TEST_SEED=${TEST_SEED}; replay: TEST_SEED=${TEST_SEED} node --import tsx --test <file>\n`)
  })
}

/** mulberry32: a small, fast generator with 32 bits of state; the same seed gives the same numbers. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** FNV-1a of the stream name mixed with the run's seed: each stream its own sequence. */
function streamSeed(stream: string): number {
  let h = 0x811c9dc5 ^ TEST_SEED
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193)
  return h >>> 0
}

export interface Random {
  /** A float in [0, 1). */
  (): number
  /** An integer in [0, n). */
  int(n: number): number
  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number
  pick<T>(xs: readonly T[]): T
}

/** A random stream derived from TEST_SEED and the stream's name. */
export function rng(stream: string): Random {
  announceOnFailure()
  const next = mulberry32(streamSeed(stream))
  const r = (() => next()) as Random
  r.int = (n) => Math.floor(next() * n)
  r.between = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  r.pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T
  return r
}

/** A fast-check seed from TEST_SEED, for fc.assert(..., {seed}) or fc.configureGlobal({seed}). */
export function fcSeed(stream = 'fast-check'): number {
  announceOnFailure()
  return streamSeed(stream) | 0
}
