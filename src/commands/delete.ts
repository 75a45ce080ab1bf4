import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {waitFlag} from '../cli/wait-flag.js'

export default class Delete extends BaseCommand<typeof Delete> {
  static override summary = 'Delete a resource identified by file, directory, kind and names, or label selector.'
  static override description =
    `Deletes the resources named by kind and names, by a manifest (--filename), or every resource of a kind whose labels match a selector (--selector). A resource that does not exist is an error unless --skip-not-exists is given.

Deleting an IPPool first disables it and releases its block affinities; deleting a Node releases its addresses and removes its node-specific configuration, as Calico does.`
  static override examples = [
    '<%= config.bin %> delete --filename=ippool.yaml',
    '<%= config.bin %> delete ippool my-pool',
    '<%= config.bin %> delete bgppeers peer1 peer2 --skip-not-exists',
    "<%= config.bin %> delete globalnetworkpolicies --selector='team == \"red\"'",
  ]
  static override strict = false
  static override args = {
    kind: Args.string({ignoreStdin: true, description: 'Resource kind, plural or alias.'}),
    names: Args.string({ignoreStdin: true, description: 'Names of the resources to delete (more may follow).'}),
  }
  static override flags = {
    filename: Flags.string({char: 'f', summary: 'Filename or directory (or - for stdin) naming the resources to delete.'}),
    recursive: Flags.boolean({char: 'R', summary: 'Process the directory given by -f recursively.'}),
    'skip-empty': Flags.boolean({summary: 'Do not error if the file or directory holds no resources.'}),
    'skip-not-exists': Flags.boolean({char: 's', summary: 'Treat a resource that does not exist as deleted.'}),
    namespace: Flags.string({char: 'n', summary: 'Namespace (namespaced kinds only); default "default".'}),
    selector: Flags.string({char: 'l', summary: 'Delete every resource of the kind whose labels match this Calico selector.'}),
    'dry-run': Flags.boolean({summary: 'Report what would be deleted; delete nothing.'}),
    ...waitFlag,
  }

  async run(): Promise<void> {
    const {runDelete} = await import('../service/delete.js')
    const {argv} = await this.parse(Delete)
    const positional = (argv as string[]).filter((a) => typeof a === 'string')
    await this.checkVersionMismatch()
    const s = await runDelete(await this.store(), {
      kind: positional[0],
      names: positional.slice(1),
      filename: this.flags.filename,
      recursive: this.flags.recursive,
      skipEmpty: this.flags['skip-empty'],
      skipNotExists: this.flags['skip-not-exists'],
      namespace: this.flags.namespace,
      selector: this.flags.selector,
      dryRun: this.flags['dry-run'],
    })
    this.out(s.stdout)
    if (!s.ok) this.fail(s.stderr.trimEnd())
    await this.waitForNodes(s.revision)
  }
}
