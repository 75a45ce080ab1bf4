// The resource commands end to end: the built CLI against a real etcd.
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'
import {cli, cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

const POOL_KEY = '/calico/resources/v3/projectcalico.org/ippools/'
let etcd: TestEtcd
let run: ReturnType<typeof cliFor>
const dir = mkdtempSync(join(tmpdir(), 'ctl-crud-'))

function file(name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

const pool = (name: string, cidr: string, extra = '') => `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: ${name}
spec:
  cidr: ${cidr}
${extra}`

before(async () => {
  etcd = await startEtcd()
  run = cliFor(etcd.endpoint)
})
after(async () => etcd.stop())
beforeEach(async () => etcd.wipe())

async function raw(key: string): Promise<any> {
  const v = await etcd.client.get(key).string()
  return v === null ? null : JSON.parse(v)
}

describe('create / apply / replace', () => {
  test('create stores Calico\'s exact JSON at Calico\'s key, with uid and timestamp', async () => {
    const r = await run(['create', '-f', file('p1.yaml', pool('p1', '10.1.0.0/16', '  ipipMode: Always\n  natOutgoing: true\n'))])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, "Successfully created 1 'IPPool' resource(s)\n")
    const text = await etcd.client.get(`${POOL_KEY}p1`).string()
    const doc = JSON.parse(text!)
    assert.match(doc.metadata.uid, /^[0-9a-f-]{36}$/)
    assert.match(doc.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const expected = `{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"p1","uid":"${doc.metadata.uid}","creationTimestamp":"${doc.metadata.creationTimestamp}"},"spec":{"cidr":"10.1.0.0/16","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":26,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}`
    assert.equal(text, expected)
  })

  test('create of an existing resource fails unless --skip-exists', async () => {
    const f = file('p2.yaml', pool('p2', '10.2.0.0/16'))
    assert.equal((await run(['create', '-f', f])).code, 0)
    const again = await run(['create', '-f', f])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /failed to create 'IPPool' resource: resource already exists: IPPool\(p2\)/)
    const skip = await run(['create', '-f', f, '--skip-exists'])
    assert.equal(skip.code, 0, skip.stderr)
  })

  test('apply creates then updates, keeping uid and creationTimestamp', async () => {
    const f1 = file('a1.yaml', pool('ap', '10.3.0.0/16', '  ipipMode: Always\n'))
    assert.equal((await run(['apply', '-f', f1])).code, 0)
    const before = await raw(`${POOL_KEY}ap`)
    const f2 = file('a2.yaml', pool('ap', '10.3.0.0/16', '  ipipMode: Never\n'))
    const r = await run(['apply', '-f', f2])
    assert.equal(r.code, 0, r.stderr)
    const afterDoc = await raw(`${POOL_KEY}ap`)
    assert.equal(afterDoc.spec.ipipMode, 'Never')
    assert.equal(afterDoc.metadata.uid, before.metadata.uid)
    assert.equal(afterDoc.metadata.creationTimestamp, before.metadata.creationTimestamp)
  })

  test('replace of a missing resource fails; an immutable field cannot change', async () => {
    const r = await run(['replace', '-f', file('r1.yaml', pool('nope', '10.4.0.0/16'))])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /resource does not exist: IPPool\(nope\)/)
    assert.equal((await run(['create', '-f', file('r2.yaml', pool('imm', '10.5.0.0/16'))])).code, 0)
    const bad = await run(['replace', '-f', file('r3.yaml', pool('imm', '10.6.0.0/16'))])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /IPPool\(imm\): spec.cidr = '10.6.0.0\/16': IPPool CIDR cannot be modified/)
    assert.equal((await raw(`${POOL_KEY}imm`)).spec.cidr, '10.5.0.0/16')
  })

  test('a stale resourceVersion is an update conflict and changes nothing', async () => {
    assert.equal((await run(['create', '-f', file('c1.yaml', pool('cf', '10.7.0.0/16'))])).code, 0)
    const got = await run(['get', 'ippool', 'cf', '-o', 'yaml'])
    const stale = got.stdout
    // A second writer changes it first.
    assert.equal((await run(['patch', 'ippool', 'cf', '-p', '{"spec":{"natOutgoing":true}}'])).code, 0)
    const r = await run(['replace', '-f', '-'], {input: stale.replace('ipipMode: Never', 'ipipMode: Always')})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /update conflict: IPPool\(cf\)/)
    const doc = await raw(`${POOL_KEY}cf`)
    assert.equal(doc.spec.ipipMode, 'Never')
    assert.equal(doc.spec.natOutgoing, true)
  })

  test('one invalid document among valid ones writes nothing and names every bad field', async () => {
    const text = `${pool('good1', '10.8.0.0/16')}---\n${pool('bad', '10.9.0.1/16', '  ipipMode: Sometimes\n  blockSize: 40\n  color: red\n')}---\n${pool('good2', '10.10.0.0/16')}`
    const r = await run(['apply', '-f', file('mixed.yaml', text)])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /IPPool\(bad\): spec.color: field is not recognised/)
    const r2 = await run(['apply', '-f', file('mixed2.yaml', text.replace('  color: red\n', ''))])
    assert.equal(r2.code, 1)
    const lines = r2.stderr.trim().split('\n')
    assert.ok(lines.some((l) => l.includes("spec.cidr = '10.9.0.1/16': IPPool CIDR is not strictly masked")), r2.stderr)
    assert.ok(lines.some((l) => l.includes("spec.ipipMode = 'Sometimes': must be one of Always, CrossSubnet, Never")), r2.stderr)
    assert.ok(lines.some((l) => l.includes('spec.blockSize')), r2.stderr)
    assert.equal((await etcd.client.getAll().prefix(POOL_KEY).keys()).length, 0)
  })

  test('write failures are per resource: partial success is reported and exits 1', async () => {
    assert.equal((await run(['create', '-f', file('e1.yaml', pool('exists', '10.11.0.0/16'))])).code, 0)
    const text = `${pool('new1', '10.12.0.0/16')}---\n${pool('exists', '10.11.0.0/16')}---\n${pool('new2', '10.13.0.0/16')}`
    const r = await run(['create', '-f', file('e2.yaml', text)])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /Partial success: created 2 out of 3 'IPPool' resources; 1 failed:\n {2}resource already exists: IPPool\(exists\)/)
    assert.ok(await raw(`${POOL_KEY}new1`))
    assert.ok(await raw(`${POOL_KEY}new2`))
  })

  test('overlapping pools are rejected, within one file too', async () => {
    const r = await run(['apply', '-f', file('o.yaml', `${pool('o1', '10.20.0.0/16')}---\n${pool('o2', '10.20.128.0/17')}`)])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /CIDR overlaps with IPPool\(o/)
  })

  test('--dry-run validates against the datastore and writes nothing', async () => {
    const r = await run(['apply', '-f', file('d.yaml', pool('dry', '10.21.0.0/16')), '--dry-run'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Dry run: would apply 1 'IPPool' resource\(s\) \(1 created, 0 updated, 0 unchanged\)/)
    assert.equal(await raw(`${POOL_KEY}dry`), null)
  })

  test('directories (with -R), lists, JSON and stdin', async () => {
    const d = mkdtempSync(join(dir, 'tree-'))
    writeFileSync(join(d, 'a.yaml'), pool('t1', '10.30.0.0/16'))
    const sub = join(d, 'sub')
    await import('node:fs').then((fs) => fs.mkdirSync(sub))
    writeFileSync(
      join(sub, 'b.json'),
      JSON.stringify({apiVersion: 'projectcalico.org/v3', kind: 'IPPoolList', items: [{apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: {name: 't2'}, spec: {cidr: '10.31.0.0/16'}}]}),
    )
    assert.equal((await run(['apply', '-f', d])).stdout, "Successfully applied 1 'IPPool' resource(s)\n")
    assert.equal((await run(['apply', '-f', d, '-R'])).stdout, "Successfully applied 2 'IPPool' resource(s)\n")
    const s = await run(['apply', '-f', '-'], {input: `- ${JSON.stringify({apiVersion: 'projectcalico.org/v3', kind: 'BGPPeer', metadata: {name: 'pp'}, spec: {peerIP: '198.51.100.1', asNumber: '1.10'}})}`})
    assert.equal(s.code, 0, s.stderr)
    assert.equal((await raw('/calico/resources/v3/projectcalico.org/bgppeers/pp')).spec.asNumber, '1.10')
    // Piped input is the manifest, never taken for the kind/name arguments (oclif would otherwise).
    const del = await run(['delete', '-f', '-'], {input: pool('t1', '10.30.0.0/16')})
    assert.equal(del.code, 0, del.stderr)
    assert.equal(await raw(`${POOL_KEY}t1`), null)
    const g = await run(['get', 'ippools', 't2'], {input: 'bgppeers\n'})
    assert.equal(g.code, 0, g.stderr)
    assert.match(g.stdout, /^t2\s+10\.31\.0\.0\/16/m)
  })

  test('unknown kinds and versions are errors', async () => {
    const r = await run(['apply', '-f', '-'], {input: 'apiVersion: projectcalico.org/v2\nkind: IPPool\nmetadata: {name: x}\nspec: {cidr: 10.0.0.0/8}\n'})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /unknown resource type \(IPPool\) and\/or version \(projectcalico.org\/v2\)/)
    const k = await run(['get', 'widgets'])
    assert.equal(k.code, 1)
    assert.match(k.stderr, /resource type 'widgets' is not supported/)
  })
})

describe('get', () => {
  test('ps and wide tables in calicoctl layout; -o yaml round-trips through apply', async () => {
    await run(['apply', '-f', file('g.yaml', pool('gp', '10.40.0.0/16', '  ipipMode: CrossSubnet\n'))])
    const ps = await run(['get', 'ippools'])
    assert.equal(ps.stdout, 'NAME   CIDR           SELECTOR   \ngp     10.40.0.0/16   all()      \n\n')
    const wide = await run(['get', 'pools', '-o', 'wide'])
    assert.match(wide.stdout, /^NAME {3}CIDR {11}NAT {5}IPIPMODE {6}VXLANMODE {3}DISABLED/)
    assert.match(wide.stdout, /gp {5}10.40.0.0\/16 {3}false {3}CrossSubnet {3}Never/)
    const y = await run(['get', 'ippool', 'gp', '-o', 'yaml'])
    const before = await etcd.client.get(`${POOL_KEY}gp`)
    const back = await run(['apply', '-f', '-'], {input: y.stdout})
    assert.equal(back.code, 0, back.stderr)
    assert.equal(await etcd.client.get(`${POOL_KEY}gp`).string(), before, 'unchanged content')
    const list = await run(['get', 'ippools', '-o', 'json'])
    const parsed = JSON.parse(list.stdout)
    assert.equal(parsed.kind, 'IPPoolList')
    assert.equal(parsed.items[0].metadata.name, 'gp')
    assert.match(parsed.metadata.resourceVersion, /^\d+$/)
  })

  test('missing names are errors after the found ones print; --export strips cluster metadata', async () => {
    await run(['apply', '-f', file('g2.yaml', pool('found', '10.41.0.0/16'))])
    const r = await run(['get', 'ippool', 'found', 'missing'])
    assert.equal(r.code, 1)
    assert.match(r.stdout, /found/)
    assert.match(r.stderr, /resource does not exist: IPPool\(missing\)/)
    const e = await run(['get', 'ippool', 'found', '-o', 'yaml', '--export'])
    assert.doesNotMatch(e.stdout, /uid|resourceVersion|creationTimestamp/)
    const cc = await run(['get', 'ippools', '-o', 'custom-columns=NAME,NOPE'])
    assert.equal(cc.code, 1)
    assert.match(cc.stderr, /unknown heading NOPE, valid values are: /)
  })

  test('reads values written in Calico\'s own form (old pool without defaults)', async () => {
    await etcd.client.put(`${POOL_KEY}calico-written`).value('{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"calico-written","uid":"0f5ec1b2-9c1e-4b58-8a1b-3f2c0f0e7a11","creationTimestamp":"2024-05-01T10:00:00Z"},"spec":{"cidr":"10.50.0.0/16","ipipMode":"Always","natOutgoing":true}}')
    const r = await run(['get', 'ippool', 'calico-written', '-o', 'json'])
    const doc = JSON.parse(r.stdout)
    assert.equal(doc.spec.blockSize, 26)
    assert.equal(doc.spec.vxlanMode, 'Never')
    assert.equal(doc.metadata.uid, '0f5ec1b2-9c1e-4b58-8a1b-3f2c0f0e7a11')
  })
})

describe('delete, patch, label', () => {
  test('delete by name, by file, and --skip-not-exists', async () => {
    await run(['apply', '-f', file('dl.yaml', `${pool('d1', '10.60.0.0/16')}---\n${pool('d2', '10.61.0.0/16')}`)])
    const r = await run(['delete', 'ippool', 'd1', 'ghost'])
    assert.equal(r.code, 1)
    assert.match(r.stdout, /Successfully deleted 1 'IPPool' resource\(s\)/)
    assert.match(r.stderr, /Failed to delete 'IPPool' resource: resource does not exist: IPPool\(ghost\)/)
    assert.equal(await raw(`${POOL_KEY}d1`), null)
    assert.equal((await run(['delete', 'pools', 'ghost', '--skip-not-exists'])).code, 0)
    assert.equal((await run(['delete', '-f', join(dir, 'dl.yaml'), '-s'])).code, 0)
    assert.equal(await raw(`${POOL_KEY}d2`), null)
  })

  test('delete by label selector removes only the matching resources', async () => {
    await run(['apply', '-f', file('ls.yaml', `${pool('l1', '10.70.0.0/16')}---\n${pool('l2', '10.71.0.0/16')}`)])
    assert.equal((await run(['label', 'ippool', 'l1', 'team=red'])).stdout, 'Successfully set label team on ippool l1\n')
    const r = await run(['delete', 'ippools', '-l', "team == 'red'"])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(await raw(`${POOL_KEY}l1`), null)
    assert.ok(await raw(`${POOL_KEY}l2`))
  })

  test('patch: strategic (default), merge and json; invalid result rejected', async () => {
    await run(['apply', '-f', file('pt.yaml', pool('pt', '10.80.0.0/16'))])
    assert.equal((await run(['patch', 'ippool', 'pt', '-p', '{"spec":{"ipipMode":"Always"}}'])).stdout, "Successfully patched 1 'IPPool' resource\n")
    assert.equal((await run(['patch', 'ippool', 'pt', '--type', 'json', '-p', '[{"op":"add","path":"/spec/natOutgoing","value":true}]'])).code, 0)
    assert.equal((await run(['patch', 'ippool', 'pt', '--type', 'merge', '-p', '{"metadata":{"labels":{"x":"1"}}}'])).code, 0)
    const doc = await raw(`${POOL_KEY}pt`)
    assert.equal(doc.spec.ipipMode, 'Always')
    assert.equal(doc.spec.natOutgoing, true)
    assert.deepEqual(doc.metadata.labels, {x: '1'})
    const bad = await run(['patch', 'ippool', 'pt', '-p', '{"spec":{"vxlanMode":"Always"}}'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /Cannot enable both VXLAN and IPIP on the same IPPool/)
    assert.equal((await raw(`${POOL_KEY}pt`)).spec.vxlanMode, 'Never')
  })

  test('label: overwrite and remove with calicoctl messages', async () => {
    await run(['apply', '-f', file('lb.yaml', pool('lb', '10.90.0.0/16'))])
    await run(['label', 'ippool', 'lb', 'a=1'])
    const dup = await run(['label', 'ippool', 'lb', 'a=2'])
    assert.equal(dup.code, 1)
    assert.match(dup.stderr, /key a is already present. please use '--overwrite'/)
    assert.equal((await run(['label', 'ippool', 'lb', 'a=2', '--overwrite'])).stdout, 'Successfully updated label a on ippool lb\n')
    assert.equal((await run(['label', 'ippool', 'lb', 'a', '--remove'])).stdout, 'Successfully removed label a from ippool lb\n')
    const gone = await run(['label', 'ippool', 'lb', 'a', '--remove'])
    assert.match(gone.stderr, /cannot remove label of ippool lb, key a does not exist/)
  })
})

describe('validate, version, connection', () => {
  test('validate works offline and reports problems', async () => {
    const good = await cli(['validate', '-f', file('v.yaml', pool('v', '10.100.0.0/16'))], {env: {ETCD_ENDPOINTS: 'http://127.0.0.1:1'}})
    assert.equal(good.stdout, "Successfully validated 1 'IPPool' resource(s)\n")
    const bad = await cli(['validate', '-f', file('v2.yaml', pool('V_bad', '10.100.0.0/16'))])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /metadata.name = 'V_bad': name must consist of lower case/)
  })

  test('version prints client and cluster; --client needs no datastore', async () => {
    const c = await cli(['version', '--client'], {env: {ETCD_ENDPOINTS: 'http://127.0.0.1:1'}})
    assert.match(c.stdout, /^Client Version: {4}v\d+\.\d+\.\d+\nGit commit: {8}\S+\n$/)
    await run(['apply', '-f', file('vv.yaml', pool('vv', '10.101.0.0/16'))])
    const v = await run(['version'])
    assert.equal(v.code, 0, v.stderr)
    assert.match(v.stdout, /Cluster Type: {6}etcd,bgp/)
  })

  test('an unreachable etcd is a one-line error naming the endpoint, exit 1', async () => {
    const r = await cli(['get', 'ippools'], {env: {ETCD_ENDPOINTS: 'http://127.0.0.1:1', DATASTORE_TYPE: 'etcdv3'}})
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim().split('\n').length, 1)
    assert.match(r.stderr, /cannot reach etcd at http:\/\/127.0.0.1:1/)
  })

  test('a config file is used instead of the environment; CALICO_ prefix wins over plain', async () => {
    const cfg = file('calicoctl.cfg', `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: ${etcd.endpoint}\n`)
    await run(['apply', '-f', file('cf.yaml', pool('cfgpool', '10.102.0.0/16'))])
    const r = await cli(['get', 'ippools', '-c', cfg], {env: {ETCD_ENDPOINTS: 'http://127.0.0.1:1'}})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /cfgpool/)
    const p = await cli(['get', 'ippools'], {env: {CALICO_ETCD_ENDPOINTS: etcd.endpoint, ETCD_ENDPOINTS: 'http://127.0.0.1:1', CALICOCTL_CONFIG: '/nonexistent'}})
    assert.match(p.stdout, /cfgpool/)
    const missing = await cli(['get', 'ippools', '-c', join(dir, 'nope.cfg')])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /Error reading config file: /)
  })

  test('usage errors exit 2', async () => {
    const r = await cli(['get', '--no-such-flag'])
    assert.equal(r.code, 2)
  })
})
