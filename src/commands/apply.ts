import {fileFlags, WriteCommand} from '../cli/write-command.js'

export default class Apply extends WriteCommand<typeof Apply> {
  static override summary = 'Apply a resource by file, directory or stdin.'
  static override description = `Creates each resource that does not exist and updates each one that does, so running the same apply twice is safe. The full resource must be supplied: fields left out of the file are removed from the stored resource (use patch to change one field).

The input is a YAML or JSON file, a directory of them (--recursive to descend), or - for stdin; a file may hold several documents separated by --- or a kind: List. Every document is parsed and validated before anything is written, and every problem is reported, one line each. Many resources are written in batched etcd transactions.

With --dry-run nothing is written; the output says what would be created or updated.`
  static override examples = [
    {description: 'Create or update the resources in a file.', command: '<%= config.bin %> apply --filename=ippool.yaml'},
    {description: 'Apply every manifest below a directory.', command: '<%= config.bin %> apply --filename=manifests/ --recursive'},
    {description: 'Apply a manifest read from stdin.', command: 'cat bgp.yaml | <%= config.bin %> apply --filename=-'},
    {description: 'Show what would change, writing nothing.', command: '<%= config.bin %> apply --filename=manifests/ --recursive --dry-run'},
  ]
  static override flags = {...fileFlags}

  async run(): Promise<void> {
    await this.runWrite('apply')
  }
}
