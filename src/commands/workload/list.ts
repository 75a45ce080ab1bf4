import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class WorkloadList extends BaseCommand<typeof WorkloadList> {
  static override summary = "List the workloads attached with 'workload add' on this node (or on every node)."
  static override description = 'Reads the WorkloadEndpoints of this node from the datastore and shows name, namespace, interface and addresses.'
  static override examples = ['<%= config.bin %> workload list', '<%= config.bin %> workload list --all-nodes -o json']
  static override flags = {
    node: Flags.string({summary: 'Node name (default: $NODENAME, else the host name).'}),
    'all-nodes': Flags.boolean({summary: 'List the workloads of every node.'}),
    output: Flags.option({char: 'o', options: ['text', 'json'] as const, default: 'text', summary: 'Output format.'})(),
  }

  async run(): Promise<void> {
    const {listWorkloads, workloadListTable} = await import('../../node/workload.js')
    const {resolveNodeName} = await import('../../node/identity.js')
    const node = this.flags['all-nodes'] ? undefined : resolveNodeName({...(this.flags.node ? {name: this.flags.node} : {})})
    const items = await listWorkloads(await this.store(), node)
    if (this.flags.output === 'json') {
      this.out(`${JSON.stringify(items, null, 2)}\n`)
      return
    }
    this.out(await workloadListTable(items))
  }
}
