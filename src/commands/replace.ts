import {fileFlags, WriteCommand} from '../cli/write-command.js'

export default class Replace extends WriteCommand<typeof Replace> {
  static override summary = 'Replace a resource by file, directory or stdin.'
  static override description = `Updates existing resources; a resource that does not exist is an error (exit status 1). The full resource must be supplied: fields left out are removed.

When the input carries metadata.resourceVersion (as get -o yaml prints it), the update only succeeds if the stored revision still matches, so a concurrent change is never silently overwritten.`
  static override examples = ['<%= config.bin %> replace --filename=ippool.yaml', '<%= config.bin %> get ippool default-ipv4-ippool -o yaml | sed s/Always/Never/ | <%= config.bin %> replace --filename=-']
  static override flags = {...fileFlags}

  async run(): Promise<void> {
    await this.runWrite('replace')
  }
}
