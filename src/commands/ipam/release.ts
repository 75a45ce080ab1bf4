import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class IpamRelease extends BaseCommand<typeof IpamRelease> {
  static override summary = 'Release an IP address, or the leaked addresses listed in reports, from Calico IPAM.'
  static override description =
    'This does not remove the address from any endpoint still using it: use it only for addresses of endpoints that were not cleanly removed. With --from-report (repeatable), only addresses and handles that are leaked in every report are released, and only while they are still held exactly as the report saw them. Reports must come from this cluster; the datastore must be locked (`datastore migrate lock`) unless --force.'
  static override examples = [
    '<%= config.bin %> ipam release --ip=192.168.1.5',
    '<%= config.bin %> datastore migrate lock && <%= config.bin %> ipam check -o report.json && <%= config.bin %> ipam release --from-report=report.json',
  ]
  static override flags = {
    ip: Flags.string({summary: 'IP address to release.'}),
    'from-report': Flags.string({multiple: true, summary: 'Release all leaked addresses from the report (repeatable: only those leaked in every report).'}),
    force: Flags.boolean({summary: 'Release from reports even when the datastore is not locked or the report is from another version.'}),
  }

  async run(): Promise<void> {
    const svc = await import('../../service/ipam.js')
    const reports = this.flags['from-report'] ?? []
    if (this.flags.ip === undefined && reports.length === 0) this.fail('give --ip=<IP> or --from-report=<REPORT>')
    await this.checkVersionMismatch()
    const store = await this.store()
    if (reports.length > 0) {
      this.out(await svc.releaseFromReports(store, {files: reports, force: this.flags.force, version: `v${this.config.version}`}))
      return
    }
    if (this.flags.ip !== undefined) this.out(await svc.releaseIp(store, this.flags.ip))
  }
}
