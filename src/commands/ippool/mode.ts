import {Args} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {waitFlag} from '../../cli/wait-flag.js'

export default class IppoolMode extends BaseCommand<typeof IppoolMode> {
  static override summary = "Switch a pool's encapsulation: ipip, cross-subnet, vxlan, vxlan-cross-subnet or bgp (none)."
  static override description =
    'ipip sets ipipMode Always; cross-subnet sets ipipMode CrossSubnet; bgp sets ipipMode and vxlanMode Never, so routes are learned over BGP and traffic is not encapsulated; vxlan and vxlan-cross-subnet set vxlanMode. The other encapsulation is set to Never. With --wait, returns once every running node has reprogrammed its routes.'
  static override examples = ['<%= config.bin %> ippool mode default-ipv4-ippool bgp --wait', '<%= config.bin %> ippool mode default-ipv4-ippool ipip']
  static override args = {
    name: Args.string({ignoreStdin: true, required: true, description: 'Name of the pool.'}),
    mode: Args.string({ignoreStdin: true, required: true, options: ['ipip', 'cross-subnet', 'vxlan', 'vxlan-cross-subnet', 'bgp'], description: 'The new mode.'}),
  }
  static override flags = {...waitFlag}

  async run(): Promise<void> {
    const {setPoolMode} = await import('../../service/shortcuts.js')
    await this.checkVersionMismatch()
    const store = await this.store()
    const r = await setPoolMode(store, this.args.name, this.args.mode as 'bgp')
    await this.finishShortcut(r)
  }
}
