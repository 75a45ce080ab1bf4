import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {sleep} from '../lib/sleep.js'
import {Flags} from '@oclif/core'
import {BaseCommand, parseDuration} from '../cli/base-command.js'

export default class Version extends BaseCommand<typeof Version> {
  static override summary = 'Display the version of this binary and of the cluster.'
  static override description =
    'Prints the client version and the commit it was built from and, unless --client is given, the Calico version and cluster type recorded in the datastore (the ClusterInformation resource named default; "unknown" where it records none). With --poll, keeps reading the cluster information at that interval and prints a line again whenever it changes, until interrupted. Write commands refuse to run against a cluster of another version unless --allow-version-mismatch is given.'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --client', '<%= config.bin %> version --poll=10s']
  static override flags = {
    client: Flags.boolean({summary: 'Display only the client version; do not contact the datastore.'}),
    poll: Flags.string({summary: 'Poll for changes to the cluster information at this interval (e.g. 1s, 10m, 2h); 0, the default, disables polling.'}),
  }

  async run(): Promise<void> {
    const pollMs = this.flags.poll ? parseDuration(this.flags.poll) : 0
    this.out(`Client Version:    v${this.config.version}\nGit commit:        ${this.gitCommit()}\n`)
    if (this.flags.client) return
    const {clusterInformation} = await import('../service/version.js')
    // As calicoctl: a line is printed when its value changes (every line on the first read); a
    // failed read is reported and forgets the values, so they are printed again once readable.
    let shown = {version: '', type: ''}
    for (;;) {
      let error: string | undefined
      try {
        const info = await clusterInformation(await this.store())
        if (!info) throw new Error('resource does not exist: ClusterInformation(default)')
        const s = (info.spec ?? {}) as {calicoVersion?: string; clusterType?: string}
        const now = {version: s.calicoVersion || 'unknown', type: s.clusterType || 'unknown'}
        if (now.version !== shown.version) this.out(`Cluster Version:   ${now.version}\n`)
        if (now.type !== shown.type) this.out(`Cluster Type:      ${now.type}\n`)
        shown = now
      } catch (e) {
        error = `unable to retrieve Cluster Version or Type: ${(e as Error).message}`
        shown = {version: '', type: ''}
      }
      if (pollMs === 0) {
        if (error) this.fail(error)
        return
      }
      if (error) await this.errPainted('error', error)
      await sleep(pollMs)
    }
  }

  /** The commit the build was made from (dist/build-info.json, written by scripts/bundle.mjs). */
  private gitCommit(): string {
    try {
      return JSON.parse(readFileSync(join(this.config.root, 'dist', 'build-info.json'), 'utf8')).gitCommit ?? 'unknown'
    } catch {
      return 'unknown'
    }
  }
}
