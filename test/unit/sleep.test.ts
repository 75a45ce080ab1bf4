// The one pause (src/lib/sleep.ts): ends early on abort, never rejects.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {sleep} from '../../src/lib/sleep.js'

/** Hang guard (far above the milliseconds these take): fails instead of hanging the run. */
function guard<T>(p: Promise<T>, what: string): Promise<T | 'hung'> {
  let t: NodeJS.Timeout | undefined
  const hung = new Promise<'hung'>((resolve) => {
    t = setTimeout(() => resolve('hung'), 10_000)
  })
  return Promise.race([p, hung]).finally(() => clearTimeout(t)).then((v) => {
    assert.notEqual(v, 'hung', what)
    return v
  })
}

describe('sleep', () => {
  it('resolves once the time has passed', async () => {
    assert.equal(await guard(sleep(5), 'a short sleep'), undefined)
  })
  it('an hour-long sleep ends at once when its signal is already aborted, or is aborted later', async () => {
    assert.equal(await guard(sleep(3_600_000, AbortSignal.abort()), 'already aborted'), undefined)
    const ac = new AbortController()
    const p = sleep(3_600_000, ac.signal)
    ac.abort()
    assert.equal(await guard(p, 'aborted while sleeping'), undefined)
  })
})
