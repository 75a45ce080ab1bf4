// The tunnel and routes executors on a kernel with IPIP (user-mode-linux): two hosts, a pod on
// each; tunl0 gets its address, MTU and up state, block routes go via tunl0 onlink, and the pods
// ping each other through the tunnel. Then the pool switches to Never and it all converges back.
import assert from 'node:assert/strict'
import {before, describe, test} from 'node:test'
import type {RouteModelInput} from '../../src/dataplane/routes/model.js'
import type {SyncTunnelInput} from '../../src/dataplane/tunnel/executor.js'
import {runInUml, type UmlResult, umlSkipReason} from './harness.js'

type Mode = 'Always' | 'Never'
const hosts = {
  h1: {node: 'master', ip: '198.51.100.95', block: '192.168.1.0/26', tunnel: '192.168.1.0', pod: '192.168.1.2', cali: 'cali1a'},
  h2: {node: 'node', ip: '198.51.100.96', block: '192.168.2.0/26', tunnel: '192.168.2.0', pod: '192.168.2.2', cali: 'cali2b'},
}
type Host = keyof typeof hosts

function requests(h: Host, mode: Mode): string {
  const me = hosts[h]
  const pools = [{name: 'default-ipv4-ippool', cidr: '192.168.0.0/16', ipipMode: mode, vxlanMode: 'Never', disabled: false, blockSize: 26}]
  const tunnel: SyncTunnelInput = {pools, tunnelAddress: me.tunnel, hostInterface: 'eth0'}
  const routes: RouteModelInput = {
    nodeName: me.node,
    hostInterface: 'eth0',
    nodeIPv4: `${me.ip}/24`,
    pools,
    blocks: Object.values(hosts).map((o) => ({cidr: o.block, affinityNode: o.node})),
    nodes: Object.values(hosts).map((o) => ({name: o.node, ipv4Address: `${o.ip}/24`})),
    workloads: [{ip: me.pod, interfaceName: me.cali}],
  }
  return JSON.stringify([
    {part: 'tunnel', input: tunnel},
    {part: 'routes', input: routes},
  ])
}

const script = `
set -u
for ns in h1 h2 p1 p2; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add v1 type veth peer name v2
ip link set v1 netns h1; ip link set v2 netns h2
ip -n h1 link set v1 name eth0; ip -n h2 link set v2 name eth0
ip -n h1 addr add ${hosts.h1.ip}/24 dev eth0; ip -n h2 addr add ${hosts.h2.ip}/24 dev eth0
for h in h1 h2; do
  ip -n $h link set eth0 mtu 1400; ip -n $h link set eth0 up
  ip -n $h route add default via 198.51.100.1 dev eth0
done
pod() {  # host pod cali address
  ip link add w$2 type veth peer name c$2
  ip link set c$2 netns $1; ip link set w$2 netns $2
  ip -n $1 link set c$2 name $3; ip -n $2 link set w$2 name eth0
  ip -n $1 link set $3 up; ip -n $2 link set eth0 up
  ip -n $2 addr add $4/32 dev eth0
  ip -n $2 route add 169.254.1.1 dev eth0 scope link
  ip -n $2 route add default via 169.254.1.1 dev eth0
}
pod h1 p1 ${hosts.h1.cali} ${hosts.h1.pod}
pod h2 p2 ${hosts.h2.cali} ${hosts.h2.pod}
sync() {  # host requests-file section
  section $3
  ip netns exec $1 node "$UML_BUILD/test/fixtures/routes/sync-child.js" < "$UML_DIR/$2"
  echo
}
sync h1 h1-always.json h1-always
sync h2 h2-always.json h2-always
section h1-tunl0; ip -n h1 addr show dev tunl0
section h1-routes; ip -n h1 route show proto 80
section h2-routes; ip -n h2 route show proto 80
if ip netns exec p1 ping -c 3 -i 0.2 -W 2 ${hosts.h2.pod} >/dev/null; then pass pod-ping; else fail pod-ping; fi
section h2-tunl0-stats; ip -n h2 -s link show tunl0
sync h1 h1-always.json h1-again
sync h1 h1-never.json h1-never
section h1-tunl0-never; ip -n h1 addr show dev tunl0
section h1-routes-never; ip -n h1 route show proto 80
`

const skip = umlSkipReason()

describe('tunl0 and IPIP routes inside user-mode-linux', {skip}, () => {
  let r: UmlResult
  const json = (name: string) => JSON.parse(r.sections.get(name)?.trim() || 'null')

  before(async () => {
    r = await runInUml(script, {
      modules: ['veth', 'ipip'],
      compile: ['test/fixtures/routes/sync-child.ts'],
      files: {
        'h1-always.json': requests('h1', 'Always'),
        'h2-always.json': requests('h2', 'Always'),
        'h1-never.json': requests('h1', 'Never'),
      },
    })
    assert.ok(r.finished, `the guest did not finish:\n${r.output.slice(-3000)}`)
    assert.deepEqual(r.failed, [], r.output.slice(-3000))
  })

  test('tunl0 gets exactly the tunnel /32, MTU host-20 and up', () => {
    const [tunnel] = json('h1-always')
    assert.equal(tunnel.ok, true, tunnel.message)
    assert.deepEqual(
      tunnel.result.ops.map((o: {op: string}) => o.op),
      ['set-mtu', 'add-address', 'set-up'],
    )
    const show = r.sections.get('h1-tunl0') ?? ''
    assert.match(show, /tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1380 /)
    assert.deepEqual(show.match(/inet \S+/g), [`inet ${hosts.h1.tunnel}/32`])
  })

  test('remote blocks are routed via tunl0 onlink; local block and pod as expected', () => {
    const [, routes] = json('h1-always')
    assert.equal(routes.ok, true, routes.message)
    const lines = (r.sections.get('h1-routes') ?? '').trim().split('\n').map((l) => l.trim())
    assert.deepEqual(lines.sort(), [`${hosts.h1.pod} dev ${hosts.h1.cali} scope link`, `${hosts.h2.block} via ${hosts.h2.ip} dev tunl0 onlink`, `blackhole ${hosts.h1.block}`])
    assert.match(r.sections.get('h2-routes') ?? '', new RegExp(`${hosts.h1.block.replace(/\./g, '\\.')} via ${hosts.h2.ip.replace(/96$/, '95')} dev tunl0 onlink`))
  })

  test('pod to pod goes over IPIP', () => {
    assert.ok(r.passed.includes('pod-ping'))
    // The peer's tunl0 decapsulated the pings: its RX packet counter moved.
    const stats = r.sections.get('h2-tunl0-stats') ?? ''
    const rx = /RX:.*\n\s*(\d+)\s+(\d+)/.exec(stats)
    assert.ok(rx && Number(rx[2]) >= 3, stats)
  })

  test('a second pass changes nothing', () => {
    const [tunnel, routes] = json('h1-again')
    assert.deepEqual([tunnel.result.ops, tunnel.result.applied], [[], 0])
    assert.deepEqual([routes.result.ops, routes.result.applied], [[], 0])
  })

  test('switching to Never strips the tunnel address and the tunl0 routes, keeps the device', () => {
    const [tunnel, routes] = json('h1-never')
    assert.equal(tunnel.ok, true, tunnel.message)
    assert.deepEqual(tunnel.result.ops, [{op: 'delete-address', cidr: `${hosts.h1.tunnel}/32`}])
    assert.equal(routes.ok, true, routes.message)
    const after = r.sections.get('h1-tunl0-never') ?? ''
    assert.match(after, /tunl0@NONE/)
    assert.doesNotMatch(after, /inet /)
    assert.doesNotMatch(r.sections.get('h1-routes-never') ?? '', /tunl0/)
    assert.match(r.sections.get('h1-routes-never') ?? '', /blackhole 192\.168\.1\.0\/26/)
  })
})
