import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {waitFlag} from '../../cli/wait-flag.js'

export default class BgpRouteReflector extends BaseCommand<typeof BgpRouteReflector> {
  static override summary = 'Make a node a BGP route reflector (--cluster-id) or a plain node again (--off).'
  static override description =
    "Sets spec.bgp.routeReflectorClusterID on the Node and labels it route-reflector=true, the label Calico's route-reflector BGPPeers select on (e.g. peer add with --node-selector 'all()' and a peer selector of route-reflector == 'true'). --off removes both."
  static override examples = ['<%= config.bin %> bgp route-reflector node1 --cluster-id 224.0.0.1', '<%= config.bin %> bgp route-reflector node1 --off']
  static override args = {node: Args.string({ignoreStdin: true, required: true, description: 'Name of the Node.'})}
  static override flags = {
    'cluster-id': Flags.string({summary: 'Route reflector cluster ID (an IPv4 address, e.g. 224.0.0.1).', exactlyOne: ['cluster-id', 'off']}),
    off: Flags.boolean({summary: 'Stop being a route reflector.', exactlyOne: ['cluster-id', 'off']}),
    ...waitFlag,
  }

  async run(): Promise<void> {
    const {setRouteReflector} = await import('../../service/shortcuts.js')
    await this.checkVersionMismatch()
    const store = await this.store()
    const r = await setRouteReflector(store, this.args.node, this.flags.off ? undefined : this.flags['cluster-id'])
    await this.finishShortcut(r)
  }
}
