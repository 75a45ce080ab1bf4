// Man pages: the committed man/ tree equals what the build generates from oclif.manifest.json
// and the kind registry (so CI catches drift), groff reads every page without a warning, and the
// pages say what they must (every command, flag, kind; roff escaping).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {pathToFileURL} from 'node:url'
import {KINDS} from '../../src/resources/registry.js'

const ROOT = resolve(import.meta.dirname, '../..')
const MAN = join(ROOT, 'man')

type Pages = Map<string, string>
let gen: any
let inputs: any
let pages: Pages
let tmp: string

function listTree(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .filter((f) => /\.\d$/.test(f))
    .map((f) => f.split('\\').join('/'))
    .sort()
}

before(async () => {
  assert.ok(existsSync(join(ROOT, 'oclif.manifest.json')) && existsSync(join(ROOT, 'dist/resources/registry.js')), 'oclif.manifest.json or dist/ missing: run `npm run build` first')
  gen = await import(pathToFileURL(join(ROOT, 'scripts/gen-man.mjs')).href)
  inputs = await gen.loadInputs(ROOT)
  pages = gen.generateManPages(inputs)
  tmp = mkdtempSync(join(tmpdir(), 'calicoctl-man-'))
  gen.writeManPages(pages, tmp)
})
after(() => {
  if (tmp) rmSync(tmp, {recursive: true, force: true})
})

describe('generated man pages', () => {
  test('the committed man/ tree is exactly what the build generates (run `npm run build` and commit man/)', () => {
    const generated = listTree(tmp)
    assert.deepEqual(listTree(MAN), generated)
    for (const rel of generated) assert.equal(readFileSync(join(MAN, rel), 'utf8'), readFileSync(join(tmp, rel), 'utf8'), `man/${rel} differs from the generated page`)
  })

  test('generation is deterministic (no dates, no map-order dependence)', async () => {
    const again: Pages = gen.generateManPages(await gen.loadInputs(ROOT))
    assert.deepEqual([...again], [...pages])
    for (const text of pages.values()) assert.doesNotMatch(text, /\b20\d\d-\d\d-\d\d\b/)
  })

  test('groff -ww -z -man reads every page without a warning', (t) => {
    const probe = spawnSync('groff', ['--version'], {encoding: 'utf8'})
    if (probe.error || probe.status !== 0) {
      t.skip('needs groff (Debian: apt-get install groff-base)')
      return
    }
    for (const rel of listTree(tmp)) {
      const r = spawnSync('groff', ['-ww', '-z', '-man', join(tmp, rel)], {encoding: 'utf8'})
      assert.equal(r.status, 0, `${rel}: groff exited ${r.status}`)
      assert.equal(r.stderr, '', `${rel}: groff warnings:\n${r.stderr}`)
    }
  })

  test('one page per visible command, with every section and every flag', () => {
    const cmds = Object.values(inputs.manifest.commands as Record<string, any>).filter((c) => !c.hidden)
    assert.ok(cmds.length >= 9)
    for (const c of cmds) {
      const rel = `man1/calicoctl-${c.id.replaceAll(':', '-')}.1`
      const page = pages.get(rel)
      assert.ok(page, `missing ${rel}`)
      for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXAMPLES', 'EXIT STATUS', 'SEE ALSO']) assert.match(page, new RegExp(`^\\.SH ${section}$`, 'm'), `${rel}: no ${section}`)
      for (const f of Object.values(c.flags as Record<string, any>).filter((f) => !f.hidden))
        assert.ok(page.includes(`\\fB\\-\\-${f.name.replaceAll('-', '\\-')}\\fR`), `${rel}: flag --${f.name} missing`)
      for (const code of ['0', '1', '2']) assert.match(page, new RegExp(`^\\.B ${code}$`, 'm'))
      // Commands that talk to the datastore document its environment.
      if (c.flags.config) assert.match(page, /^\.SH ENVIRONMENT$/m, `${rel}: no ENVIRONMENT`)
      assert.doesNotMatch(page, /<%=/, `${rel}: unexpanded template`)
      const overview = pages.get('man1/calicoctl.1')!
      assert.ok(overview.includes(`.BR calicoctl\\-${c.id.replaceAll(':', '-').replaceAll('-', '\\-')} (1)`), `overview does not list ${c.id}`)
    }
  })

  test('calicoctl-resources(7) describes every kind in the registry, with its spec fields', () => {
    const page = pages.get('man7/calicoctl-resources.7')!
    assert.ok(page)
    assert.equal(inputs.kinds.length, KINDS.length, 'dist/ registry is stale: run `npm run build`')
    for (const k of KINDS) {
      assert.match(page, new RegExp(`^\\.SS ${k.kind}$`, 'm'), `kind ${k.kind} missing`)
      assert.ok(page.includes(`\\fB${k.plural}\\fR`), `${k.kind}: plural missing`)
      for (const [field] of k.specFields) assert.ok(page.includes(`\\fBspec.${field.replaceAll('-', '\\-')}\\fR`), `${k.kind}: spec.${field} missing`)
    }
  })

  test('a kind added to the registry appears in the resources page', () => {
    const extra = {kind: 'ExampleThing', plural: 'examplethings', aliases: ['examplething'], namespaced: true, columns: ['NAME'], wideColumns: ['NAME'], specFields: [['fooBar', {t: 'array', of: {t: 'object', fields: [['baz', {t: 'int', min: 1, max: 9}]]}}]]}
    const out: Pages = gen.generateManPages({...inputs, kinds: [...inputs.kinds, extra]})
    const page = out.get('man7/calicoctl-resources.7')!
    assert.match(page, /^\.SS ExampleThing$/m)
    assert.ok(page.includes('\\fBspec.fooBar[].baz\\fR \\(em integer (1..9)'))
    assert.ok(page.includes('namespaced'))
  })

  test('calicoctl.cfg(5) documents every CalicoAPIConfig field and its variable', () => {
    const page = pages.get('man5/calicoctl.cfg.5')!
    for (const f of ['datastoreType', 'etcdEndpoints', 'etcdUsername', 'etcdPassword', 'etcdKeyFile', 'etcdCertFile', 'etcdCACertFile', 'etcdKey', 'etcdCert', 'etcdCACert'])
      assert.match(page, new RegExp(`^\\\\fB${f}\\\\fR`, 'm'), f)
    for (const v of ['DATASTORE_TYPE', 'ETCD_ENDPOINTS', 'ETCD_USERNAME', 'ETCD_PASSWORD', 'ETCD_KEY_FILE', 'ETCD_CERT_FILE', 'ETCD_CA_CERT_FILE']) assert.ok(page.includes(v.replaceAll('_', '_')), v)
    assert.match(page, /^kind: CalicoAPIConfig$/m)
  })

  test('package.json installs the pages: its man list is exactly the generated pages', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    assert.deepEqual(pkg.man, gen.manField(pages))
    assert.ok(pkg.man.every((m: string) => existsSync(join(ROOT, m))))
    assert.ok(pkg.files.includes('man'))
    assert.match(readFileSync(join(ROOT, 'scripts', 'build.sh'), 'utf8'), /oclif manifest[^\n]*\nnode scripts\/gen-man\.mjs/)
  })
})

describe('roff escaping', () => {
  test('hyphens, backslashes, leading control characters and non-ASCII', async () => {
    const {esc} = await import(pathToFileURL(join(ROOT, 'scripts/gen-man.mjs')).href)
    assert.equal(esc('--dry-run'), '\\-\\-dry\\-run')
    assert.equal(esc('a\\b'), 'a\\eb')
    assert.equal(esc('.hidden'), '\\&.hidden')
    assert.equal(esc("'quoted"), "\\&'quoted")
    assert.equal(esc('x\n.y'), 'x\n\\&.y')
    assert.equal(esc('a … b'), 'a \\[u2026] b')
    assert.equal(esc('plain "text"'), 'plain "text"')
  })
})
