import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {type BirdModelInput, type BirdNodeInput, buildBirdModel} from '../../src/dataplane/bird/model.js'
import {FAST_TIMERS, renderBirdConfig} from '../../src/dataplane/bird/render.js'
import {baseInput} from '../fixtures/bird/inputs.js'

const render = (over: Partial<BirdModelInput> = {}) => renderBirdConfig(buildBirdModel(baseInput(over)))

/** The text of `protocol bgp NAME ... }` (protocol blocks have one closing brace at column 0). */
function block(text: string, name: string): string {
  const start = text.indexOf(`protocol bgp ${name} `)
  assert.ok(start >= 0, `no protocol ${name} in:\n${text}`)
  return text.slice(start, text.indexOf('\n}\n', start) + 2)
}

function filterBody(text: string, head: string): string {
  const start = text.indexOf(head)
  assert.ok(start >= 0, `no ${head}`)
  return text.slice(start, text.indexOf('\n}\n', start) + 2)
}

const birdAvailable = (() => {
  try {
    execFileSync('bird', ['--version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()
const scratch = mkdtempSync(join(tmpdir(), 'bird-render-'))
after(() => rmSync(scratch, {recursive: true, force: true}))

/** Parses the text with the real `bird -p`, when BIRD is installed. */
function assertBirdParses(text: string, label: string): void {
  // Not a silent skip where it must run: CI installs BIRD.
  if (!birdAvailable && process.env.CI === 'true') assert.fail('needs bird (apt-get install bird2) for bird -p')
  if (!birdAvailable) return
  const f = join(scratch, `${label}.conf`)
  writeFileSync(f, text)
  try {
    execFileSync('bird', ['-p', '-c', f], {stdio: 'pipe'})
  } catch (e) {
    assert.fail(`bird -p rejected ${label}: ${String((e as {stderr?: Buffer}).stderr ?? e)}\n${text}`)
  }
}

describe('BIRD renderer', () => {
  it('mesh: router id, template, one protocol per peer with Calico names', () => {
    const t = render()
    assert.match(t, /^router id 198\.51\.100\.95;$/m)
    assert.match(t, /^ {2}local 198\.51\.100\.95 as 64512;$/m)
    const mesh = block(t, 'Mesh_198_51_100_96')
    assert.match(mesh, /neighbor 198\.51\.100\.96 as 64512;/)
    assert.match(mesh, /source address 198\.51\.100\.95;/)
    assert.match(mesh, /ttl security off;\n {2}multihop;/)
    assert.match(mesh, /passive on;/)
    assert.match(mesh, /export filter \{ calico_export_to_bgp_peers\(true\); reject; \};/)
    assert.doesNotMatch(block(t, 'Mesh_198_51_100_100'), /passive/)
    assert.doesNotMatch(mesh, /rr client|password/)
    // gateway recursive must sit in the ipv4 channel in BIRD 2.
    assert.match(filterBody(t, 'template bgp bgp_template'), /ipv4 \{\n {4}gateway recursive;/)
    assert.ok(t.indexOf('Mesh_198_51_100_100') < t.indexOf('Mesh_198_51_100_96'), 'peers sorted by name')
    assertBirdParses(t, 'mesh')
  })

  it('is deterministic regardless of input order', () => {
    const a = baseInput()
    const b = baseInput({nodes: [...a.nodes].reverse(), ownBlocks: ['192.168.10.64/26', '192.168.10.0/26']})
    const a2 = baseInput({ownBlocks: ['192.168.10.0/26', '192.168.10.64/26']})
    assert.equal(renderBirdConfig(buildBirdModel(b)), renderBirdConfig(buildBirdModel(a2)))
  })

  it('fast timers for tests, Calico timers by default', () => {
    assert.match(render(), /connect delay time 2;\n {2}connect retry time 5;\n {2}error wait time 5,30;/)
    const fast = renderBirdConfig(buildBirdModel(baseInput()), {timers: FAST_TIMERS})
    assert.match(fast, /connect delay time 1;\n {2}connect retry time 2;\n {2}error wait time 1,5;/)
  })

  it('mesh off: no BGP protocols, a note instead', () => {
    const t = render({global: {nodeToNodeMeshEnabled: false}})
    assert.doesNotMatch(t, /protocol bgp/)
    assert.match(t, /# Node-to-node mesh disabled/)
    assert.match(t, /# No global peers configured\./)
    assertBirdParses(t, 'mesh-off')
  })

  it('global peer, node peer with port and password, eBGP keep next hop', () => {
    const t = render({
      global: {nodeToNodeMeshEnabled: false},
      peers: [
        {name: 'tor', peerIP: '203.0.113.1', asNumber: '65000', keepOriginalNextHop: true},
        {name: 'mine', node: 'master', peerIP: '203.0.113.2:1790', asNumber: '64512', password: 'tops3cret', ttlSecurity: 2},
      ],
    })
    const g = block(t, 'Global_203_0_113_1')
    assert.match(g, /neighbor 203\.0\.113\.1 as 65000;/)
    assert.match(g, /calico_export_to_bgp_peers\(false\)/)
    assert.match(g, /next hop keep;/)
    const n = block(t, 'Node_203_0_113_2_port_1790')
    assert.match(n, /neighbor 203\.0\.113\.2 port 1790 as 64512;/)
    assert.match(n, /password "tops3cret";/)
    assert.match(n, /ttl security on;\n {2}multihop 2;/)
    assert.doesNotMatch(n, /next hop keep/)
    assert.ok(t.indexOf('# ------------- Global peers') < t.indexOf('protocol bgp Global_'))
    assert.ok(t.indexOf('# ------------- Node-specific peers') < t.indexOf('protocol bgp Node_'))
    assertBirdParses(t, 'peers')
  })

  it('mesh password and listen port', () => {
    const t = render({global: {nodeMeshPassword: 'meshpw', listenPort: 1790}})
    assert.match(t, /local 198\.51\.100\.95 port 1790 as 64512;/)
    const mesh = block(t, 'Mesh_198_51_100_96_port_1790')
    assert.match(mesh, /neighbor 198\.51\.100\.96 port 1790 as 64512;/)
    assert.match(mesh, /password "meshpw";/)
    assertBirdParses(t, 'mesh-pw')
  })

  it('route reflector: rr client and cluster id towards clients only', () => {
    const nodes: BirdNodeInput[] = [
      {name: 'rr1', ipv4Address: '198.51.100.10/24', routeReflectorClusterID: '224.0.0.1', labels: {rr: 'yes'}},
      {name: 'rr2', ipv4Address: '198.51.100.11/24', routeReflectorClusterID: '224.0.0.1', labels: {rr: 'yes'}},
      {name: 'c1', ipv4Address: '198.51.100.20/24', labels: {}},
    ]
    const t = render({
      nodeName: 'rr1',
      nodeIPv4: '198.51.100.10/24',
      routeReflectorClusterID: '224.0.0.1',
      nodes,
      peers: [{name: 'to-rr', nodeSelector: 'all()', peerSelector: 'has(rr)'}],
    })
    assert.match(block(t, 'Node_198_51_100_20'), /rr client;\n {2}rr cluster id 224\.0\.0\.1;/)
    assert.doesNotMatch(block(t, 'Node_198_51_100_11'), /rr client/)
    assert.match(t, /route reflector with cluster ID 224\.0\.0\.1/)
    assertBirdParses(t, 'rr')
  })

  it('own blocks: static blackholes and aggregation, none when there are no blocks', () => {
    const t = render({ownBlocks: ['192.168.10.64/26', '192.168.10.0/26']})
    assert.match(t, /protocol static static_blocks \{\n {2}ipv4;\n {2}route 192\.168\.10\.0\/26 blackhole;\n {2}route 192\.168\.10\.64\/26 blackhole;\n\}/)
    const aggr = filterBody(t, 'function calico_aggr()')
    assert.match(aggr, /if \(net = 192\.168\.10\.0\/26\) then accept;\n {2}if \(net ~ 192\.168\.10\.0\/26\) then reject;/)
    const none = render({ownBlocks: []})
    assert.doesNotMatch(none, /protocol static/)
    assertBirdParses(none, 'no-blocks')
  })

  it('pool mode decides what BIRD installs in the kernel and exports', () => {
    const pool = (cidr: string, ipipMode: string, vxlanMode = 'Never', disableBGPExport = false) => ({cidr, ipipMode, vxlanMode, disabled: false, natOutgoing: true, disableBGPExport})
    const never = render({pools: [pool('192.168.0.0/16', 'Never')]})
    const k1 = filterBody(never, 'filter calico_kernel_programming')
    assert.match(k1, /if \(source != RTS_BGP\) then reject;/)
    assert.match(k1, /if \(net ~ 192\.168\.0\.0\/16\) then accept;/)
    const ipip = render({pools: [pool('192.168.0.0/16', 'Always')]})
    assert.match(filterBody(ipip, 'filter calico_kernel_programming'), /if \(net ~ 192\.168\.0\.0\/16\) then reject; # IPIP/)
    const cross = render({pools: [pool('192.168.0.0/16', 'CrossSubnet')]})
    assert.match(filterBody(cross, 'filter calico_kernel_programming'), /if \(net ~ 192\.168\.0\.0\/16\) then reject;/)
    const vx = render({pools: [pool('10.5.0.0/16', 'Never', 'Always')]})
    assert.match(filterBody(vx, 'filter calico_kernel_programming'), /if \(net ~ 10\.5\.0\.0\/16\) then reject; # VXLAN/)
    // Export to peers: every pool's routes, unless export is disabled.
    assert.match(filterBody(ipip, 'function calico_export_to_bgp_peers'), /if \(net ~ 192\.168\.0\.0\/16\) then accept;/)
    const noExport = render({pools: [pool('192.168.0.0/16', 'Never', 'Never', true)]})
    const exp = filterBody(noExport, 'function calico_export_to_bgp_peers')
    assert.match(exp, /if \(net ~ 192\.168\.0\.0\/16\) then reject;/)
    assert.doesNotMatch(exp, /then accept;/)
    assert.notEqual(never, ipip, 'a mode flip changes the config (and so causes a reload)')
    for (const [l, t] of Object.entries({never, ipip, cross, vx, noExport})) assertBirdParses(t, `pool-${l}`)
  })

  it('device, direct and kernel protocols as calico/node has them', () => {
    const t = render()
    assert.match(t, /interface -"cali\*", -"kube-ipvs\*", "\*";/)
    const kernel = filterBody(t, 'protocol kernel')
    assert.match(kernel, /learn;/)
    assert.match(kernel, /merge paths on;/)
    assert.match(kernel, /graceful restart;/)
    assert.match(kernel, /export filter calico_kernel_programming;/)
  })

  it('log target and severity', () => {
    const t = renderBirdConfig(buildBirdModel(baseInput({global: {logSeverityScreen: 'Debug'}})), {log: '/var/log/bird.log'})
    assert.match(t, /^log "\/var\/log\/bird\.log" all;$/m)
    assert.match(t, /debug all;/)
    const w = renderBirdConfig(buildBirdModel(baseInput({global: {logSeverityScreen: 'Warning'}})), {log: 'stderr'})
    assert.match(w, /^log stderr \{ warning, error, auth, fatal, bug \};$/m)
    assert.throws(() => renderBirdConfig(buildBirdModel(baseInput()), {log: 'relative.log'}), /absolute/)
    assertBirdParses(w, 'log')
  })

  it('no IPv4 address: no BGP section but still a valid file', () => {
    const t = render({nodeIPv4: undefined})
    assert.match(t, /# IPv4 disabled on this node\./)
    assert.doesNotMatch(t, /router id|template bgp/)
    assertBirdParses(t, 'no-ipv4')
  })
})

// confd/pkg/resource/template/template_funcs.go (BGPFilterBIRDFuncs, filterStatement,
// BGPFilterFunctionName) and confd/pkg/backends/calico/bgp_processor.go (buildImportFilter,
// buildExportFilter), v3.32.1: the semantics; the text is our own.
describe('BIRD renderer: BGPFilters', () => {
  const filtered = (over: Partial<BirdModelInput> = {}) =>
    render({
      global: {nodeToNodeMeshEnabled: false},
      peers: [
        {name: 'tor', peerIP: '203.0.113.1', asNumber: '64600', filters: ['first', 'missing', 'second']},
        {name: 'plain', peerIP: '203.0.113.2', asNumber: '64512'},
      ],
      filters: [
        {
          name: 'first',
          exportV4: [
            {cidr: '192.168.10.0/26', matchOperator: 'Equal', action: 'Reject'},
            {cidr: '192.168.0.0/16', matchOperator: 'In', prefixLength: {min: 24}, action: 'Accept', peerType: 'eBGP'},
          ],
          importV4: [{cidr: '10.0.0.0/8', matchOperator: 'NotIn', action: 'Reject'}],
        },
        {name: 'second', importV4: [{source: 'RemotePeers', interface: 'eth*', communities: {values: ['65000:100']}, action: 'Accept', operations: [{prependASPath: {prefix: [1, '1.10']}}]}]},
      ],
      ...over,
    })

  it('one function per filter and direction, rules in order as guarded if-statements, no default inside', () => {
    const t = filtered()
    const exp = filterBody(t, "function 'bgp_first_exportFilterV4'(bool is_same_as) {")
    assert.equal(
      exp,
      "function 'bgp_first_exportFilterV4'(bool is_same_as) {\n" +
        '  if ((net = 192.168.10.0/26)) then { reject; }\n' +
        '  if (!is_same_as) then { if ((net ~ [ 192.168.0.0/16{24,32} ])) then { accept; } }\n' +
        '}',
    )
    assert.equal(filterBody(t, "function 'bgp_first_importFilterV4'() {"), "function 'bgp_first_importFilterV4'() {\n  if ((net !~ 10.0.0.0/8)) then { reject; }\n}")
    // Operations run before the action; AS numbers are prepended last first, dotted ones made plain.
    assert.match(
      t,
      /^ {2}if \(\(source = RTS_BGP\) && \(defined\(ifname\) && ifname ~ "eth\*"\) && \(\(65000, 100\) ~ bgp_community\)\) then \{ bgp_path\.prepend\(65546\); bgp_path\.prepend\(1\); accept; \}$/m,
    )
    assertBirdParses(t, 'filters')
  })

  it('a peer calls its filters in spec.filters order before the defaults; missing filters and peers without filters are untouched', () => {
    const t = filtered()
    const tor = block(t, 'Global_203_0_113_1')
    assert.match(tor, /import filter \{\n {6}'bgp_first_importFilterV4'\(\);\n {6}'bgp_second_importFilterV4'\(\);\n {6}accept;\n {4}\};/)
    assert.match(tor, /export filter \{\n {6}'bgp_first_exportFilterV4'\(false\);\n {6}calico_export_to_bgp_peers\(false\);\n {6}reject;\n {4}\};/)
    const plain = block(t, 'Global_203_0_113_2')
    assert.match(plain, /import all;/)
    assert.match(plain, /export filter \{ calico_export_to_bgp_peers\(true\); reject; \};/)
    // Without filters the text is what it always was.
    assert.doesNotMatch(render(), /BGP filters|FilterV4/)
  })

  it('long filter names are cut and hashed to fit a 64-character BIRD symbol', () => {
    const name = `f${'x'.repeat(60)}`
    const t = filtered({filters: [{name, importV4: [{action: 'Reject'}]}], peers: [{name: 'tor', peerIP: '203.0.113.1', asNumber: '64600', filters: [name]}]})
    const sym = /function '([^']+)'\(\)/.exec(t)?.[1] ?? ''
    assert.equal(sym.length, 64)
    assert.match(sym, /^bgp_fx{27}_[0-9A-F]{16}_importFilterV4$/)
    assert.ok(block(t, 'Global_203_0_113_1').includes(`'${sym}'();`))
    assertBirdParses(t, 'long-filter')
  })

  it('a stored filter BIRD could not take is refused with its name, field and reason', () => {
    assert.throws(() => filtered({filters: [{name: 'bad', exportV4: [{cidr: '192.168.0.0/16', matchOperator: 'In', prefixLength: {min: 30, max: 20}, action: 'Accept'}]}]}), /BGPFilter bad exportV4\[0\]: prefixLength/)
    assert.throws(() => filtered({filters: [{name: 'bad', importV4: [{interface: 'eth"0', action: 'Accept'}]}]}), /BGPFilter bad importV4\[0\]: interface/)
  })
})
