// Secrets: a BIRD config holding BGP passwords is written 0600 (0644 without), and `node diags`
// never puts a BGP or etcd password in its tarball.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {applyBirdConfig} from '../../src/dataplane/bird/executor.js'
import {collectDiags, redactSecrets} from '../../src/node/diags.js'

const dir = mkdtempSync(join(tmpdir(), 'ctl-secrets-'))
after(() => rmSync(dir, {recursive: true, force: true}))
const SECRET = 'bgp-Pa55-w0rd'
const okRunner = async () => ({exitCode: 0, stdout: '', stderr: ''})
const config = (pw?: string) => `router id 198.51.100.95;\nprotocol bgp Mesh_198_51_100_96 {\n  neighbor 198.51.100.96 as 64512;\n${pw ? `  password "${pw}";\n` : ''}}\n`

describe('BIRD config file mode', () => {
  test('with a BGP password: 0600', async () => {
    const p = join(dir, 'with-pw.cfg')
    const r = await applyBirdConfig({configPath: p, socketPath: join(dir, 'none.ctl'), text: config(SECRET), runner: okRunner})
    assert.equal(r.status, 'written-not-running')
    assert.equal(statSync(p).mode & 0o777, 0o600)
  })
  test('without one: 0644', async () => {
    const p = join(dir, 'no-pw.cfg')
    await applyBirdConfig({configPath: p, socketPath: join(dir, 'none.ctl'), text: config(), runner: okRunner})
    assert.equal(statSync(p).mode & 0o777, 0o644)
  })
  test('adding a password to an existing 0644 config makes it 0600', async () => {
    const p = join(dir, 'no-pw.cfg')
    await applyBirdConfig({configPath: p, socketPath: join(dir, 'none.ctl'), text: config(SECRET), runner: okRunner})
    assert.equal(statSync(p).mode & 0o777, 0o600)
  })
})

describe('node diags redaction', () => {
  test('redactSecrets blanks BIRD, JSON and YAML/env password forms', () => {
    const text = `  password "${SECRET}";\n{"etcdPassword":"${SECRET}","password": "${SECRET}"}\netcdPassword: ${SECRET}\nETCD_PASSWORD=${SECRET}\n`
    const out = redactSecrets(text)
    assert.ok(!out.includes(SECRET), out)
    assert.equal(out.match(/<redacted>/g)?.length, 5)
    assert.equal(redactSecrets('protocol bgp x { neighbor 1.2.3.4 as 1; }'), 'protocol bgp x { neighbor 1.2.3.4 as 1; }')
  })

  test('the tarball holds the BIRD config and status without the password', async () => {
    const birdDir = join(dir, 'bird')
    execFileSync('mkdir', ['-p', birdDir])
    writeFileSync(join(birdDir, 'bird.cfg'), config(SECRET))
    const statusFile = join(dir, 'status.json')
    writeFileSync(statusFile, JSON.stringify({node: 'n1', bgp: {password: SECRET}}))
    const {archive, files} = await collectDiags({birdConfigDir: birdDir, birdSocket: join(dir, 'none.ctl'), statusFile})
    assert.ok(files.includes('bird/bird.cfg') && files.includes('node-status.json'), files.join(','))
    const out = mkdtempSync(join(tmpdir(), 'ctl-diags-x-'))
    try {
      execFileSync('tar', ['-xzf', archive, '-C', out])
      const [top] = readdirSync(out)
      const cfg = readFileSync(join(out, top!, 'bird', 'bird.cfg'), 'utf8')
      assert.match(cfg, /password "<redacted>";/)
      assert.match(cfg, /neighbor 198\.51\.100\.96 as 64512/)
      const walk = (d: string): string[] => readdirSync(d, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]))
      const leaking = walk(out).filter((file) => readFileSync(file, 'utf8').includes(SECRET))
      assert.deepEqual(leaking, [])
    } finally {
      rmSync(out, {recursive: true, force: true})
      rmSync(join(archive, '..'), {recursive: true, force: true})
    }
  })
})
