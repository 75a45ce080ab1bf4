import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {CalicoError} from '../resources/errors.js'

export default class Label extends BaseCommand<typeof Label> {
  static override summary = 'Add or update labels of resources.'
  static override description = 'Sets key=value on one resource or on several of a kind (kubectl-style: every argument between the kind and the last names a resource; calicoctl takes one) (changing the value of an existing key needs --overwrite), or removes a key with --remove. Labels drive selectors in policies, pools (nodeSelector) and BGP peers, and delete --selector.'
  static override examples = [
    '<%= config.bin %> label nodes node1 cluster=backend',
    '<%= config.bin %> label nodes node1 cluster=frontend --overwrite',
    '<%= config.bin %> label nodes node1 cluster --remove',
    '<%= config.bin %> label nodes node1 node2 node3 rack=r1',
  ]
  static override strict = false
  static override args = {
    kind: Args.string({ignoreStdin: true, required: true, description: 'Resource kind, plural or alias.'}),
    name: Args.string({ignoreStdin: true, required: true, description: 'Name of the resource (more may follow).'}),
    label: Args.string({ignoreStdin: true, required: true, description: 'key=value to set, or key with --remove (always the last argument).'}),
  }
  static override flags = {
    overwrite: Flags.boolean({summary: 'Overwrite the value when the label is already present.'}),
    remove: Flags.boolean({summary: 'Remove the label.'}),
    namespace: Flags.string({char: 'n', summary: 'Namespace (namespaced kinds only); default "default".'}),
  }

  async run(): Promise<void> {
    const {labelResource, parseLabelArg} = await import('../service/modify.js')
    const {checkNames, namespaceFor, resolveKind} = await import('../service/targets.js')
    const {argv} = await this.parse(Label)
    const positional = (argv as unknown[]).filter((a): a is string => typeof a === 'string')
    const names = positional.slice(1, -1)
    checkNames(names)
    const def = resolveKind(this.args.kind)
    const ns = namespaceFor(def, {namespace: this.flags.namespace}, names)
    const {key, value} = parseLabelArg(positional.at(-1)!, this.flags.remove)
    await this.checkVersionMismatch()
    // Each resource is labelled on its own (as kubectl does); a failure is reported and the rest still run.
    const errors: string[] = []
    for (const name of names) {
      try {
        this.out(`${await labelResource(await this.store(), def, name, ns, {key, value, overwrite: this.flags.overwrite, remove: this.flags.remove})}\n`)
      } catch (e) {
        if (!(e instanceof CalicoError)) throw e
        errors.push((e as Error).message)
      }
    }
    if (errors.length > 0) this.fail(errors.join('\n'))
  }
}
