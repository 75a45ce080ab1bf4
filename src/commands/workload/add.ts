import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class WorkloadAdd extends BaseCommand<typeof WorkloadAdd> {
  static override summary = 'Attach a workload (a network namespace) to this host: veth, address from IPAM, routes, WorkloadEndpoint.'
  static override description =
    'Creates a veth pair (host end cali<hash>, workload end eth0 moved into the namespace), assigns an address from this node\'s IPAM blocks, gives eth0 the /32 and a default route via 169.254.1.1, and records a WorkloadEndpoint (orchestrator "calicoctl"). Until the agent has programmed the workload\'s policy its traffic is dropped (fail closed). It never waits for the agent, except when this host\'s Node is not registered yet: then it waits up to --wait-node for it, saying so on stderr. Run as root in the host\'s network namespace.'
  static override examples = [
    '<%= config.bin %> workload add pod1 --netns pod1',
    '<%= config.bin %> workload add web --namespace-path /var/run/netns/web --ip 192.168.10.5 --labels app=web,tier=front',
  ]
  static override args = {name: Args.string({ignoreStdin: true, required: true, description: 'Workload name.'})}
  static override flags = {
    netns: Flags.string({summary: 'Name (under /var/run/netns) or absolute path of the workload\'s network namespace.', exactlyOne: ['netns', 'namespace-path']}),
    'namespace-path': Flags.string({summary: 'Absolute path of the workload\'s network namespace.', exactlyOne: ['netns', 'namespace-path']}),
    namespace: Flags.string({char: 'n', default: 'default', summary: 'Namespace of the WorkloadEndpoint.'}),
    ip: Flags.string({default: 'auto', summary: "IPv4 address for the workload, or 'auto' to take one from IPAM."}),
    node: Flags.string({summary: 'Node name (default: $NODENAME, else the host name).'}),
    labels: Flags.string({summary: 'Labels for the WorkloadEndpoint: key=value,key2=value2.'}),
    profile: Flags.string({multiple: true, summary: 'Profile to apply (repeatable; default projectcalico-default-allow).'}),
    output: Flags.option({char: 'o', options: ['text', 'json'] as const, default: 'text', summary: 'Output format.'})(),
    'wait-node': Flags.string({default: '30s', summary: "How long to wait for this host's Node to be registered by 'node run' (0: do not wait)."}),
    'iptables-backend': Flags.option({options: ['auto', 'nft', 'legacy'] as const, default: 'auto', summary: "The iptables flavour 'node run' programs (for the drop that holds the workload's traffic until its policy is in place)."})(),
    'no-iptables': Flags.boolean({summary: 'Add no drop rules (policy is enforced elsewhere, as with node run --no-iptables).'}),
  }

  async run(): Promise<void> {
    const {addWorkload, parseLabels} = await import('../../node/workload.js')
    const {resolveNodeName} = await import('../../node/identity.js')
    const {parseDuration} = await import('../../cli/base-command.js')
    const {onStopSignal} = await import('../../lib/process.js')
    const f = this.flags
    // SIGTERM/SIGINT (e.g. a `timeout` around the call) undo what was done instead of leaving half a workload.
    const ac = new AbortController()
    onStopSignal(() => ac.abort())
    const w = await addWorkload({
      signal: ac.signal,
      store: await this.store(),
      name: this.args.name,
      node: resolveNodeName({...(f.node ? {name: f.node} : {})}),
      namespace: f.namespace,
      netns: (f.netns ?? f['namespace-path']) as string,
      ip: f.ip,
      labels: parseLabels(f.labels),
      ...(f.profile ? {profiles: f.profile} : {}),
      waitNodeMs: parseDuration(f['wait-node']),
      onWait: (m) => process.stderr.write(`${m}\n`),
      iptables: {enabled: !f['no-iptables'], backend: f['iptables-backend']},
    })
    if (f.output === 'json') this.out(`${JSON.stringify(w, null, 2)}\n`)
    else this.out(`Added workload ${w.namespace}/${w.name}: ${w.ip} on ${w.interfaceName} (WorkloadEndpoint ${w.endpoint})\n`)
  }
}
