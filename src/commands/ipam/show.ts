import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class IpamShow extends BaseCommand<typeof IpamShow> {
  static override summary = 'Show details of the Calico IP address management.'
  static override description =
    'Without options, prints one row per IP pool with the number of addresses in it, in use and free. --show-blocks adds a row per allocation block; --ip tells who holds one address; --show-borrowed lists addresses used by a node from a block affine to another; --show-configuration prints the IPAM settings.'
  static override examples = [
    '<%= config.bin %> ipam show',
    '<%= config.bin %> ipam show --show-blocks',
    '<%= config.bin %> ipam show --ip=192.168.1.5',
    '<%= config.bin %> ipam show --show-borrowed',
    '<%= config.bin %> ipam show --show-configuration',
  ]
  static override flags = {
    ip: Flags.string({summary: 'Report whether this IP address is in use, and by whom.', exclusive: ['show-blocks', 'show-borrowed', 'show-configuration']}),
    'show-blocks': Flags.boolean({summary: 'Show detailed information for IP blocks as well as pools.', exclusive: ['show-borrowed', 'show-configuration']}),
    'show-borrowed': Flags.boolean({summary: 'Show borrowed IP addresses.', exclusive: ['show-configuration']}),
    'show-configuration': Flags.boolean({summary: 'Show the current IPAM configuration.'}),
  }

  async run(): Promise<void> {
    const svc = await import('../../service/ipam.js')
    const store = await this.store()
    if (this.flags.ip !== undefined) this.out(await svc.showIp(store, this.flags.ip))
    else if (this.flags['show-borrowed']) this.out(await svc.showBorrowed(store))
    else if (this.flags['show-configuration']) this.out(await svc.showConfiguration(store))
    else {
      const {colourFor} = await import('../../output/colour.js')
      this.out(await svc.showUsage(store, this.flags['show-blocks'], await colourFor('stdout')))
    }
  }
}
