import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {decodeResource, encodeResource} from '../../src/datastore/codec.js'
import {loadClientConfig} from '../../src/datastore/config.js'
import {formatFieldError, ValidationError} from '../../src/resources/errors.js'
import {defaultAndValidate, resourceFromDoc, splitDocuments} from '../../src/resources/manifest.js'
import {kindByName, lookupKind} from '../../src/resources/registry.js'
import {canonicalize, checkType, obj, str, bool, boolPtr, list} from '../../src/resources/schema.js'
import type {Resource} from '../../src/resources/types.js'
import {CidrIndex, parseAsNumber, parseCidr} from '../../src/resources/validate.js'
import {parseOutputFormat, printResources} from '../../src/output/printers.js'
import {tabTable} from '../../src/output/table.js'
import {summarize} from '../../src/service/summary.js'
import {jsonPatch, mergePatch, parseLabelArg} from '../../src/service/modify.js'
import {CalicoError, NotFoundError} from '../../src/resources/errors.js'

const IPPool = kindByName('IPPool')!
const BGPPeer = kindByName('BGPPeer')!
const BGPConfiguration = kindByName('BGPConfiguration')!
const Node = kindByName('Node')!

function res(kind: string, name: string, spec: Record<string, unknown>): Resource {
  return {apiVersion: 'projectcalico.org/v3', kind, metadata: {name}, spec}
}

function problems(kind: string, name: string, spec: Record<string, unknown>, existing?: Resource[]): string[] {
  try {
    defaultAndValidate(kindByName(kind)!, res(kind, name, spec), existing ? {existing} : {})
    return []
  } catch (error) {
    assert.ok(error instanceof ValidationError)
    return error.errors.map(formatFieldError)
  }
}

describe('registry', () => {
  test('kinds resolve by kind, plural and alias, case-insensitively', () => {
    for (const n of ['IPPool', 'ippools', 'ipp', 'Pools', 'POOL']) assert.equal(lookupKind(n), IPPool)
    assert.equal(lookupKind('bp'), BGPPeer)
    assert.equal(lookupKind('bgpconfig'), BGPConfiguration)
    assert.equal(lookupKind('no'), Node)
    assert.equal(lookupKind('widget'), undefined)
  })
})

describe('IPPool', () => {
  test('defaults: block size by family, modes Never, all(), uses, assignment mode', () => {
    const r = defaultAndValidate(IPPool, res('IPPool', 'p', {cidr: '10.0.0.0/16'}))
    assert.deepEqual(r.spec, {cidr: '10.0.0.0/16', vxlanMode: 'Never', ipipMode: 'Never', blockSize: 26, nodeSelector: 'all()', allowedUses: ['Workload', 'Tunnel'], assignmentMode: 'Automatic'})
    const v6 = defaultAndValidate(IPPool, res('IPPool', 'p6', {cidr: 'fd00:0:0:0::/48'}))
    assert.equal(v6.spec.blockSize, 122)
    assert.equal(v6.spec.cidr, 'fd00::/48')
  })

  test('each rule Calico enforces, all reported at once', () => {
    assert.deepEqual(problems('IPPool', 'p', {cidr: '10.0.0.1/16'}), ["spec.cidr = '10.0.0.1/16': IPPool CIDR is not strictly masked"])
    assert.match(problems('IPPool', 'p', {cidr: 'nope'})[0]!, /IPPool CIDR must be a valid subnet/)
    assert.match(problems('IPPool', 'p', {cidr: '169.254.0.0/24'})[0]!, /link-local/)
    assert.match(problems('IPPool', 'p', {cidr: '10.0.0.0/16', blockSize: 19})[0]!, /IPv4 block size must be between 20 and 32/)
    assert.match(problems('IPPool', 'p', {cidr: '10.0.0.0/28'})[0]!, /too small/)
    assert.deepEqual(problems('IPPool', 'p', {cidr: '10.0.0.0/28', disabled: true}), [])
    assert.match(problems('IPPool', 'p', {cidr: 'fd00::/48', ipipMode: 'Always'})[0]!, /IPIP is not supported on an IPv6 IP pool/)
    const both = problems('IPPool', 'p', {cidr: '10.0.0.0/16', ipipMode: 'Always', vxlanMode: 'CrossSubnet', nodeSelector: "a == 'b"})
    assert.equal(both.length, 2)
    assert.match(both.join('\n'), /Cannot enable both VXLAN and IPIP/)
    assert.match(both.join('\n'), /spec.nodeSelector/)
    assert.match(problems('IPPool', 'p', {cidr: '10.0.0.0/16', ipipMode: 'always'})[0]!, /must be one of Always, CrossSubnet, Never/)
  })

  test('overlap with other pools, not with itself', () => {
    const other = res('IPPool', 'other', {cidr: '10.0.0.0/8'})
    assert.match(problems('IPPool', 'p', {cidr: '10.1.0.0/16'}, [other])[0]!, /IPPool\(p\) CIDR overlaps with IPPool\(other\) CIDR 10.0.0.0\/8/)
    assert.deepEqual(problems('IPPool', 'p', {cidr: '11.0.0.0/16'}, [other]), [])
    assert.deepEqual(problems('IPPool', 'other', {cidr: '10.0.0.0/8'}, [other]), [])
  })

  test('cidr and blockSize are immutable', () => {
    const a = defaultAndValidate(IPPool, res('IPPool', 'p', {cidr: '10.0.0.0/16'}))
    const b = defaultAndValidate(IPPool, res('IPPool', 'p', {cidr: '10.1.0.0/16', blockSize: 27}))
    const errs = IPPool.validateUpdate!(a, b).map(formatFieldError)
    assert.equal(errs.length, 2)
    assert.match(errs[0]!, /IPPool CIDR cannot be modified/)
    assert.match(errs[1]!, /IPPool BlockSize cannot be modified/)
  })

  test('table cells: modes shown as Never when empty', () => {
    const r = res('IPPool', 'p', {cidr: '10.0.0.0/16'})
    assert.equal(IPPool.cell(r, 'IPIPMODE'), 'Never')
    assert.equal(IPPool.cell(r, 'NAT'), 'false')
  })
})

describe('BGPPeer, BGPConfiguration, Node', () => {
  test('BGPPeer field exclusivity and AS numbers', () => {
    assert.deepEqual(problems('BGPPeer', 'x', {peerIP: '198.51.100.1', asNumber: 64512}), [])
    assert.deepEqual(problems('BGPPeer', 'x', {peerIP: '[2001:db8::1]:179', asNumber: '1.10'}), [])
    assert.match(problems('BGPPeer', 'x', {node: 'a', nodeSelector: 'all()', peerIP: '198.51.100.1', asNumber: 1})[0]!, /Node field must be empty when NodeSelector is specified/)
    const sel = problems('BGPPeer', 'x', {peerSelector: 'all()', peerIP: '198.51.100.1', asNumber: 1})
    assert.match(sel.join('\n'), /PeerIP field must be empty when PeerSelector is specified/)
    assert.match(sel.join('\n'), /ASNumber field must be empty when PeerSelector is specified/)
    assert.match(problems('BGPPeer', 'x', {peerIP: 'badpeerIP', asNumber: 1})[0]!, /spec.peerIP = 'badpeerIP'/)
    assert.match(problems('BGPPeer', 'x', {peerIP: '198.51.100.1', asNumber: '65536.1'})[0]!, /must be an AS number/)
    assert.equal(BGPPeer.cell(res('BGPPeer', 'x', {peerIP: '1.2.3.4'}), 'NODE'), '(global)')
  })

  test('AS numbers plain and dotted', () => {
    assert.equal(parseAsNumber('64512'), 64512)
    assert.equal(parseAsNumber('1.10'), 65546)
    assert.equal(parseAsNumber(4294967295), 4294967295)
    assert.equal(parseAsNumber(4294967296), undefined)
    assert.equal(parseAsNumber('1.65536'), undefined)
  })

  test('BGPConfiguration: default-only fields, names', () => {
    assert.deepEqual(problems('BGPConfiguration', 'default', {nodeToNodeMeshEnabled: false, asNumber: 64513}), [])
    const e = problems('BGPConfiguration', 'node.host1', {nodeToNodeMeshEnabled: false})
    assert.match(e[0]!, /Cannot set nodeToNodeMeshEnabled on a non default BGP Configuration./)
    // Upstream puts no rule on the name beyond DNS-1123 (validator.go validateObjectMeta).
    assert.deepEqual(problems('BGPConfiguration', 'other', {}), [])
    assert.match(problems('BGPConfiguration', 'default', {logSeverityScreen: 'Loud'})[0]!, /must be one of Trace/)
    assert.equal(BGPConfiguration.cell(res('BGPConfiguration', 'default', {}), 'MESHENABLED'), '-')
  })

  test('Node: addresses, empty bgp, ASN cell', () => {
    assert.deepEqual(problems('Node', 'n1', {bgp: {ipv4Address: '198.51.100.95/24', ipv4IPIPTunnelAddr: '192.168.0.1'}}), [])
    assert.match(problems('Node', 'n1', {bgp: {}})[0]!, /Spec.BGP should not be empty/)
    assert.match(problems('Node', 'n1', {bgp: {ipv4Address: '198.51.100.95'}})[0]!, /must be a valid IPv4 CIDR/)
    assert.equal(Node.cell(res('Node', 'n1', {bgp: {ipv4Address: '198.51.100.95/24'}}), 'ASN'), '(64512)')
  })

  test('names must be DNS-1123 subdomains', () => {
    assert.match(problems('IPPool', 'Bad_Name', {cidr: '10.0.0.0/16'})[0]!, /metadata.name = 'Bad_Name': name must consist of lower case/)
    assert.match(problems('IPPool', 'a'.repeat(254), {cidr: '10.0.0.0/16'})[0]!, /too long by 1 bytes/)
  })
})

describe('schema and codec', () => {
  const t = obj([['a', str], ['b', bool], ['c', boolPtr], ['d', obj([['x', str]])], ['e', list(str)]])
  test('strict: unknown fields and wrong types are errors with their paths', () => {
    const errs: any[] = []
    checkType({a: 1, z: 2, d: {y: 1}, e: ['ok', 3]}, t, 'spec', errs)
    assert.deepEqual(errs.map(formatFieldError).sort(), [
      'spec.a = \'1\': must be a string',
      'spec.d.y: field is not recognised (unknown field or wrong location)',
      "spec.e[1] = '3': must be a string",
      'spec.z: field is not recognised (unknown field or wrong location)',
    ])
  })
  test('omitempty like Go: zero values dropped, pointers and embedded structs kept, struct order', () => {
    assert.deepEqual(JSON.stringify(canonicalize({e: [], c: false, b: false, a: ''}, t)), '{"c":false,"d":{}}')
    assert.deepEqual(Object.keys(canonicalize({e: ['x'], a: 'y'}, t) as object), ['a', 'd', 'e'])
  })
  test('encode drops resourceVersion; decode sets it from the mod revision and applies defaults', () => {
    const r = res('IPPool', 'p', {cidr: '10.0.0.0/16'})
    r.metadata.resourceVersion = '7'
    const json = encodeResource(IPPool, r)
    assert.equal(json, '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"p"},"spec":{"cidr":"10.0.0.0/16"}}')
    const back = decodeResource(IPPool, {key: 'k', value: json, modRevision: '9', createRevision: '3'})
    assert.equal(back.metadata.resourceVersion, '9')
    assert.equal(back.spec.blockSize, 26)
  })
  test('manifests: lists, arrays and multi-doc YAML; namespace rules', () => {
    const docs = splitDocuments([{source: 's', text: 'kind: IPPoolList\napiVersion: projectcalico.org/v3\nitems:\n- {kind: IPPool, apiVersion: projectcalico.org/v3, metadata: {name: a}, spec: {cidr: 10.0.0.0/8}}\n---\n- {kind: IPPool, apiVersion: projectcalico.org/v3, metadata: {name: b}, spec: {cidr: 11.0.0.0/8}}\n'}])
    assert.deepEqual(docs.map((d) => (d.doc.metadata as any).name), ['a', 'b'])
    assert.throws(() => resourceFromDoc({source: 's', doc: {kind: 'IPPool', apiVersion: 'projectcalico.org/v3', metadata: {name: 'a', namespace: 'x'}, spec: {}}}), /namespace should not be specified for a non-namespaced resource/)
    assert.throws(() => splitDocuments([{source: 'f.yaml', text: 'a: [1'}]), /f.yaml: invalid YAML\/JSON/)
  })
})

describe('CidrIndex', () => {
  test('finds exactly the overlapping CIDRs, per family', () => {
    const idx = new CidrIndex([
      ['10.0.0.0/8', 'a'],
      ['11.0.0.0/16', 'b'],
      ['11.0.1.0/24', 'c'],
      ['fd00::/64', 'd'],
      ['12.0.0.0/24', 'e'],
    ] as const)
    assert.deepEqual(idx.overlapping('10.5.0.0/16'), ['a'])
    assert.deepEqual(idx.overlapping('11.0.0.0/8').sort(), ['b', 'c'])
    assert.deepEqual(idx.overlapping('11.0.1.128/25'), ['b', 'c'])
    assert.deepEqual(idx.overlapping('9.0.0.0/8'), [])
    assert.deepEqual(idx.overlapping('fd00::1/128'), ['d'])
    assert.deepEqual(idx.overlapping('0.0.0.0/0').sort(), ['a', 'b', 'c', 'e'])
    assert.equal(parseCidr('10.0.0.1/8')!.masked, false)
  })
})

describe('output', () => {
  test('tabwriter layout pads every cell with at least 3 spaces, min width 5', () => {
    assert.equal(tabTable([['NAME', 'CIDR'], ['ab', '10.0.0.0/8']]), 'NAME   CIDR         \nab     10.0.0.0/8   \n')
  })
  test('formats, custom columns and list shapes', async () => {
    assert.deepEqual(parseOutputFormat('custom-columns=NAME, CIDR'), {type: 'custom-columns', columns: ['NAME', 'CIDR']})
    assert.throws(() => parseOutputFormat('xml'), /unrecognized output format 'xml'/)
    assert.throws(() => parseOutputFormat('custom-columns='), /need to specify at least one column/)
    const items = [res('IPPool', 'p', {cidr: '10.0.0.0/16'})]
    const list = JSON.parse(await printResources({def: IPPool, items, format: {type: 'json'}, shape: 'list', listRevision: '5'}))
    assert.deepEqual(Object.keys(list), ['apiVersion', 'kind', 'items', 'metadata'])
    assert.equal(list.kind, 'IPPoolList')
    const yaml = await printResources({def: IPPool, items, format: {type: 'yaml'}, shape: 'one'})
    assert.match(yaml, /^apiVersion: projectcalico.org\/v3\nkind: IPPool\nmetadata:\n {2}name: p\nspec:\n {2}cidr: 10.0.0.0\/16\n$/)
  })
  test('summaries: success, single failure, partial, delete', () => {
    const row = (name: string, error?: CalicoError) => ({def: IPPool, resource: res('IPPool', name, {}), ...(error ? {error} : {action: 'created' as const})})
    assert.equal(summarize('apply', [row('a'), row('b')]).stdout, "Successfully applied 2 'IPPool' resource(s)\n")
    assert.equal(summarize('create', [row('a', new CalicoError('boom'))]).stderr, "failed to create 'IPPool' resource: boom\n")
    const partial = summarize('create', [row('a'), row('b', new CalicoError('boom'))])
    assert.equal(partial.ok, false)
    assert.equal(partial.stderr, "Partial success: created 1 out of 2 'IPPool' resources; 1 failed:\n  boom\n")
    const del = summarize('delete', [row('a'), row('b', new NotFoundError('resource does not exist: IPPool(b)'))])
    assert.equal(del.stdout, "Successfully deleted 1 'IPPool' resource(s)\n")
    assert.equal(del.stderr, "Failed to delete 'IPPool' resource: resource does not exist: IPPool(b)\n")
  })
})

describe('patches and labels', () => {
  test('merge patch: merge objects, null deletes, arrays replace', () => {
    assert.deepEqual(mergePatch({a: 1, b: {c: 1, d: 2}, e: [1]}, {b: {c: null, x: 3}, e: [2]}), {a: 1, b: {d: 2, x: 3}, e: [2]})
  })
  test('JSON patch ops and failures', () => {
    const doc = {spec: {a: [1, 2], b: 'x'}}
    assert.deepEqual(jsonPatch(doc, [{op: 'add', path: '/spec/a/-', value: 3}, {op: 'remove', path: '/spec/b'}, {op: 'test', path: '/spec/a/0', value: 1}]), {spec: {a: [1, 2, 3]}})
    assert.deepEqual(jsonPatch(doc, [{op: 'move', from: '/spec/b', path: '/spec/c'}]), {spec: {a: [1, 2], c: 'x'}})
    assert.throws(() => jsonPatch(doc, [{op: 'replace', path: '/spec/zz', value: 1}]), /does not exist/)
    assert.throws(() => jsonPatch(doc, [{op: 'test', path: '/spec/b', value: 'y'}]), /test failed/)
    assert.throws(() => jsonPatch(doc, {op: 'add'}), /list of operations/)
  })
  test('label arguments', () => {
    assert.deepEqual(parseLabelArg('a=b', false), {key: 'a', value: 'b'})
    assert.throws(() => parseLabelArg('a=b=c', false), /invalid label a=b=c/)
    assert.deepEqual(parseLabelArg('a', true), {key: 'a'})
  })
})

describe('client configuration', () => {
  const read = (files: Record<string, string>) => (p: string) => {
    if (p in files) return files[p]!
    throw new Error('ENOENT')
  }
  const cfg = 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: http://10.0.0.1:2379,http://10.0.0.2:2379\n  etcdUsername: u\n  etcdPassword: p\n'
  test('an existing default file wins over the environment, alone', async () => {
    const c = await loadClientConfig({env: {ETCD_ENDPOINTS: 'http://env:2379'}, readFile: read({'/etc/calico/calicoctl.cfg': cfg})})
    assert.deepEqual(c.endpoints, ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'])
    assert.equal(c.username, 'u')
  })
  test('missing default file: environment, CALICO_ prefix first, default endpoint last', async () => {
    assert.deepEqual((await loadClientConfig({env: {CALICO_ETCD_ENDPOINTS: 'http://a:1', ETCD_ENDPOINTS: 'http://b:1'}, readFile: read({})})).endpoints, ['http://a:1'])
    assert.deepEqual((await loadClientConfig({env: {}, readFile: read({})})).endpoints, ['http://127.0.0.1:2379'])
  })
  test('explicit missing file, bad kind, unknown field, mixed inline and file certs', async () => {
    await assert.rejects(loadClientConfig({configPath: '/x.cfg', env: {}, readFile: read({})}), /Error reading config file: \/x.cfg/)
    await assert.rejects(loadClientConfig({configPath: '/x', env: {}, readFile: read({'/x': cfg.replace('CalicoAPIConfig', 'Nope')})}), /expected kind 'CalicoAPIConfig', got 'Nope'/)
    await assert.rejects(loadClientConfig({configPath: '/x', env: {}, readFile: read({'/x': `${cfg}  etcdColour: red\n`})}), /not recognized or is in the wrong location: spec.etcdColour/)
    await assert.rejects(loadClientConfig({configPath: '/x', env: {}, readFile: read({'/x': `${cfg}  etcdKey: abc\n  etcdKeyFile: /k\n`})}), /Cannot mix inline certificate-key/)
  })
})
