// Bulk writes go to etcd as gRPC over node:http2 with hand-encoded protobuf (src/datastore/wire.ts,
// proto.ts). Against real etcds: the same calls through the JSON gateway and through gRPC store the
// same bytes and answer the same, errors read the same, auth and TLS work, and a bulk apply through
// the CLI stores exactly what the gateway path stores.
import assert from 'node:assert/strict'
import {execFileSync, type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {manifest} from '../../bench/apply.mjs'
import {GatewayError, GatewayKv, type GatewayOptions, type KvApi, type TxnRequest} from '../../src/datastore/gateway.js'
import {STATIC_TIERS} from '../../src/resources/kinds/tier.js'
import {GrpcWireKv} from '../../src/datastore/wire.js'
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

/** Both transports to the same endpoints; closed after use. */
function both(opts: Partial<GatewayOptions> & {endpoints: string[]}): {gateway: GatewayKv; wire: GrpcWireKv; close(): void} {
  const o = {timeoutMs: 5000, ...opts}
  const gateway = new GatewayKv(o)
  const wire = new GrpcWireKv(o)
  return {gateway, wire, close: () => [gateway, wire].forEach((k) => k.close())}
}

/** Every key under a prefix with its value bytes and create/mod revisions, through etcd3 (a third client). */
async function dump(prefix: string): Promise<Array<[string, string]>> {
  const kvs = await etcd.client.getAll().prefix(prefix).exec()
  return kvs.kvs.map((kv) => [kv.key.toString('hex'), kv.value.toString('hex')])
}

/** A transaction of creates for n keys under a prefix, values with UTF-8, quotes, NUL and 0xff bytes. */
function creates(prefix: string, n: number): TxnRequest {
  const keys = Array.from({length: n}, (_, i) => b(`${prefix}k-${String(i).padStart(4, '0')}`))
  return {
    compare: keys.map((key) => ({key, target: 'Version', result: 'Equal', version: 0})),
    success: keys.map((key, i) => ({request_put: {key, value: Buffer.concat([b(`{"n":${i},"s":"ünï \\"q\\" <&>"}`), b([0, 0xff, 0x80])])}})),
    failure: [],
  }
}

describe('the gateway and gRPC over http2, call for call', () => {
  for (const where of ['tcp', 'unix'] as const) {
    test(`${where}: creates, guarded updates, failures, deletes and paged reads store and answer the same`, async () => {
      await etcd.wipe()
      const {gateway, wire, close} = both({endpoints: [where === 'tcp' ? etcd.endpoint : etcd.unixEndpoint]})
      try {
        const answers: Record<'gateway' | 'wire', unknown[]> = {gateway: [], wire: []}
        for (const [name, kv] of [['gateway', gateway], ['wire', wire]] as const) {
          const p = `/w/${name}/`
          const out = answers[name]
          const made = await kv.txn(creates(p, 100))
          assert.equal(made.succeeded, true)
          assert.equal(made.responses.length, 100)
          // Revisions relative to the first write, so the two runs compare.
          const base = Number(made.header.revision)
          const rel = (r: string) => Number(r) - base
          // The same creates again: every guard fails; the failure branch reads one key back.
          const again = await kv.txn({...creates(p, 100), failure: [{request_range: {key: b(`${p}k-0007`)}}]})
          const back = again.responses[0]?.response_range?.kvs[0]
          out.push(['again', again.succeeded, back?.key.toString().slice(p.length), back?.value.toString('hex'), rel(back!.mod_revision), rel(back!.create_revision)])
          // An update guarded by the mod revision it read, then the same guard once more (stale).
          const key = b(`${p}k-0003`)
          const upd = await kv.txn({compare: [{key, target: 'Mod', result: 'Equal', mod_revision: String(base)}], success: [{request_put: {key, value: b('updated')}}], failure: []})
          const stale = await kv.txn({compare: [{key, target: 'Mod', result: 'Equal', mod_revision: String(base)}], success: [{request_put: {key, value: b('stale')}}], failure: [{request_range: {key}}]})
          out.push(['update', upd.succeeded, rel(upd.header.revision), stale.succeeded, stale.responses[0]?.response_range?.kvs[0]?.value.toString()])
          // A delete that returns what it deleted, and a range compare over the prefix.
          const del = await kv.txn({compare: [{key: b(`${p}k-0050`), target: 'Version', result: 'Greater', version: 0}], success: [{request_delete_range: {key: b(`${p}k-0050`), prev_kv: true}}], failure: []})
          const prev = del.responses[0]?.response_delete_range?.prev_kvs?.[0]
          out.push(['delete', del.succeeded, prev?.key.toString().slice(p.length), prev?.value.toString('hex'), rel(prev!.create_revision)])
          const ranged = await kv.txn({compare: [{key: b(p), range_end: b(`${p}\xff`), target: 'Mod', result: 'Less', mod_revision: String(base + 100)}], success: [], failure: []})
          out.push(['range compare', ranged.succeeded])
          // Paged reads: a limit, a range end, and a read at an older revision.
          const page = await kv.range({key: b(p), range_end: b(p.slice(0, -1) + '0'), limit: 30})
          const old = await kv.range({key: key})
          const atBase = await kv.range({key: key, revision: String(base)})
          const missing = await kv.range({key: b(`${p}none`)})
          out.push([
            'reads',
            page.more,
            page.kvs.length,
            page.kvs.map((kv) => [kv.key.toString().slice(p.length), kv.value.toString('hex'), rel(kv.mod_revision)]),
            old.kvs[0]?.value.toString(),
            atBase.kvs[0]?.value.toString('hex'),
            missing.kvs.length,
            missing.more,
          ])
        }
        assert.deepEqual(answers.wire, answers.gateway)
        const g = await dump('/w/gateway/')
        const w = await dump('/w/wire/')
        assert.equal(w.length, 99)
        assert.deepEqual(
          w.map(([k, v]) => [Buffer.from(k, 'hex').toString().replace('/w/wire/', ''), v]),
          g.map(([k, v]) => [Buffer.from(k, 'hex').toString().replace('/w/gateway/', ''), v]),
        )
      } finally {
        close()
      }
    })
  }

  test("etcd's refusals read the same: too many operations, a key twice, a bad range", async () => {
    const {gateway, wire, close} = both({endpoints: [etcd.endpoint]})
    try {
      const bad: TxnRequest[] = [
        creates('/w/too-many/', 129),
        {compare: [], success: [{request_put: {key: b('/w/dup'), value: b('1')}}, {request_put: {key: b('/w/dup'), value: b('2')}}], failure: []},
      ]
      for (const req of bad) {
        const errs: string[] = []
        for (const kv of [gateway, wire] as KvApi[]) {
          const e = await kv.txn(req).then(
            () => undefined,
            (error: unknown) => error,
          )
          assert.ok(e instanceof GatewayError, String(e))
          errs.push(e.message)
        }
        assert.equal(errs[1], errs[0])
        assert.match(errs[0]!, /^InvalidArgument: etcdserver: (too many operations|duplicate key)/)
      }
      const emptyKey = await wire.range({key: Buffer.alloc(0)}).catch((error: Error) => error.message)
      assert.equal(emptyKey, await gateway.range({key: Buffer.alloc(0)}).catch((error: Error) => error.message))
    } finally {
      close()
    }
  })

  test('a refused member is skipped for a write (nothing was sent); an unreachable one alone is Unavailable', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`
    const {wire, close} = both({endpoints: [dead, etcd.endpoint]})
    try {
      const r = await wire.txn({compare: [], success: [{request_put: {key: b('/w/failover'), value: b('x')}}], failure: []})
      assert.equal(r.succeeded, true)
      assert.equal(await etcd.client.get('/w/failover').string(), 'x')
    } finally {
      close()
    }
    const alone = both({endpoints: [dead]})
    try {
      const e = await alone.wire.txn({compare: [], success: [], failure: []}).catch((error: unknown) => error)
      assert.ok(e instanceof GatewayError && e.notSent, String(e))
      assert.match(e.message, /^Unavailable: connection refused/)
    } finally {
      alone.close()
    }
  })
})

describe('gRPC over http2 with auth and with TLS', () => {
  test('username and password: the token is fetched and sent; a wrong password is refused as on the gateway', async () => {
    const authed = await startEtcd()
    try {
      const ctl = (...a: string[]) => execFileSync('etcdctl', ['--endpoints', authed.endpoint, ...a], {env: {...process.env, ETCDCTL_API: '3'}, stdio: 'pipe'})
      ctl('user', 'add', 'root:Pw-0123')
      ctl('user', 'grant-role', 'root', 'root')
      ctl('auth', 'enable')
      const ok = both({endpoints: [authed.endpoint], auth: {username: 'root', password: 'Pw-0123'}})
      try {
        const r = await ok.wire.txn(creates('/w/auth/', 3))
        assert.equal(r.succeeded, true)
        assert.equal((await ok.gateway.range({key: b('/w/auth/k-0002')})).kvs.length, 1)
      } finally {
        ok.close()
      }
      const wrong = both({endpoints: [authed.endpoint], auth: {username: 'root', password: 'nope'}})
      try {
        const w = await wrong.wire.range({key: b('/w/auth/k-0002')}).catch((error: Error) => error.message)
        const g = await wrong.gateway.range({key: b('/w/auth/k-0002')}).catch((error: Error) => error.message)
        assert.equal(w, g)
        assert.match(w as string, /authentication failed/)
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
      const good = both({endpoints: [endpoint], tls: {ca: readFileSync(join(dir, 'ca.crt'))}})
      try {
        let r: Awaited<ReturnType<KvApi['txn']>> | undefined
        for (let i = 0; i < 100 && !r; i++) r = await good.wire.txn(creates('/w/tls/', 2)).catch(() => sleep(100).then(() => undefined))
        assert.equal(r?.succeeded, true)
        assert.deepEqual((await good.wire.range({key: b('/w/tls/k-0001')})).kvs[0]?.value, (await good.gateway.range({key: b('/w/tls/k-0001')})).kvs[0]?.value)
      } finally {
        good.close()
      }
      const other = both({endpoints: [endpoint], tls: {ca: readFileSync(join(dir, 'otherca.crt'))}})
      try {
        const e = await other.wire.range({key: b('/w/tls/k-0001')}).catch((error: Error) => error.message)
        assert.match(e as string, /certificate/)
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

  test('1,000 mixed resources created, then updated: gRPC stores exactly what the gateway stores', async () => {
    const run = cliFor(etcd.endpoint)
    const first = join(dir, 'mixed.yaml')
    writeFileSync(first, manifest(1000))
    // The same set with every resource changed (a label added), so the second apply updates all.
    const second = join(dir, 'mixed-2.yaml')
    writeFileSync(second, manifest(1000).replaceAll('bench: "yes"', 'bench: "yes", round: "2"'))
    const results: Record<string, Array<Map<string, string>>> = {}
    for (const transport of ['gateway', 'grpc-h2']) {
      await etcd.wipe()
      const env = {CALICOCTL_ETCD_TRANSPORT: transport === 'gateway' ? 'gateway' : undefined}
      const states: Array<Map<string, string>> = []
      for (const f of [first, second]) {
        const r = await run(['apply', '-f', f], {env, timeoutMs: 120_000})
        assert.equal(r.code, 0, r.stderr)
        assert.equal(r.stdout, 'Successfully applied 1000 resource(s)\n')
        states.push(await stored())
      }
      results[transport] = states
    }
    // The resources, plus what initialisation creates: Calico's own tiers and the cluster information.
    assert.equal(results['grpc-h2']![0]!.size, 1000 + Object.keys(STATIC_TIERS).length + 1)
    assert.deepEqual(results['grpc-h2'], results.gateway)
    assert.ok([...results.gateway![1]!.values()].filter((v) => v.includes('"round":"2"')).length === 1000)
  })
})
