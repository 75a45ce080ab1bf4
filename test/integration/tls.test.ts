// TLS and auth against a real etcd: certificates made here with openssl (CA, server, client, a
// second CA, an expired client and an expired server certificate). Connect OK with the right
// files; refuse a wrong CA, a missing or expired certificate with one clear line, never a hang.
// Username/password auth with `etcdctl auth enable`: right password works, wrong one is one
// line, and the password never shows in any output.
import assert from 'node:assert/strict'
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import type {WatchEvent} from '../../src/datastore/watch.js'
import {cli, cliFor} from '../helpers/cli.js'
import {freePort, startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {hangGuard} from '../helpers/time.js'

const dir = mkdtempSync(join(tmpdir(), 'ctl-tls-'))
const f = (n: string) => join(dir, n)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let faults = 0

async function waitUntil(what: string, probe: () => boolean): Promise<void> {
  const done = hangGuard(what, 60_000)
  while (!probe()) await sleep(50)
  done()
}

function ssl(...args: string[]): void {
  execFileSync('openssl', args, {cwd: dir, stdio: 'ignore'})
}

/** A CA, and leaf certificates signed by it (negative days make an already expired one). */
function makePki(): void {
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n')
  for (const ca of ['ca', 'otherca']) ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}`)
  const leaf = (name: string, cn: string, ext: string, days: string) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`)
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', days, '-extfile', ext)
  }
  leaf('server', 'localhost', 'server.ext', '2')
  leaf('client', 'client', 'client.ext', '2')
  leaf('expired-client', 'client', 'client.ext', '-1')
  leaf('expired-server', 'localhost', 'server.ext', '-1')
}

interface TlsEtcd {
  endpoint: string
  proc: ChildProcess
}

async function startTlsEtcd(name: string, serverCert: string): Promise<TlsEtcd> {
  const port = await freePort()
  const peer = await freePort()
  const endpoint = `https://127.0.0.1:${port}`
  const proc = spawn(
    'etcd',
    [
      '--name', name, '--data-dir', f(`data-${name}`),
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `${name}=http://127.0.0.1:${peer}`,
      '--cert-file', f(`${serverCert}.crt`), '--key-file', f(`${serverCert}.key`),
      '--client-cert-auth', '--trusted-ca-file', f('ca.crt'),
      '--logger', 'zap', '--log-level', 'error',
    ],
    {cwd: dir, stdio: 'ignore', env: {PATH: process.env.PATH ?? '/usr/bin:/bin'}},
  )
  // Ready when its port accepts connections (a TLS health probe needs the good cert, which the
  // expired-server instance does not have).
  const {connect} = await import('node:net')
  for (let i = 0; i < 150; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy()
        r(true)
      })
      s.on('error', () => r(false))
    })
    if (ok) return {endpoint, proc}
    await sleep(100)
  }
  throw new Error('TLS etcd did not start')
}

let good: TlsEtcd
let expiredServer: TlsEtcd

before(async () => {
  makePki()
  good = await startTlsEtcd('tls', 'server')
  expiredServer = await startTlsEtcd('tlsx', 'expired-server')
})
after(async () => {
  for (const e of [good, expiredServer]) e?.proc.kill('SIGKILL')
  await sleep(200)
  rmSync(dir, {recursive: true, force: true})
  console.log(`# faults injected in tls.test.ts: ${faults}`)
})

const POOL = 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: tls-pool}\nspec: {cidr: 10.77.0.0/16}\n'

function tlsEnv(endpoint: string, files: {ca?: string; cert?: string; key?: string}) {
  return {
    ETCD_ENDPOINTS: endpoint,
    DATASTORE_TYPE: 'etcdv3',
    CALICOCTL_CONFIG: '/nonexistent-default',
    ETCD_CA_CERT_FILE: files.ca ? f(files.ca) : undefined,
    ETCD_CERT_FILE: files.cert ? f(files.cert) : undefined,
    ETCD_KEY_FILE: files.key ? f(files.key) : undefined,
  }
}

async function refused(args: string[], env: Record<string, string | undefined>, reason: RegExp): Promise<void> {
  const done = hangGuard(`${args.join(' ')} with a 3 s timeout`, 30_000)
  const r = await cli([...args, '--timeout', '3s'], {env, timeoutMs: 60_000})
  done()
  faults++
  assert.equal(r.code, 1, r.stdout + r.stderr)
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, r.stderr)
  assert.match(lines[0]!, reason)
  assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+|<nil>/)
}

describe('etcd with TLS client certificates', () => {
  test('the right CA, certificate and key: create and read back', async () => {
    const env = tlsEnv(good.endpoint, {ca: 'ca.crt', cert: 'client.crt', key: 'client.key'})
    const c = await cli(['apply', '-f', '-'], {env, input: POOL})
    assert.equal(c.code, 0, c.stderr)
    const g = await cli(['get', 'ippools', '-o', 'yaml'], {env})
    assert.equal(g.code, 0, g.stderr)
    assert.match(g.stdout, /tls-pool/)
  })

  test('a watch over the same TLS connection settings delivers what is written', async () => {
    const ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [good.endpoint], timeoutMs: 5000, caCertFile: f('ca.crt'), certFile: f('client.crt'), keyFile: f('client.key')})
    const events: WatchEvent[] = []
    const w = await ds.watch(['/tls-watch/'], await ds.revision(), {onEvent: (e) => events.push(e), onLost: (e) => assert.fail(e.message)})
    try {
      await ds.write({type: 'create', key: '/tls-watch/a', value: 'x'})
      await waitUntil('the event (hang guard)', () => events.length === 1)
      assert.deepEqual([events[0]?.type, events[0]?.key, events[0]?.value], ['put', '/tls-watch/a', 'x'])
    } finally {
      w.close()
      ds.close()
    }
  })

  test('the same settings from a calicoctl.cfg file', async () => {
    const cfg = f('calicoctl.cfg')
    writeFileSync(
      cfg,
      `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: ${good.endpoint}\n  etcdCACertFile: ${f('ca.crt')}\n  etcdCertFile: ${f('client.crt')}\n  etcdKeyFile: ${f('client.key')}\n`,
    )
    const g = await cli(['get', 'ippools', '-o', 'yaml', '-c', cfg])
    assert.equal(g.code, 0, g.stderr)
    assert.match(g.stdout, /tls-pool/)
  })

  test('a CA that did not sign the server: refused, one line naming the certificate problem', async () => {
    await refused(['get', 'ippools'], tlsEnv(good.endpoint, {ca: 'otherca.crt', cert: 'client.crt', key: 'client.key'}), /cannot reach etcd at https:\/\/127\.0\.0\.1:\d+: the server's TLS certificate was not accepted: /)
  })

  test('no client certificate when the server requires one: refused, one line', async () => {
    await refused(['get', 'ippools'], tlsEnv(good.endpoint, {ca: 'ca.crt'}), /cannot reach etcd at https:\/\/127\.0\.0\.1:\d+: .*client certificate/)
  })

  test('an expired client certificate: refused, one line', async () => {
    await refused(['get', 'ippools'], tlsEnv(good.endpoint, {ca: 'ca.crt', cert: 'expired-client.crt', key: 'expired-client.key'}), /cannot reach etcd at https:\/\/127\.0\.0\.1:\d+: .*client certificate/)
  })

  test('an expired server certificate: refused, one line saying it expired', async () => {
    await refused(['get', 'ippools'], tlsEnv(expiredServer.endpoint, {ca: 'ca.crt', cert: 'client.crt', key: 'client.key'}), /cannot reach etcd at https:\/\/127\.0\.0\.1:\d+: the server's TLS certificate was not accepted: certificate has expired/)
  })

  test('a certificate and key that do not match: one line', async () => {
    await refused(['get', 'ippools'], tlsEnv(good.endpoint, {ca: 'ca.crt', cert: 'client.crt', key: 'server.key'}), /etcd|certificate|key/i)
  })

  test('a missing certificate file: one line naming the file', async () => {
    await refused(['get', 'ippools'], tlsEnv(good.endpoint, {ca: 'ca.crt', cert: 'nope.crt', key: 'client.key'}), /cannot read TLS file .*nope\.crt/)
  })

  test('plain http to a TLS port: refused within seconds, one line', async () => {
    await refused(['get', 'ippools'], tlsEnv(good.endpoint.replace('https', 'http'), {}), /cannot reach etcd at http:\/\/127\.0\.0\.1:\d+: /)
  })
})

describe('etcd with username/password auth', () => {
  let etcd: TestEtcd
  const PASSWORD = 'S3cr3t-Pa55-w0rd'
  before(async () => {
    etcd = await startEtcd()
    const ctl = (...a: string[]) => execFileSync('etcdctl', ['--endpoints', etcd.endpoint, ...a], {env: {...process.env, ETCDCTL_API: '3'}, stdio: 'pipe'})
    ctl('user', 'add', `root:${PASSWORD}`)
    ctl('user', 'grant-role', 'root', 'root')
    ctl('auth', 'enable')
  })
  after(async () => etcd.stop())

  const withAuth = (user?: string, password?: string) => ({ETCD_USERNAME: user, ETCD_PASSWORD: password})

  test('the right user and password: apply and get work, and the password is not echoed', async () => {
    const run = cliFor(etcd.endpoint)
    const a = await run(['apply', '-f', '-', '--log-level', 'debug'], {input: POOL, env: withAuth('root', PASSWORD)})
    assert.equal(a.code, 0, a.stderr)
    const g = await run(['get', 'ippools', '-o', 'yaml', '--log-level', 'debug'], {env: withAuth('root', PASSWORD)})
    assert.equal(g.code, 0, g.stderr)
    assert.match(g.stdout, /tls-pool/)
    for (const out of [a.stdout, a.stderr, g.stdout, g.stderr]) assert.ok(!out.includes(PASSWORD), 'password leaked')
  })

  test('a wrong password: one line, exit 1, neither password printed', async () => {
    const run = cliFor(etcd.endpoint)
    const done = hangGuard('a refused password', 30_000)
    const r = await run(['get', 'ippools', '--log-level', 'debug'], {env: withAuth('root', 'wrong-Pa55')})
    done()
    faults++
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /cannot reach etcd at .*(auth|unauthori[sz]ed|password)/i)
    assert.ok(!r.stderr.includes('wrong-Pa55') && !r.stderr.includes(PASSWORD))
  })

  test('no credentials when auth is on: one line, exit 1', async () => {
    const r = await cliFor(etcd.endpoint)(['get', 'ippools'])
    faults++
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /cannot reach etcd at .*(auth|permission|user name)/i)
  })

  test('a watch with user and password: events arrive, and after etcd restarts (forgetting the token) the watch authenticates again and resumes', async () => {
    const ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 2000, username: 'root', password: PASSWORD})
    const events: WatchEvent[] = []
    let back = 0
    const w = await ds.watch(['/auth-watch/'], await ds.revision(), {onEvent: (e) => events.push(e), onConnected: () => back++, onLost: (e) => assert.fail(e.message)})
    try {
      await ds.write({type: 'create', key: '/auth-watch/before', value: '1'})
      await waitUntil('the first event (hang guard)', () => events.length === 1)
      await etcd.pause()
      await etcd.resume()
      await waitUntil('the watch back after the restart (hang guard)', () => back > 0)
      await ds.write({type: 'create', key: '/auth-watch/after', value: '2'})
      await waitUntil('the event after the restart (hang guard)', () => events.length === 2)
      assert.deepEqual(
        events.map((e) => e.key),
        ['/auth-watch/before', '/auth-watch/after'],
      )
    } finally {
      w.close()
      ds.close()
    }
  })

  test('the password in a config file never appears in output, even on failure', async () => {
    const cfg = f('auth.cfg')
    writeFileSync(cfg, `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  etcdEndpoints: ${etcd.endpoint}\n  etcdUsername: root\n  etcdPassword: ${PASSWORD}\n`)
    const ok = await cli(['get', 'ippools', '-o', 'json', '-c', cfg])
    assert.equal(ok.code, 0, ok.stderr)
    const bad = await cli(['get', 'ippools', '-c', cfg, '--timeout', '1s'], {env: {}})
    for (const out of [ok.stdout, ok.stderr, bad.stdout, bad.stderr]) assert.ok(!out.includes(PASSWORD), 'password leaked')
  })
})
