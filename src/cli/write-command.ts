// create, apply and replace differ only in their verb: one implementation serves all three.

import type {Command} from '@oclif/core'
import {Flags} from '@oclif/core'
import {CalicoError} from '../resources/errors.js'
import {BaseCommand} from './base-command.js'
import {waitFlag} from './wait-flag.js'

export const fileFlags = {
  filename: Flags.string({char: 'f', required: true, summary: 'Filename, directory or - (stdin) holding the resources; YAML or JSON.'}),
  recursive: Flags.boolean({char: 'R', summary: 'Process the directory given by -f recursively.'}),
  'skip-empty': Flags.boolean({summary: 'Do not error if the file or directory holds no resources.'}),
  namespace: Flags.string({char: 'n', summary: 'Namespace of the resources (namespaced kinds only); defaults to the one in the file, else "default".'}),
  'dry-run': Flags.boolean({summary: 'Validate against the datastore and report what would change; write nothing.'}),
  output: Flags.string({
    char: 'o',
    options: ['json'],
    summary: 'json: list the resources written and those not written (also when etcd fails part-way) on stdout instead of the summary.',
  }),
  ...waitFlag,
}

export abstract class WriteCommand<T extends typeof Command> extends BaseCommand<T> {
  protected async runWrite(verb: 'create' | 'apply' | 'replace', extra: {skipExists?: boolean} = {}): Promise<void> {
    const f = this.flags as unknown as {filename: string; recursive: boolean; 'skip-empty': boolean; namespace?: string; 'dry-run': boolean; output?: string}
    const {loadManifests, writeResources} = await import('../service/crud.js')
    const {summarize} = await import('../service/summary.js')
    const loaded = loadManifests(f.filename, {recursive: f.recursive, skipEmpty: f['skip-empty'], namespace: f.namespace})
    if (loaded.length === 0) {
      this.out('No resources specified\n')
      return
    }
    await this.checkVersionMismatch()
    const store = await this.store()
    const progress = await import('../lib/progress.js')
    const bar = progress.start(`${verb === 'apply' ? 'Applying' : verb === 'create' ? 'Creating' : 'Replacing'} resources`, loaded.length)
    const {PartialWriteError, reportOf} = await import('../service/landed.js')
    // Written out before the command exits (a failure exits at once, a pipe drains later).
    const json = (report: unknown) => new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(report, null, 2)}\n`, () => resolve()))
    const rows = await writeResources(store, verb, loaded, {skipExists: extra.skipExists, initialize: true, dryRun: f['dry-run'], onProgress: (d) => bar.update(d)})
      .catch(async (error: unknown) => {
        if (error instanceof PartialWriteError && f.output === 'json') await json(error.report)
        throw error
      })
      .finally(() => bar.stop())
    const s = summarize(verb, rows, f['dry-run'])
    if (f.output === 'json') await json(reportOf(rows))
    else this.out(s.stdout)
    if (!s.ok) throw new CalicoError(s.stderr.trimEnd())
    await this.waitForNodes(s.revision)
  }
}
