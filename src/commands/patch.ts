import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {waitFlag} from '../cli/wait-flag.js'

export default class Patch extends BaseCommand<typeof Patch> {
  static override summary = 'Patch a pre-existing resource in place.'
  static override description =
    'strategic (the default, as calicoctl) merges the patch into the resource and unions labels and annotations; merge is an RFC 7386 JSON merge patch; json is an RFC 6902 list of operations. The result is validated like any write and is guarded by the revision read, so a concurrent change is never lost.'
  static override examples = [
    `<%= config.bin %> patch ippool default-ipv4-ippool --patch='{"spec":{"ipipMode":"Never"}}'`,
    `<%= config.bin %> patch node node1 --patch='{"spec":{"bgp":{"routeReflectorClusterID":"224.0.0.1"}}}'`,
    `<%= config.bin %> patch ippool default-ipv4-ippool -p '{"spec":{"ipipMode":"Always"}}' --wait=30s`,
    `<%= config.bin %> patch ippool pool1 --type=json --patch='[{"op":"replace","path":"/spec/natOutgoing","value":true}]'`,
  ]
  static override args = {
    kind: Args.string({ignoreStdin: true, required: true, description: 'Resource kind, plural or alias.'}),
    name: Args.string({ignoreStdin: true, required: true, description: 'Name of the resource to patch.'}),
  }
  static override flags = {
    patch: Flags.string({char: 'p', required: true, summary: 'The patch, as JSON.'}),
    type: Flags.option({char: 't', options: ['strategic', 'merge', 'json'] as const, default: 'strategic', summary: 'Patch type.'})(),
    namespace: Flags.string({char: 'n', summary: 'Namespace (namespaced kinds only); default "default".'}),
    'dry-run': Flags.boolean({summary: 'Validate the patched resource and print it; write nothing.'}),
    ...waitFlag,
  }

  async run(): Promise<void> {
    const {patchResource} = await import('../service/modify.js')
    const {namespaceFor, resolveKind} = await import('../service/targets.js')
    const def = resolveKind(this.args.kind)
    const ns = namespaceFor(def, {namespace: this.flags.namespace}, [this.args.name])
    await this.checkVersionMismatch()
    const r = await patchResource(await this.store(), def, this.args.name, ns, this.flags.patch, this.flags.type, this.flags['dry-run'])
    if (this.flags['dry-run']) {
      const {outputDocument, serialize} = await import('../output/printers.js')
      this.out(serialize(outputDocument(def, r), 'yaml'))
      this.out(`Dry run: would patch 1 '${def.kind}' resource; nothing was written\n`)
    } else {
      this.out(`Successfully patched 1 '${def.kind}' resource\n`)
      await this.waitForNodes(r.metadata.resourceVersion)
    }
  }
}
