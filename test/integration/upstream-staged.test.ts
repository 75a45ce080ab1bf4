// Upstream calicoctl's CRUD system tests for the staged policy kinds, ported:
// calicoctl/tests/st/calicoctl/test_crud.py (projectcalico/calico v3.32.1), class
// TestCalicoctlCommands — the StagedNetworkPolicy, StagedGlobalNetworkPolicy and
// StagedKubernetesNetworkPolicy parts of its tests and every test_*staged* case. The other parts
// of those tests are in upstream-crud.test.ts; the harness is test/helpers/upstream.ts, the
// resources test/helpers/upstream-staged-data.ts (upstream's tests/st/utils/data.py).
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {data, ERROR_CONFLICT, isError, list, name, noError, NOT_FOUND, NOT_NAMESPACED, type Outcome, upstreamCli, withTierLabel} from '../helpers/upstream.js'
import * as d from '../helpers/upstream-data.js'
import * as s from '../helpers/upstream-staged-data.js'

let etcd: TestEtcd
let calicoctl: ReturnType<typeof upstreamCli>
const scratch = mkdtempSync(join(tmpdir(), 'ctl-upstream-staged-'))

before(async () => {
  etcd = await startEtcd()
  calicoctl = upstreamCli(etcd.endpoint)
})
after(async () => etcd.stop())
// Upstream's TestBase starts every test on an empty datastore.
beforeEach(async () => etcd.wipe())

const clone = <T>(x: T): T => structuredClone(x)
const rv = (o: Outcome) => o.decoded.metadata.resourceVersion as string

describe('test_crud.py TestCalicoctlCommands: staged policy kinds', () => {
  // test_crud.py: test_no_config (the StagedNetworkPolicy line)
  test('test_no_config: replace of a StagedNetworkPolicy without datastore settings fails cleanly', async () => {
    isError(await calicoctl('replace', s.stagednetworkpolicy_name1_rev2, {noConfig: true}))
  })

  // test_crud.py: test_replace_with_resource_version (the StagedNetworkPolicy and
  // StagedKubernetesNetworkPolicy parts)
  const replaceHonoursResourceVersion = async (kind: string, rev1: any, rev2: any) => {
    noError(await calicoctl('create', rev1))
    const read0 = await calicoctl(`get ${kind} ${name(rev1)} -o yaml`)
    noError(read0)
    noError(await calicoctl('replace', rev2))
    const read1 = await calicoctl(`get ${kind} ${name(rev2)} -o yaml`)
    noError(read1)
    assert.notEqual(rv(read0), rv(read1))
    isError(await calicoctl('replace', read0.decoded), ERROR_CONFLICT)
    const again = clone(read0.decoded)
    again.metadata.resourceVersion = rv(read1)
    noError(await calicoctl('replace', again))
    noError(await calicoctl(`delete ${kind} ${name(again)}`))
    isError(await calicoctl('replace', rev2), NOT_FOUND)
  }
  test('test_replace_with_resource_version: StagedNetworkPolicy', () =>
    replaceHonoursResourceVersion('stagednetworkpolicy', s.stagednetworkpolicy_name1_rev1, s.stagednetworkpolicy_name1_rev2))
  test('test_replace_with_resource_version: StagedKubernetesNetworkPolicy', () =>
    replaceHonoursResourceVersion('stagedkubernetesnetworkpolicy', s.stagedk8snetworkpolicy_name1_rev1, s.stagedk8snetworkpolicy_name1_rev2))

  // test_crud.py: test_stdin (the StagedGlobalNetworkPolicy part)
  test('test_stdin: StagedGlobalNetworkPolicy on stdin, JSON and YAML mixed', async () => {
    const sgnp = name(s.stagedglobalnetworkpolicy_name1_rev1)
    noError(await calicoctl('create', s.stagedglobalnetworkpolicy_name1_rev1, {format: 'json', stdin: true}))
    data(await calicoctl(`get stagedglobalnetworkpolicy ${sgnp} -o json`), withTierLabel(s.stagedglobalnetworkpolicy_name1_rev1), 'json')
    noError(await calicoctl('apply', s.stagedglobalnetworkpolicy_name1_rev2, {format: 'yaml', stdin: true}))
    data(await calicoctl(`get stagedglobalnetworkpolicy ${sgnp} -o yaml`), withTierLabel(s.stagedglobalnetworkpolicy_name1_rev2))
    noError(await calicoctl('replace', s.stagedglobalnetworkpolicy_name1_rev1, {format: 'json', stdin: true}))
    data(await calicoctl(`get stagedglobalnetworkpolicy ${sgnp} -o json`), withTierLabel(s.stagedglobalnetworkpolicy_name1_rev1), 'json')
    noError(await calicoctl('delete', s.stagedglobalnetworkpolicy_name1_rev1, {format: 'yaml', stdin: true}))
    isError(await calicoctl(`get stagedglobalnetworkpolicy ${sgnp}`), NOT_FOUND)
  })

  // test_crud.py: _test_non_namespaced, test_non_namespaced_stagedglobalnetworkpolicy and
  // test_non_namespaced_tiered_stagedglobalnetworkpolicy
  const nonNamespaced = async (res: any) => {
    noError(await calicoctl('create', res))
    noError(await calicoctl(`get ${res.kind}`))
    noError(await calicoctl(`get ${res.kind} -o wide`))
    isError(await calicoctl(`get ${res.kind} ${name(res)} --namespace default -o yaml`), NOT_NAMESPACED)
    isError(await calicoctl(`get ${res.kind} --all-namespaces -o yaml`), NOT_NAMESPACED)
    noError(await calicoctl('delete', res))
  }
  test('test_non_namespaced_stagedglobalnetworkpolicy', () => nonNamespaced(s.stagedglobalnetworkpolicy_name1_rev1))
  test('test_non_namespaced_tiered_stagedglobalnetworkpolicy', async () => {
    noError(await calicoctl('create', d.tier_name1_rev1))
    await nonNamespaced(s.stagedglobalnetworkpolicy_tiered_name2_rev1)
    noError(await calicoctl('delete', d.tier_name1_rev1))
  })

  // test_crud.py: _test_namespaced, test_namespaced_stagednetworkpolicy and
  // test_namespaced_tiered_stagednetworkpolicy (the policy branch: names <tier>.name1/2)
  const namespaced = async (res: any) => {
    const kind = res.kind as string
    const data1 = clone(res)
    const data2 = clone(res)
    data1.metadata.name = `${data1.spec.tier ?? 'default'}.name1`
    data2.metadata.name = `${data2.spec.tier ?? 'default'}.name2`
    data1.metadata.namespace = ''
    data2.metadata.namespace = 'namespace2'
    noError(await calicoctl('create', data1))
    noError(await calicoctl('create', data2))
    // An empty namespace defaults to "default".
    const want1 = withTierLabel({...data1, metadata: {...data1.metadata, namespace: 'default'}})
    const want2 = withTierLabel(data2)
    data(await calicoctl(`get ${kind.toLowerCase()} ${name(want1)} --namespace default -o yaml`), want1)
    list(await calicoctl(`get ${kind} --all-namespaces -o yaml`), kind, [want1, want2])
    list(await calicoctl(`get ${kind} -o yaml`), kind, [want1])
    list(await calicoctl(`get ${kind} -o yaml -n namespace2`), kind, [want2])
    data(await calicoctl('get -o yaml', want1), want1)
    data(await calicoctl('get -o yaml', want2), want2)
    const noNs1 = clone(want1)
    delete noNs1.metadata.namespace
    data(await calicoctl('get -o yaml', noNs1), want1)
    isError(await calicoctl('get -o yaml -n namespace2', noNs1), NOT_FOUND)
    const noNs2 = clone(want2)
    delete noNs2.metadata.namespace
    data(await calicoctl('get -o yaml -n namespace2', noNs2), want2)
    isError(await calicoctl('get -o yaml', noNs2), NOT_FOUND)
    noError(await calicoctl(`delete ${kind} ${name(want1)}`))
    isError(await calicoctl(`delete ${kind} ${name(want2)}`), NOT_FOUND)
    noError(await calicoctl('delete', want2))
  }
  test('test_namespaced_stagednetworkpolicy', () => namespaced(s.stagednetworkpolicy_name1_rev1))
  test('test_namespaced_tiered_stagednetworkpolicy', async () => {
    noError(await calicoctl('create', d.tier_name1_rev1))
    await namespaced(s.stagednetworkpolicy_tiered_name2_rev1)
    noError(await calicoctl('delete', d.tier_name1_rev1))
  })

  // test_crud.py: test_export_flag (the StagedNetworkPolicy part)
  test('test_export_flag: --export strips cluster metadata from a named StagedNetworkPolicy get only', async () => {
    const snp = name(s.stagednetworkpolicy_name2_rev1)
    noError(await calicoctl('create', s.stagednetworkpolicy_name2_rev1))
    const got0 = await calicoctl(`get stagednetworkpolicy ${snp} -o yaml`)
    noError(got0)
    const rev0 = got0.decoded
    for (const k of ['uid', 'creationTimestamp', 'resourceVersion']) assert.ok(k in rev0.metadata, k)
    assert.equal(rev0.metadata.name, snp)
    assert.equal(rev0.metadata.namespace, s.stagednetworkpolicy_name2_rev1.metadata.namespace)
    const got1 = await calicoctl(`get stagednetworkpolicy ${snp} -o yaml --export`)
    noError(got1)
    const rev1 = got1.decoded
    for (const k of ['uid', 'namespace', 'resourceVersion']) assert.ok(!(k in rev1.metadata), k)
    assert.equal(rev1.metadata.name, rev0.metadata.name)
    rev1.spec.order = 100
    const exported = join(scratch, 'export_data.yaml')
    writeFileSync(exported, JSON.stringify(rev1))
    const got2 = await calicoctl('get stagednetworkpolicy -o yaml --export')
    noError(got2)
    const rev2 = got2.decoded
    assert.equal(rev2.items.length, 1)
    for (const k of ['uid', 'namespace', 'resourceVersion']) assert.ok(k in rev2.items[0].metadata, k)
    assert.ok(rev2.items[0].metadata.creationTimestamp)
    assert.equal(rev2.items[0].metadata.name, rev0.metadata.name)
    noError(await calicoctl(`apply -f ${exported}`))
    const rev3 = (await calicoctl(`get stagednetworkpolicy ${snp} -o yaml`)).decoded
    assert.equal(rev3.metadata.name, rev1.metadata.name)
    assert.equal(rev3.spec.order, 100)
    noError(await calicoctl(`delete stagednetworkpolicy ${name(rev3)}`))
  })

  // test_crud.py: test_patch (the StagedNetworkPolicy part)
  test('test_patch: a patch that is not a StagedNetworkPolicy is refused', async () => {
    noError(await calicoctl('create', s.stagednetworkpolicy_name2_rev1))
    isError(await calicoctl(`patch stagednetworkpolicy ${name(s.stagednetworkpolicy_name2_rev1)} -p '{"http": {"exact": "path/to/match"}}'`))
  })
})
