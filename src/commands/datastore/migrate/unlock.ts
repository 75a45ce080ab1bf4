import {BaseCommand} from '../../../cli/base-command.js'

export default class DatastoreMigrateUnlock extends BaseCommand<typeof DatastoreMigrateUnlock> {
  static override summary = 'Unlock the datastore after migration.'
  static override description = 'Sets ClusterInformation default spec.datastoreReady to true, so Calico components resume.'
  static override examples = ['<%= config.bin %> datastore migrate unlock']

  async run(): Promise<void> {
    const {unlockDatastore} = await import('../../../service/datastore.js')
    await this.checkVersionMismatch()
    this.out(await unlockDatastore(await this.store()))
  }
}
