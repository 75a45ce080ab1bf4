// A sample of the hostile corpus (test/faults/corpus.ts) through the real CLI against a real
// etcd: exit 1, a short error on stderr with no stack trace, nothing on stdout claiming success,
// and nothing written to etcd.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, test} from 'node:test'
import {hostileCorpus} from '../faults/corpus.js'
import {cliFor} from '../helpers/cli.js'
import {startEtcd, type TestEtcd} from '../helpers/etcd.js'

let etcd: TestEtcd
const dir = mkdtempSync(join(tmpdir(), 'ctl-hostile-cli-'))
before(async () => {
  etcd = await startEtcd()
})
after(async () => {
  await etcd.stop()
  rmSync(dir, {recursive: true, force: true})
})

test('a sample of the hostile corpus through `calicoctl apply -f`: exit 1, one short error, nothing written', async () => {
  const corpus = hostileCorpus().filter((c) => c.text.length < 5_000_000)
  // Every 12th case plus the bombs and deep nesting: a spread over every category.
  const sample = corpus.filter((c, i) => i % 24 === 0 || /bomb|nesting|huge selector|shell/.test(c.name)).slice(0, 24)
  const run = cliFor(etcd.endpoint)
  for (let i = 0; i < sample.length; i += 8) {
    const wave = sample.slice(i, i + 8)
    const results = await Promise.all(
      wave.map((c, j) => {
        const p = join(dir, `c${i + j}.${c.ext ?? 'yaml'}`)
        writeFileSync(p, c.text)
        return run(['apply', '-f', p], {timeoutMs: 120_000})
      }),
    )
    results.forEach((r, j) => {
      const c = wave[j]!
      assert.equal(r.code, 1, `${c.name}: ${r.stdout}${r.stderr}`)
      assert.equal(r.stdout, '', c.name)
      const lines = r.stderr.trimEnd().split('\n')
      assert.ok(lines.length <= (c.maxLines ?? 3), `${c.name}: ${r.stderr}`)
      for (const line of lines) {
        assert.ok(line.length > 0 && line.length <= 400, `${c.name}: ${line.slice(0, 200)}`)
        assert.doesNotMatch(line, /^\s+at |node:internal|\.js:\d+:\d+|Warning/, `${c.name}: ${r.stderr}`)
      }
    })
  }
  // Nothing at all: calicoctl initialises the cluster only before a write it accepted.
  assert.deepEqual(await etcd.client.getAll().prefix('/calico/').keys(), [])
  console.log(`# hostile corpus through the CLI: ${sample.length} manifests, 0 written`)
})
