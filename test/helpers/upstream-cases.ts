// The steps upstream calicoctl's test_crud.py (v3.32.1) repeats for several kinds, as its private
// helpers and as the per-kind halves of its longer tests: shared by upstream-crud.test.ts and
// upstream-staged.test.ts. `ctl` gives the harness of test/helpers/upstream.ts once etcd is up.
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, beforeEach} from 'node:test'
import {startEtcd, type TestEtcd} from './etcd.js'
import {data, ERROR_CONFLICT, isError, list, NOT_FOUND, NOT_NAMESPACED, name, noError, type Outcome, upstreamCli, withTierLabel} from './upstream.js'

type Ctl = ReturnType<typeof upstreamCli>

const clone = <T>(x: T): T => structuredClone(x)
const rv = (o: {decoded: any}) => o.decoded.metadata.resourceVersion as string
// The kinds _test_namespaced names <tier>.name1 / <tier>.name2.
const POLICY_KINDS = ['NetworkPolicy', 'StagedNetworkPolicy', 'StagedKubernetesNetworkPolicy']

export function upstreamCases(ctl: () => Ctl) {
  const calicoctl: Ctl = (...args) => ctl()(...args)

  /** Writes `res` with `verb` and reads it back by name; given `previous`, the revision must have moved on. */
  async function writeAndRead(verb: string, res: any, kind: string, previous?: Outcome): Promise<Outcome> {
    noError(await calicoctl(verb, res))
    const read = await calicoctl(`get ${kind} ${name(res)} -o yaml`)
    noError(read)
    if (previous) assert.notEqual(rv(read), rv(previous))
    return read
  }

  /**
   * Upstream's resourceVersion pattern: write rev1, then rev2 without a resourceVersion (a new
   * revision); the first read-back is now stale (a conflict); with the new resourceVersion it
   * writes; delete by name.
   */
  async function honoursResourceVersion(first: string, verb: 'apply' | 'replace', kind: string, rev1: any, rev2: any): Promise<void> {
    const read0 = await writeAndRead(first, rev1, kind)
    const read1 = await writeAndRead(verb, rev2, kind, read0)
    isError(await calicoctl(verb, read0.decoded), ERROR_CONFLICT)
    const again = clone(read0.decoded)
    again.metadata.resourceVersion = rv(read1)
    noError(await calicoctl(verb, again))
    noError(await calicoctl(`delete ${kind} ${name(again)}`))
  }

  /** test_stdin, per kind: create (JSON), apply (YAML), replace (JSON), delete (YAML), all on stdin. */
  async function stdinCrud(kind: string, rev1: any, rev2: any): Promise<void> {
    const res = name(rev1)
    noError(await calicoctl('create', rev1, {format: 'json', stdin: true}))
    data(await calicoctl(`get ${kind} ${res} -o json`), withTierLabel(rev1), 'json')
    noError(await calicoctl('apply', rev2, {format: 'yaml', stdin: true}))
    data(await calicoctl(`get ${kind} ${res} -o yaml`), withTierLabel(rev2))
    noError(await calicoctl('replace', rev1, {format: 'json', stdin: true}))
    data(await calicoctl(`get ${kind} ${res} -o json`), withTierLabel(rev1), 'json')
    noError(await calicoctl('delete', rev1, {format: 'yaml', stdin: true}))
  }

  /** test_export_flag, per kind: --export strips cluster metadata from a named get only; the export applies. */
  async function exportFlag(kind: string, res: any): Promise<void> {
    noError(await calicoctl('create', res))
    const rev0 = (await calicoctl(`get ${kind} ${name(res)} -o yaml`)).decoded
    assert.ok('uid' in rev0.metadata && 'creationTimestamp' in rev0.metadata && 'resourceVersion' in rev0.metadata)
    assert.equal(rev0.metadata.name, res.metadata.name)
    assert.equal(rev0.metadata.namespace, res.metadata.namespace)
    const rev1 = (await calicoctl(`get ${kind} ${name(res)} -o yaml --export`)).decoded
    for (const k of ['uid', 'namespace', 'resourceVersion']) assert.ok(!(k in rev1.metadata), k)
    assert.equal(rev1.metadata.name, rev0.metadata.name)
    rev1.spec.order = 100
    const exported = join(mkdtempSync(join(tmpdir(), 'ctl-upstream-export-')), 'export_data.yaml')
    writeFileSync(exported, JSON.stringify(rev1))
    const rev2 = (await calicoctl(`get ${kind} -o yaml --export`)).decoded
    assert.equal(rev2.items.length, 1)
    for (const k of ['uid', 'namespace', 'resourceVersion']) assert.ok(k in rev2.items[0].metadata, k)
    assert.ok(rev2.items[0].metadata.creationTimestamp)
    assert.equal(rev2.items[0].metadata.name, rev0.metadata.name)
    noError(await calicoctl(`apply -f ${exported}`))
    const rev3 = (await calicoctl(`get ${kind} ${name(res)} -o yaml`)).decoded
    assert.equal(rev3.metadata.name, rev1.metadata.name)
    assert.equal(rev3.spec.order, 100)
    noError(await calicoctl(`delete ${kind} ${name(rev3)}`))
  }

  /** _test_non_namespaced: a namespace or --all-namespaces is refused for a cluster-wide kind. */
  async function nonNamespaced(res: any): Promise<void> {
    noError(await calicoctl('create', res))
    noError(await calicoctl(`get ${res.kind}`))
    noError(await calicoctl(`get ${res.kind} -o wide`))
    isError(await calicoctl(`get ${res.kind} ${name(res)} --namespace default -o yaml`), NOT_NAMESPACED)
    isError(await calicoctl(`get ${res.kind} --all-namespaces -o yaml`), NOT_NAMESPACED)
    noError(await calicoctl('delete', res))
  }

  /** _test_namespaced: the default namespace, -n, --all-namespaces and the file's namespace. */
  async function namespaced(res: any): Promise<void> {
    const kind = res.kind as string
    const data1 = clone(res)
    const data2 = clone(res)
    if (kind === 'WorkloadEndpoint') {
      data2.metadata.name = `${data1.metadata.name.slice(0, -1)}1`
      data2.spec.endpoint = 'eth1'
    } else if (POLICY_KINDS.includes(kind)) {
      data1.metadata.name = `${data1.spec.tier ?? 'default'}.name1`
      data2.metadata.name = `${data2.spec.tier ?? 'default'}.name2`
    } else {
      data1.metadata.name = 'name1'
      data2.metadata.name = 'name2'
    }
    data1.metadata.namespace = ''
    data2.metadata.namespace = 'namespace2'
    noError(await calicoctl('create', data1))
    noError(await calicoctl('create', data2))
    // An empty namespace defaults to "default"; policies carry their tier label.
    const want1 = withTierLabel({...data1, metadata: {...data1.metadata, namespace: 'default'}})
    let want2 = withTierLabel(data2)
    if (kind === 'WorkloadEndpoint') {
      want1.metadata.labels = {...want1.metadata.labels, 'projectcalico.org/namespace': 'default'}
      want2 = {...want2, metadata: {...want2.metadata, labels: {...want2.metadata.labels, 'projectcalico.org/namespace': 'namespace2'}}}
    }
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

  return {writeAndRead, honoursResourceVersion, stdinCrud, exportFlag, nonNamespaced, namespaced}
}

/**
 * Upstream's TestBase for a test file: one real etcd for the file, emptied before every test.
 * Returns the harness bound to it and the shared steps.
 */
export function upstreamSuite() {
  let etcd: TestEtcd | undefined
  let ctl: Ctl | undefined
  before(async () => {
    etcd = await startEtcd()
    ctl = upstreamCli(etcd.endpoint)
  })
  after(async () => etcd?.stop())
  beforeEach(async () => etcd?.wipe())
  const calicoctl: Ctl = (...args) => {
    if (!ctl) throw new Error('the upstream harness runs only inside a test')
    return ctl(...args)
  }
  return {calicoctl, ...upstreamCases(() => calicoctl)}
}
