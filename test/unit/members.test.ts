// The failover rule of the etcd transport (src/datastore/transport.ts, Members), the same for every call and the watch: the order
// members are tried in and the command's one time budget.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {EtcdError, Members} from '../../src/datastore/transport.js'

const A = 'http://127.0.0.1:1'
const B = 'http://127.0.0.1:2'
const C = 'http://127.0.0.1:3'
const noAnswer = new EtcdError('timeout', [{endpoint: A, did: 'no answer within 5s'}])
const refused = new EtcdError('unavailable', [{endpoint: A, did: 'connection refused'}], {notSent: true})

describe('Members', () => {
  it('starts at the member that answered last, in list order after it', () => {
    const m = new Members([A, B, C], 5000)
    assert.deepEqual(m.order(), [0, 1, 2])
    m.answered(1)
    assert.deepEqual(m.order(), [1, 2, 0])
  })

  it('a member that gave no answer is tried last until it answers again', () => {
    const m = new Members([A, B, C], 5000)
    m.failed(0, noAnswer, Date.now())
    assert.deepEqual(m.order(), [1, 2, 0])
    m.failed(1, refused, Date.now())
    // A refusal does not demote: it costs no time.
    assert.deepEqual(m.order(), [1, 2, 0])
    m.answered(0)
    assert.deepEqual(m.order(), [0, 1, 2])
  })

  it('the budget runs from the first failure, is shared by every call, and a success restores it', () => {
    const m = new Members([A, B], 5000)
    assert.equal(m.remaining(), 5000)
    const t0 = Date.now()
    m.failed(0, noAnswer, t0 - 4000)
    assert.ok(m.remaining() <= 1000 && m.remaining() > 0, String(m.remaining()))
    // A later failure does not restart the clock.
    m.failed(1, refused, t0)
    assert.ok(m.remaining() <= 1000)
    m.answered(1)
    assert.equal(m.remaining(), 5000)
  })

  it('a budget spent longer ago than another --timeout is forgotten (a long-running agent tries again)', () => {
    const m = new Members([A], 1000)
    const t0 = Date.now()
    m.failed(0, noAnswer, t0 - 1500)
    m.forgetStale(t0)
    assert.ok(m.remaining() <= 0, 'still spent within the command')
    m.forgetStale(t0 + 600)
    assert.equal(m.remaining(), 1000)
  })

  it('a member not yet heard from gets a share while others are untried; one that answered gets all', () => {
    const m = new Members([A, B, C], 6000)
    assert.equal(m.waitFor(0, 3), 2000)
    assert.equal(m.waitFor(2, 1), 6000)
    m.answered(0)
    assert.equal(m.waitFor(0, 3), 6000)
  })

  it('gives up naming every member and what it did', () => {
    const m = new Members([A, B, C], 2000)
    m.failed(0, refused, Date.now())
    m.failed(1, noAnswer, Date.now())
    m.failed(2, new EtcdError('no-leader', [{endpoint: C, did: 'no leader'}], {notSent: true}), Date.now())
    const e = m.giveUp(undefined)
    assert.equal(e.kind, 'unavailable')
    assert.deepEqual(e.attempts.map((a) => a.endpoint), [A, B, C])
    assert.equal(e.message, `${A} connection refused; ${B} no answer within 5s; ${C} no leader`)
  })
})
