// Upstream calicoctl's CRUD system tests for the staged policy kinds, ported:
// calicoctl/tests/st/calicoctl/test_crud.py (projectcalico/calico v3.32.1), class
// TestCalicoctlCommands — the StagedNetworkPolicy, StagedGlobalNetworkPolicy and
// StagedKubernetesNetworkPolicy parts of its tests and every test_*staged* case. The other parts
// of those tests are in upstream-crud.test.ts; the harness is test/helpers/upstream.ts (its
// repeated steps test/helpers/upstream-cases.ts), the resources
// test/helpers/upstream-staged-data.ts (upstream's tests/st/utils/data.py).
import {describe, test} from 'node:test'
import {isError, NOT_FOUND, name, noError} from '../helpers/upstream.js'
import {upstreamSuite} from '../helpers/upstream-cases.js'
import * as d from '../helpers/upstream-data.js'
import * as s from '../helpers/upstream-staged-data.js'

const {calicoctl, honoursResourceVersion, stdinCrud, exportFlag, nonNamespaced, namespaced} = upstreamSuite()

describe('test_crud.py TestCalicoctlCommands: staged policy kinds', () => {
  // test_crud.py: test_no_config (the StagedNetworkPolicy line)
  test('test_no_config: replace of a StagedNetworkPolicy without datastore settings fails cleanly', async () => {
    isError(await calicoctl('replace', s.stagednetworkpolicy_name1_rev2, {noConfig: true}))
  })

  // test_crud.py: test_replace_with_resource_version (the StagedNetworkPolicy and
  // StagedKubernetesNetworkPolicy parts)
  const cases: Array<[string, string, any, any]> = [
    ['StagedNetworkPolicy', 'stagednetworkpolicy', s.stagednetworkpolicy_name1_rev1, s.stagednetworkpolicy_name1_rev2],
    ['StagedKubernetesNetworkPolicy', 'stagedkubernetesnetworkpolicy', s.stagedk8snetworkpolicy_name1_rev1, s.stagedk8snetworkpolicy_name1_rev2],
  ]
  for (const [label, kind, rev1, rev2] of cases) {
    test(`test_replace_with_resource_version: ${label}`, async () => {
      await honoursResourceVersion('create', 'replace', kind, rev1, rev2)
      isError(await calicoctl('replace', rev2), NOT_FOUND)
    })
  }

  // test_crud.py: test_stdin (the StagedGlobalNetworkPolicy part)
  test('test_stdin: StagedGlobalNetworkPolicy on stdin, JSON and YAML mixed', () =>
    stdinCrud('stagedglobalnetworkpolicy', s.stagedglobalnetworkpolicy_name1_rev1, s.stagedglobalnetworkpolicy_name1_rev2))

  // test_crud.py: test_non_namespaced_stagedglobalnetworkpolicy, test_non_namespaced_tiered_stagedglobalnetworkpolicy
  test('test_non_namespaced_stagedglobalnetworkpolicy', () => nonNamespaced(s.stagedglobalnetworkpolicy_name1_rev1))
  test('test_non_namespaced_tiered_stagedglobalnetworkpolicy', async () => {
    noError(await calicoctl('create', d.tier_name1_rev1))
    await nonNamespaced(s.stagedglobalnetworkpolicy_tiered_name2_rev1)
    noError(await calicoctl('delete', d.tier_name1_rev1))
  })

  // test_crud.py: test_namespaced_stagednetworkpolicy, test_namespaced_tiered_stagednetworkpolicy
  test('test_namespaced_stagednetworkpolicy', () => namespaced(s.stagednetworkpolicy_name1_rev1))
  test('test_namespaced_tiered_stagednetworkpolicy', async () => {
    noError(await calicoctl('create', d.tier_name1_rev1))
    await namespaced(s.stagednetworkpolicy_tiered_name2_rev1)
    noError(await calicoctl('delete', d.tier_name1_rev1))
  })

  // test_crud.py: test_export_flag (the StagedNetworkPolicy part)
  test('test_export_flag: --export strips cluster metadata from a named StagedNetworkPolicy get only', () =>
    exportFlag('stagednetworkpolicy', s.stagednetworkpolicy_name2_rev1))

  // test_crud.py: test_patch (the StagedNetworkPolicy part)
  test('test_patch: a patch that is not a StagedNetworkPolicy is refused', async () => {
    noError(await calicoctl('create', s.stagednetworkpolicy_name2_rev1))
    isError(await calicoctl(`patch stagednetworkpolicy ${name(s.stagednetworkpolicy_name2_rev1)} -p '{"http": {"exact": "path/to/match"}}'`))
  })
})
