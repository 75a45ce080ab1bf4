import {Flags} from '@oclif/core'
import type {ResourceStore} from '../../datastore/store.js'
import {BaseCommand, parseDuration} from '../../cli/base-command.js'
import type {NodePassOptions} from '../../node/pass.js'

/** The flags `node apply` and `node run` share, as given. */
interface PassFlags {
  name?: string | undefined
  ip?: string | undefined
  'ip-autodetection-method'?: string | undefined
  as?: string | undefined
  'lock-file': string
  'lock-timeout': string
  'no-iptables': boolean
  'iptables-backend': 'auto' | 'nft' | 'legacy'
  'bird-config-dir': string
  'bird-socket': string
  'bird-log'?: string | undefined
  'ip-forwarding': 'Enabled' | 'Disabled'
}

/** The options of one node pass from the shared flags (`birdEnabled`: not --no-bird, nor `node run --backend=none`). */
export function passOptions(store: ResourceStore, f: PassFlags, dryRun: boolean, birdEnabled: boolean): NodePassOptions {
  return {
    store,
    identity: {
      ...(f.name ? {name: f.name} : {}),
      ...(f.ip ? {ip: f.ip} : {}),
      ...(f['ip-autodetection-method'] ? {autodetectionMethod: f['ip-autodetection-method']} : {}),
      ...(f.as ? {as: f.as} : {}),
    },
    dryRun,
    ipForwarding: f['ip-forwarding'] === 'Enabled',
    lockFile: f['lock-file'],
    lockWaitMs: parseDuration(f['lock-timeout']),
    iptables: {enabled: !f['no-iptables'], backend: f['iptables-backend']},
    bird: {enabled: birdEnabled, configDir: f['bird-config-dir'], socketPath: f['bird-socket'], ...(f['bird-log'] ? {log: f['bird-log']} : {})},
  }
}

export default class NodeApply extends BaseCommand<typeof NodeApply> {
  static override summary = "Run one reconcile pass for this host: Node resource, IPAM, tunl0, routes, iptables and BIRD."
  static override description =
    'Registers or updates this host\'s Node resource, claims IPAM blocks, allocates the IPIP tunnel address when a pool needs it, then makes tunl0, the routes (protocol 80), the cali- iptables chains and the BIRD configuration match the datastore. Prints what changed, or "no changes". A part that fails is reported by name and the command exits 1; the parts after it still run where that is safe. Environment fallbacks as calico/node: NODENAME, IP, AS, IP_AUTODETECTION_METHOD.'
  static override examples = [
    '<%= config.bin %> node apply',
    '<%= config.bin %> node apply --name=master --ip=198.51.100.95/24 --dry-run',
    '<%= config.bin %> node apply --ip-autodetection-method=interface=eth.* -o json',
  ]
  static override flags = {
    name: Flags.string({summary: 'Node name (default: $NODENAME, else the host name).'}),
    ip: Flags.string({summary: "This node's IPv4 address with prefix length, or 'autodetect' (default: $IP, else the Node's address, else autodetect)."}),
    'ip-autodetection-method': Flags.string({
      summary: 'first-found, interface=REGEX, skip-interface=REGEX, cidr=CIDR or can-reach=DEST (default: $IP_AUTODETECTION_METHOD, else first-found).',
    }),
    as: Flags.string({summary: "This node's AS number (default: $AS, else the Node's, else the global one)."}),
    'dry-run': Flags.boolean({summary: 'Print the plan; change nothing in the kernel, BIRD or the datastore.'}),
    output: Flags.option({char: 'o', options: ['text', 'json'] as const, default: 'text', summary: 'Output format.'})(),
    'bird-config-dir': Flags.string({default: '/etc/calico/bird', summary: 'Directory of the generated BIRD configuration (bird.cfg).'}),
    'bird-socket': Flags.string({default: '/var/run/calico/bird.ctl', summary: "BIRD's control socket, used to reload it."}),
    'no-bird': Flags.boolean({summary: 'Leave BIRD alone (BGP is managed elsewhere).'}),
    'no-iptables': Flags.boolean({summary: 'Leave iptables and ipsets alone (policy is enforced elsewhere).'}),
    'iptables-backend': Flags.option({options: ['auto', 'nft', 'legacy'] as const, default: 'auto', summary: "Which iptables flavour to program (auto: the one the system's iptables uses)."})(),
    'lock-file': Flags.string({default: '/var/run/calico/node-apply.lock', summary: 'Lock file that serialises passes on this host.'}),
    'lock-timeout': Flags.string({default: '60s', summary: 'How long to wait for another pass holding the lock.'}),
    'ip-forwarding': Flags.option({
      options: ['Enabled', 'Disabled'] as const,
      default: 'Enabled',
      env: 'FELIX_IPFORWARDING',
      summary: 'Enabled: switch on net.ipv4.ip_forward, as Felix does (IPForwarding); Disabled: leave it as it is (host protection only).',
    })(),
    'bird-log': Flags.string({hidden: true, summary: 'Where BIRD logs (stderr, syslog or an absolute path).'}),
  }

  async run(): Promise<void> {
    const {requireNetAdmin} = await import('../../node/privilege.js')
    requireNetAdmin('node apply')
    const {runNodePass, formatNodePass} = await import('../../node/pass.js')
    const f = this.flags
    const opts = passOptions(await this.store(), f, f['dry-run'], !f['no-bird'])
    // Registration first (as `node run`): the Node is written before the snapshot is read and
    // before any dataplane work; the pass's node part then finds it in place.
    const {registerThisNode} = await import('../../node/identity.js')
    const reg = f['dry-run'] ? undefined : await registerThisNode(opts.store, opts.identity)
    const result = await runNodePass(opts)
    // The registration is reported as the node part's change, as a pass would report it.
    const nodePart = result.parts.find((p) => p.part === 'node')
    if (reg && reg.action !== 'unchanged' && nodePart) {
      nodePart.changes.unshift(`${reg.action} Node ${reg.identity.name}`, ...reg.changes.map((c) => `  ${c}`))
      if (nodePart.status === 'unchanged') nodePart.status = 'changed'
      result.changed = true
    }
    if (f.output === 'json') this.out(`${JSON.stringify(result, null, 2)}\n`)
    const text = formatNodePass(result)
    if (f.output === 'text') this.out(text.stdout)
    if (result.failed) this.fail(text.stderr.trimEnd())
  }
}
