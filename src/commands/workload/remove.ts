import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class WorkloadRemove extends BaseCommand<typeof WorkloadRemove> {
  static override summary = 'Detach a workload: delete its veth, release its address and delete its WorkloadEndpoint.'
  static override description = 'Undoes workload add: removes the host-side veth (the pod side goes with it), its /32 route, its IPAM address and its WorkloadEndpoint. The pod namespace itself is left alone.'
  static override examples = ['<%= config.bin %> workload remove pod1']
  static override args = {name: Args.string({ignoreStdin: true, required: true, description: 'Workload name.'})}
  static override flags = {
    namespace: Flags.string({char: 'n', default: 'default', summary: 'Namespace of the WorkloadEndpoint.'}),
    node: Flags.string({summary: 'Node name (default: $NODENAME, else the host name).'}),
    'iptables-backend': Flags.option({options: ['auto', 'nft', 'legacy'] as const, default: 'auto', summary: "The iptables flavour of the drop 'workload add' may have left (before the agent programmed this host)."})(),
    'no-iptables': Flags.boolean({summary: 'Leave iptables alone.'}),
  }

  async run(): Promise<void> {
    const {removeWorkload} = await import('../../node/workload.js')
    const {resolveNodeName} = await import('../../node/identity.js')
    const w = await removeWorkload({
      store: await this.store(),
      name: this.args.name,
      node: resolveNodeName({...(this.flags.node ? {name: this.flags.node} : {})}),
      namespace: this.flags.namespace,
      iptables: {enabled: !this.flags['no-iptables'], backend: this.flags['iptables-backend']},
    })
    this.out(`Removed workload ${w.namespace}/${w.name} (${w.ip || 'no address'}, ${w.interfaceName})\n`)
  }
}
