import {Flags} from '@oclif/core'
import {BaseCommand} from '../../lib/base-command.js'
import NodeApply from './apply.js'

const {'dry-run': _dryRun, output: _output, ...applyFlags} = NodeApply.flags

export default class NodeRun extends BaseCommand<typeof NodeRun> {
  static override summary = 'Keep this host in line with the datastore: a node pass at start, then on every change in etcd.'
  static override description =
    "Runs the same pass as 'node apply' at start, then watches etcd (Calico resources and IPAM) and re-applies on every change, debounced. A dropped etcd connection resumes from the last revision seen; a compacted watch causes a full resync, and every --resync-interval the datastore is listed again (a pass only when it differs from what the agent holds); every --check-interval the owned routes and tunl0 are compared with what the last passes left (over netlink, no program run), and every --iptables-refresh-interval our iptables chains and ipsets are read back and compared by rule hash: a difference, such as a route deleted by hand or a flushed cali- chain, costs a pass that puts it right, and nothing else does. With --supervise-bird it starts BIRD on the generated config, restarts it when it dies and stops it on exit. Logs one line per change to stderr (--log-level, default info). SIGTERM or SIGINT stop it; routes, tunl0 and iptables stay as they are."
  static override examples = [
    '<%= config.bin %> node run --supervise-bird',
    '<%= config.bin %> node run --name=master --ip=198.51.100.95/24 --bird-config-dir=/tmp/m/bird --bird-socket=/tmp/m/bird.ctl --status-file=/tmp/m/status.json',
  ]
  static override flags = {
    ...applyFlags,
    'resync-interval': Flags.string({default: '90s', summary: 'Full resync with the datastore this often.'}),
    'check-interval': Flags.string({default: '10s', summary: 'Compare the owned routes and tunl0 with what the passes left this often; repair a difference (0 = never).'}),
    'iptables-refresh-interval': Flags.string({default: '90s', summary: 'Read our iptables chains and ipsets back this often (at a drift check) and repair a difference (0 = never).'}),
    debounce: Flags.string({default: '100ms', summary: 'Wait this long after a datastore change for more before applying.'}),
    'status-file': Flags.string({default: '/var/run/calico/node-status.json', summary: "Where to record the process id and the last pass ('node status' reads it)."}),
    'supervise-bird': Flags.boolean({summary: 'Start BIRD with the generated configuration, restart it if it dies, stop it on exit.'}),
    'bird-binary': Flags.string({default: 'bird', summary: 'The BIRD 2 daemon to supervise.'}),
    'bird-timers': Flags.option({options: ['calico', 'fast'] as const, default: 'calico', hidden: true, summary: 'BGP connect/retry timers: calico-node\'s, or fast ones for labs.'})(),
    'no-route-monitor': Flags.boolean({hidden: true, summary: 'Do not watch kernel route deletions (rely on --check-interval).'}),
  }

  async run(): Promise<void> {
    const {requireNetAdmin} = await import('../../node/privilege.js')
    requireNetAdmin('node run')
    const {parseDuration} = await import('../../lib/base-command.js')
    const {runNodeAgent, makeLogger} = await import('../../node/run.js')
    const {FAST_TIMERS} = await import('../../dataplane/bird/index.js')
    const {join} = await import('node:path')
    const f = this.flags
    // calico/node logs at info unless told otherwise; the global default (panic) suits one-shot commands.
    const explicit = this.argv.some((a) => a === '--log-level' || a.startsWith('--log-level='))
    const log = makeLogger(explicit ? f['log-level'] : (process.env.LOG_LEVEL ?? 'info').toLowerCase())
    const configDir = f['bird-config-dir']
    const ac = new AbortController()
    const stop = (sig: string) => {
      if (ac.signal.aborted) return
      log('info', `${sig} received: stopping`)
      ac.abort()
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
    const datastore = await this.etcd()
    await runNodeAgent({
      datastore,
      pass: {
        store: await this.store(),
        identity: {
          ...(f.name ? {name: f.name} : {}),
          ...(f.ip ? {ip: f.ip} : {}),
          ...(f['ip-autodetection-method'] ? {autodetectionMethod: f['ip-autodetection-method']} : {}),
          ...(f.as ? {as: f.as} : {}),
        },
        lockFile: f['lock-file'],
        lockWaitMs: parseDuration(f['lock-timeout']),
        iptables: {enabled: !f['no-iptables'], backend: f['iptables-backend']},
        bird: {
          enabled: !f['no-bird'],
          configDir,
          socketPath: f['bird-socket'],
          ...(f['bird-log'] ? {log: f['bird-log']} : {}),
          ...(f['bird-timers'] === 'fast' ? {timers: FAST_TIMERS} : {}),
        },
      },
      resyncIntervalMs: parseDuration(f['resync-interval']),
      checkIntervalMs: parseDuration(f['check-interval']),
      iptablesRefreshMs: parseDuration(f['iptables-refresh-interval']),
      debounceMs: parseDuration(f.debounce),
      statusFile: f['status-file'],
      ...(f['supervise-bird'] && !f['no-bird'] ? {bird: {binary: f['bird-binary'], configPath: join(configDir, 'bird.cfg'), socketPath: f['bird-socket']}} : {}),
      routeMonitor: !f['no-route-monitor'],
      log,
      signal: ac.signal,
    })
  }
}
