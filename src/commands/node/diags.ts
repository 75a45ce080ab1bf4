import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class NodeDiags extends BaseCommand<typeof NodeDiags> {
  static override summary = "Collect this host's networking diagnostics into a diags-YYYYMMDD_HHMMSS.tar.gz archive."
  static override description = "Date, hostname, routes, addresses, links, iptables-save (nft and legacy), ipset list, the BIRD configuration and what BIRD reports, and the files of Calico's log directory (--log-dir; 'node run --log-dir' writes there). Passwords are blanked."
  static override examples = ['<%= config.bin %> node diags']
  static override flags = {
    'bird-config-dir': Flags.string({default: '/etc/calico/bird', summary: 'Directory of the generated BIRD configuration.'}),
    'bird-socket': Flags.string({default: '/var/run/calico/bird.ctl', summary: "BIRD's control socket."}),
    'status-file': Flags.string({default: '/var/run/calico/node-status.json', summary: "Status file written by 'calicoctl node run'."}),
    'log-dir': Flags.string({default: '/var/log/calico', summary: 'The directory containing Calico logs (copied into the archive when it exists).'}),
  }

  async run(): Promise<void> {
    const {requireNetAdmin} = await import('../../node/privilege.js')
    requireNetAdmin('node diags')
    const {collectDiags} = await import('../../node/diags.js')
    const r = await collectDiags({birdConfigDir: this.flags['bird-config-dir'], birdSocket: this.flags['bird-socket'], statusFile: this.flags['status-file'], logDir: this.flags['log-dir']})
    this.out(`Collected ${r.files.length} files.\nDiags saved to ${r.archive}\n`)
  }
}
