import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class IpamCheck extends BaseCommand<typeof IpamCheck> {
  static override summary = 'Check the integrity of the IPAM data.'
  static override description =
    'Compares the IPAM blocks and handles with the addresses nodes (tunnel addresses) and workload endpoints really use, and with the nodes that exist. Reports leaked addresses, in-use addresses without an allocation, handles without addresses, addresses whose handle is missing, handle counts that disagree with the blocks, and affinities or blocks of deleted nodes. Works on etcd alone (no kubeconfig needed). With -o, writes a JSON report that `ipam release --from-report` reads. Exits 0 whether or not problems are found.'
  static override examples = [
    '<%= config.bin %> ipam check',
    '<%= config.bin %> ipam check --show-problem-ips -o report.json',
  ]
  static override flags = {
    output: Flags.string({char: 'o', summary: 'Path to output report file.'}),
    'show-all-ips': Flags.boolean({summary: 'Print all IPs that are checked.'}),
    'show-problem-ips': Flags.boolean({summary: 'Print all IPs that are leaked or not allocated properly.'}),
    kubeconfig: Flags.string({summary: 'Accepted for compatibility; not needed with etcd.'}),
  }

  async run(): Promise<void> {
    const {runCheck, writeReport} = await import('../../service/ipam.js')
    await this.checkVersionMismatch()
    const r = await runCheck(await this.store(), {showAllIps: this.flags['show-all-ips'], showProblemIps: this.flags['show-problem-ips'], version: `v${this.config.version}`})
    this.out(r.text)
    if (this.flags.output) writeReport(this.flags.output, r.report)
  }
}
