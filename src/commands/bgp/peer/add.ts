import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../../cli/base-command.js'
import {waitFlag} from '../../../cli/wait-flag.js'

export default class BgpPeerAdd extends BaseCommand<typeof BgpPeerAdd> {
  static override summary = 'Add a BGP peer: for every node, one node (--node) or the nodes a selector matches.'
  static override description =
    'Creates a BGPPeer with peerIP and asNumber. The default name is peer-<ip> (global or selector peers) or <node>.peer-<ip> (--node). Fails if a peer of that name exists.'
  static override examples = [
    '<%= config.bin %> bgp peer add 198.51.100.1 --as 64567',
    '<%= config.bin %> bgp peer add 198.51.100.2 --as 64567 --node node1 --wait',
    '<%= config.bin %> bgp peer add 198.51.100.3 --as 64567 --node-selector "rack == \'a\'" --name rack-a-tor',
  ]
  static override args = {ip: Args.string({ignoreStdin: true, required: true, description: 'The peer IP address (optionally IP:port).'})}
  static override flags = {
    as: Flags.string({required: true, summary: "The peer's AS number."}),
    node: Flags.string({summary: 'Only this node peers with it.', exclusive: ['node-selector']}),
    'node-selector': Flags.string({summary: 'Only nodes matching this selector peer with it.', exclusive: ['node']}),
    name: Flags.string({summary: 'Name of the BGPPeer resource (default peer-<ip>).'}),
    ...waitFlag,
  }

  async run(): Promise<void> {
    const {addPeer, parseAsn} = await import('../../../service/shortcuts.js')
    const asNumber = parseAsn(this.flags.as)
    await this.checkVersionMismatch()
    const store = await this.store()
    const r = await addPeer(store, {peerIP: this.args.ip, asNumber, node: this.flags.node, nodeSelector: this.flags['node-selector'], name: this.flags.name})
    await this.finishShortcut(r)
  }
}
