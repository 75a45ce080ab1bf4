// The etcd transport (src/datastore/transport.ts, proto.ts): gRPC over node:http2 with
// hand-encoded protobuf. Against real etcds, checked through etcd3 (an independent client): the
// calls store the bytes given and answer as etcd means, etcd's refusals come back as typed
// errors, a refused member is skipped, auth and TLS work, and a bulk apply through the CLI
// (pipelined transactions) stores exactly what the same resources applied in single
// transactions store.
import assert from 'node:assert/strict'
import {execFileSync, type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {type AddressInfo, connect as connectTcp, createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {manifest} from '../../bench/apply.mjs'
import {EtcdClient, EtcdError, type EtcdOptions, type TxnRequest, type TxnResponse} from '../../src/datastore/transport.js'
import {STATIC_TIERS} from '../../src/resources/kinds/tier.js'
import {cliFor} from '../helpers/cli.js'
import {freePort, startEtcd, type TestEtcd} from '../helpers/etcd.js'

let etcd: TestEtcd
const dir = mkdtempSync(join(tmpdir(), 'ctl-wire-'))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

before(async () => {
  etcd = await startEtcd()
})
after(async () => {
  await etcd.stop()
  rmSync(dir, {recursive: true, force: true})
})

const b = (s: string | number[]) => (typeof s === 'string' ? Buffer.from(s) : Buffer.from(s))

function client(opts: Partial<EtcdOptions> & {endpoints: string[]}): EtcdClient {
  return new EtcdClient({timeoutMs: 5000, ...opts})
}

/** Every key under a prefix with its value bytes, through etcd3 (a third client). */
async function dump(prefix: string): Promise<Array<[string, string]>> {
  const kvs = await etcd.client.getAll().prefix(prefix).exec()
  return kvs.kvs.map((kv) => [kv.key.toString(), kv.value.toString('hex')])
}

const value = (i: number) => Buffer.concat([b(`{"n":${i},"s":"ünï \\"q\\" <&>"}`), b([0, 0xff, 0x80])])

/** A transaction of creates for n keys under a prefix, values with UTF-8, quotes, NUL and 0xff bytes. */
function creates(prefix: string, n: number): TxnRequest {
  const keys = Array.from({length: n}, (_, i) => b(`${prefix}k-${String(i).padStart(4, '0')}`))
  return {
    compare: keys.map((key) => ({key, target: 'Version', result: 'Equal', version: 0})),
    success: keys.map((key, i) => ({request_put: {key, value: value(i)}})),
    failure: [],
  }
}

describe('gRPC over http2, call for call', () => {
  for (const where of ['tcp', 'unix'] as const) {
    test(`${where}: creates, guarded updates, failures, deletes and paged reads store and answer as etcd means`, async () => {
      await etcd.wipe()
      const kv = client({endpoints: [where === 'tcp' ? etcd.endpoint : etcd.unixEndpoint]})
      try {
        const p = '/w/one/'
        const made = await kv.txn(creates(p, 100))
        assert.equal(made.succeeded, true)
        assert.equal(made.responses.length, 100)
        const base = Number(made.header.revision)
        // The same creates again: every guard fails; the failure branch reads one key back.
        const again = await kv.txn({...creates(p, 100), failure: [{request_range: {key: b(`${p}k-0007`)}}]})
        const back = again.responses[0]?.response_range?.kvs[0]
        assert.equal(again.succeeded, false)
        assert.equal(back?.key.toString(), `${p}k-0007`)
        assert.deepEqual(back?.value, value(7))
        assert.deepEqual([back?.mod_revision, back?.create_revision], [String(base), String(base)])
        // An update guarded by the mod revision it read, then the same guard once more (stale).
        const key = b(`${p}k-0003`)
        const upd = await kv.txn({compare: [{key, target: 'Mod', result: 'Equal', mod_revision: String(base)}], success: [{request_put: {key, value: b('updated')}}], failure: []})
        const stale = await kv.txn({compare: [{key, target: 'Mod', result: 'Equal', mod_revision: String(base)}], success: [{request_put: {key, value: b('stale')}}], failure: [{request_range: {key}}]})
        assert.deepEqual([upd.succeeded, upd.header.revision, stale.succeeded, stale.responses[0]?.response_range?.kvs[0]?.value.toString()], [true, String(base + 1), false, 'updated'])
        // A delete that returns what it deleted, and a range compare over the prefix.
        const del = await kv.txn({compare: [{key: b(`${p}k-0050`), target: 'Version', result: 'Greater', version: 0}], success: [{request_delete_range: {key: b(`${p}k-0050`), prev_kv: true}}], failure: []})
        const prev = del.responses[0]?.response_delete_range?.prev_kvs?.[0]
        assert.deepEqual([del.succeeded, prev?.key.toString(), prev?.create_revision], [true, `${p}k-0050`, String(base)])
        assert.deepEqual(prev?.value, value(50))
        const inRange = (rev: number) => kv.txn({compare: [{key: b(p), range_end: b(`${p}\xff`), target: 'Mod', result: 'Less', mod_revision: String(rev)}], success: [], failure: []})
        assert.equal((await inRange(base + 100)).succeeded, true)
        assert.equal((await inRange(base + 1)).succeeded, false)
        // Paged reads: a limit, a range end, and a read at an older revision.
        const page = await kv.range({key: b(p), range_end: b(`${p.slice(0, -1)}0`), limit: 30})
        assert.deepEqual([page.more, page.kvs.length, page.kvs[29]?.key.toString()], [true, 30, `${p}k-0029`])
        assert.equal((await kv.range({key})).kvs[0]?.value.toString(), 'updated')
        assert.deepEqual((await kv.range({key, revision: String(base)})).kvs[0]?.value, value(3))
        const missing = await kv.range({key: b(`${p}none`)})
        assert.deepEqual([missing.kvs.length, missing.more], [0, false])
        // What etcd holds, read by another client: the exact bytes.
        const stored = await dump(p)
        assert.equal(stored.length, 99)
        for (const [k, v] of stored) {
          const i = Number(k.slice(-4))
          assert.equal(v, i === 3 ? b('updated').toString('hex') : value(i).toString('hex'), k)
        }
      } finally {
        kv.close()
      }
    })
  }

  test("etcd's refusals are typed errors: too many operations, a key twice, an empty key", async () => {
    const kv = client({endpoints: [etcd.endpoint]})
    try {
      const bad: Array<[TxnRequest, string]> = [
        [creates('/w/too-many/', 129), 'etcdserver: too many operations in txn request'],
        [{compare: [], success: [{request_put: {key: b('/w/dup'), value: b('1')}}, {request_put: {key: b('/w/dup'), value: b('2')}}], failure: []}, 'etcdserver: duplicate key given in txn request'],
      ]
      for (const [req, desc] of bad) {
        const e = await kv.txn(req).then(
          (r: TxnResponse) => r,
          (error: unknown) => error,
        )
        assert.ok(e instanceof EtcdError, String(e))
        assert.equal(e.kind, 'rejected')
        assert.equal(e.etcd, desc)
        assert.deepEqual(e.attempts, [{endpoint: etcd.endpoint, did: desc}])
      }
      const empty = await kv.range({key: Buffer.alloc(0)}).catch((error: unknown) => error)
      assert.ok(empty instanceof EtcdError && empty.kind === 'rejected' && empty.etcd === 'etcdserver: key is not provided', String(empty))
    } finally {
      kv.close()
    }
  })

  test('calls made together on a fresh client share one connection', async () => {
    // A relay in front of etcd that counts the connections it is asked for.
    let connections = 0
    const upstream = new URL(etcd.endpoint)
    const relay = createServer((socket) => {
      connections++
      const out = connectTcp(Number(upstream.port), upstream.hostname)
      socket.pipe(out).pipe(socket)
      socket.on('error', () => out.destroy())
      out.on('error', () => socket.destroy())
    })
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r))
    const port = (relay.address() as AddressInfo).port
    const kv = client({endpoints: [`http://127.0.0.1:${port}`]})
    try {
      const answers = await Promise.all(Array.from({length: 8}, (_, i) => kv.range({key: b(`/wire-together/${i}`)})))
      assert.equal(answers.length, 8)
      assert.equal(connections, 1)
    } finally {
      kv.close()
      relay.close()
    }
  })

  test('a refused member is skipped for a write (nothing was sent); an unreachable one alone is unavailable', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`
    const kv = client({endpoints: [dead, etcd.endpoint]})
    try {
      const r = await kv.txn({compare: [], success: [{request_put: {key: b('/w/failover'), value: b('x')}}], failure: []})
      assert.equal(r.succeeded, true)
      assert.equal(await etcd.client.get('/w/failover').string(), 'x')
    } finally {
      kv.close()
    }
    const alone = client({endpoints: [dead]})
    try {
      const e = await alone.txn({compare: [], success: [], failure: []}).catch((error: unknown) => error)
      assert.ok(e instanceof EtcdError && e.notSent, String(e))
      assert.equal(e.kind, 'unavailable')
      assert.deepEqual(e.attempts, [{endpoint: dead, did: 'connection refused'}])
    } finally {
      alone.close()
    }
  })
})

describe('gRPC over http2 with auth and with TLS', () => {
  test('username and password: the token is fetched and sent, and fetched again when etcd forgets it; a wrong password is an auth error', async () => {
    const authed = await startEtcd()
    try {
      const ctl = (...a: string[]) => execFileSync('etcdctl', ['--endpoints', authed.endpoint, ...a], {env: {...process.env, ETCDCTL_API: '3'}, stdio: 'pipe'})
      ctl('user', 'add', 'root:Pw-0123')
      ctl('user', 'grant-role', 'root', 'root')
      ctl('auth', 'enable')
      const ok = client({endpoints: [authed.endpoint], auth: {username: 'root', password: 'Pw-0123'}})
      try {
        const r = await ok.txn(creates('/w/auth/', 3))
        assert.equal(r.succeeded, true)
        assert.equal((await ok.range({key: b('/w/auth/k-0002')})).kvs.length, 1)
        // etcd's simple tokens live in the member's memory: after a restart it no longer knows
        // ours, says so (invalid auth token), and the client authenticates again.
        const before = ok.members.token
        await authed.pause()
        await authed.resume()
        assert.equal((await ok.range({key: b('/w/auth/k-0001')})).kvs.length, 1)
        assert.notEqual(ok.members.token, before)
      } finally {
        ok.close()
      }
      const wrong = client({endpoints: [authed.endpoint], auth: {username: 'root', password: 'nope'}})
      try {
        const e = await wrong.range({key: b('/w/auth/k-0002')}).catch((error: unknown) => error)
        assert.ok(e instanceof EtcdError, String(e))
        assert.equal(e.kind, 'auth')
        assert.equal(e.etcd, 'etcdserver: authentication failed, invalid user ID or password')
      } finally {
        wrong.close()
      }
    } finally {
      await authed.stop()
    }
  })

  test('https: the server certificate is checked against the CA given', async () => {
    const ssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'ignore'})
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
    for (const ca of ['ca', 'otherca']) ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}`)
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext')
    const port = await freePort()
    const peer = await freePort()
    const endpoint = `https://127.0.0.1:${port}`
    const proc: ChildProcess = spawn(
      'etcd',
      ['--name', 'wtls', '--data-dir', join(dir, 'data'), '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
        '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
        '--initial-cluster', `wtls=http://127.0.0.1:${peer}`, '--cert-file', join(dir, 'server.crt'), '--key-file', join(dir, 'server.key'),
        '--logger', 'zap', '--log-level', 'error'],
      {cwd: dir, stdio: 'ignore', env: {PATH: process.env.PATH ?? '/usr/bin:/bin'}},
    )
    const {readFileSync} = await import('node:fs')
    try {
      const good = client({endpoints: [endpoint], tls: {ca: readFileSync(join(dir, 'ca.crt'))}})
      try {
        let r: TxnResponse | undefined
        for (let i = 0; i < 100 && !r; i++) r = await good.txn(creates('/w/tls/', 2)).catch(() => sleep(100).then(() => undefined))
        assert.equal(r?.succeeded, true)
        assert.deepEqual((await good.range({key: b('/w/tls/k-0001')})).kvs[0]?.value, value(1))
      } finally {
        good.close()
      }
      const other = client({endpoints: [endpoint], tls: {ca: readFileSync(join(dir, 'otherca.crt'))}})
      try {
        const e = await other.range({key: b('/w/tls/k-0001')}).catch((error: unknown) => error)
        assert.ok(e instanceof EtcdError, String(e))
        assert.equal(e.kind, 'tls')
        assert.match(e.message, /^the server's TLS certificate was not accepted: /)
      } finally {
        other.close()
      }
    } finally {
      proc.kill('SIGKILL')
    }
  })
})

describe('bulk apply through the CLI', () => {
  /** Stored resources with what differs between two runs (uid, creation time) taken out. */
  async function stored(): Promise<Map<string, string>> {
    const all = await etcd.client.getAll().prefix('/calico/resources/').strings()
    const out = new Map<string, string>()
    for (const [k, v] of Object.entries(all)) {
      const doc = JSON.parse(v)
      assert.match(doc.metadata.uid ?? 'no uid', /^[0-9a-f-]{36}$|^no uid$/)
      delete doc.metadata.uid
      delete doc.metadata.creationTimestamp
      delete doc.spec.clusterGUID
      out.set(k, JSON.stringify(doc))
    }
    return out
  }

  test('1,000 mixed resources created, then updated: pipelined transactions store exactly what one transaction per file stores', async () => {
    const run = cliFor(etcd.endpoint)
    const docs = (round: number) => {
      const text = manifest(1000)
      return round === 1 ? text : text.replaceAll('bench: "yes"', 'bench: "yes", round: "2"')
    }
    const results: Record<string, Array<Map<string, string>>> = {}
    for (const how of ['bulk', 'small']) {
      await etcd.wipe()
      const states: Array<Map<string, string>> = []
      for (const round of [1, 2]) {
        // bulk: one file of 1,000 (8 transactions, 4 in flight); small: 10 files of 100 (one each).
        const parts = how === 'bulk' ? [docs(round)] : chunk(docs(round).split('---\n'), 100).map((c) => c.join('---\n'))
        for (const [k, text] of parts.entries()) {
          const f = join(dir, `${how}-${round}-${k}.yaml`)
          writeFileSync(f, text)
          const r = await run(['apply', '-f', f], {timeoutMs: 120_000})
          assert.equal(r.code, 0, r.stderr)
          assert.equal(r.stdout, `Successfully applied ${how === 'bulk' ? 1000 : 100} resource(s)\n`)
        }
        states.push(await stored())
      }
      results[how] = states
    }
    // The resources, plus what initialisation creates: Calico's own tiers and the cluster information.
    assert.equal(results.bulk![0]!.size, 1000 + Object.keys(STATIC_TIERS).length + 1)
    assert.deepEqual(results.bulk, results.small)
    assert.ok([...results.bulk![1]!.values()].filter((v) => v.includes('"round":"2"')).length === 1000)
  })
})

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}
