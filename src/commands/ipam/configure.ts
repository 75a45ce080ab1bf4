import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class IpamConfigure extends BaseCommand<typeof IpamConfigure> {
  static override summary = 'Configure Calico IPAM.'
  static override description =
    "Changes the global IPAM settings. At least one option is required. StrictAffinity true means nodes never borrow addresses from other nodes' blocks; it cannot be false while AutoAllocateBlocks is false. --max-blocks-per-host 0 means no limit."
  static override examples = ['<%= config.bin %> ipam configure --strictaffinity=true', '<%= config.bin %> ipam configure --strictaffinity=true --max-blocks-per-host=4']
  static override flags = {
    // Values are checked by the command (exit 1), as calicoctl does: true/false in Go's spellings (1, t, TRUE, ...).
    strictaffinity: Flags.string({summary: 'Set StrictAffinity to true or false.'}),
    'max-blocks-per-host': Flags.integer({summary: 'Set the maximum number of blocks a host may claim (0: no limit).', min: 0}),
    'kubevirt-ip-persistence': Flags.string({summary: 'Set KubeVirt VM address persistence: Enabled or Disabled.'}),
  }

  async run(): Promise<void> {
    const {configureIpam} = await import('../../service/ipam.js')
    await this.checkVersionMismatch()
    this.out(
      await configureIpam(await this.store(), {
        strictAffinity: this.flags.strictaffinity,
        maxBlocksPerHost: this.flags['max-blocks-per-host'],
        kubeVirtIpPersistence: this.flags['kubevirt-ip-persistence'],
      }),
    )
  }
}
