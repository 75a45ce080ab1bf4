import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class NodeExplain extends BaseCommand<typeof NodeExplain> {
  static override summary = "Explain why traffic between two workloads (or a workload and an address) flows or not."
  static override description =
    "Evaluated from the datastore with the same models 'node apply' programs: the route on the source host (tunl0 onlink, direct, BGP next hop, blackhole), the encapsulation, the route on the destination host, and the policy verdict on each side: the tiers, policies and rules that matched, in order, and the final Allow or Deny. Workloads are named by WorkloadEndpoint name, namespace/name, workload or pod name, or IP. The packet is a new connection; ICMP defaults to an echo request."
  static override examples = [
    '<%= config.bin %> node explain pod1 pod2',
    '<%= config.bin %> node explain default/frontend 192.168.1.7 --protocol tcp --port 5432',
    '<%= config.bin %> node explain 198.51.100.10 pod2 --protocol udp --port 53 -o json',
    '<%= config.bin %> node explain pod1 pod2 --live --name master',
  ]
  static override args = {
    source: Args.string({ignoreStdin: true, required: true, description: 'Source workload (name, namespace/name or IP) or IPv4 address.'}),
    destination: Args.string({ignoreStdin: true, required: true, description: 'Destination workload (name, namespace/name or IP) or IPv4 address.'}),
  }
  static override flags = {
    protocol: Flags.string({summary: 'tcp, udp, icmp, sctp or a number (default: tcp with --port, else icmp).'}),
    port: Flags.integer({summary: 'Destination port (tcp, udp or sctp).', min: 1, max: 65535}),
    'source-port': Flags.integer({summary: 'Source port (default 40000).', min: 1, max: 65535}),
    'icmp-type': Flags.integer({summary: 'ICMP type (default 8, echo request).', min: 0, max: 255}),
    'icmp-code': Flags.integer({summary: 'ICMP code (default 0).', min: 0, max: 255}),
    output: Flags.option({char: 'o', options: ['text', 'json'] as const, default: 'text', summary: 'Output format.'})(),
    live: Flags.boolean({
      summary: "Also compare with this host's kernel: the route lookup and the rule counters.",
      description:
        "Run on the host of one of the workloads. The kernel's route for the packet (ip route get, from the source workload's interface when it is local) is compared with the predicted hop (device, next hop, onlink, proto), and the packet and byte counters of the endpoint and policy chains (iptables-save -c) are shown against the rules the model renders. Each difference is printed (-o json: the 'live' section); the exit status stays 0.",
    }),
    name: Flags.string({summary: 'With --live: the node this host is (default: $NODENAME, else the host name).'}),
    'iptables-backend': Flags.option({options: ['auto', 'nft', 'legacy'] as const, default: 'auto', summary: "With --live: which iptables flavour to read (auto: the one the system's iptables uses)."})(),
  }

  async run(): Promise<void> {
    const f = this.flags
    const req = {
        source: this.args.source,
        destination: this.args.destination,
        ...(f.protocol ? {protocol: f.protocol} : {}),
        ...(f.port !== undefined ? {port: f.port} : {}),
        ...(f['source-port'] !== undefined ? {sourcePort: f['source-port']} : {}),
        ...(f['icmp-type'] !== undefined ? {icmpType: f['icmp-type']} : {}),
        ...(f['icmp-code'] !== undefined ? {icmpCode: f['icmp-code']} : {}),
    }
    if (f.live) {
      const {runLiveExplain} = await import('../../explain/live.js')
      const {text} = await runLiveExplain(await this.store(), req, f.output, {...(f.name ? {nodeName: f.name} : {}), backend: f['iptables-backend']})
      this.out(text)
      return
    }
    const {runExplain} = await import('../../explain/index.js')
    const {text} = await runExplain(await this.store(), req, f.output)
    this.out(text)
  }
}
