import {fileFlags, WriteCommand} from '../lib/write-command.js'

export default class Apply extends WriteCommand<typeof Apply> {
  static override summary = 'Apply a resource by file, directory or stdin.'
  static override description = 'Creates each resource that does not exist and updates each one that does. The full resource spec must be supplied. Many resources are written in batched etcd transactions.'
  static override examples = ['<%= config.bin %> apply --filename=ippool.yaml', '<%= config.bin %> apply --filename=manifests/ --recursive', 'kubectl-style: cat bgp.yaml | <%= config.bin %> apply --filename=-']
  static override flags = {...fileFlags}

  async run(): Promise<void> {
    await this.runWrite('apply')
  }
}
