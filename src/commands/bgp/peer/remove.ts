import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../../cli/base-command.js'
import {waitFlag} from '../../../cli/wait-flag.js'

export default class BgpPeerRemove extends BaseCommand<typeof BgpPeerRemove> {
  static override summary = 'Remove a BGP peer by name, or every peer with a given peer IP.'
  static override description =
    'When the argument names a BGPPeer, that peer is deleted; otherwise every BGPPeer whose peerIP is the argument (with --node: only that node\'s) is deleted. Fails when nothing matches.'
  static override examples = ['<%= config.bin %> bgp peer remove peer-198-51-100-1', '<%= config.bin %> bgp peer remove 198.51.100.2 --node node1 --wait']
  static override args = {peer: Args.string({ignoreStdin: true, required: true, description: 'Peer name or peer IP.'})}
  static override flags = {
    node: Flags.string({summary: 'With a peer IP: only the peers of this node.'}),
    ...waitFlag,
  }

  async run(): Promise<void> {
    const {removePeer} = await import('../../../service/shortcuts.js')
    await this.checkVersionMismatch()
    const store = await this.store()
    const r = await removePeer(store, this.args.peer, this.flags.node)
    await this.finishShortcut(r)
  }
}
