import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary = 'Validate resource files offline, without a datastore.'
  static override description = 'Parses and validates every document (strict fields, defaults, cross-field rules) without contacting a datastore, and reports every problem, one line each, naming the resource and the field. Exit status 1 when any document is invalid, so it fits in CI before an apply.'
  static override examples = ['<%= config.bin %> validate --filename=policy.yaml', '<%= config.bin %> validate --filename=manifests/ --recursive']
  static override flags = {
    filename: Flags.string({char: 'f', required: true, summary: 'Filename, directory or - (stdin).'}),
    recursive: Flags.boolean({char: 'R', summary: 'Process the directory given by -f recursively.'}),
    'skip-empty': Flags.boolean({summary: 'Do not error if the file or directory holds no resources.'}),
  }

  async run(): Promise<void> {
    const {validateFiles} = await import('../service/crud.js')
    const n = validateFiles(this.flags.filename, {recursive: this.flags.recursive, skipEmpty: this.flags['skip-empty']})
    this.out(n.count === 0 ? 'No resources specified\n' : `Successfully validated ${n.count}${n.kind ? ` '${n.kind}'` : ''} resource(s)\n`)
  }
}
