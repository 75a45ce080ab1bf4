import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'

export default class Get extends BaseCommand<typeof Get> {
  static override summary = 'Get a resource identified by file, directory, or kind and name.'
  static override description =
    `With a kind and no name, lists every resource of the kind; with names, shows just those (a missing one is an error). A kind may be given by name, plural or alias in any case (ippool, ippools, pools); see calicoctl-resources(7) for the kinds. With --filename, gets the resources named in a manifest.

Output formats (-o): ps (the default table), wide (more columns), custom-columns=NAME,CIDR,... (columns of your choice), yaml, json, go-template=TEMPLATE and go-template-file=FILE. yaml and json output can be applied back unchanged; with --export the cluster-specific metadata is left out so the output can be copied to another cluster.

A go template runs once over the list of results, as calicoctl's does: with no names given that list holds one list object (fields Kind, APIVersion, ListMeta and Items), with names each resource. Fields are named as in calicoctl's Go types (.Spec.CIDR, .Spec.IPIPMode, .ObjectMeta.Name or .Name) or as in the YAML (.spec.cidr); the functions are Go's (printf, len, index, eq, ...) plus join, joinAndTruncate and config "asnumber".

Namespaced kinds (NetworkPolicy, NetworkSet, WorkloadEndpoint) are read from the "default" namespace unless -n or --all-namespaces says otherwise.`
  static override examples = [
    '<%= config.bin %> get ippools',
    '<%= config.bin %> get ippool default-ipv4-ippool --output=yaml',
    '<%= config.bin %> get bgppeers --output=wide',
    '<%= config.bin %> get ippools --output=custom-columns=NAME,CIDR,IPIPMODE',
    '<%= config.bin %> get networkpolicy --all-namespaces',
    `<%= config.bin %> get ippools -o go-template='{{range .}}{{range .Items}}{{.Name}} {{.Spec.CIDR}}{{"\\n"}}{{end}}{{end}}'`,
  ]
  static override strict = false
  static override args = {
    kind: Args.string({ignoreStdin: true, description: 'Resource kind, plural or alias (e.g. ippool, ippools, pools).'}),
    names: Args.string({ignoreStdin: true, description: 'Names of resources to get (more may follow).'}),
  }
  static override flags = {
    filename: Flags.string({char: 'f', summary: 'Filename or directory (or - for stdin) naming the resources to get.'}),
    recursive: Flags.boolean({char: 'R', summary: 'Process the directory given by -f recursively.'}),
    'skip-empty': Flags.boolean({summary: 'Do not error if the file or directory holds no resources.'}),
    output: Flags.string({char: 'o', default: 'ps', summary: 'Output format: ps, wide, custom-columns=..., yaml, json, go-template=... or go-template-file=....'}),
    namespace: Flags.string({char: 'n', summary: 'Namespace (namespaced kinds only); default "default".'}),
    'all-namespaces': Flags.boolean({char: 'A', charAliases: ['a'], summary: 'List resources in every namespace.'}),
    selector: Flags.string({char: 'l', summary: 'Only resources whose labels match this Calico selector.'}),
    export: Flags.boolean({summary: 'Strip cluster-specific metadata (uid, resourceVersion, creationTimestamp, namespace) for copying.'}),
  }

  async run(): Promise<void> {
    const {runGet} = await import('../service/get.js')
    const {argv} = await this.parse(Get)
    const positional = (argv as string[]).filter((a) => typeof a === 'string')
    const result = await runGet(await this.store(), {
      kind: positional[0],
      names: positional.slice(1),
      filename: this.flags.filename,
      recursive: this.flags.recursive,
      skipEmpty: this.flags['skip-empty'],
      output: this.flags.output,
      namespace: this.flags.namespace,
      allNamespaces: this.flags['all-namespaces'],
      selector: this.flags.selector,
      exportMode: this.flags.export,
    }, () => this.checkVersionMismatch())
    this.out(result.stdout)
    if (result.errors.length > 0) this.fail(result.errors.join('\n'))
  }
}
