// The host agent initialises the cluster as calico-node does at start (libcalico-go clientv3
// EnsureInitialized with its version and CLUSTER_TYPE; node/pkg/lifecycle/startup/startup.go),
// keeping what calicoctl's own initialisation recorded: until then `version` shows `unknown`.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, test} from 'node:test'
import {BIN, cliFor, ROOT} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {NetnsLab, netnsSkipReason, waitFor} from '../helpers/netns.js'

const skip = netnsSkipReason('ip')
const lab = new NetnsLab('init')
const dir = mkdtempSync(join(tmpdir(), 'node-run-init-'))
let etcd: TestEtcd | undefined
after(async () => {
  await lab.cleanup()
  await etcd?.stop()
  rmSync(dir, {recursive: true, force: true})
})

test('node run records its version and cluster type; the GUID calicoctl created stays', {skip, timeout: 120_000}, async () => {
  etcd = await startEtcd()
  const run = cliFor(etcd.endpoint)
  const pool = join(dir, 'pool.yaml')
  writeFileSync(pool, 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.70.0.0/16}\n')
  assert.equal((await run(['apply', '-f', pool])).code, 0)
  const before = await run(['version'])
  assert.match(before.stdout, /Cluster Version: +unknown\nCluster Type: +unknown\n/)
  const guid = JSON.parse((await run(['get', 'clusterinfo', 'default', '-o', 'json'])).stdout).spec.clusterGUID
  const ns = lab.addHost('h')
  const env = [`ETCD_ENDPOINTS=${etcd.unixEndpoint}`, 'DATASTORE_TYPE=etcdv3', 'CALICOCTL_CONFIG=/nonexistent', 'CLUSTER_TYPE=k8s,bgp', 'NO_COLOR=1']
  const args = [...env, process.execPath, BIN, 'node', 'run', '--name', 'h1', '--ip', '198.51.100.7/24', '--no-bird', '--status-file', join(dir, 'status.json'), '--lock-file', join(dir, 'lock')]
  const child = lab.spawnIn(ns, 'env', args)
  child.stdout?.resume()
  child.stderr?.resume()
  const version = `v${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}`
  const info = await waitFor('the agent to record its version', async () => {
    const spec = JSON.parse((await run(['get', 'clusterinfo', 'default', '-o', 'json'])).stdout).spec
    return spec.calicoVersion ? spec : undefined
  }, 60_000)
  assert.equal(info.calicoVersion, version)
  assert.equal(info.clusterType, 'k8s,bgp')
  assert.equal(info.clusterGUID, guid)
  assert.equal(info.datastoreReady, true)
  assert.match((await run(['version'])).stdout, new RegExp(`Cluster Version: +${version}\\nCluster Type: +k8s,bgp\\n`))
})
