import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class NodeList extends BaseCommand<typeof NodeList> {
  static override summary = "List nodes with the datastore revision each one's agent last applied, when, and the result."
  static override description =
    "Reads the Node resources and the status every 'calicoctl node run' publishes in etcd after each pass (/calico/felix/v2/no-region/host/<node>/status). AGENT is running, stopped or none (no agent has published); RESULT is ok or failed (-o wide adds the errors)."
  static override examples = ['<%= config.bin %> node list', '<%= config.bin %> node list -o json']
  static override flags = {
    output: Flags.option({char: 'o', options: ['ps', 'wide', 'json'] as const, default: 'ps', summary: 'Output format.'})(),
  }

  async run(): Promise<void> {
    const {listNodes, nodeListTable} = await import('../../service/wait.js')
    const {rows, revision} = await listNodes(await this.store())
    if (this.flags.output === 'json') this.out(`${JSON.stringify({revision, nodes: rows}, null, 2)}\n`)
    else this.out(await nodeListTable(rows, this.flags.output === 'wide'))
  }
}
