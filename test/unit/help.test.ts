// Help texts: every command in oclif.manifest.json (so also commands added later) has a summary,
// a description and at least one real example; every argument and flag says what it is for.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {describe, test} from 'node:test'

const ROOT = resolve(import.meta.dirname, '../..')
const MANIFEST = join(ROOT, 'oclif.manifest.json')

interface ManifestFlag {
  name: string
  char?: string
  summary?: string
  description?: string
  hidden?: boolean
  helpGroup?: string
}
interface ManifestCommand {
  id: string
  summary?: string
  description?: string
  examples?: Array<string | {command: string; description?: string}>
  hidden?: boolean
  args: Record<string, {name: string; description?: string}>
  flags: Record<string, ManifestFlag>
}

function commands(): ManifestCommand[] {
  assert.ok(existsSync(MANIFEST), 'oclif.manifest.json missing: run `npm run build` first')
  const m = JSON.parse(readFileSync(MANIFEST, 'utf8')) as {commands: Record<string, ManifestCommand>}
  return Object.values(m.commands).filter((c) => !c.hidden)
}

const exampleCommand = (e: string | {command: string}) => (typeof e === 'string' ? e : e.command)

describe('help texts in oclif.manifest.json', () => {
  const all = commands()

  test('the manifest holds the core commands', () => {
    const ids = all.map((c) => c.id)
    for (const id of ['create', 'apply', 'replace', 'get', 'delete', 'patch', 'label', 'validate', 'version']) assert.ok(ids.includes(id), id)
  })

  for (const c of all) {
    test(`${c.id.replaceAll(':', ' ')}: summary, description, examples, args and flags`, () => {
      const problems: string[] = []
      const summary = c.summary?.trim() ?? ''
      if (!summary) problems.push('no summary')
      else {
        if (summary.includes('\n')) problems.push('summary is more than one line')
        if (summary.length > 120) problems.push(`summary is ${summary.length} characters (keep it under 120)`)
      }
      const description = c.description?.trim() ?? ''
      if (!description) problems.push('no description')
      else if (description === summary) problems.push('description only repeats the summary')
      const examples = (c.examples ?? []).map(exampleCommand)
      if (examples.length === 0) problems.push('no example')
      const spaced = c.id.replaceAll(':', ' ')
      for (const e of examples) {
        // A real example runs this very command: `<%= config.bin %> <id> ...` (possibly after a pipe).
        const expanded = e.replaceAll(/<%=\s*config\.bin\s*%>/g, 'calicoctl').replaceAll(/<%=\s*command\.id\s*%>/g, spaced)
        if (!new RegExp(`(^|[|;&(]\\s*|\\$\\(|\\s)calicoctl ${spaced.replaceAll(' ', '\\s+')}(\\s|$)`).test(expanded)) problems.push(`example does not run '${spaced}': ${e}`)
        if (/\b(TODO|FIXME|xxx)\b|describe the command/i.test(expanded)) problems.push(`placeholder example: ${e}`)
      }
      for (const a of Object.values(c.args ?? {})) if (!a.description?.trim()) problems.push(`argument ${a.name} has no description`)
      for (const f of Object.values(c.flags ?? {})) {
        if (f.hidden) continue
        const text = (f.summary ?? f.description ?? '').trim()
        if (!text) problems.push(`flag --${f.name} has no summary`)
        else if (f.summary?.includes('\n')) problems.push(`flag --${f.name}: summary is more than one line`)
      }
      assert.deepEqual(problems, [], `${spaced}:\n  ${problems.join('\n  ')}`)
    })
  }
})
