import {Flags} from '@oclif/core'
import {fileFlags, WriteCommand} from '../cli/write-command.js'

export default class Create extends WriteCommand<typeof Create> {
  static override summary = 'Create a resource by file, directory or stdin.'
  static override description = `Creates every resource in the input. A resource that already exists is an error (exit status 1) unless --skip-exists is given; use apply to create or update.

The input is a YAML or JSON file, a directory of them (--recursive to descend), or - for stdin; a file may hold several documents separated by --- or a kind: List. All documents are parsed and validated before anything is written, and every problem is reported, one line each.`
  static override examples = [
    '<%= config.bin %> create --filename=ippool.yaml',
    'cat policies.yaml | <%= config.bin %> create --filename=- --skip-exists',
    '<%= config.bin %> create --filename=manifests/ --recursive --dry-run',
  ]
  static override flags = {
    ...fileFlags,
    'skip-exists': Flags.boolean({summary: 'Skip over and treat as successful any attempts to create an entry that already exists.'}),
  }

  async run(): Promise<void> {
    await this.runWrite('create', {skipExists: this.flags['skip-exists']})
  }
}
