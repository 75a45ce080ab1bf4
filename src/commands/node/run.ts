import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import NodeApply, {passOptions} from './apply.js'

const {'dry-run': _dryRun, output: _output, ...applyFlags} = NodeApply.flags

export default class NodeRun extends BaseCommand<typeof NodeRun> {
  static override summary = 'Keep this host in line with the datastore: a node pass at start, then on every change in etcd.'
  static override description =
    "Runs the same pass as 'node apply' at start, then watches etcd (Calico resources and IPAM) and re-applies on every change, debounced. A dropped etcd connection resumes from the last revision seen; a compacted watch causes a full resync, and every --resync-interval the datastore is listed again (a pass only when it differs from what the agent holds); every --check-interval the owned routes and tunl0 are compared with what the last passes left (over netlink, no program run), and every --iptables-refresh-interval our iptables chains and ipsets are read back and compared by rule hash: a difference, such as a route deleted by hand or a flushed cali- chain, costs a pass that puts it right, and nothing else does. This host's Node resource is written first, before anything else is read. As calico/node, it runs BIRD: after the first pass it starts BIRD on the generated config and control socket unless one already answers there (that one is reloaded and left running), restarts it when it dies and stops it on exit; --no-bird (or --backend=none) leaves BGP to someone else. It switches on net.ipv4.ip_forward unless --ip-forwarding=Disabled. Logs one line per change to stderr (--log-level, default info). SIGTERM or SIGINT stop it; routes, tunl0 and iptables stay as they are."
  static override examples = [
    '<%= config.bin %> node run',
    '<%= config.bin %> node run --name=master --ip=198.51.100.95/24 --bird-config-dir=/tmp/m/bird --bird-socket=/tmp/m/bird.ctl --status-file=/tmp/m/status.json',
  ]
  static override flags = {
    ...applyFlags,
    'resync-interval': Flags.string({default: '90s', summary: 'Full resync with the datastore this often.'}),
    'check-interval': Flags.string({default: '10s', summary: 'Compare the owned routes and tunl0 with what the passes left this often; repair a difference (0 = never).'}),
    'iptables-refresh-interval': Flags.string({default: '90s', summary: 'Read our iptables chains and ipsets back this often (at a drift check) and repair a difference (0 = never).'}),
    debounce: Flags.string({default: '100ms', summary: 'Wait this long after a datastore change for more before applying.'}),
    'status-file': Flags.string({default: '/var/run/calico/node-status.json', summary: "Where to record the process id and the last pass ('node status' reads it)."}),
    'supervise-bird': Flags.boolean({hidden: true, deprecated: {message: 'BIRD is supervised by default now; --supervise-bird does nothing (use --no-bird to opt out)'}, summary: 'Deprecated: BIRD is supervised by default.'}),
    'bird-binary': Flags.string({default: 'bird', summary: 'The BIRD 2 daemon started when none answers on --bird-socket.'}),
    'bird-timers': Flags.option({options: ['calico', 'fast'] as const, default: 'calico', hidden: true, summary: 'BGP connect/retry timers: calico-node\'s, or fast ones for labs.'})(),
    'no-route-monitor': Flags.boolean({hidden: true, summary: 'Do not watch kernel route deletions (rely on --check-interval).'}),
    // calicoctl's own `node run` options (it starts the calico/node container; this runs the agent in-process).
    backend: Flags.option({options: ['bird', 'none'] as const, default: 'bird', summary: 'bird, or none for policy only: BIRD is left alone (as --no-bird).'})(),
    dryrun: Flags.boolean({summary: "Print the plan of one pass (as 'node apply --dry-run') and exit; change nothing."}),
    'log-dir': Flags.string({summary: 'Also append the log to LOG_DIR/node/current (node diags --log-dir collects it).'}),
    'init-system': Flags.boolean({summary: 'Run in the foreground for an init system: this agent always does.'}),
    'no-default-ippools': Flags.boolean({summary: 'Do not create default IP pools: this agent never creates pools.'}),
    ip6: Flags.string({summary: 'IPv6 address of this node: not used, this agent routes IPv4 only (a warning says so).'}),
    'ip6-autodetection-method': Flags.string({summary: 'IPv6 autodetection method: not used, this agent routes IPv4 only (a warning says so).'}),
    'node-image': Flags.string({summary: 'calico/node image: not used, no container is started (a warning says so).'}),
    'felix-config': Flags.string({summary: 'Felix configuration file: not used, Felix settings are FelixConfiguration resources (a warning says so).'}),
  }

  async run(): Promise<void> {
    const {requireNetAdmin} = await import('../../node/privilege.js')
    requireNetAdmin('node run')
    const {parseDuration} = await import('../../cli/base-command.js')
    const {makeLogger} = await import('../../node/log.js')
    const f = this.flags
    for (const flag of ['ip6', 'ip6-autodetection-method', 'node-image', 'felix-config'] as const)
      if (f[flag] !== undefined) await this.errPainted('warning', `--${flag} has no effect here: ${NOT_USED[flag]}`)
    const noBird = f['no-bird'] || f.backend === 'none'
    if (f.dryrun) return this.dryRun(noBird)
    // calico/node logs at info unless told otherwise; the global default (panic) suits one-shot commands.
    const explicit = this.argv.some((a) => a === '--log-level' || a.startsWith('--log-level='))
    const level = explicit ? f['log-level'] : (process.env.LOG_LEVEL ?? 'info').toLowerCase()
    const log = makeLogger(level, await logWriter(f['log-dir']))
    const configDir = f['bird-config-dir']
    const ac = new AbortController()
    const {onStopSignal} = await import('../../lib/process.js')
    onStopSignal((sig) => {
      log('info', `${sig} received: stopping`)
      ac.abort()
    })
    const datastore = await this.etcd()
    const store = await this.store()
    const {dryRun: _never, ...pass} = passOptions(store, f, false, !noBird)
    // Registration first, before the rest of the agent is even loaded: `workload add` can run
    // as soon as this is logged.
    const {registerAndLog} = await import('../../node/identity.js')
    await registerAndLog(pass.store, pass.identity, log)
    // As calico-node at start: record this agent's version and the cluster type (CLUSTER_TYPE),
    // retried in the background while etcd cannot be reached (the agent does not wait for it).
    const {initializeUntilDone} = await import('../../service/initialize.js')
    void initializeUntilDone(store, {calicoVersion: `v${this.config.version}`, clusterType: process.env.CLUSTER_TYPE || 'etcd,bgp'}, ac.signal, (m) => log('warn', m))
    const {runNodeAgent} = await import('../../node/run.js')
    const {FAST_TIMERS} = await import('../../dataplane/bird/index.js')
    const {join} = await import('node:path')
    await runNodeAgent({
      datastore,
      register: false,
      pass: {...pass, bird: {...pass.bird!, ...(f['bird-timers'] === 'fast' ? {timers: FAST_TIMERS} : {})}},
      resyncIntervalMs: parseDuration(f['resync-interval']),
      checkIntervalMs: parseDuration(f['check-interval']),
      iptablesRefreshMs: parseDuration(f['iptables-refresh-interval']),
      debounceMs: parseDuration(f.debounce),
      statusFile: f['status-file'],
      ...(!noBird ? {bird: {binary: f['bird-binary'], configPath: join(configDir, 'bird.cfg'), socketPath: f['bird-socket']}} : {}),
      routeMonitor: !f['no-route-monitor'],
      log,
      signal: ac.signal,
    })
  }

  /** --dryrun: one pass that changes nothing, printed as `node apply --dry-run` prints it. */
  private async dryRun(noBird: boolean): Promise<void> {
    const {runNodePass, formatNodePass} = await import('../../node/pass.js')
    const result = await runNodePass(passOptions(await this.store(), this.flags, true, !noBird))
    const text = formatNodePass(result)
    this.out(text.stdout)
    if (result.failed) this.fail(text.stderr.trimEnd())
  }
}

const NOT_USED = {
  ip6: 'this agent routes IPv4 only',
  'ip6-autodetection-method': 'this agent routes IPv4 only',
  'node-image': 'the agent runs in this process, no container is started',
  'felix-config': 'Felix settings are read from FelixConfiguration resources',
} as const

/**
 * Log lines go to stderr and, with --log-dir, are appended to LOG_DIR/node/current. On a
 * terminal, warnings are yellow and errors red on stderr (never in the file).
 */
async function logWriter(logDir: string | undefined): Promise<(line: string) => void> {
  const {colourFor} = await import('../../output/colour.js')
  const colour = await colourFor('stderr')
  const toStderr = (line: string) => {
    const paint = colour && (/^\S+ \[(ERROR|FATAL)\] /.test(line) ? colour.red : /^\S+ \[WARN\] /.test(line) ? colour.yellow : undefined)
    process.stderr.write(paint ? `${paint(line.replace(/\n$/, ''))}\n` : line)
  }
  if (!logDir) return toStderr
  const {createWriteStream, mkdirSync} = await import('node:fs')
  const {join} = await import('node:path')
  mkdirSync(join(logDir, 'node'), {recursive: true})
  const file = createWriteStream(join(logDir, 'node', 'current'), {flags: 'a'})
  return (line) => {
    toStderr(line)
    file.write(line)
  }
}
