// Policy enforcement end to end, for both iptables backends: two hosts (network namespaces),
// pods made by `calicoctl workload add`, policy written with `calicoctl apply -f`, programmed by
// `calicoctl node apply` on both hosts, and checked with real traffic (ping and TCP to a pod's
// listener). For every probe `calicoctl node explain` must give the verdict the kernel gave.
// Also: natOutgoing source-NATs traffic leaving the pool (and only then), and another tool's
// rules and chains survive every apply while our hooks are put back on top.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'
import {type Backend, POOL_NAME, type Pod, TwoHosts, waitFor} from '../helpers/hosts.js'
import {inNs, netnsSkipReason} from '../helpers/netns.js'

interface Probe {
  from: string
  /** A pod name. */
  to: string
  proto: 'icmp' | 'tcp'
  port?: number
  expect: 'allow' | 'deny'
}

interface Shape {
  name: string
  /** Resources for this shape (deleted again afterwards). */
  yaml: (p: Record<string, Pod>) => string
  probes: Probe[]
  /** Extra checks after the probes (e.g. a counter). */
  check?: (h: TwoHosts) => void
}

const gnp = (name: string, body: string) => `---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: ${name}
spec:
${body}`

const icmp = (from: string, to: string, expect: Probe['expect']): Probe => ({from, to, proto: 'icmp', expect})
const tcp = (from: string, to: string, port: number, expect: Probe['expect']): Probe => ({from, to, proto: 'tcp', port, expect})

const SHAPES: Shape[] = [
  {
    name: 'no policy: the default-allow profile lets everything through',
    yaml: () => '',
    probes: [icmp('client', 'server', 'allow'), tcp('client', 'server', 8080, 'allow'), tcp('other', 'api', 8081, 'allow')],
  },
  {
    name: 'default deny: a policy selects the endpoint and no rule matches',
    yaml: () =>
      gnp(
        'isolate-server',
        `  selector: app == 'server'
  types: [Ingress]
`,
      ),
    probes: [
      icmp('client', 'server', 'deny'),
      tcp('client', 'server', 8080, 'deny'),
      icmp('client', 'api', 'allow'),
      // Only ingress is isolated: the server still reaches out.
      icmp('server', 'client', 'allow'),
    ],
  },
  {
    name: 'ingress allow by source selector',
    yaml: () =>
      gnp(
        'server-from-client',
        `  selector: app == 'server'
  ingress:
    - action: Allow
      source:
        selector: app == 'client'
`,
      ),
    probes: [icmp('client', 'server', 'allow'), tcp('client', 'server', 8080, 'allow'), icmp('other', 'server', 'deny'), tcp('other', 'server', 8080, 'deny')],
  },
  {
    name: 'ingress deny by source selector, then allow the rest',
    yaml: () =>
      gnp(
        'server-not-from-other',
        `  selector: app == 'server'
  ingress:
    - action: Deny
      source:
        selector: app == 'other'
    - action: Allow
`,
      ),
    probes: [icmp('client', 'server', 'allow'), tcp('client', 'server', 8081, 'allow'), icmp('other', 'server', 'deny'), tcp('other', 'server', 8081, 'deny')],
  },
  {
    name: 'egress deny: TCP from the client to the server is dropped at the source',
    yaml: () =>
      gnp(
        'client-egress',
        `  selector: app == 'client'
  types: [Egress]
  egress:
    - action: Deny
      protocol: TCP
      destination:
        selector: app == 'server'
    - action: Allow
`,
      ),
    probes: [tcp('client', 'server', 8080, 'deny'), icmp('client', 'server', 'allow'), tcp('client', 'api', 8080, 'allow'), tcp('other', 'server', 8080, 'allow')],
  },
  {
    name: 'allow TCP to one port only',
    yaml: () =>
      gnp(
        'server-8080',
        `  selector: app == 'server'
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: [8080]
`,
      ),
    probes: [tcp('client', 'server', 8080, 'allow'), tcp('client', 'server', 8081, 'deny'), icmp('client', 'server', 'deny')],
  },
  {
    name: 'port range',
    yaml: () =>
      gnp(
        'server-range',
        `  selector: app == 'server'
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: ['8080:8081']
`,
      ),
    probes: [tcp('client', 'server', 8080, 'allow'), tcp('client', 'server', 8081, 'allow'), tcp('client', 'server', 9090, 'deny')],
  },
  {
    name: 'nets and notNets',
    yaml: (p) =>
      gnp(
        'server-nets',
        `  selector: app == 'server'
  ingress:
    - action: Allow
      protocol: ICMP
      source:
        nets: [${p.client?.ip}/32]
    - action: Allow
      protocol: TCP
      source:
        notNets: [${p.client?.ip}/32]
`,
      ),
    probes: [icmp('client', 'server', 'allow'), icmp('other', 'server', 'deny'), tcp('client', 'server', 8080, 'deny'), tcp('other', 'server', 8080, 'allow')],
  },
  {
    name: 'ICMP echo only',
    yaml: () =>
      gnp(
        'server-icmp',
        `  selector: app == 'server'
  ingress:
    - action: Allow
      protocol: ICMP
      icmp:
        type: 8
`,
      ),
    probes: [icmp('client', 'server', 'allow'), tcp('client', 'server', 8080, 'deny'), icmp('other', 'server', 'allow')],
  },
  {
    name: 'Pass across tiers: the security tier passes the client, the default tier decides',
    yaml: () => `---
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: security
spec:
  order: 100
${gnp(
  'security.gate',
  `  tier: security
  selector: app == 'server'
  ingress:
    - action: Pass
      source:
        selector: app == 'client'
    - action: Deny
`,
)}${gnp(
  'server-8080-after-pass',
  `  selector: app == 'server'
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: [8080]
`,
)}`,
    probes: [tcp('client', 'server', 8080, 'allow'), icmp('client', 'server', 'deny'), tcp('other', 'server', 8080, 'deny'), tcp('client', 'server', 8081, 'deny')],
  },
  {
    name: 'Log then Allow: the log rule counts, the allow decides',
    yaml: () =>
      gnp(
        'server-log',
        `  selector: app == 'server'
  ingress:
    - action: Log
      protocol: TCP
    - action: Allow
      protocol: TCP
      destination:
        ports: [8080]
`,
      ),
    probes: [tcp('client', 'server', 8080, 'allow'), tcp('client', 'server', 8081, 'deny'), icmp('client', 'server', 'deny')],
    check: (h) => {
      const log = h.iptablesSave(h.node, 'filter', true).split('\n').filter((l) => l.includes('-j LOG') && l.includes('calico-packet'))
      assert.equal(log.length, 1, log.join('\n'))
      const packets = Number(/^\[(\d+):/.exec(log[0] ?? '')?.[1] ?? 0)
      assert.ok(packets >= 2, `LOG rule counted ${packets} packets: ${log[0]}`)
    },
  },
  {
    name: 'namespaced NetworkPolicy: applies in its namespace only, source selectors scoped to it',
    yaml: () => `---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: api-policy
  namespace: prod
spec:
  selector: all()
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: [8080]
    - action: Allow
      protocol: ICMP
      source:
        selector: app == 'client'
`,
    probes: [
      tcp('client', 'api', 8080, 'allow'),
      tcp('client', 'api', 8081, 'deny'),
      // The client lives in namespace default, so a prod policy's selector does not see it.
      icmp('client', 'api', 'deny'),
      icmp('client', 'server', 'allow'),
      tcp('client', 'server', 8081, 'allow'),
    ],
  },
  {
    name: 'the same rules as a GlobalNetworkPolicy: source selectors see every namespace',
    yaml: () =>
      gnp(
        'api-global',
        `  selector: app == 'api'
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: [8080]
    - action: Allow
      protocol: ICMP
      source:
        selector: app == 'client'
`,
      ),
    probes: [tcp('client', 'api', 8080, 'allow'), tcp('client', 'api', 8081, 'deny'), icmp('client', 'api', 'allow'), icmp('other', 'api', 'deny')],
  },
  {
    name: 'profile rules decide when no policy applies',
    yaml: () => '',
    probes: [tcp('client', 'locked', 9090, 'allow'), tcp('client', 'locked', 8080, 'deny'), icmp('client', 'locked', 'deny'), icmp('locked', 'client', 'allow')],
  },
  {
    name: 'named port (WorkloadEndpoint port http-alt = 8081)',
    yaml: () =>
      gnp(
        'server-named-port',
        `  selector: app == 'server'
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: [http-alt]
`,
      ),
    probes: [tcp('client', 'server', 8081, 'allow'), tcp('client', 'server', 8080, 'deny'), icmp('client', 'server', 'deny')],
  },
]

const RESTRICTED_PROFILE = `apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: restricted
spec:
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: [9090]
  egress:
    - action: Allow
`

const describeProbe = (p: Probe) => `${p.from} -> ${p.to} ${p.proto}${p.port ? `/${p.port}` : ''}`

// Both by default; TEST_IPTABLES_BACKENDS=nft (or legacy) narrows a local run.
const BACKENDS = (process.env.TEST_IPTABLES_BACKENDS ?? 'nft,legacy').split(',').filter((b): b is Backend => b === 'nft' || b === 'legacy')

for (const backend of BACKENDS) {
  const skip = netnsSkipReason('bird', 'ping', 'sysctl', 'etcd', 'nsenter', `iptables-${backend}`, `iptables-${backend}-restore`, 'ipset')

  describe(`policy shapes with real traffic (iptables ${backend})`, {skip, timeout: 600_000}, () => {
    let etcd: TestEtcd | undefined
    let h: TwoHosts | undefined
    const P: Record<string, Pod> = {}
    const foreignBefore: Record<string, string[]> = {}

    const hosts = (): TwoHosts => {
      assert.ok(h, 'setup did not finish')
      return h
    }
    /** Another tool's lines in a host's tables: everything that does not mention cali. */
    const foreign = (ns: string): string[] =>
      ['filter', 'nat']
        .flatMap((t) => inNs(ns, `iptables-${backend}-save`, ['-t', t]).split('\n').map((l) => `${t}: ${l}`))
        .filter((l) => !/#|cali/.test(l) && !/^\w+: $/.test(l) && !/: (COMMIT|\*\w+|:[A-Z]+ \w+ \[\d+:\d+\])$/.test(l))

    /** Did the packet get through, really? Allowed probes get a few tries (a lost first packet is not a drop). */
    const actual = async (p: Probe): Promise<{ok: boolean; detail: string}> => {
      const hs = hosts()
      const from = P[p.from]
      const to = P[p.to]
      assert.ok(from && to, describeProbe(p))
      const tries = p.expect === 'allow' ? 3 : 1
      let detail = ''
      for (let i = 0; i < tries; i++) {
        if (p.proto === 'icmp') {
          if (await hs.ping(from, to.ip)) return {ok: true, detail: 'echo answered'}
          detail = 'no echo reply'
        } else {
          const r = await hs.tcp(from, to.ip, p.port ?? 0)
          if (r.ok) return r
          detail = r.detail
        }
      }
      return {ok: false, detail}
    }

    const explainVerdict = async (p: Probe): Promise<string> => {
      const from = P[p.from]
      const to = P[p.to]
      assert.ok(from && to)
      const args = ['node', 'explain', from.ip, to.ip, '--protocol', p.proto, ...(p.port ? ['--port', String(p.port)] : []), '-o', 'json']
      const r = await hosts().cli(args)
      assert.equal(r.code, 0, `${args.join(' ')}\n${r.stderr}`)
      return (JSON.parse(r.stdout) as {verdict: string}).verdict
    }

    before(async () => {
      etcd = await startEtcd()
      h = new TwoHosts({etcd, backend, tag: backend === 'nft' ? 'psn' : 'psl'})
      await h.setup()
      await h.manifest('apply', RESTRICTED_PROFILE)
      P.client = await h.addPod(h.master, 'client', {labels: {app: 'client', role: 'frontend'}})
      P.other = await h.addPod(h.master, 'other', {labels: {app: 'other'}})
      P.server = await h.addPod(h.node, 'server', {labels: {app: 'server'}, ports: [8080, 8081, 9090]})
      P.api = await h.addPod(h.node, 'api', {namespace: 'prod', labels: {app: 'api'}, ports: [8080, 8081]})
      P.locked = await h.addPod(h.node, 'locked', {labels: {app: 'locked'}, profiles: ['restricted'], ports: [8080, 9090]})
      // workload add has no port flag: the named port goes onto the endpoint with patch.
      const patch = await h.cli([
        'patch', 'workloadendpoint', P.server.endpoint, '-n', 'default',
        '-p', JSON.stringify({spec: {ports: [{name: 'http-alt', port: 8081, protocol: 'TCP'}]}}),
      ])
      assert.equal(patch.code, 0, patch.stderr)
      await h.applyAll()
      await h.waitConverged()
      const client = P.client
      const server = P.server
      assert.ok(client && server)
      const hs = h
      await waitFor('client pings server', async () => ((await hs.ping(client, server.ip)) ? true : undefined))
    })

    after(async () => {
      await h?.teardown()
      await etcd?.stop()
    })

    it("another tool's rules above our hooks: the next apply puts the hooks back on top and keeps the rules", async () => {
      const hs = hosts()
      for (const host of hs.hosts) {
        const ipt = (...args: string[]) => inNs(host.ns, hs.iptables, args)
        ipt('-N', 'OTHER-TOOL')
        ipt('-A', 'OTHER-TOOL', '-s', '203.0.113.7/32', '-j', 'RETURN')
        ipt('-A', 'INPUT', '-j', 'OTHER-TOOL')
        ipt('-t', 'nat', '-N', 'OTHER-NAT')
        ipt('-t', 'nat', '-A', 'OTHER-NAT', '-d', '203.0.113.0/24', '-j', 'RETURN')
        ipt('-t', 'nat', '-I', 'POSTROUTING', '1', '-j', 'OTHER-NAT')
        // Above our hook: without a fix-up this would accept every forwarded packet unpoliced.
        ipt('-I', 'FORWARD', '1', '-m', 'comment', '--comment', 'other-tool', '-j', 'ACCEPT')
        ipt('-I', 'INPUT', '1', '-m', 'comment', '--comment', 'other-tool', '-s', '203.0.113.9/32', '-j', 'DROP')
        foreignBefore[host.name] = foreign(host.ns)
        assert.ok(foreignBefore[host.name]?.some((l) => l.includes('other-tool')))
      }
      const rs = await hs.applyAll()
      for (const [i, host] of hs.hosts.entries()) {
        assert.match(rs[i]?.stdout ?? '', /iptables:/, `apply on ${host.name} changed no iptables`)
        const filter = hs.iptablesSave(host, 'filter').split('\n')
        const chainRules = (c: string) => filter.filter((l) => l.startsWith(`-A ${c} `))
        assert.match(chainRules('FORWARD')[0] ?? '', /-j cali-FORWARD$/, chainRules('FORWARD').join('\n'))
        assert.match(chainRules('FORWARD')[1] ?? '', /other-tool.*-j ACCEPT$/)
        assert.match(chainRules('INPUT')[0] ?? '', /-j cali-INPUT$/, chainRules('INPUT').join('\n'))
        assert.deepEqual(foreign(host.ns), foreignBefore[host.name])
      }
      // A second apply leaves the order alone: nothing to do.
      const again = await hs.apply(hs.node)
      assert.equal(again.stdout.trim(), 'no changes', again.stdout)
    })

    // node explain reads only the datastore, so its answer does not depend on the backend: it is
    // checked against the kernel in the first backend's run (the CLI calls are what cost time).
    const withExplain = backend === BACKENDS[0]

    for (const shape of SHAPES) {
      it(shape.name, async () => {
        const hs = hosts()
        const yaml = shape.yaml(P)
        const t0 = Date.now()
        if (yaml) await hs.manifest('apply', yaml)
        try {
          await hs.applyAll()
          const t1 = Date.now()
          const [real, explained] = await Promise.all([
            Promise.all(shape.probes.map(actual)),
            withExplain ? Promise.all(shape.probes.map(explainVerdict)) : undefined,
          ])
          console.log(`# ${backend} ${shape.name}: apply ${t1 - t0} ms, probes${withExplain ? ' + explain' : ''} ${Date.now() - t1} ms`)
          const problems: string[] = []
          shape.probes.forEach((p, i) => {
            const got = real[i]
            if (!got) return
            const what = got.ok ? 'got through' : `did not (${got.detail})`
            if (got.ok !== (p.expect === 'allow')) problems.push(`${describeProbe(p)}: policy says ${p.expect}, traffic ${what}`)
            const ex = explained?.[i]
            if (explained && ex !== (got.ok ? 'Allow' : 'Deny')) problems.push(`${describeProbe(p)}: node explain says ${ex}, traffic ${what}`)
          })
          assert.deepEqual(problems, [])
          shape.check?.(hs)
        } finally {
          if (yaml) await hs.manifest('delete', yaml)
        }
      })
    }

    it("another tool's rules and chains survived every apply", async () => {
      const hs = hosts()
      await hs.applyAll()
      for (const host of hs.hosts) {
        assert.deepEqual(foreign(host.ns), foreignBefore[host.name])
        assert.match(hs.iptablesSave(host, 'filter').split('\n').find((l) => l.startsWith('-A FORWARD ')) ?? '', /-j cali-FORWARD$/)
      }
    })

    it('natOutgoing: traffic leaving the pool is source-NATed only when the pool says so', async () => {
      const hs = hosts()
      const client = P.client
      assert.ok(client)
      const outside = await hs.addAgent(hs.node, [7000])
      const sourceSeen = async (): Promise<string> => {
        const before = outside.connections.length
        const r = await hs.tcp(client, hs.node.addr, 7000)
        assert.ok(r.ok, `client -> ${hs.node.addr}:7000: ${r.detail}`)
        return outside.connections[before]?.from ?? ''
      }
      assert.equal(await sourceSeen(), client.ip, 'natOutgoing false: the pod address arrives')

      const patch = await hs.cli(['patch', 'ippool', POOL_NAME, '-p', '{"spec":{"natOutgoing":true}}'])
      assert.equal(patch.code, 0, patch.stderr)
      await hs.applyAll()
      assert.equal(await sourceSeen(), hs.master.addr, 'natOutgoing true: the host address arrives')
      const masq = hs.iptablesSave(hs.master, 'nat', true).split('\n').find((l) => l.includes('-A cali-nat-outgoing') && l.includes('MASQUERADE'))
      assert.ok(masq && !masq.startsWith('[0:0]'), `MASQUERADE rule did not count: ${masq}`)
      // Pod to pod stays inside the pool: no NAT.
      const server = P.server
      assert.ok(server)
      assert.ok((await hs.tcp(client, server.ip, 8080)).ok)
      assert.equal(server.agent.connections.at(-1)?.from, client.ip)

      const back = await hs.cli(['patch', 'ippool', POOL_NAME, '-p', '{"spec":{"natOutgoing":false}}'])
      assert.equal(back.code, 0, back.stderr)
      await hs.applyAll()
      assert.equal(await sourceSeen(), client.ip, 'natOutgoing false again: the pod address arrives')
    })
  })
}
