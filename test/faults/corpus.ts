// The hostile manifest corpus, generated: each case is a valid base manifest with one hostile
// mutation, or raw bytes that are not a manifest at all. Shared by the unit test (in-process) and
// the CLI sample (integration).

export interface HostileCase {
  name: string
  text: string
  ext?: 'yaml' | 'json'
  /** What the message must mention, when that is certain. */
  expect?: RegExp
  /** One line per problem: a few cases have many problems. */
  maxLines?: number
}

const V3 = 'apiVersion: projectcalico.org/v3'

export const VALID_BASES: Record<string, string> = {
  ippool: `${V3}\nkind: IPPool\nmetadata:\n  name: pool-a\nspec:\n  cidr: 10.10.0.0/16\n  blockSize: 26\n  ipipMode: Always\n  nodeSelector: all()\n`,
  networkset: `${V3}\nkind: GlobalNetworkSet\nmetadata:\n  name: set-a\n  labels:\n    role: db\nspec:\n  nets:\n  - 10.20.0.0/24\n`,
  hostendpoint: `${V3}\nkind: HostEndpoint\nmetadata:\n  name: hep-a\nspec:\n  node: node1\n  interfaceName: eth0\n  expectedIPs:\n  - 198.51.100.10\n`,
  bgppeer: `${V3}\nkind: BGPPeer\nmetadata:\n  name: peer-a\nspec:\n  peerIP: 198.51.100.20\n  asNumber: 64513\n`,
  policy: `${V3}\nkind: GlobalNetworkPolicy\nmetadata:\n  name: pol-a\nspec:\n  selector: role == "db"\n  ingress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      ports:\n      - 5432\n`,
  node: `${V3}\nkind: Node\nmetadata:\n  name: node-a\nspec:\n  bgp:\n    ipv4Address: 198.51.100.30/24\n`,
}

const y = (s: string) => JSON.stringify(s) // YAML accepts JSON strings: every byte survives quoting

const SHELL_NAMES = [
  'a;rm -rf /', '$(reboot)', '`id`', 'a|b', 'a&&b', 'a>b', 'a<b', "a'b", 'a"b', 'a b', 'a\nb', 'a\tb', 'a$IFS', '$' + '{PATH}',
  '-rf', '--help', 'a*', 'a?', 'a#b', 'a!b', 'a\\b', 'a\u0000b', 'a=b', '~root',
]
const PATH_NAMES = ['../etc', '..', '.', 'a/b', '/abs', 'a/../../b', '..%2f', 'a\\..\\b']
const UNICODE_NAMES = [
  'pооl', // Cyrillic о
  'ｐｏｏｌ', // fullwidth
  'po\u200bol', // zero-width space
  'pool\u202e', // right-to-left override
  'poo\u0301l', // combining accent
  'ΡΟΟL', // Greek capitals
  'pool\u00a0a', // no-break space
  '\ufeffpool', // BOM
  'pool💥',
  'ǅpool',
]
const LONG_NAMES = ['a'.repeat(254), `${'a'.repeat(64)}.${'b'.repeat(200)}`, 'A'.repeat(10), 'a_b', '', '-a', 'a-', 'a..b']

const BAD_CIDRS = [
  '10.0.0.0/33', '999.1.1.0/24', '10.0.0/24', '10.0.0.0/-1', '10.0.0.0/', '/24', '10.0.0.0/8/8', ' 10.0.0.0/8', '10.0.0.0 /8',
  '::/129', 'fe80::zz/64', '1::2::3/64', 'localhost/8', '0x0a000000/8', '10.0.0.0/24;reboot', '$(id)/24', '10.1.0.0/0x10', '',
  '10.0.0.256/24', '1.2.3.4.5/24',
]
const BAD_IPS = ['198.51.100.256', '198.51.100', '::g', 'example.com', '198.51.100.1/24/1', '$(id)', '1.2.3.4;ls', '', '[::1]:99999', '-1.2.3.4']
const BAD_SELECTORS = [
  'a ==', 'has(', '!!!', 'a in {', "x == 'unterminated", 'a == "b" &&', '&& a == "b"', '(a == "b"', 'a == "b")', 'a === "b"',
  'has(a b)', 'a in {"x" "y"}', 'all(x)', '$(reboot)', 'a == b', '||', `${'('.repeat(5000)}a == "b"${')'.repeat(5000)}`,
  'global()', 'a == "x" || global()', '`id`',
]
const BAD_IFACES = ['a'.repeat(16), 'eth0;reboot', 'eth0 ', 'eth 0', '../eth0', 'eth0/1', '$(id)', 'eth0\n', 'ｅｔｈ0', 'eth\u200b0', 'a'.repeat(300)]

export function hostileCorpus(): HostileCase[] {
  const out: HostileCase[] = []
  const add = (name: string, text: string, extra: Partial<HostileCase> = {}) => out.push({name, text, ...extra})

  // Names, in three kinds (non-namespaced, another non-namespaced, a namespaced one).
  const named: Array<[string, (n: string) => string]> = [
    ['IPPool', (n) => `${V3}\nkind: IPPool\nmetadata:\n  name: ${y(n)}\nspec:\n  cidr: 10.10.0.0/16\n`],
    ['GlobalNetworkSet', (n) => `${V3}\nkind: GlobalNetworkSet\nmetadata:\n  name: ${y(n)}\nspec:\n  nets: [10.20.0.0/24]\n`],
    ['NetworkPolicy', (n) => `${V3}\nkind: NetworkPolicy\nmetadata:\n  name: ${y(n)}\n  namespace: default\nspec:\n  selector: all()\n`],
  ]
  for (const [kind, make] of named) {
    for (const n of SHELL_NAMES) add(`${kind} name with shell metacharacters ${JSON.stringify(n)}`, make(n), {expect: /metadata\.name/})
    for (const n of PATH_NAMES) add(`${kind} name with path separators ${JSON.stringify(n)}`, make(n), {expect: /metadata\.name/})
    for (const n of UNICODE_NAMES) add(`${kind} unicode look-alike name ${JSON.stringify(n)}`, make(n), {expect: /metadata\.name/})
  }
  for (const n of LONG_NAMES) add(`bad name ${JSON.stringify(n.slice(0, 20))}`, named[0]![1](n), {expect: /metadata\.name/})
  for (const ns of ['../kube-system', 'a;b', 'Default', 'ns/x'])
    add(`namespace ${JSON.stringify(ns)}`, `${V3}\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: ${y(ns)}\nspec: {}\n`, {expect: /namespace/})

  // CIDRs and IPs.
  for (const c of BAD_CIDRS) {
    add(`IPPool cidr ${JSON.stringify(c)}`, VALID_BASES.ippool!.replace('10.10.0.0/16', y(c)), {expect: /cidr/i})
    add(`GlobalNetworkSet net ${JSON.stringify(c)}`, VALID_BASES.networkset!.replace('10.20.0.0/24', y(c)), {expect: /nets/})
  }
  for (const ip of BAD_IPS) {
    // An empty peerIP is valid upstream (validator.go validateBGPPeerSpec requires none of peerIP/asNumber).
    if (ip !== '') add(`BGPPeer peerIP ${JSON.stringify(ip)}`, VALID_BASES.bgppeer!.replace('198.51.100.20', y(ip)), {expect: /peerIP/})
    if (ip !== '') add(`Node ipv4Address ${JSON.stringify(ip)}`, VALID_BASES.node!.replace('198.51.100.30/24', y(ip)), {expect: /ipv4Address/})
    add(`HostEndpoint expectedIP ${JSON.stringify(ip)}`, VALID_BASES.hostendpoint!.replace('198.51.100.10', y(ip)), {expect: /expectedIPs/})
  }

  // Selectors.
  for (const s of BAD_SELECTORS) {
    add(`policy selector ${JSON.stringify(s.slice(0, 30))}`, VALID_BASES.policy!.replace('role == "db"', y(s)), {expect: /selector/})
    add(`pool nodeSelector ${JSON.stringify(s.slice(0, 30))}`, VALID_BASES.ippool!.replace('all()', y(s)), {expect: /nodeSelector/})
  }

  // Interface names (they reach `ip`, iptables and BIRD on a host).
  for (const i of BAD_IFACES) add(`HostEndpoint interfaceName ${JSON.stringify(i.slice(0, 20))}`, VALID_BASES.hostendpoint!.replace('eth0', y(i)), {expect: /interfaceName/})

  // Labels.
  for (const k of ['a b', 'a;b', '$(id)', '-a', 'a/b/c', `${'k'.repeat(64)}`, 'pооl', ''])
    add(`label key ${JSON.stringify(k)}`, VALID_BASES.networkset!.replace('role: db', `${y(k)}: db`), {expect: /label/i})
  for (const v of ['a b', '$(id)', 'v'.repeat(64), 'a;b', 'vаl'])
    add(`label value ${JSON.stringify(v.slice(0, 20))}`, VALID_BASES.networkset!.replace('role: db', `role: ${y(v)}`), {expect: /label/i})

  // Wrong types.
  const types: Array<[string, string, string]> = [
    ['ippool', 'cidr: 10.10.0.0/16', 'cidr: 167772160'],
    ['ippool', 'cidr: 10.10.0.0/16', 'cidr: [10.10.0.0/16]'],
    ['ippool', 'blockSize: 26', 'blockSize: "26"'],
    ['ippool', 'blockSize: 26', 'blockSize: true'],
    ['ippool', 'ipipMode: Always', 'ipipMode: 1'],
    ['ippool', 'ipipMode: Always', 'ipipMode: {a: b}'],
    ['ippool', 'name: pool-a', 'name: [pool-a]'],
    // Not `name: 12`: calicoctl's decoder (sigs.k8s.io/yaml) writes a number into a Go string field as its text.
    ['ippool', 'name: pool-a', 'name: {pool: a}'],
    ['ippool', 'name: pool-a', 'name: null'],
    ['networkset', 'nets:\n  - 10.20.0.0/24', 'nets: 10.20.0.0/24'],
    ['networkset', 'role: db', 'role: [db]'],
    ['networkset', 'role: db', 'role: {x: y}'],
    ['bgppeer', 'asNumber: 64513', 'asNumber: [1]'],
    ['bgppeer', 'peerIP: 198.51.100.20', 'peerIP: 3325256724'],
    ['policy', '- 5432', '- {port: 5432}'],
    ['policy', 'action: Allow', 'action: [Allow]'],
    ['policy', 'ingress:', 'ingress: "allow all"\n  x:'],
    ['node', 'bgp:', 'bgp: 12\n  x:'],
  ]
  for (const [base, from, to] of types) add(`wrong type ${base}: ${to.split('\n')[0]}`, VALID_BASES[base]!.replace(from, to))
  add('metadata is a string', `${V3}\nkind: IPPool\nmetadata: pool\nspec: {cidr: 10.10.0.0/16}\n`)
  add('spec is a list', `${V3}\nkind: IPPool\nmetadata: {name: p}\nspec: [cidr, 10.10.0.0/16]\n`)
  add('spec is a number', `${V3}\nkind: IPPool\nmetadata: {name: p}\nspec: 3\n`)
  add('document is a string', '"just a string"\n')
  add('document is a number', '42\n')
  add('kind is a list', `${V3}\nkind: [IPPool]\nmetadata: {name: p}\n`)
  add('unknown kind', `${V3}\nkind: Pwned\nmetadata: {name: p}\n`)
  add('wrong apiVersion', 'apiVersion: v1\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.10.0.0/16}\n')
  add('__proto__ field', `${V3}\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.10.0.0/16, __proto__: {polluted: true}}\n`)
  add('constructor field', `${V3}\nkind: IPPool\nmetadata: {name: p, constructor: {prototype: {x: 1}}}\nspec: {cidr: 10.10.0.0/16}\n`)
  add('unknown field', VALID_BASES.ippool!.replace('blockSize: 26', 'blockSize: 26\n  exec: "rm -rf /"'))

  // Out-of-range numbers.
  for (const b of ['33', '-1', '129', '1e309', '.inf', '.nan', '26.5', '99999999999999999999'])
    add(`IPPool blockSize ${b}`, VALID_BASES.ippool!.replace('blockSize: 26', `blockSize: ${b}`), {expect: /blockSize/})
  for (const a of ['4294967296', '-1', '1.5', '99999999999999999999999', '"65000.65536"', '"abc"', '.inf'])
    add(`BGPPeer asNumber ${a}`, VALID_BASES.bgppeer!.replace('asNumber: 64513', `asNumber: ${a}`), {expect: /asNumber/})
  for (const p of ['70000', '-1', '65536', '"1:70000"', '"5:1"', '"80;ls"', '1.5'])
    add(`policy port ${p}`, VALID_BASES.policy!.replace('- 5432', `- ${p}`), {expect: /ports/})
  for (const t of ['256', '-1'])
    add(`policy icmp type ${t}`, VALID_BASES.policy!.replace('protocol: TCP\n    destination:\n      ports:\n      - 5432', `protocol: ICMP\n    icmp:\n      type: ${t}`), {expect: /icmp|type/i})

  // Malformed YAML and JSON.
  const malformed: Array<[string, string, 'yaml' | 'json']> = [
    ['unclosed flow mapping', `${V3}\nkind: IPPool\nmetadata: {name: p\nspec: {cidr: 10.10.0.0/16}\n`, 'yaml'],
    ['unclosed flow sequence', `${V3}\nkind: GlobalNetworkSet\nmetadata: {name: p}\nspec: {nets: [10.0.0.0/8}\n`, 'yaml'],
    ['tab indentation', `${V3}\nkind: IPPool\nmetadata:\n\tname: p\n`, 'yaml'],
    ['bad indentation', `${V3}\nkind: IPPool\nmetadata:\n  name: p\n   x: y\n`, 'yaml'],
    ['unterminated string', `${V3}\nkind: IPPool\nmetadata: {name: "p}\n`, 'yaml'],
    ['duplicate key', `${V3}\nkind: IPPool\nkind: IPPool\nmetadata: {name: p}\n`, 'yaml'],
    ['colon soup', ': : :\n', 'yaml'],
    ['undefined alias', `${V3}\nkind: IPPool\nmetadata: *nothing\n`, 'yaml'],
    ['unknown tag', `${V3}\nkind: IPPool\nmetadata: !!python/object:os.system {name: p}\n`, 'yaml'],
    ['js function tag', `${V3}\nkind: IPPool\nmetadata: !!js/function "function(){return 1}"\n`, 'yaml'],
    ['directive garbage', '%YAML 9.9\n---\nkind: IPPool\n', 'yaml'],
    ['binary garbage', '\u0000\u0001\u0002\u0003\u00ff\u00fe{{{[[[', 'yaml'],
    ['lone document marker junk', '--- !\n...\n--- [\n', 'yaml'],
    ['truncated json', `{"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "p"`, 'json'],
    ['json trailing comma', `{"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "p",}, "spec": {"cidr": "10.10.0.0/16",}`, 'json'],
    ['json single quotes', `{'apiVersion': 'projectcalico.org/v3', 'kind': 'IPPool', 'metadata': {'name': 'p'}, 'spec': {'cidr': 1}}`, 'json'],
    ['json NaN', `{"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "p"}, "spec": {"cidr": "10.10.0.0/16", "blockSize": NaN}}`, 'json'],
    ['json array of junk', '[1, 2, 3]', 'json'],
    ['json extra bracket', `{"apiVersion": "projectcalico.org/v3"}}`, 'json'],
    ['json comment', `{"apiVersion": "projectcalico.org/v3", // hi\n "kind": "IPPool"}`, 'json'],
    ['only a key', 'apiVersion\n', 'yaml'],
  ]
  for (const [name, text, ext] of malformed) add(`malformed: ${name}`, text, {ext})

  // Bombs, depth and size.
  let bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
  let objBomb = 'a: &a [{},{},{},{},{},{},{},{},{}]\n'
  let prev = 'a'
  for (const c of 'bcdefghi') {
    bomb += `${c}: &${c} [${Array(9).fill(`*${prev}`).join(',')}]\n`
    objBomb += `${c}: &${c} [${Array(9).fill(`*${prev}`).join(',')}]\n`
    prev = c
  }
  const indent = (s: string) => s.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')
  // go-yaml v2 (decode.go allowedAliasRatio) refuses these before decoding them: so do we, in one line.
  const aliasing = /invalid YAML\/JSON: document contains excessive aliasing$/
  add('alias bomb (billion laughs) at top level', bomb, {expect: aliasing, maxLines: 1})
  add('alias bomb in spec.nets', `${V3}\nkind: GlobalNetworkSet\nx:\n${indent(bomb)}\nmetadata: {name: x}\nspec: {nets: *i}\n`, {expect: aliasing, maxLines: 1})
  add('alias bomb in labels', `${V3}\nkind: GlobalNetworkSet\nx:\n${indent(bomb)}\nmetadata:\n  name: x\n  labels: {a: *i}\nspec: {}\n`, {expect: aliasing, maxLines: 1})
  add('alias bomb as List items of objects', `kind: List\napiVersion: v1\nx:\n${indent(objBomb)}\nitems: *i\n`, {expect: aliasing, maxLines: 1})
  add('deep nesting (sequences)', `${V3}\nkind: GlobalNetworkSet\nmetadata: {name: x}\nspec: {nets: ${'['.repeat(50_000)}${']'.repeat(50_000)}}\n`)
  add('deep nesting (mappings, JSON)', `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"x"},"spec":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`, {ext: 'json'})
  add('deep nesting (block YAML)', `${V3}\nkind: IPPool\nmetadata: {name: x}\nspec:\n${Array.from({length: 3000}, (_, d) => `${' '.repeat(2 * (d + 1))}k${d}:`).join('\n')} 1\n`)
  add('huge file: 20 MB name', `${V3}\nkind: GlobalNetworkSet\nmetadata: {name: ${'a'.repeat(20_000_000)}}\nspec: {}\n`, {expect: /metadata\.name/})
  add('huge file: 100,000 documents, the last bad', `${`${V3}\nkind: GlobalNetworkSet\nmetadata: {name: ok}\nspec: {}\n---\n`.repeat(100_000)}${V3}\nkind: GlobalNetworkSet\nmetadata: {name: "bad name"}\nspec: {}\n`)
  add('huge label value', VALID_BASES.networkset!.replace('role: db', `role: ${'v'.repeat(1_000_000)}`), {expect: /label/i})
  add('huge selector', VALID_BASES.policy!.replace('role == "db"', y(`${'a == "b" && '.repeat(100_000)}`)), {expect: /selector/})
  return out
}
