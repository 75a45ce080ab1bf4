import {Flags} from '@oclif/core'
import {BaseCommand} from '../../../cli/base-command.js'

export default class BgpPeerList extends BaseCommand<typeof BgpPeerList> {
  static override summary = "List BGP peers (the same table as 'get bgppeers -o wide')."
  static override description = 'Shows every BGPPeer with its peer IP, the node or node selector it applies to ((global) for all nodes) and its AS number.'
  static override examples = ['<%= config.bin %> bgp peer list', '<%= config.bin %> bgp peer list -o json']
  static override flags = {
    output: Flags.string({char: 'o', default: 'wide', summary: 'Output format: wide (default), ps, yaml, json or custom-columns=...'}),
  }

  async run(): Promise<void> {
    const {listKind} = await import('../../../service/shortcuts.js')
    this.out(await listKind(await this.store(), 'BGPPeer', this.flags.output))
  }
}
