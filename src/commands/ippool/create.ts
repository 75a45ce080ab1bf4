import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {waitFlag} from '../../cli/wait-flag.js'

const MODES = ['Always', 'CrossSubnet', 'Never'] as const

export default class IppoolCreate extends BaseCommand<typeof IppoolCreate> {
  static override summary = 'Create an IP pool from flags, without writing a manifest.'
  static override description =
    "Creates an IPPool named <name> with the given CIDR and settings, validated exactly like 'calicoctl create -f' (overlap with other pools, block size, encapsulation). Fails if a pool of that name exists."
  static override examples = [
    '<%= config.bin %> ippool create default-ipv4-ippool --cidr 192.168.0.0/16 --ipip-mode Always --nat-outgoing',
    '<%= config.bin %> ippool create rack1 --cidr 10.20.0.0/20 --block-size 24 --node-selector "rack == \'1\'" --wait',
  ]
  static override args = {name: Args.string({ignoreStdin: true, required: true, description: 'Name of the new pool.'})}
  static override flags = {
    cidr: Flags.string({required: true, summary: 'The pool CIDR, e.g. 192.168.0.0/16.'}),
    'ipip-mode': Flags.option({options: MODES, summary: 'IP-in-IP encapsulation: Always, CrossSubnet or Never.'})(),
    'vxlan-mode': Flags.option({options: MODES, summary: 'VXLAN encapsulation: Always, CrossSubnet or Never.'})(),
    'nat-outgoing': Flags.boolean({summary: 'Masquerade traffic from the pool to destinations outside all pools.'}),
    'block-size': Flags.integer({summary: 'Size of the blocks nodes claim from the pool (default 26 for IPv4).'}),
    'node-selector': Flags.string({summary: 'Only nodes matching this selector allocate from the pool.'}),
    disabled: Flags.boolean({summary: 'Create the pool disabled (no new allocations).'}),
    ...waitFlag,
  }

  async run(): Promise<void> {
    const {createPool} = await import('../../service/shortcuts.js')
    await this.checkVersionMismatch()
    const store = await this.store()
    const f = this.flags
    const r = await createPool(store, {
      name: this.args.name,
      cidr: f.cidr,
      ipipMode: f['ipip-mode'],
      vxlanMode: f['vxlan-mode'],
      natOutgoing: f['nat-outgoing'],
      blockSize: f['block-size'],
      nodeSelector: f['node-selector'],
      disabled: f.disabled,
    })
    await this.finishShortcut(r)
  }
}
