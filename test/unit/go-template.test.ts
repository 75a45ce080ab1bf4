// The Go text/template engine behind `get -o go-template=...`. Expected outputs are what Go's
// text/template prints for the same template over the same values. calicoctl runs one template
// over its result list (upstream v3.32.1 calicoctl/calicoctl/commands/common/printer.go,
// ResourcePrinterTemplate: a list object when no names are given, else each resource) with the
// extra functions join, joinAndTruncate and config; its own tables use them
// (calicoctl/calicoctl/resourcemgr/node.go, ipreservation.go).
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {formatValue, goJoin, parseGoTemplate, sprintf, truth} from '../../src/output/go-template.js'
import {calicoctlTemplateFuncs, printResources, templateObjects} from '../../src/output/printers.js'
import {kindByName} from '../../src/resources/registry.js'
import type {Resource} from '../../src/resources/types.js'

const run = (text: string, data: unknown, funcs = {}) => parseGoTemplate(text, funcs).execute(data)

describe('go-template language', () => {
  test('text, fields, dot and variables', () => {
    assert.equal(run('plain', {}), 'plain')
    assert.equal(run('{{.a.b}}-{{.c}}', {a: {b: 'x'}, c: 3}), 'x-3')
    assert.equal(run('{{$}}', 'root'), 'root')
    assert.equal(run('{{$x := .a}}{{$x.b}}{{$x = "z"}}{{$x}}', {a: {b: 'y'}}), 'yz')
    assert.equal(run('{{with .a}}{{.b}}{{$.c}}{{end}}', {a: {b: 1}, c: 2}), '12')
    assert.equal(run('{{.missing}}', {}), '<no value>')
  })

  test('trim markers and comments', () => {
    assert.equal(run('a  {{- "b" -}}  \n c', {}), 'abc')
    assert.equal(run('a {{/* note */}} b', {}), 'a  b')
    assert.equal(run('a {{- /* note */ -}} b', {}), 'ab')
    assert.equal(run('{{-3}}', {}), '-3')
  })

  test('if / else if / else, with truthiness as Go (empty, zero, nil are false)', () => {
    const t = '{{if .a}}A{{else if .b}}B{{else}}C{{end}}'
    assert.equal(run(t, {a: 1}), 'A')
    assert.equal(run(t, {a: 0, b: 'x'}), 'B')
    assert.equal(run(t, {a: [], b: ''}), 'C')
    assert.equal(run('{{with .a}}yes{{else}}no{{end}}', {a: {}}), 'no')
    for (const [v, want] of [[false, false], [0, false], ['', false], [null, false], [[], false], [{}, false], ['x', true], [[0], true], [1.5, true]] as const)
      assert.equal(truth(v), want, JSON.stringify(v))
  })

  test('range over lists, maps (in key order) and integers, with index variables, else, break and continue', () => {
    assert.equal(run('{{range .}}[{{.}}]{{end}}', ['a', 'b']), '[a][b]')
    assert.equal(run('{{range $i, $e := .}}{{$i}}={{$e}} {{end}}', ['a', 'b']), '0=a 1=b ')
    assert.equal(run('{{range $k, $v := .}}{{$k}}:{{$v}},{{end}}', {z: 1, a: 2}), 'a:2,z:1,')
    assert.equal(run('{{range .}}x{{else}}empty{{end}}', []), 'empty')
    assert.equal(run('{{range $i := 5}}{{if eq $i 1}}{{continue}}{{end}}{{if eq $i 3}}{{break}}{{end}}{{$i}}{{end}}', null), '02')
    // A variable declared inside the loop body is gone after {{end}}.
    assert.throws(() => run('{{range .}}{{$v := .}}{{end}}{{$v}}', [1]), /undefined variable: \$v/)
  })

  test('pipelines and parenthesised arguments', () => {
    assert.equal(run('{{.a | printf "%s!"}}', {a: 'hi'}), 'hi!')
    assert.equal(run('{{"b" | printf "%s-%s" "a"}}', {}), 'a-b')
    assert.equal(run('{{(index .l 1).n}}', {l: [{n: 'x'}, {n: 'y'}]}), 'y')
    assert.equal(run('{{len (index .l 0 | print)}}', {l: ['abc']}), '3')
  })

  test('built-in functions', () => {
    assert.equal(run('{{and 1 0 2}}|{{and 1 2}}|{{or 0 "" "x"}}|{{or 0 ""}}|{{not 0}}', {}), '0|2|x||true')
    assert.equal(run('{{len .l}} {{len .m}} {{len "héllo"}}', {l: [1, 2], m: {a: 1}}), '2 1 6')
    assert.equal(run('{{index .m "k"}} {{index .l 1}} {{index .n 0 1}}', {m: {k: 'v'}, l: [7, 8], n: [[1, 2]]}), 'v 8 2')
    // A missing key: index gives the zero value of a string map, a field lookup gives no value (as Go).
    assert.equal(run('[{{index .m "x"}}] [{{.m.x}}]', {m: {k: 'v'}}), '[] [<no value>]')
    assert.equal(run('{{slice .l 1}} {{slice "abcd" 1 3}}', {l: [1, 2, 3]}), '[2 3] bc')
    assert.equal(run('{{eq 1 1}} {{eq "a" "b" "a"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', {}), 'true true true true true true false')
    assert.equal(run('{{print 1 2 "x" 3}}|{{println "a" 1}}', {}), '1 2x3|a 1\n')
    assert.equal(run('{{html "<a&b>"}} {{urlquery "a b&c"}} {{js "it\'s"}}', {}), "&lt;a&amp;b&gt; a+b%26c it\\'s")
    assert.throws(() => run('{{eq 1 "1"}}', {}), /incompatible types for comparison/)
    assert.throws(() => run('{{index .l 5}}', {l: [1]}), /index out of range: 5/)
  })

  test('printf verbs, flags, width and precision', () => {
    assert.equal(sprintf('%s|%v|%d|%5d|%-5d|%05d|%x|%X|%#x|%o|%b|%c|%q|%t|%%', ['s', [1, 'a'], 42, 42, 42, 42, 255, 255, 255, 8, 5, 65, 'q"', true]), 's|[1 a]|42|   42|42   |00042|ff|FF|0xff|10|101|A|"q\\""|true|%')
    assert.equal(sprintf('%.2f|%8.3f|%e|%g|%+d|%.3s|%10s|%-10s|', [3.14259, 2.5, 1234.5, 1e21, 3, 'abcdef', 'r', 'l']), '3.14|   2.500|1.234500e+03|1e+21|+3|abc|         r|l         |')
    assert.equal(sprintf('%d %d', [1]), '1 %!d(MISSING)')
    assert.equal(sprintf('%d', ['x']), '%!d(string=x)')
    assert.equal(sprintf('%s', ['a', 'b']), 'a%!(EXTRA string=b)')
  })

  test('values print as fmt %v does', () => {
    assert.equal(formatValue({b: [1, 2], a: 'x'}), 'map[a:x b:[1 2]]')
    assert.equal(formatValue(null), '<nil>')
    assert.equal(formatValue(1e6 + 0.5), '1.0000005e+06')
    assert.equal(formatValue(true), 'true')
  })

  test('parse and execution errors name the template line, as Go does', () => {
    assert.throws(() => parseGoTemplate('a\n{{nope}}'), {message: 'template: get:2: function "nope" not defined'})
    assert.throws(() => parseGoTemplate('{{if .a}}x'), /template: get:1: unexpected EOF/)
    assert.throws(() => parseGoTemplate('{{end}}'), /unexpected \{\{end\}\}/)
    assert.throws(() => parseGoTemplate('{{"abc}}'), /unterminated quoted string/)
    assert.throws(() => parseGoTemplate('{{.a'), /unclosed action/)
    assert.throws(() => run('{{.a.b}}', {a: 'str'}), /template: get:1: executing "get": can't evaluate field b in type string/)
    assert.throws(() => run('{{.a 1}}', {a: 1}), /can't give argument to non-function \.a/)
  })
})

describe('calicoctl functions and objects', () => {
  test('join and joinAndTruncate as calicoctl: %v items, maps as sorted k=v, cut at max with ...', () => {
    assert.equal(goJoin(['a', 1, true], ','), 'a,1,true')
    assert.equal(goJoin({b: 2, a: 'x'}, ';'), 'a=x;b=2')
    assert.equal(goJoin('one', ','), 'one')
    assert.equal(goJoin(undefined, ','), '')
    const long = Array.from({length: 30}, (_, i) => `10.0.${i}.0/24`)
    const cut = goJoin(long, ',', 80)
    assert.equal(cut.length, 80)
    assert.ok(cut.endsWith('...'))
    assert.ok(long.join(',').startsWith(cut.slice(0, 77)))
  })

  const pool = (name: string, spec: Record<string, unknown>): Resource => ({apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: {name, resourceVersion: '5', labels: {tier: 'x'}}, spec} as Resource)
  const IPPool = kindByName('IPPool')!

  test('a list is one object with Items; Go field names, promoted ObjectMeta fields and zero values read as Go', () => {
    const objects = templateObjects({def: IPPool, items: [pool('a', {cidr: '10.1.0.0/16', ipipMode: 'Always', natOutgoing: true}), pool('b', {cidr: '10.2.0.0/16'})], format: {type: 'ps'}, shape: 'list', listRevision: '9'})
    assert.equal(objects.length, 1)
    const t = '{{range .}}{{.Kind}} {{.ListMeta.ResourceVersion}}:{{range .Items}} {{.Name}}/{{.ObjectMeta.Name}}/{{.metadata.name}} {{.Spec.CIDR}} {{.Spec.IPIPMode}} {{.Spec.NATOutgoing}} {{.Spec.Disabled}} {{join .Labels ","}};{{end}}{{end}}'
    assert.equal(run(t, objects, calicoctlTemplateFuncs('64512', goJoin)), 'IPPoolList 9: a/a/a 10.1.0.0/16 Always true false tier=x; b/b/b 10.2.0.0/16  false false tier=x;')
  })

  test('named gets hand the template each resource', () => {
    const objects = templateObjects({def: IPPool, items: [pool('a', {cidr: '10.1.0.0/16'}), pool('b', {cidr: '10.2.0.0/16'})], format: {type: 'ps'}, shape: 'many'})
    assert.equal(run('{{range .}}{{.Name}}={{.Spec.CIDR}} {{end}}{{len .}}', objects), 'a=10.1.0.0/16 b=10.2.0.0/16 2')
    assert.equal(run('{{config "asnumber"}}', objects, calicoctlTemplateFuncs('65000', goJoin)), '65000')
    assert.throws(() => run('{{config "other"}}', objects, calicoctlTemplateFuncs('65000', goJoin)), /error calling config: unhandled config type other/)
  })

  test('wide tables: an IPReservation CIDRS cell stops at 80 characters; a node shows the inherited AS in brackets', async () => {
    const IPReservation = kindByName('IPReservation')!
    const cidrs = Array.from({length: 5000}, (_, i) => `10.${i >> 8}.${i & 255}.0/24`)
    const out = await printResources({def: IPReservation, items: [{apiVersion: 'projectcalico.org/v3', kind: 'IPReservation', metadata: {name: 'big'}, spec: {reservedCIDRs: cidrs}} as Resource], format: {type: 'wide'}, shape: 'list'})
    const row = out.split('\n')[1]!
    assert.match(row, /^big {4}10\.0\.0\.0\/24,10\.0\.1\.0\/24,.*\.\.\. {3}$/)
    assert.equal(row.trimEnd().length, row.indexOf('10.') + 80)
    const Node = kindByName('Node')!
    const nodes = [
      {apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: {name: 'n1'}, spec: {bgp: {ipv4Address: '192.0.2.1/24'}}},
      {apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: {name: 'n2'}, spec: {bgp: {ipv4Address: '192.0.2.2/24', asNumber: 65001}}},
      {apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: {name: 'n3'}, spec: {}},
    ] as Resource[]
    const table = await printResources({def: Node, items: nodes, format: {type: 'wide'}, shape: 'list', cellContext: {asNumber: '64999'}})
    assert.match(table, /^n1 +\(64999\) +192\.0\.2\.1\/24/m)
    assert.match(table, /^n2 +65001 +192\.0\.2\.2\/24/m)
    assert.match(table, /^n3 {5}\s+$/m)
  })
})
