// The base of every command: global flags, one-line errors with calicoctl's exit codes
// (0 ok, 1 failure, 2 usage), colour only where it belongs, a lazily opened datastore.
import {Command, Errors, Flags, type Interfaces} from '@oclif/core'
import type {EtcdDatastore} from '../datastore/etcd.js'
import type {ResourceStore} from '../datastore/store.js'
import {CalicoError} from '../resources/errors.js'
import {parseGoDuration} from '../lib/go-duration.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

const LOG_LEVELS = ['panic', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace'] as const

/** Parses a Go duration (`5s`, `500ms`, `2m`, `1h30m`, `1.5h`) or plain seconds, to milliseconds. */
export function parseDuration(text: string): number {
  const t = text.trim()
  if (/^\d+(?:\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000)
  const ns = t.startsWith('-') ? undefined : parseGoDuration(t)
  if (ns === undefined) throw new CalicoError(`invalid duration '${text}': use e.g. 5s, 500ms, 1m or 2h`)
  return Math.round(Number(ns) / 1e6)
}

export function useColor(env: NodeJS.ProcessEnv, isTTY: boolean | undefined): boolean {
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return Boolean(isTTY) && !env.NO_COLOR && env.TERM !== 'dumb'
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    config: Flags.string({
      char: 'c',
      helpGroup: 'GLOBAL',
      summary: 'Path to the file containing connection configuration in YAML or JSON format.',
      description: 'Defaults to /etc/calico/calicoctl.cfg; when that file is missing, ETCD_ENDPOINTS and the other environment variables are used.',
    }),
    'log-level': Flags.option({helpGroup: 'GLOBAL', options: LOG_LEVELS, default: 'panic', summary: 'Set the log level (one of panic, fatal, error, warn, info, debug).'})(),
    context: Flags.string({helpGroup: 'GLOBAL', summary: 'The name of the kubeconfig context to use (accepted for compatibility; this tool uses etcd).'}),
    'allow-version-mismatch': Flags.boolean({helpGroup: 'GLOBAL', summary: 'Allow client and cluster versions mismatch.'}),
    timeout: Flags.string({helpGroup: 'GLOBAL', summary: 'Give up on an etcd call after this long (e.g. 5s, 500ms).', default: '5s'}),
  }

  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>
  private datastore?: EtcdDatastore
  private resourceStore?: ResourceStore
  protected color = false

  public override async init(): Promise<void> {
    await super.init()
    if (this.ctor.flags && 'wait' in this.ctor.flags) {
      const {normalizeWaitArgv} = await import('./wait-flag.js')
      this.argv = normalizeWaitArgv(this.argv)
    }
    const {args, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
    this.color = useColor(process.env, process.stdout.isTTY)
  }

  /** The etcd connection, opened on first use. */
  protected async etcd(): Promise<EtcdDatastore> {
    if (!this.datastore) {
      const {loadClientConfig} = await import('../datastore/config.js')
      const {EtcdDatastore} = await import('../datastore/etcd.js')
      const f = this.flags as {config?: string; timeout?: string}
      const config = await loadClientConfig({configPath: f.config, env: process.env, timeoutMs: parseDuration(f.timeout ?? '5s')})
      this.datastore = await EtcdDatastore.connect(config)
    }
    return this.datastore
  }

  protected async store(): Promise<ResourceStore> {
    if (!this.resourceStore) {
      const {ResourceStore} = await import('../datastore/store.js')
      this.resourceStore = new ResourceStore(await this.etcd())
    }
    return this.resourceStore
  }

  /** calicoctl refuses to write to a cluster of another version unless told to. */
  protected async checkVersionMismatch(): Promise<void> {
    if ((this.flags as {'allow-version-mismatch'?: boolean})['allow-version-mismatch']) return
    const {checkClusterVersion} = await import('../service/version.js')
    await checkClusterVersion(await this.store(), this.config.version)
  }

  protected out(text: string): void {
    process.stdout.write(text)
  }

  protected err(text: string): void {
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  /** An error or a warning on stderr: red or yellow on a terminal (src/output/colour.ts). */
  protected async errPainted(kind: 'error' | 'warning', text: string): Promise<void> {
    const {colourFor} = await import('../output/colour.js')
    const colour = await colourFor('stderr')
    this.err(colour ? (kind === 'error' ? colour.red : colour.yellow)(text.replace(/\n$/, '')) : text)
  }

  /** Fails with exit status 1 after printing the message (one line per problem). */
  /** With --wait (on commands that declare it): block until every running node has applied `revision`. */
  protected async waitForNodes(revision: string | undefined): Promise<void> {
    const wait = (this.flags as {wait?: string; 'dry-run'?: boolean})
    if (wait.wait === undefined || wait['dry-run']) return
    const {DEFAULT_WAIT} = await import('./wait-flag.js')
    const timeoutMs = parseDuration(wait.wait === '' ? DEFAULT_WAIT : wait.wait)
    const {waitAfterWrite} = await import('../service/wait.js')
    await waitAfterWrite(await this.store(), timeoutMs, revision, (t) => this.err(t))
  }

  /** The end of a shortcut (ippool, bgp): print its line, then wait for the nodes if asked. */
  protected async finishShortcut(result: {message: string; revision?: string}): Promise<void> {
    this.out(`${result.message}\n`)
    await this.waitForNodes(result.revision)
  }

  protected fail(message: string): never {
    throw new CalicoError(message)
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<any> {
    if (error instanceof Errors.ExitError) throw error
    if (error instanceof CalicoError) {
      await this.errPainted('error', error.message)
      this.exit(1)
    }
    // oclif's own parse errors are usage errors: exit 2 with a hint.
    if (error instanceof Errors.CLIError && error.oclif?.exit === 2) {
      await this.errPainted('error', `${error.message.split('\n')[0]}\nSee '${this.config.bin} ${this.id?.replaceAll(':', ' ') ?? ''} --help'.`)
      this.exit(2)
    }
    await this.errPainted('error', error.message)
    this.exit(1)
  }

  protected override async finally(error: Error | undefined): Promise<any> {
    this.datastore?.close()
    return super.finally(error)
  }
}
