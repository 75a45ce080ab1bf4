// One etcd and the CLI bound to it for a test file, plus a scratch directory for manifests;
// started before the file's tests and removed after them.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before} from 'node:test'
import {cliFor} from './cli.js'
import {startEtcd, type TestEtcd} from './etcd.js'

export interface CliSession {
  etcd: TestEtcd
  run: ReturnType<typeof cliFor>
  /** Writes a manifest into the scratch directory and returns its path. */
  file(text: string, ext?: string): string
}

export function cliSession(prefix: string): CliSession {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  let files = 0
  const session = {
    file(text: string, ext = 'yaml') {
      const p = join(dir, `m${files++}.${ext}`)
      writeFileSync(p, text)
      return p
    },
  } as CliSession
  before(async () => {
    session.etcd = await startEtcd()
    session.run = cliFor(session.etcd.endpoint)
  })
  after(async () => {
    await session.etcd.stop()
    rmSync(dir, {recursive: true, force: true})
  })
  return session
}
