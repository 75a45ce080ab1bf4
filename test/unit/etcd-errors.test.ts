// The etcd transport's one error type (src/datastore/transport.ts): how gRPC statuses, etcd's
// error descriptions and a watch's cancel reason become an EtcdError kind, and which of them let
// a call move on to another member even for a write (notSent).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {cancelError, EtcdError, INVALID_TOKEN, statusError} from '../../src/datastore/transport.js'

const E = 'http://127.0.0.1:2379'

describe('EtcdError kinds', () => {
  it("reads etcd's own descriptions before the gRPC status", () => {
    const noLeader = statusError(E, 14, 'etcdserver: no leader', false)
    assert.deepEqual([noLeader.kind, noLeader.notSent, noLeader.message], ['no-leader', true, 'no leader'])
    const changed = statusError(E, 14, 'etcdserver: leader changed', false)
    assert.deepEqual([changed.kind, changed.notSent], ['unavailable', false])
    const compacted = statusError(E, 11, 'etcdserver: mvcc: required revision has been compacted', false)
    assert.equal(compacted.kind, 'compacted')
    const badPassword = statusError(E, 3, 'etcdserver: authentication failed, invalid user ID or password', false)
    assert.equal(badPassword.kind, 'auth')
    const tooMany = statusError(E, 3, 'etcdserver: too many operations in txn request', false)
    assert.deepEqual([tooMany.kind, tooMany.etcd], ['rejected', 'etcdserver: too many operations in txn request'])
  })

  it('falls back to the gRPC status for descriptions it does not know', () => {
    assert.equal(statusError(E, 14, 'something new', false).kind, 'unavailable')
    assert.equal(statusError(E, 4, 'context deadline exceeded', false).kind, 'timeout')
    assert.equal(statusError(E, 7, 'nope', false).kind, 'auth')
    assert.equal(statusError(E, 13, 'boom', false).kind, 'rejected')
    // Not connected yet: nothing was sent, whatever the status.
    assert.equal(statusError(E, 13, 'boom', true).notSent, true)
  })

  it("reads a watch's cancel reason as grpc-go formats a status, or etcd's bare description", () => {
    const token = cancelError(E, `rpc error: code = Unauthenticated desc = ${INVALID_TOKEN}`)
    assert.deepEqual([token.kind, token.etcd], ['auth', INVALID_TOKEN])
    assert.equal(cancelError(E, 'etcdserver: permission denied').kind, 'auth')
    assert.equal(cancelError(E, 'rpc error: code = Unavailable desc = etcdserver: no leader').kind, 'no-leader')
  })

  it('names one endpoint with what it did, or every endpoint tried', () => {
    assert.equal(new EtcdError('timeout', [{endpoint: E, did: 'no answer within 2s'}]).message, 'no answer within 2s')
    const all = new EtcdError('unavailable', [
      {endpoint: 'http://a:1', did: 'connection refused'},
      {endpoint: 'http://b:2', did: 'no leader'},
    ])
    assert.equal(all.message, 'http://a:1 connection refused; http://b:2 no leader')
  })
})
