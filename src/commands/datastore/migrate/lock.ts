import {BaseCommand} from '../../../cli/base-command.js'

export default class DatastoreMigrateLock extends BaseCommand<typeof DatastoreMigrateLock> {
  static override summary = 'Lock the datastore for migration.'
  static override description =
    'Sets ClusterInformation default spec.datastoreReady to false. Calico components stop acting on the datastore; resources can still be read and written. Required by `datastore migrate export`, `ipam split` and `ipam release --from-report`.'
  static override examples = ['<%= config.bin %> datastore migrate lock']

  async run(): Promise<void> {
    const {lockDatastore} = await import('../../../service/datastore.js')
    await this.checkVersionMismatch()
    this.out(await lockDatastore(await this.store()))
  }
}
