// `get -o yaml` and `get -o json` byte for byte against files captured before the YAML reader and
// writer changed (issue 23: output stays byte-identical): one resource of every kind we write,
// with strings that need quoting in every way (text that reads as a number, boolean, null or
// timestamp in YAML 1.1; empty; leading and trailing spaces; YAML indicators; several lines;
// unprintable and non-ASCII characters), keys that need quotes, and large and fractional numbers.
// Volatile fields (uid, creationTimestamp, resourceVersion) are masked before comparing.
// Rewrite the files after an intended change with:
//   UPDATE_GOLDEN=1 node --import tsx --test test/integration/output-golden.test.ts
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {type CliSession, cliSession} from '../helpers/cli-session.js'

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'output-golden')
const UPDATE = process.env.UPDATE_GOLDEN === '1'

const session = cliSession('ctl-golden-')
const run: CliSession['run'] = (...args) => session.run(...args)

/** Annotation values: each needs (or must not get) quotes for its own reason. */
const TRICKY_VALUES = [
  '123', '-17', '1.5', '1e3', '0777', '0x1F', '0o17', '0b101', '1_000', '+12', '.5', '9007199254740993', '123456789012345678901234567890',
  'true', 'false', 'True', 'FALSE', 'yes', 'No', 'ON', 'off', 'y', 'N', 'null', 'Null', '~', '', '.inf', '-.Inf', '.nan', '<<',
  '2024-01-02', '2024-01-02T15:04:05Z', '2024-1-2 3:04:05', '12:30', '190:20:30.15',
  ' leading', 'trailing ', ' both ', '- dash', '-dash', '-', '?', '? q', ':', ': colon', 'a: b', 'a:b', 'key:', 'a #b', 'a#b', '#hash',
  "'single'", '"double"', "it's", '[x]', '{y}', 'a, b', '&anchor', '*alias', '!tag', '|', '>', '%pct', '@at', '`tick', '---', '...', '--- x',
  'tab\there', 'bell\u0007', 'nul\u0000', 'del\u007f', 'nbsp\u00a0x', 'nel\u0085x',
  'line\u2028sep', 'bom\ufeffx', 'unicode ☃ 日本語 é', 'emoji 🚀', 'back\\slash', 'very long '.repeat(12).trim(), 'x'.repeat(130),
]

/** Label values and keys that are valid Kubernetes names but read as other types in YAML. */
const TRICKY_LABELS: Record<string, string> = {
  yes: 'no', y: 'n', on: 'off', true: 'false', null: 'null', '1': '0777', '0x10': '1e3', '1_000': '2024-01-02', 'example.com/123': '1.5', 'a.b-c_d': '',
}

/** Strings over several lines (or with a CR): a document holding one is written another way. */
const MULTI_LINE = ['multi\nline\n', 'multi\nline', '\n', 'trailing newlines\n\n', 'cr\rhere', ' indented\nfirst line\n']

const annotations = Object.fromEntries(TRICKY_VALUES.map((v, i) => [`example.com/v${i}`, v]))
const meta = (name: string, namespace?: string, extra: string[] = []) => ({
  name,
  ...(namespace ? {namespace} : {}),
  labels: TRICKY_LABELS,
  annotations: {...annotations, ...Object.fromEntries(extra.map((v, i) => [`example.com/m${i}`, v]))},
})

const entity = {nets: ['198.51.100.0/24'], selector: 'app == "web"', namespaceSelector: "team == 'a'", ports: [80, '8000:8080', 'named'], notPorts: [8081]}
const rules = {
  ingress: [
    {action: 'Allow', ipVersion: 4, protocol: 'TCP', source: entity, destination: {nets: ['203.0.113.0/24'], ports: [443]}, http: {methods: ['GET'], paths: [{exact: '/healthz'}, {prefix: '/api'}]}, metadata: {annotations: {'yes': '', 'x': 'true', 'y': '#not a comment'}}},
    {action: 'Deny', protocol: 'ICMP', icmp: {type: 8, code: 0}},
  ],
  egress: [{action: 'Allow', protocol: 17, destination: {services: {name: 'db', namespace: 'data'}}}],
}

const DOCS: Array<{kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown>}> = [
  {kind: 'Tier', metadata: meta('security', undefined, MULTI_LINE), spec: {order: 100.25, defaultAction: 'Pass'}},
  {kind: 'GlobalNetworkPolicy', metadata: meta('security.gnp'), spec: {tier: 'security', order: 0.1, selector: 'all()', types: ['Ingress', 'Egress'], ...rules}},
  {kind: 'NetworkPolicy', metadata: meta('default.np', 'team'), spec: {order: 1e15, selector: "role == 'db'", ...rules}},
  {kind: 'StagedGlobalNetworkPolicy', metadata: meta('security.sgnp'), spec: {tier: 'security', order: 12345.678, selector: 'all()', ...rules}},
  {kind: 'StagedNetworkPolicy', metadata: meta('default.snp', 'team'), spec: {stagedAction: 'Set', selector: 'all()', ...rules}},
  {kind: 'StagedKubernetesNetworkPolicy', metadata: meta('sknp', 'team'), spec: {podSelector: {matchLabels: {app: 'yes'}}, policyTypes: ['Ingress']}},
  {kind: 'Profile', metadata: meta('edge'), spec: {...rules, labelsToApply: {role: 'true', '1': 'on'}}},
  {kind: 'GlobalNetworkSet', metadata: meta('gns'), spec: {nets: ['198.51.100.0/24', 'fd00::/64']}},
  {kind: 'NetworkSet', metadata: meta('ns', 'team'), spec: {nets: ['203.0.113.0/24']}},
  {kind: 'HostEndpoint', metadata: meta('hep'), spec: {node: 'node1', interfaceName: 'eth0', expectedIPs: ['198.51.100.20'], profiles: ['edge'], ports: [{name: 'http', protocol: 'TCP', port: 80}]}},
  {kind: 'IPPool', metadata: meta('pool1'), spec: {cidr: '10.20.0.0/16', ipipMode: 'Always', vxlanMode: 'Never', natOutgoing: true, blockSize: 26, nodeSelector: 'all()'}},
  {kind: 'IPReservation', metadata: meta('res1'), spec: {reservedCIDRs: ['10.20.0.0/28', '10.20.1.7']}},
  {kind: 'BGPConfiguration', metadata: meta('default'), spec: {asNumber: 4294967295, logSeverityScreen: 'Info', nodeToNodeMeshEnabled: false, communities: [{name: 'c1', value: '65000:100'}], prefixAdvertisements: [{cidr: '198.51.100.0/24', communities: ['c1', '65000:200']}], ignoredInterfaces: ['docker*']}},
  {kind: 'BGPPeer', metadata: meta('peer1'), spec: {peerIP: '198.51.100.10:179', asNumber: 64513, nodeSelector: 'rack == "a"', keepAliveTime: '30s', maxRestartTime: '2m5s'}},
  {kind: 'BGPFilter', metadata: meta('filter1'), spec: {exportV4: [{action: 'Accept', matchOperator: 'In', cidr: '198.51.100.0/24'}]}},
  {kind: 'FelixConfiguration', metadata: meta('default'), spec: {logSeverityScreen: 'Info', reportingInterval: '0s', ipipEnabled: true, bpfLogFilters: {all: 'tcp port 80', eth0: ''}, routeTableRange: {min: 1, max: 250}, failsafeInboundHostPorts: [{protocol: 'TCP', port: 22}]}},
  {kind: 'KubeControllersConfiguration', metadata: meta('default'), spec: {logSeverityScreen: 'Info', healthChecks: 'Enabled', controllers: {node: {reconcilerPeriod: '5m0s', syncLabels: 'Enabled'}}}},
  {kind: 'Node', metadata: meta('node9'), spec: {bgp: {asNumber: 64512, ipv4Address: '198.51.100.9/24'}, orchRefs: [{nodeName: 'node9', orchestrator: 'k8s'}]}},
  {
    kind: 'WorkloadEndpoint',
    metadata: meta('node9-k8s-pod1-eth0', 'team', MULTI_LINE),
    spec: {orchestrator: 'k8s', node: 'node9', pod: 'pod1', endpoint: 'eth0', interfaceName: 'cali0123456789a', ipNetworks: ['10.20.0.10/32'], profiles: ['kns.team'], qosControls: {ingressBandwidth: 1000000000000, egressBurst: 34359738360}},
  },
]

// The same kinds again as block YAML, the way people write manifests (comments, quoted scalars).
const BLOCK_YAML = `# block style, quoted scalars
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: block-style   # a trailing comment
  labels:
    'yes': "no"
    "0777": '1e3'
  annotations:
    quoted: "it's \\"quoted\\"\\ttab"
    folded: >
      folded text
      on two lines
    literal: |
      literal
        indented
    single: 'a ''b'' c'
    plain: a plain string, with:colon # and a comment
    empty: ""
spec:
  nets:
  - 198.51.100.0/24
  - "fd00::/64"
`

const mask = (s: string) =>
  s
    .replace(/("?(?:uid|creationTimestamp|resourceVersion)"?): "?[^"\n]*"?/g, '$1: <masked>')

/** Compares with (or, with UPDATE_GOLDEN=1, writes) the golden file. */
function golden(name: string, text: string): void {
  const file = join(GOLDEN_DIR, name)
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, {recursive: true})
    writeFileSync(file, text)
    return
  }
  assert.equal(text, readFileSync(file, 'utf8'), `${name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it after an intended change)`)
}

test('apply: every kind, with the tricky strings and numbers, lands', async () => {
  const text = DOCS.map((d) => JSON.stringify({apiVersion: 'projectcalico.org/v3', ...d})).join('\n---\n')
  const applied = await run(['apply', '-f', session.file(text)])
  assert.equal(applied.code, 0, applied.stderr)
  const block = await run(['apply', '-f', session.file(BLOCK_YAML)])
  assert.equal(block.code, 0, block.stderr)
})

for (const kind of [...new Set(DOCS.map((d) => d.kind))]) {
  test(`${kind}: get -o yaml and -o json as captured`, async () => {
    const ns = DOCS.find((d) => d.kind === kind)!.metadata.namespace ? ['-A'] : []
    for (const format of ['yaml', 'json']) {
      const got = await run(['get', kind, ...ns, '-o', format])
      assert.equal(got.code, 0, got.stderr)
      golden(`${kind}.${format}.golden`, mask(got.stdout))
    }
  })
}

test('one resource by name, and the block-style manifest read back', async () => {
  for (const format of ['yaml', 'json']) {
    const one = await run(['get', 'globalnetworkpolicy', 'security.gnp', '-o', format])
    assert.equal(one.code, 0, one.stderr)
    golden(`one-gnp.${format}.golden`, mask(one.stdout))
    const block = await run(['get', 'globalnetworkset', 'block-style', '-o', format])
    assert.equal(block.code, 0, block.stderr)
    golden(`block-style.${format}.golden`, mask(block.stdout))
  }
})
