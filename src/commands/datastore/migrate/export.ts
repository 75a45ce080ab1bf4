import {BaseCommand} from '../../../cli/base-command.js'

export default class DatastoreMigrateExport extends BaseCommand<typeof DatastoreMigrateExport> {
  static override summary = 'Export the contents of the etcdv3 datastore.'
  static override description = `The datastore must be locked first. Output, in this order:
  1. one YAML <Kind>List per resource kind, each followed by a '---' line, in export form (no uid, resourceVersion or creationTimestamp); WorkloadEndpoints and Profiles are not exported. This part can be given to 'calicoctl apply -f' as it is (cut the file at the first '===' line).
  2. a '===' line, then ClusterInformation default as JSON.
  3. a '===' line, then the IPAM state as JSON: {"ipam": [{"key": ..., "value": ...}]}, every key under /calico/ipam/v2/ with its stored value verbatim; writing them back restores blocks, affinities, handles and configuration.`
  static override examples = ['<%= config.bin %> datastore migrate lock && <%= config.bin %> datastore migrate export > etcd-data']

  async run(): Promise<void> {
    const {exportDatastore} = await import('../../../service/datastore.js')
    await this.checkVersionMismatch()
    this.out(await exportDatastore(await this.store()))
  }
}
