// Seeded randomness for tests: a failing sequence can be replayed by its seed.

/** mulberry32: a small seeded generator. */
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

/** The seed from `envName` when set, else a fresh one; printed either way so a run can be replayed. */
export function testSeed(envName = 'TEST_SEED'): number {
  const given = process.env[envName]
  const seed = given ? Number(given) : Math.floor(Math.random() * 2 ** 31)
  console.log(`# seed ${seed} (replay with ${envName}=${seed})`)
  return seed
}
