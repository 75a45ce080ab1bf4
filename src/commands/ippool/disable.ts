import {Args} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {waitFlag} from '../../cli/wait-flag.js'

export default class IppoolDisable extends BaseCommand<typeof IppoolDisable> {
  static override summary = 'Disable an IP pool: no new addresses are allocated from it.'
  static override description =
    'Sets spec.disabled to true on the pool. Addresses already allocated stay in use; nodes stop programming routes and tunnels for the pool. Reports "(no change)" when the pool already was disabled.'
  static override examples = ['<%= config.bin %> ippool disable default-ipv4-ippool', '<%= config.bin %> ippool disable rack1 --wait=30s']
  static override args = {name: Args.string({ignoreStdin: true, required: true, description: 'Name of the pool.'})}
  static override flags = {...waitFlag}

  async run(): Promise<void> {
    const {setPoolEnabled} = await import('../../service/shortcuts.js')
    await this.checkVersionMismatch()
    const store = await this.store()
    const r = await setPoolEnabled(store, this.args.name, false)
    await this.finishShortcut(r)
  }
}
