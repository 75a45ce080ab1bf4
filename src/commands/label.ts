import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../lib/base-command.js'

export default class Label extends BaseCommand<typeof Label> {
  static override summary = 'Add or update labels of resources.'
  static override description = 'Sets key=value on a resource (changing the value of an existing key needs --overwrite), or removes a key with --remove. Labels drive selectors in policies, pools (nodeSelector) and BGP peers, and delete --selector.'
  static override examples = [
    '<%= config.bin %> label nodes node1 cluster=backend',
    '<%= config.bin %> label nodes node1 cluster=frontend --overwrite',
    '<%= config.bin %> label nodes node1 cluster --remove',
  ]
  static override args = {
    kind: Args.string({ignoreStdin: true, required: true, description: 'Resource kind, plural or alias.'}),
    name: Args.string({ignoreStdin: true, required: true, description: 'Name of the resource.'}),
    label: Args.string({ignoreStdin: true, required: true, description: 'key=value to set, or key with --remove.'}),
  }
  static override flags = {
    overwrite: Flags.boolean({summary: 'Overwrite the value when the label is already present.'}),
    remove: Flags.boolean({summary: 'Remove the label.'}),
    namespace: Flags.string({char: 'n', summary: 'Namespace (namespaced kinds only); default "default".'}),
  }

  async run(): Promise<void> {
    const {labelResource, parseLabelArg} = await import('../service/modify.js')
    const {namespaceFor, resolveKind} = await import('../service/targets.js')
    const def = resolveKind(this.args.kind)
    const ns = namespaceFor(def, {namespace: this.flags.namespace}, [this.args.name])
    const {key, value} = parseLabelArg(this.args.label, this.flags.remove)
    await this.checkVersionMismatch()
    const msg = await labelResource(await this.store(), def, this.args.name, ns, {key, value, overwrite: this.flags.overwrite, remove: this.flags.remove})
    this.out(`${msg}\n`)
  }
}
