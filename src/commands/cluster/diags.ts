import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class ClusterDiags extends BaseCommand<typeof ClusterDiags> {
  static override summary = "Collect the cluster's Calico datastore and etcd state into a calico-diagnostics-YYYYMMDD_HHMMSS.tar.gz archive."
  static override description = `Upstream calicoctl collects Kubernetes objects and Calico pod logs with kubectl; this tool's cluster is its etcdv3 datastore, so the archive holds, under calico-diagnostics-<UTC stamp>/:
  cluster/version.txt: the client version and ClusterInformation (Calico version, cluster type, GUID, whether the datastore is locked);
  cluster/connection.yaml: how etcd was reached (endpoints, certificate file paths), credentials redacted;
  etcd/members.yaml and etcd/endpoint-status.yaml: etcd's member list, and each configured endpoint's version, database size, leader and raft index;
  resources/<plural>.yaml: every resource of every kind, as 'get <kind> -o yaml -A' prints it;
  ipam/blocks.json, affinities.json, handles.json, config.json: every IPAM key with its stored value, and ipam/show-blocks.txt;
  nodes/status.json: the per-node status keys the host agents publish.

Secrets are redacted: any field named like a password, secret, token or private key (a BGPPeer's password and its secret reference included) is written as <redacted>; etcd user names, passwords and inline keys never enter the archive. A line is printed as each part is collected. The archive is written to the current directory, or where --output says.

--since, --max-logs and --focus-nodes select pod logs in upstream's Kubernetes collection; there are no pod logs in an etcd datastore, so they are checked (as upstream: --since like 10s, 5m or 1h; --max-logs not negative) and otherwise have no effect. --max-parallelism bounds the concurrent datastore reads; --skip-temp-dir-cleanup keeps the temporary directory the archive was made from.`
  static override examples = ['<%= config.bin %> cluster diags', '<%= config.bin %> cluster diags --output=/var/tmp/']
  static override flags = {
    since: Flags.string({summary: 'Only collect logs newer than this relative duration, in seconds (s), minutes (m) or hours (h). No effect with etcd.'}),
    'max-logs': Flags.integer({default: 5, summary: 'Only collect up to this number of logs for each kind of Calico component. No effect with etcd.'}),
    'max-parallelism': Flags.integer({default: 10, min: 1, summary: 'Maximum number of datastore reads in flight at once.'}),
    'focus-nodes': Flags.string({summary: 'Comma-separated list of nodes from which logs are collected first. No effect with etcd.'}),
    'skip-temp-dir-cleanup': Flags.boolean({summary: "Don't clean up the temporary directory (useful for development)."}),
    output: Flags.string({helpValue: 'path', summary: 'Directory to write the archive into, or the archive path itself when it ends in .tar.gz (default: the current directory).'}),
  }

  async run(): Promise<void> {
    const {CalicoError} = await import('../../resources/errors.js')
    const f = this.flags
    if (f.since !== undefined && !/^[0-9]+[smh]$/.test(f.since)) throw new CalicoError(`invalid duration for since flag (try 10s, 5m, or 1h): ${f.since}`)
    if (f['max-logs'] < 0) throw new CalicoError('negative value for max-logs flag')
    const {collectClusterDiags} = await import('../../service/cluster-diags.js')
    await collectClusterDiags(await this.store(), {
      clientVersion: this.config.version,
      output: f.output,
      maxParallelism: f['max-parallelism'],
      skipTempDirCleanup: f['skip-temp-dir-cleanup'],
      say: (line) => this.out(`${line}\n`),
    })
  }
}
