// Upstream calicoctl's command-line flag system tests, ported: calicoctl/tests/st/calicoctl/test_flags.py
// (projectcalico/calico v3.32.1), class TestCalicoctlCLIFlags, run as upstream's harness runs
// the CLI (test/helpers/upstream.ts).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'
import {ROOT} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {isError, noError, notContains, upstreamCli} from '../helpers/upstream.js'
import {node_name1_rev1} from '../helpers/upstream-data.js'

let etcd: TestEtcd
let calicoctl: ReturnType<typeof upstreamCli>
const CLUSTER_INFO = '/calico/resources/v3/projectcalico.org/clusterinformations/default'
const CLIENT_VERSION = `v${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}`

before(async () => {
  etcd = await startEtcd()
  calicoctl = upstreamCli(etcd.endpoint)
})
after(async () => etcd.stop())
beforeEach(async () => etcd.wipe())

/** Upstream's set_cluster_version (its calico_version_helper): the cluster's recorded Calico version. */
async function setClusterVersion(version: string): Promise<void> {
  const stored = JSON.parse((await etcd.client.get(CLUSTER_INFO).string())!)
  stored.spec.calicoVersion = version
  await etcd.client.put(CLUSTER_INFO).value(JSON.stringify(stored))
}

describe('test_flags.py TestCalicoctlCLIFlags', () => {
  // test_flags.py: test_usage
  test('test_usage', async () => {
    noError(await calicoctl('-h'))
  })

  // test_flags.py: test_bad_flags
  test('test_bad_flags', async () => {
    isError(await calicoctl('-m'), "Invalid option: '--allow-version-mismatch -m'.")
    isError(await calicoctl('--unknown-flag'), "Invalid option: '--allow-version-mismatch --unknown-flag'.")
  })

  // test_flags.py: test_version_mismatch
  test('test_version_mismatch: only a recorded, different cluster version stops a write', async () => {
    // The first write initialises the cluster information, without a Calico version.
    noError(await calicoctl('create', node_name1_rev1))
    // `datastore migrate import` is not subject to the version check (upstream: it fails on the
    // datastore type; ours imports into etcd too, and fails here on the missing file).
    const imported = await calicoctl('datastore migrate import -f a', undefined, {allowVersionMismatch: false})
    isError(imported)
    notContains(imported, 'version mismatch')
    noError(await calicoctl('replace', node_name1_rev1, {allowVersionMismatch: false}))
    await setClusterVersion(CLIENT_VERSION)
    noError(await calicoctl('replace', node_name1_rev1, {allowVersionMismatch: false}))
    await setClusterVersion('v0.0.0.1.2.3')
    isError(await calicoctl('replace', node_name1_rev1, {allowVersionMismatch: false}), 'version mismatch.')
  })
})
