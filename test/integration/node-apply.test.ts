// `node apply --dry-run` against a real etcd: prints the plan (Node to create, blocks to claim,
// routes, BIRD config) and writes nothing, neither to etcd nor to the BIRD config directory.
// Dry runs only read the kernel (routes, links) of the namespace they run in.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

const POOL = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: default-ipv4-ippool}
spec: {cidr: 192.168.0.0/16, blockSize: 26, ipipMode: Always, natOutgoing: true}
`

describe('node apply --dry-run', {timeout: 120_000}, () => {
  let etcd: TestEtcd
  let run: ReturnType<typeof cliFor>
  const dir = mkdtempSync(join(tmpdir(), 'node-apply-int-'))
  const birdDir = join(dir, 'bird')
  const args = ['node', 'apply', '--dry-run', '--name', 'dryhost', '--ip', '198.51.100.95/24', '--no-iptables', '--bird-config-dir', birdDir, '--bird-socket', join(dir, 'bird.ctl')]

  before(async () => {
    etcd = await startEtcd()
    run = cliFor(etcd.endpoint)
    const r = await run(['apply', '-f', '-'], {input: POOL})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await etcd?.stop()
    rmSync(dir, {recursive: true, force: true})
  })

  async function keys(prefix: string): Promise<string[]> {
    return (await etcd.client.getAll().prefix(prefix).keys()).sort()
  }

  it('prints the plan and registers nothing', async () => {
    const before = await keys('/calico/')
    const r = await run(args)
    // tunl0 may be reported missing on kernels without IPIP; every other part must plan cleanly.
    assert.doesNotMatch(r.stderr, /^(node|ipam|routes|iptables|bird):/m, r.stderr)
    assert.match(r.stdout, /^Dry run for node dryhost \(198\.51\.100\.95\/24\): nothing is changed\.$/m)
    assert.match(r.stdout, /create Node dryhost/)
    assert.match(r.stdout, /spec\.bgp\.ipv4Address: \(none\) -> 198\.51\.100\.95\/24/)
    assert.match(r.stdout, /claim a \/26 block in pool default-ipv4-ippool \(192\.168\.0\.0\/16\)/)
    assert.match(r.stdout, /allocate an IPIP tunnel address/)
    assert.match(r.stdout, /would update .*bird\.cfg/)
    assert.deepEqual(await keys('/calico/'), before)
    assert.equal((await keys('/calico/resources/v3/projectcalico.org/nodes/')).length, 0)
    assert.equal((await keys('/calico/ipam/')).length, 0)
    assert.equal(existsSync(join(birdDir, 'bird.cfg')), false)
  })

  it('-o json gives the per-part plan', async () => {
    const r = await run([...args, '-o', 'json'])
    const res = JSON.parse(r.stdout) as {dryRun: boolean; node: string; changed: boolean; parts: Array<{part: string; status: string; changes: string[]; detail?: {config?: string}}>}
    assert.equal(res.dryRun, true)
    assert.equal(res.node, 'dryhost')
    assert.equal(res.changed, true)
    assert.deepEqual(res.parts.map((p) => p.part), ['node', 'ipam', 'tunnel', 'routes', 'bird', 'iptables'])
    assert.equal(res.parts.find((p) => p.part === 'node')?.status, 'would-change')
    assert.equal(res.parts.find((p) => p.part === 'iptables')?.status, 'skipped')
    assert.match(res.parts.find((p) => p.part === 'bird')?.detail?.config ?? '', /router id 198\.51\.100\.95;/)
    assert.equal((await keys('/calico/resources/v3/projectcalico.org/nodes/')).length, 0)
  })

  it('an invalid --ip is a one-line error and exit 1', async () => {
    const r = await run(['node', 'apply', '--dry-run', '--name', 'x', '--ip', '300.1.2.3', '--no-iptables', '--no-bird'])
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim(), "invalid --ip '300.1.2.3': use an IPv4 address (optionally with /prefix) or 'autodetect'")
  })
})
