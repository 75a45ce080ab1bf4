import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class NodeChecksystem extends BaseCommand<typeof NodeChecksystem> {
  static override summary = 'Check that this host can run Calico: kernel version, kernel features and the programs node apply uses.'
  static override description =
    'Reads the kernel version and configuration (modules.builtin or the kernel config) and checks for IPIP, veth, iptables and ipset matches, and for the programs node apply runs. Prints "System meets minimum system requirements to run Calico!" or each failed check, with exit status 1.'
  static override examples = ['<%= config.bin %> node checksystem', '<%= config.bin %> node checksystem --kernel-config /boot/config-6.1.0']
  static override flags = {
    'kernel-config': Flags.string({char: 'f', summary: 'Kernel config file to read (default: /proc/config.gz, then /boot/config-<release>).'}),
    'iptables-backend': Flags.option({options: ['auto', 'nft', 'legacy'] as const, default: 'auto', summary: "Which iptables flavour to check for (auto: the one the system's iptables uses)."})(),
    output: Flags.option({char: 'o', options: ['text', 'json'] as const, default: 'text', summary: 'Output format.'})(),
  }

  async run(): Promise<void> {
    const {gatherSystemFacts, evaluateSystem, formatChecks, REQUIRED_TOOLS, FAILURE_MESSAGE} = await import('../../node/checksystem.js')
    const {detectIptablesBackend} = await import('../../dataplane/iptables/executor.js')
    const chosen = this.flags['iptables-backend']
    // Without a usable `iptables` auto cannot tell; check for nft, whose absence is then reported.
    const backend = chosen === 'auto' ? ((await detectIptablesBackend()) ?? 'nft') : chosen
    const facts = await gatherSystemFacts({...(this.flags['kernel-config'] ? {kernelConfig: this.flags['kernel-config']} : {}), iptablesBackend: backend})
    const lines = evaluateSystem(facts, REQUIRED_TOOLS(backend))
    const {text, ok} = formatChecks(lines)
    if (this.flags.output === 'json') this.out(`${JSON.stringify({ok, kernelConfig: facts.configSource ?? null, checks: lines}, null, 2)}\n`)
    else this.out(text)
    if (!ok) this.fail(FAILURE_MESSAGE)
  }
}
