import {Flags} from '@oclif/core'
import {BaseCommand} from '../lib/base-command.js'

export default class Version extends BaseCommand<typeof Version> {
  static override summary = 'Display the version of this binary and of the cluster.'
  static override description = 'Prints the client version and, unless --client is given, the Calico version and cluster type recorded in the datastore (the ClusterInformation resource named default). Write commands refuse to run against a cluster of another version unless --allow-version-mismatch is given.'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --client']
  static override flags = {
    client: Flags.boolean({summary: 'Display only the client version; do not contact the datastore.'}),
  }

  async run(): Promise<void> {
    this.out(`Client Version:    v${this.config.version}\n`)
    if (this.flags.client) return
    const {clusterInformation} = await import('../service/version.js')
    const info = await clusterInformation(await this.store())
    if (!info) this.fail('unable to retrieve Cluster Version or Type: ClusterInformation default does not exist')
    const s = (info.spec ?? {}) as {calicoVersion?: string; clusterType?: string}
    this.out(`Cluster Version:   ${s.calicoVersion || 'unknown'}\nCluster Type:      ${s.clusterType ?? ''}\n`)
  }
}
