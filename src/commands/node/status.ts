import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class NodeStatus extends BaseCommand<typeof NodeStatus> {
  static override summary = 'Show whether Calico runs on this host and the state of its BGP sessions.'
  static override description =
    "Calico counts as running when 'calicoctl node run' (or calico-felix) is running or its status file names a live process. The BGP table comes from BIRD's control socket."
  static override examples = ['<%= config.bin %> node status', '<%= config.bin %> node status --bird-socket /run/bird/bird.ctl -o json']
  static override flags = {
    'bird-socket': Flags.string({default: '/var/run/calico/bird.ctl', summary: "BIRD's control socket."}),
    'status-file': Flags.string({default: '/var/run/calico/node-status.json', summary: "Status file written by 'calicoctl node run'."}),
    output: Flags.option({char: 'o', options: ['text', 'json'] as const, default: 'text', summary: 'Output format.'})(),
  }

  async run(): Promise<void> {
    const {nodeStatus, NOT_ROOT_MESSAGE} = await import('../../node/status.js')
    if (process.getuid?.() !== 0) this.fail(NOT_ROOT_MESSAGE)
    const json = this.flags.output === 'json'
    const colour = json ? undefined : await (await import('../../output/colour.js')).colourFor('stdout')
    const s = await nodeStatus({statusFile: this.flags['status-file'], socketPath: this.flags['bird-socket'], colour})
    if (json) {
      const {text: _text, ...rest} = s
      this.out(`${JSON.stringify(rest, null, 2)}\n`)
    } else this.out(s.text)
    if (!s.calicoRunning && !s.birdRunning) this.exit(1)
  }
}
