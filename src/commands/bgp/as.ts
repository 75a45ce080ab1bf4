import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {waitFlag} from '../../cli/wait-flag.js'

export default class BgpAs extends BaseCommand<typeof BgpAs> {
  static override summary = 'Set the BGP AS number, cluster-wide or for one node.'
  static override description =
    "Without --node, sets asNumber in the BGPConfiguration 'default' (created when missing); nodes without their own AS use it. With --node, sets spec.bgp.asNumber of that Node. Accepts plain (64512) or dotted (1.10) AS numbers."
  static override examples = ['<%= config.bin %> bgp as 64513', '<%= config.bin %> bgp as 65001 --node node1 --wait']
  static override args = {asn: Args.string({ignoreStdin: true, required: true, description: 'The AS number.'})}
  static override flags = {
    node: Flags.string({summary: 'Set the AS of this node only.'}),
    ...waitFlag,
  }

  async run(): Promise<void> {
    const {parseAsn, setAs} = await import('../../service/shortcuts.js')
    const asn = parseAsn(this.args.asn)
    await this.checkVersionMismatch()
    const store = await this.store()
    const r = await setAs(store, asn, this.flags.node)
    await this.finishShortcut(r)
  }
}
