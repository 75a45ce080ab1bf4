// Seeded randomness for tests: a failing sequence is replayed by its seed (print it).

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seed to use: TEST_SEED from the environment, else a fresh one. */
export function testSeed(): number {
  const env = Number(process.env.TEST_SEED)
  return Number.isInteger(env) && env > 0 ? env : 1 + Math.floor(Math.random() * 2 ** 31)
}
