// Packaging: `npm pack` gives a small tarball holding only what runs (bin, dist, man, manifest),
// and that tarball installs globally into a fresh prefix, runs `calicoctl version --client` and
// puts the man pages where man(1) finds them. Needs a built tree (npm run build).
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {after, before, describe, test} from 'node:test'

const ROOT = resolve(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
let tmp: string
let tarball: string
let files: string[]

before(() => {
  assert.ok(existsSync(join(ROOT, 'dist/commands')) && existsSync(join(ROOT, 'oclif.manifest.json')), 'run `npm run build` first')
  tmp = mkdtempSync(join(tmpdir(), 'calicoctl-pack-'))
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], {cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  const info = JSON.parse(out)[0] as {filename: string; files: Array<{path: string}>; size: number}
  tarball = join(tmp, info.filename)
  files = info.files.map((f) => f.path).sort()
})
after(() => {
  if (tmp) rmSync(tmp, {recursive: true, force: true})
})

describe('npm package', () => {
  test('the tarball holds only bin, dist, man, the manifest and package metadata', () => {
    assert.ok(existsSync(tarball))
    const top = [...new Set(files.map((f) => f.split('/')[0]))].sort()
    for (const t of top) assert.ok(['bin', 'dist', 'man', 'oclif.manifest.json', 'package.json', 'README.md', 'LICENSE'].includes(t!), `unexpected ${t} in the package`)
    for (const f of ['bin/run.js', 'oclif.manifest.json', 'dist/commands/get.js', 'dist/hooks/command-not-found.js', 'man/man1/calicoctl.1']) assert.ok(files.includes(f), `${f} missing`)
    assert.ok(!files.some((f) => /^(src|test|bench|scripts)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts')), 'sources or tests packed')
    for (const m of pkg.man as string[]) assert.ok(files.includes(m.replace(/^\.\//, '')), `${m} not packed`)
  })

  test('installs globally from the tarball and runs, with man pages installed', {timeout: 120_000}, () => {
    const prefix = join(tmp, 'prefix')
    // Dependencies come from the npm cache; the network is used only for what is not cached.
    const r = spawnSync('npm', ['install', '-g', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {cwd: tmp, encoding: 'utf8'})
    assert.equal(r.status, 0, `npm install failed:\n${r.stderr}`)
    const bin = join(prefix, 'bin/calicoctl')
    const version = spawnSync(bin, ['version', '--client'], {encoding: 'utf8', env: {...process.env, ETCD_ENDPOINTS: 'http://127.0.0.1:9'}})
    assert.equal(version.status, 0, version.stderr)
    assert.match(version.stdout, new RegExp(`^Client Version: {4}v${pkg.version.replaceAll('.', '\\.')}\nGit commit: {8}\\S+\n$`))
    // Global options before the command word work in the installed copy (bin/global-options.js is packed).
    const hoisted = spawnSync(bin, ['--allow-version-mismatch', 'version', '--client'], {encoding: 'utf8'})
    assert.equal(hoisted.status, 0, hoisted.stderr)
    assert.equal(hoisted.stdout, version.stdout)
    // Unknown commands are usage errors (exit 2), also in the installed copy (the hook is packed).
    const unknown = spawnSync(bin, ['gett'], {encoding: 'utf8', input: ''})
    assert.equal(unknown.status, 2)
    assert.match(unknown.stderr, /Did you mean 'calicoctl get'\?/)
    const man1 = readdirSync(join(prefix, 'share/man/man1')).sort()
    for (const page of ['calicoctl.1', 'calicoctl-apply.1', 'calicoctl-get.1']) assert.ok(man1.includes(page), `${page} not installed: ${man1}`)
    assert.ok(existsSync(join(prefix, 'share/man/man5/calicoctl.cfg.5')))
    assert.ok(existsSync(join(prefix, 'share/man/man7/calicoctl-resources.7')))
    const man = spawnSync('man', ['-M', join(prefix, 'share/man'), '-P', 'cat', 'calicoctl-apply'], {encoding: 'utf8', env: {...process.env, MANWIDTH: '80'}})
    if (!man.error) {
      assert.equal(man.status, 0, man.stderr)
      assert.match(man.stdout, /calicoctl apply/)
    }
  })
})
