import {Flags} from '@oclif/core'
import {BaseCommand} from '../../../cli/base-command.js'

export default class DatastoreMigrateImport extends BaseCommand<typeof DatastoreMigrateImport> {
  static override summary = "Import the contents of a file written by 'datastore migrate export' into an empty etcdv3 datastore."
  static override description = `Upstream calicoctl imports an etcd export into a Kubernetes datastore; this tool works with etcd only, so the target is the etcdv3 datastore named by the connection configuration (etcd to etcd: moving a cluster to new etcd members, or restoring a backup).

The target must hold no Calico resources and no IPAM keys; the built-in tiers (default, kube-admin, kube-baseline) and Kubernetes network policies (knp.default.*) may exist and are replaced by the file's. The file is read whole first: every resource is defaulted and validated, every IPAM value decoded, and every problem is reported, one line each, before anything is written (exit 1, nothing written).

Then ClusterInformation default is written first, locked (datastoreReady: false), with the cluster GUID, Calico version and cluster type from the file; then every resource and IPAM key (blocks, affinities, handles, configuration) is created, in as few etcd transactions as possible (128 operations each). If any write fails, the import takes back what it wrote and exits 1. Resources get new uids and creation timestamps; IPAM values are written as exported.

The datastore stays locked afterwards: run 'datastore migrate unlock' once the import is checked. The IPAM section may be in this tool's form ({"ipam": [{key, value}]}) or upstream calicoctl's (blocks, block_affinities, handles, config). Unlike upstream, a file with no IPAM entries is accepted. As upstream, the client version is not checked: --allow-version-mismatch is accepted and changes nothing.`
  static override examples = [
    {description: 'Copy a cluster from one etcd to another.', command: '<%= config.bin %> -c old.cfg datastore migrate lock && <%= config.bin %> -c old.cfg datastore migrate export > etcd-data && <%= config.bin %> datastore migrate import -c new.cfg -f etcd-data'},
    {description: 'Import from stdin.', command: '<%= config.bin %> datastore migrate import --filename=- < etcd-data'},
  ]
  static override flags = {
    filename: Flags.string({char: 'f', required: true, summary: 'File to import, as written by datastore migrate export; - reads stdin.'}),
  }

  async run(): Promise<void> {
    const {readFileSync} = await import('node:fs')
    const {parseImportFile, importDatastore} = await import('../../../service/migrate-import.js')
    const {CalicoError} = await import('../../../resources/errors.js')
    const path = this.flags.filename
    let text: string
    try {
      text = readFileSync(path === '-' ? 0 : path, 'utf8')
    } catch (error) {
      throw new CalicoError(`error while reading migration file: ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    const file = parseImportFile(text, path === '-' ? 'stdin' : path)
    await importDatastore(await this.store(), file, (line) => this.out(`${line}\n`))
    this.out("Datastore information successfully imported. The datastore is locked: run 'calicoctl datastore migrate unlock' to let Calico use it.\n")
  }
}
