import {Args} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {waitFlag} from '../../cli/wait-flag.js'

export default class IppoolEnable extends BaseCommand<typeof IppoolEnable> {
  static override summary = 'Enable an IP pool: nodes may allocate addresses from it again.'
  static override description =
    'Sets spec.disabled to false on the pool. Addresses are allocated from it again and nodes route it as usual. Reports "(no change)" when the pool already was enabled.'
  static override examples = ['<%= config.bin %> ippool enable default-ipv4-ippool', '<%= config.bin %> ippool enable rack1 --wait=30s']
  static override args = {name: Args.string({ignoreStdin: true, required: true, description: 'Name of the pool.'})}
  static override flags = {...waitFlag}

  async run(): Promise<void> {
    const {setPoolEnabled} = await import('../../service/shortcuts.js')
    await this.checkVersionMismatch()
    const store = await this.store()
    const r = await setPoolEnabled(store, this.args.name, true)
    await this.finishShortcut(r)
  }
}
