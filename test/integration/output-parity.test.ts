// Output as upstream calicoctl v3.32.1 prints it, end to end through the built CLI and a real etcd:
// `version` (calicoctl/calicoctl/commands/version.go: Client Version, Git commit, Cluster Version,
// Cluster Type, `unknown` for empty fields, an error when ClusterInformation is missing, --poll
// printing a line again only when it changed), `get -o go-template=...` over the objects of
// calicoctl/calicoctl/commands/common/printer.go, the node table's inherited AS
// (calicoctl/calicoctl/resourcemgr/node.go, printer.go `config "asnumber"`), and `label` on
// several names (ours, kubectl-style; upstream takes one).
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'
import {EtcdDatastore} from '../../src/datastore/etcd.js'
import {ResourceStore} from '../../src/datastore/store.js'
import {kindByName} from '../../src/resources/registry.js'
import type {Resource} from '../../src/resources/types.js'
import {BIN, cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

let etcd: TestEtcd
let run: ReturnType<typeof cliFor>
let ds: EtcdDatastore
let store: ResourceStore
const dir = mkdtempSync(join(tmpdir(), 'ctl-output-'))

before(async () => {
  etcd = await startEtcd()
  run = cliFor(etcd.endpoint)
  ds = await EtcdDatastore.connect({datastoreType: 'etcdv3', endpoints: [etcd.endpoint], timeoutMs: 5000} as never)
  store = new ResourceStore(ds)
})
beforeEach(() => etcd.wipe())
after(async () => {
  ds?.close()
  await etcd?.stop()
  rmSync(dir, {recursive: true, force: true})
})

async function put(kind: string, name: string, spec: Record<string, unknown>): Promise<Resource> {
  const def = kindByName(kind)!
  const [res] = await store.createMany([{def, resource: store.prepareCreate(def, {apiVersion: 'projectcalico.org/v3', kind, metadata: {name}, spec})}])
  assert.ok(res?.ok, `create ${kind} ${name}`)
  return res.resource
}

const CLIENT = /^Client Version: {4}v\d+\.\d+\.\d+\nGit commit: {8}\S+\n/

describe('version', () => {
  test('without ClusterInformation: the client lines, then upstream\'s error, exit 1', async () => {
    const r = await run(['version'])
    assert.equal(r.code, 1)
    assert.match(r.stdout, new RegExp(`${CLIENT.source}$`))
    assert.equal(r.stderr, 'unable to retrieve Cluster Version or Type: resource does not exist: ClusterInformation(default)\n')
  })

  test('the four lines; empty fields are unknown', async () => {
    await put('ClusterInformation', 'default', {calicoVersion: 'v3.32.1', clusterType: 'etcd,bgp', datastoreReady: true})
    const r = await run(['--allow-version-mismatch', 'version'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`${CLIENT.source}Cluster Version: {3}v3\\.32\\.1\\nCluster Type: {6}etcd,bgp\\n$`))
    await etcd.wipe()
    await put('ClusterInformation', 'default', {datastoreReady: true})
    const u = await run(['version'])
    assert.match(u.stdout, /Cluster Version: {3}unknown\nCluster Type: {6}unknown\n$/)
  })

  test('--poll prints the cluster lines again only when they change', async () => {
    const info = await put('ClusterInformation', 'default', {calicoVersion: 'v3.32.0', clusterType: 'etcd,bgp', datastoreReady: true})
    const child = spawn(process.execPath, [BIN, 'version', '--poll=100ms'], {env: {...process.env, ETCD_ENDPOINTS: etcd.endpoint, CALICOCTL_CONFIG: '/nonexistent'}})
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    // Hang guard, far above the usual sub-second wait.
    const until = async (what: string, ok: () => boolean) => {
      for (const t = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 50))) if (Date.now() - t > 30_000) assert.fail(`hang guard: ${what}; output so far:\n${out}`)
    }
    try {
      await until('first report', () => out.includes('Cluster Type:'))
      const def = kindByName('ClusterInformation')!
      const [res] = await store.updateMany([{def, resource: {...info, spec: {...info.spec, calicoVersion: 'v3.32.1'}}}])
      assert.ok(res?.ok)
      await until('the new version', () => out.includes('v3.32.1'))
      assert.match(out, new RegExp(`${CLIENT.source}Cluster Version: {3}v3\\.32\\.0\\nCluster Type: {6}etcd,bgp\\nCluster Version: {3}v3\\.32\\.1\\n$`))
    } finally {
      child.kill('SIGTERM')
    }
  })

  test('an invalid --poll is refused before anything is printed', async () => {
    const r = await run(['version', '--poll=often'])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /invalid duration 'often'/)
  })
})

describe('get -o go-template', () => {
  beforeEach(async () => {
    await put('IPPool', 'pool-a', {cidr: '10.61.0.0/16', ipipMode: 'Always', natOutgoing: true})
    await put('IPPool', 'pool-b', {cidr: '10.62.0.0/16'})
  })

  test('a list: one list object with Items; Go field names and zero values', async () => {
    const r = await run(['get', 'ippools', '-o', 'go-template={{range .}}{{.Kind}}:{{range .Items}} {{.Name}}={{.Spec.CIDR}}/{{.Spec.IPIPMode}}/{{.Spec.NATOutgoing}}{{end}}{{end}}'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'IPPoolList: pool-a=10.61.0.0/16/Always/true pool-b=10.62.0.0/16/Never/false')
  })

  test('named resources: each one; a template file; join', async () => {
    const file = join(dir, 't.tmpl')
    writeFileSync(file, '{{range $i, $p := .}}{{if $i}},{{end}}{{printf "%s(%d)" $p.ObjectMeta.Name $p.Spec.BlockSize}}{{end}}\n')
    const r = await run(['get', 'ippool', 'pool-a', 'pool-b', '-o', `go-template-file=${file}`])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'pool-a(26),pool-b(26)\n')
    const j = await run(['get', 'ippool', 'pool-a', '-o', 'go-template={{range .}}{{join .Spec.AllowedUses "+"}}{{end}}'])
    assert.equal(j.stdout, 'Workload+Tunnel')
  })

  test('errors: no template, a missing file, a bad template (exit 1, one line)', async () => {
    for (const [args, msg] of [
      [['-o', 'go-template='], /^need to specify a template\n$/],
      [['-o', 'go-template-file=/nonexistent/t'], /^open \/nonexistent\/t: no such file or directory\n$/],
      [['-o', 'go-template={{range .}}'], /^template: get:1: unexpected EOF/],
      [['-o', 'go-template={{nofunc .}}'], /^template: get:1: function "nofunc" not defined\n$/],
    ] as const) {
      const r = await run(['get', 'ippools', ...args])
      assert.equal(r.code, 1, args.join(' '))
      assert.match(r.stderr, msg)
      assert.equal(r.stdout, '')
    }
  })
})

describe('tables', () => {
  test('get nodes -o wide shows the AS number nodes inherit, in brackets, from the default BGPConfiguration', async () => {
    await put('Node', 'n1', {bgp: {ipv4Address: '198.51.100.1/24'}})
    await put('Node', 'n2', {bgp: {ipv4Address: '198.51.100.2/24', asNumber: 65001}})
    const before = await run(['get', 'nodes', '-o', 'wide'])
    assert.match(before.stdout, /^n1 +\(64512\) +198\.51\.100\.1\/24/m)
    await put('BGPConfiguration', 'default', {asNumber: 64600})
    const after = await run(['get', 'nodes', '-o', 'wide'])
    assert.match(after.stdout, /^n1 +\(64600\) +198\.51\.100\.1\/24/m)
    assert.match(after.stdout, /^n2 +65001 +198\.51\.100\.2\/24/m)
    const cols = await run(['get', 'nodes', '-o', 'custom-columns=NAME,ASN'])
    assert.match(cols.stdout, /^n1 +\(64600\)/m)
    const tpl = await run(['get', 'nodes', '-o', 'go-template={{range .}}{{range .Items}}{{.Name}}:{{if .Spec.BGP.ASNumber}}{{.Spec.BGP.ASNumber}}{{else}}({{config "asnumber"}}){{end}} {{end}}{{end}}'])
    assert.equal(tpl.stdout, 'n1:(64600) n2:65001 ')
  })

  test('a large IPReservation prints its CIDRS cut at 80 characters', async () => {
    const cidrs = Array.from({length: 6000}, (_, i) => `10.${i >> 8}.${i & 255}.0/24`)
    await put('IPReservation', 'big', {reservedCIDRs: cidrs})
    const r = await run(['get', 'ipreservations', '-o', 'wide'])
    assert.equal(r.code, 0, r.stderr)
    const row = r.stdout.split('\n')[1]!
    assert.equal(row.trimEnd().length, row.indexOf('10.') + 80)
    assert.ok(row.trimEnd().endsWith('...'))
  })
})

describe('label', () => {
  test('several names: each labelled; a missing one is reported, the others still done, exit 1', async () => {
    await put('Node', 'n1', {})
    await put('Node', 'n2', {})
    const ok = await run(['label', 'nodes', 'n1', 'n2', 'rack=r1'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(ok.stdout, 'Successfully set label rack on node n1\nSuccessfully set label rack on node n2\n')
    const sel = await run(['get', 'nodes', '-l', "rack == 'r1'", '-o', 'go-template={{range .}}{{range .Items}}{{.Name}} {{end}}{{end}}'])
    assert.equal(sel.stdout, 'n1 n2 ')
    const partly = await run(['label', 'nodes', 'n1', 'absent', 'n2', 'rack', '--remove'])
    assert.equal(partly.code, 1)
    assert.equal(partly.stdout, 'Successfully removed label rack from node n1\nSuccessfully removed label rack from node n2\n')
    assert.equal(partly.stderr.trim().split('\n').length, 1)
    assert.match(partly.stderr, /absent/)
  })
})
