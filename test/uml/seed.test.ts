// The seed scenario (DESIGN §6) end to end inside user-mode-linux, the only place IPIP works here:
// etcd on a unix socket, hosts `master` and `node` on one veth, `calicoctl node run` (built dist/)
// with default flags on each (it runs BIRD itself), a pod per host from `calicoctl workload add`
// typed straight after (no wait on the agents), pool in IPIP mode. A second variant runs the same
// with two CPU burners on this machine (bounded in time, stopped by PID at the end).
// (1) ping over tunl0 with IP-in-IP on the wire; (2) patch to ipipMode Never: both hosts converge
// by themselves on `proto bird` routes, plain ICMP on the wire; (3) a deny policy stops the ping,
// deleting it restores it; (4) back to Always; SIGTERM ends both agents with status 0.
// The guest script is scripts/lab/seed.sh, the same one `scripts/lab.sh` shows to a person.
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {runInUml, type UmlResult, umlSkipReason} from './harness.js'
import {burner, REPO, SEED_MODULES, seedScript} from './lab-seed.js'

// Part of `npm test` wherever user-mode-linux runs (2.5-7 minutes here: every process start in
// the guest costs a second or more); `npm run test:seed` runs it alone.
const skip = umlSkipReason() ?? (existsSync(`${REPO}/dist/commands/node/run.js`) ? undefined : 'needs the build (npm run build)')

for (const burners of [0, 2]) describe(`the seed scenario inside user-mode-linux${burners ? `, ${burners} CPU burners on the host` : ''}`, {skip, timeout: 1_800_000}, () => {
  let r: UmlResult
  const running: ChildProcess[] = []
  after(async () => {
    for (const b of running) if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL')
  })
  const sec = (name: string) => r.sections.get(name) ?? ''
  const checks = (...names: string[]) => {
    for (const n of names) assert.ok(r.passed.includes(n), `check ${n} did not pass (failed: ${r.failed.join(', ') || 'none'})\n${r.output.slice(-4000)}`)
  }
  let addr: {POD1: string; POD2: string; B1: string; B2: string}
  const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

  before(async () => {
    // Bounded: they stop by themselves after 15 minutes even if this process dies.
    for (let i = 0; i < burners; i++) running.push(burner(15 * 60_000))
    try {
      r = await runInUml(seedScript(), {modules: SEED_MODULES, memMb: 1024, timeoutMs: 1_700_000})
    } finally {
      for (const b of running) b.kill('SIGKILL')
    }
    assert.ok(r.finished, `the guest did not finish:\n${r.output.slice(-4000)}`)
    // The walkthrough first, so a failure below still shows how far the guest got.
    const human = r.output.split('\n').filter((l) => /^(lab: | {2})/.test(l))
    console.log(human.map((l) => `# ${l}`).join('\n'))
    const kv = Object.fromEntries(sec('addresses').trim().split(/\s+/).map((p) => p.split('=') as [string, string]))
    addr = kv as typeof addr
    for (const pod of ['POD1', 'POD2'] as const) assert.match(addr[pod] ?? '', /^192\.168\.\d+\.\d+$/, `${pod} has no address:\n${r.output.slice(-8000)}`)
  })

  test('both agents start, register, forward and run BIRD with default flags; node status says Calico is running', () => {
    assert.deepEqual(r.failed.filter((f) => /started/.test(f)), [])
    checks('forwarding-on')
    // Figures for a person (bench/ compares them); not asserted: only the 30 s guards are.
    console.log(`# ms after node run started (UML${burners ? `, ${burners} burners` : ''}): ${sec('timings').trim()}`)
    for (const h of ['master', 'node']) assert.match(sec('timings'), new RegExp(`${h}-registered=\\d+`), `${h} never logged its registration`)
    assert.match(sec('master-status'), /Calico process is running\./)
    assert.match(sec('pod1-routes'), /^default via 169\.254\.1\.1 dev eth0/m)
  })

  test('IPIP: block route via tunl0 onlink on master, cali route on node, ping, protocol 4 on the wire', () => {
    checks('ipip-tunl0-route', 'ipip-node-cali-route', 'ipip-ping', 'ipip-capture-proto4')
    assert.match(sec('master-routes-ipip'), new RegExp(`^${re(addr.B2)} via 198\\.51\\.100\\.96 dev tunl0 proto 80 onlink`, 'm'))
    assert.match(sec('node-routes-ipip'), new RegExp(`^${re(addr.POD2)} dev cali[0-9a-f]{11} proto 80 scope link`, 'm'))
    assert.match(sec('master-tunl0'), /inet 192\.168\.\d+\.\d+\/32/)
    assert.match(sec('ipip-capture'), new RegExp(`IP 198\\.51\\.100\\.95 > 198\\.51\\.100\\.96: IP ${re(addr.POD1)} > ${re(addr.POD2)}: ICMP echo request`))
  })

  test('patch to ipipMode Never: both hosts converge on BGP routes, plain ICMP on the wire', () => {
    checks('never-no-tunl0-routes', 'never-bird-route', 'never-ping', 'never-capture-plain')
    for (const h of ['master', 'node']) assert.doesNotMatch(sec(`${h}-routes-never`), /dev tunl0/)
    assert.match(sec('master-routes-never'), new RegExp(`^${re(addr.B2)} via 198\\.51\\.100\\.96 dev eth0 proto bird`, 'm'))
    assert.match(sec('node-routes-never'), new RegExp(`^${re(addr.B1)} via 198\\.51\\.100\\.95 dev eth0 proto bird`, 'm'))
    assert.doesNotMatch(sec('never-capture'), /IP 198\.51\.100\.95 > 198\.51\.100\.96: IP /)
    const ms = sec('convergence-never').trim()
    assert.match(ms, /^\d+$/, 'no convergence within the limit')
    console.log(`# convergence after the patch to Never: ${ms} ms (UML; reported, not asserted)`)
  })

  test('a deny policy stops the ping and deleting it restores it', () => {
    checks('policy-denies', 'policy-deleted-ping')
  })

  test('back to Always converges to tunl0 again', () => {
    checks('always-again-tunl0-route', 'always-again-capture-proto4')
    console.log(`# convergence after the patch back to Always: ${sec('convergence-always').trim()} ms`)
  })

  test('SIGTERM ends both agents with status 0 and the routes stay', () => {
    checks('node-run-master-exit-0', 'node-run-node-exit-0', 'routes-stay')
    assert.match(sec('master-log'), /\[INFO\] (routes|tunnel): /)
    assert.match(sec('master-log'), /stopped; the dataplane is left in place/)
  })

  test('no check failed', () => {
    assert.deepEqual(r.failed, [])
  })
})
