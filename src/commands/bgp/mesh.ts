import {Args} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {waitFlag} from '../../cli/wait-flag.js'

export default class BgpMesh extends BaseCommand<typeof BgpMesh> {
  static override summary = 'Turn the full node-to-node BGP mesh on or off.'
  static override description =
    "Sets nodeToNodeMeshEnabled in the cluster-wide BGPConfiguration 'default', creating it when missing. Turn the mesh off only once route reflectors or explicit BGP peers carry the routes."
  static override examples = ['<%= config.bin %> bgp mesh off', '<%= config.bin %> bgp mesh on --wait']
  static override args = {state: Args.string({ignoreStdin: true, required: true, options: ['on', 'off'], description: 'on or off.'})}
  static override flags = {...waitFlag}

  async run(): Promise<void> {
    const {setMesh} = await import('../../service/shortcuts.js')
    await this.checkVersionMismatch()
    const store = await this.store()
    const r = await setMesh(store, this.args.state === 'on')
    await this.finishShortcut(r)
  }
}
