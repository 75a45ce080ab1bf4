import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class IpamSplit extends BaseCommand<typeof IpamSplit> {
  static override summary = 'Split an IP pool into smaller pools.'
  static override description =
    'Replaces the pool with NUMBER (a power of 2) equal pools named split-<pool>-<i> with the same settings. Existing blocks and allocations are kept. The datastore must be locked (`datastore migrate lock`) so nothing allocates meanwhile.'
  static override examples = ['<%= config.bin %> ipam split 4 --name=default-ipv4-ippool', '<%= config.bin %> ipam split 2 --cidr=192.168.0.0/16']
  static override args = {
    number: Args.integer({required: true, description: 'Number of pools to split into (a power of 2).'}),
  }
  static override flags = {
    cidr: Flags.string({summary: 'CIDR of the IP pool to split.', exclusive: ['name']}),
    name: Flags.string({summary: 'Name of the IP pool to split.'}),
  }

  async run(): Promise<void> {
    const {splitPool} = await import('../../service/ipam.js')
    await this.checkVersionMismatch()
    this.out(await splitPool(await this.store(), {number: this.args.number, cidr: this.flags.cidr, name: this.flags.name}))
  }
}
