// `cluster diags` against a real etcd: the tarball is unpacked again and read back, part by part,
// and nothing secret may be in it. Upstream: calicoctl/calicoctl/commands/cluster/diags.go
// (v3.32.1): options --since (validated: ^[0-9]+[smh]$), --max-logs (not negative),
// --max-parallelism, --focus-nodes, --skip-temp-dir-cleanup, -c, --allow-version-mismatch; the
// archive is calico-diagnostics-YYYYMMDD_HHMMSS.tar.gz (UTC) in the current directory.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {Ipam} from '../../src/ipam/index.js'
import {nodeStatusKey} from '../../src/node/node-status-key.js'
import {KINDS, kindByName} from '../../src/resources/registry.js'
import {connectionSummary, REDACTED, redactFields, redactUrl, utcStamp} from '../../src/service/cluster-diags.js'
import {readPool} from '../../src/resources/kinds/ippool.js'
import {type CliOptions, cli} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

const dir = mkdtempSync(join(tmpdir(), 'ctl-cdiags-'))
const ETCD_PASSWORD = 'etcd-pw-must-not-leak-4711'
let etcd: TestEtcd
let ds: EtcdDatastore
let cfgFile: string

const run = (args: string[], opts: CliOptions = {}) => cli([...args, '-c', cfgFile], opts)

/** Unpacks the one archive in `where` and returns its directory. */
function unpack(where: string): {root: string; archive: string} {
  const archives = readdirSync(where).filter((f) => f.endsWith('.tar.gz'))
  assert.equal(archives.length, 1, `one archive in ${where}: ${archives.join(', ')}`)
  const archive = archives[0]!
  assert.match(archive, /^calico-diagnostics-\d{8}_\d{6}\.tar\.gz$/)
  const out = mkdtempSync(join(dir, 'unpacked-'))
  execFileSync('tar', ['-xzf', join(where, archive), '-C', out])
  const [top, ...rest] = readdirSync(out)
  assert.equal(rest.length, 0)
  assert.equal(top, archive.replace(/\.tar\.gz$/, ''))
  return {root: join(out, top!), archive}
}

function walk(root: string, rel = ''): string[] {
  return readdirSync(join(root, rel), {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? walk(root, join(rel, e.name)) : [join(rel, e.name)]))
}

before(async () => {
  etcd = await startEtcd()
  ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 5000} as any)
  // A config file carrying a password (without a user name it is read but never sent: this etcd
  // has no auth); it must stay out of the archive.
  cfgFile = join(dir, 'calicoctl.cfg')
  writeFileSync(
    cfgFile,
    `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: ${etcd.endpoint}\n  etcdPassword: ${ETCD_PASSWORD}\n`,
  )
  const store = new ResourceStore(ds)
  const manifest = join(dir, 'm.yaml')
  writeFileSync(
    manifest,
    `apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool-d}
spec: {cidr: 10.77.0.0/16, blockSize: 26, ipipMode: Always}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: secret-peer}
spec:
  peerIP: 192.0.2.44
  asNumber: 64600
  password:
    secretKeyRef: {name: bgp-secrets-name-xyz, key: peer-password-key-xyz}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: docs}
spec: {nets: [198.51.100.0/24]}
`,
  )
  const r = await cli(['apply', '-f', manifest], {env: {ETCD_ENDPOINTS: etcd.endpoint, CALICOCTL_CONFIG: '/nonexistent'}})
  assert.equal(r.code, 0, r.stderr)
  // ClusterInformation as the host agent writes it on first start (calicoctl may leave it unset).
  const ciDef = kindByName('ClusterInformation')!
  if (!(await store.get(ciDef, 'default')))
    await store.createMany([{def: ciDef, resource: store.prepareCreate(ciDef, {apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: {name: 'default'}, spec: {clusterGUID: '0123456789abcdef0123456789abcdef', clusterType: 'etcd,bgp', datastoreReady: true}})}])
  const pool = await store.get(kindByName('IPPool')!, 'pool-d')
  await new Ipam(ds).autoAssign({node: 'node-a', num: 3, handleId: 'k8s-pod-network.ccc', attrs: {node: 'node-a'}, pools: [readPool(pool!)]})
  await etcd.client.put(nodeStatusKey('node-a')).value(JSON.stringify({node: 'node-a', state: 'running', revision: '7', result: 'ok'}))
})
after(async () => {
  ds.close()
  await etcd.stop()
  rmSync(dir, {recursive: true, force: true})
})

describe('cluster diags redaction helpers', () => {
  test('secret-named fields, URL user info and connection credentials are redacted; the rest is kept', () => {
    const peer = {spec: {peerIP: '192.0.2.1', password: {secretKeyRef: {name: 'n', key: 'k'}}, keepOriginalNextHop: true}, items: [{token: 't', name: 'x'}]}
    assert.deepEqual(redactFields(peer), {spec: {peerIP: '192.0.2.1', password: REDACTED, keepOriginalNextHop: true}, items: [{token: REDACTED, name: 'x'}]})
    assert.equal(redactUrl('https://user:pw@192.0.2.5:2379'), `https://${REDACTED}@192.0.2.5:2379`)
    assert.equal(redactUrl('http://192.0.2.5:2379'), 'http://192.0.2.5:2379')
    const c = connectionSummary({datastoreType: 'etcdv3', endpoints: ['https://u:p@192.0.2.5:2379'], username: 'u', password: 'p', key: 'PEM', cert: 'PEM', caCertFile: '/etc/ca.pem', timeoutMs: 5000})
    assert.ok(!JSON.stringify(c).includes('PEM') && !/"[up]"/.test(JSON.stringify(c)), JSON.stringify(c))
    assert.equal(c.etcdCACertFile, '/etc/ca.pem')
    assert.equal(utcStamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), '20260102_030405')
  })
})

describe('cluster diags', () => {
  test('collects every part into a tarball in the current directory, secrets redacted', async () => {
    const cwd = join(dir, 'cwd')
    mkdirSync(cwd)
    const r = await new Promise<{code: number; stdout: string; stderr: string}>((resolve) => {
      // The CLI's working directory is where the archive goes.
      const {execFile} = process.getBuiltinModule('node:child_process')
      execFile(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'run.js'), 'cluster', 'diags', '-c', cfgFile], {cwd, env: {...process.env, NO_COLOR: '1'}}, (err, stdout, stderr) =>
        resolve({code: err ? Number((err as any).code ?? 1) : 0, stdout, stderr}),
      )
    })
    assert.equal(r.code, 0, r.stderr)
    // A progress line per part, then where the archive is.
    for (const part of ['versions', 'etcd member list', 'Calico resources', 'IPAM blocks', 'node status'])
      assert.match(r.stdout, new RegExp(`^Collecting ${part}.*\\.\\.\\.$`, 'm'), part)
    assert.match(r.stdout, /^Diagnostic bundle created at .*calico-diagnostics-\d{8}_\d{6}\.tar\.gz$/m)
    // The temporary directory is cleaned up unless asked otherwise.
    const temp = /^Created temporary directory: (.*)$/m.exec(r.stdout)?.[1]
    assert.ok(temp && !existsSync(temp), 'temp dir removed')

    const {root} = unpack(cwd)
    const files = walk(root).sort()
    for (const def of KINDS) assert.ok(files.includes(`resources/${def.plural}.yaml`), `resources/${def.plural}.yaml`)
    for (const f of ['cluster/version.txt', 'cluster/connection.yaml', 'etcd/members.yaml', 'etcd/endpoint-status.yaml', 'ipam/blocks.json', 'ipam/affinities.json', 'ipam/handles.json', 'ipam/config.json', 'ipam/show-blocks.txt', 'nodes/status.json'])
      assert.ok(files.includes(f), f)
    const read = (f: string) => readFileSync(join(root, f), 'utf8')

    assert.match(read('cluster/version.txt'), /^Client Version: +v\d/m)
    assert.match(read('cluster/version.txt'), /^Cluster GUID: +[0-9a-f]{32}$/m)
    assert.match(read('resources/ippools.yaml'), /cidr: 10\.77\.0\.0\/16/)
    assert.match(read('resources/bgppeers.yaml'), /peerIP: 192\.0\.2\.44/)
    assert.match(read('resources/bgppeers.yaml'), /password: <redacted>/)
    const blocks = JSON.parse(read('ipam/blocks.json')) as Array<{key: string; value: {cidr: string; allocations: unknown[]}}>
    assert.deepEqual(blocks.map((b) => b.key), ['/calico/ipam/v2/assignment/ipv4/block/10.77.0.0-26'])
    assert.equal(blocks[0]!.value.allocations.filter((a) => a !== null).length, 3)
    assert.match(read('ipam/affinities.json'), /\/calico\/ipam\/v2\/host\/node-a\/ipv4\/block\/10\.77\.0\.0-26/)
    assert.match(read('ipam/handles.json'), /k8s-pod-network\.ccc/)
    assert.match(read('ipam/show-blocks.txt'), /10\.77\.0\.0\/26/)
    assert.match(read('nodes/status.json'), /"revision":"7"/)
    // etcd itself: one member, and the endpoint's status with its version.
    assert.match(read('etcd/members.yaml'), /name: test/)
    assert.match(read('etcd/endpoint-status.yaml'), /version: 3\.\d+/)
    assert.match(read('etcd/endpoint-status.yaml'), /isLeader: true/)
    const conn = read('cluster/connection.yaml')
    assert.match(conn, new RegExp(etcd.endpoint.replaceAll('.', '\\.')))
    assert.match(conn, /etcdPassword: <redacted>/)

    // Nothing secret anywhere in the archive.
    const all = files.map(read).join('\n')
    for (const secret of [ETCD_PASSWORD, 'bgp-secrets-name-xyz', 'peer-password-key-xyz']) assert.ok(!all.includes(secret), `${secret} leaked`)
  })

  test('--output names the archive; --skip-temp-dir-cleanup keeps the temporary directory', async () => {
    const target = join(dir, 'out', 'bundle.tar.gz')
    const r = await run(['cluster', 'diags', '--output', target, '--skip-temp-dir-cleanup', '--since=1h', '--max-logs=2', '--focus-nodes=node-a', '--max-parallelism=2'])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(existsSync(target))
    const temp = /^Created temporary directory: (.*)$/m.exec(r.stdout)?.[1]
    assert.ok(temp && existsSync(temp), 'temp dir kept')
    const [kept] = readdirSync(temp)
    assert.match(kept ?? '', /^calico-diagnostics-\d{8}_\d{6}$/)
    assert.ok(existsSync(join(temp, kept!, 'ipam', 'blocks.json')))
    rmSync(temp, {recursive: true, force: true})
    const listing = execFileSync('tar', ['-tzf', target], {encoding: 'utf8'})
    assert.match(listing, /calico-diagnostics-\d{8}_\d{6}\/resources\/bgppeers\.yaml/)
  })

  test("upstream's option checks: a bad --since or a negative --max-logs is refused, nothing written", async () => {
    const cwd = mkdtempSync(join(dir, 'bad-'))
    for (const [args, msg] of [
      [['--since=10d'], /invalid duration for since flag \(try 10s, 5m, or 1h\): 10d/],
      [['--max-logs=-1'], /negative value for max-logs flag/],
    ] as const) {
      const r = await run(['cluster', 'diags', '--output', cwd, ...args])
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, msg)
    }
    assert.deepEqual(readdirSync(cwd), [])
  })
})
