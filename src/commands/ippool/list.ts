import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class IppoolList extends BaseCommand<typeof IppoolList> {
  static override summary = "List IP pools (the same table as 'get ippools -o wide')."
  static override description = 'Shows every IPPool with its CIDR, NAT, IPIP and VXLAN modes, disabled flag, BGP export and selector. -o takes the formats of get.'
  static override examples = ['<%= config.bin %> ippool list', '<%= config.bin %> ippool list -o yaml']
  static override flags = {
    output: Flags.string({char: 'o', default: 'wide', summary: 'Output format: wide (default), ps, yaml, json or custom-columns=...'}),
  }

  async run(): Promise<void> {
    const {listKind} = await import('../../service/shortcuts.js')
    this.out(await listKind(await this.store(), 'IPPool', this.flags.output))
  }
}
