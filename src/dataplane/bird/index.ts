// BIRD part of the node apply pass: model → render → validated swap + reload.
import {join} from 'node:path'
import type {CommandRunner} from '../../lib/exec.js'
import {applyBirdConfig, type ApplyBirdStatus} from './executor.js'
import {type BirdModelInput, buildBirdModel} from './model.js'
import {type BgpTimers, renderBirdConfig} from './render.js'

export * from './control.js'
export * from './executor.js'
export * from './model.js'
export * from './render.js'

export interface SyncBirdOptions {
  /** Directory of the live config, e.g. /etc/calico/bird. */
  configDir: string
  /** BIRD's control socket, e.g. /var/run/calico/bird.ctl. */
  socketPath: string
  dryRun: boolean
  /** File name inside configDir (default bird.cfg). BIRD must have been started with `-c` on it. */
  configFile?: string
  timers?: BgpTimers
  /** BIRD log target: stderr, syslog or an absolute path. */
  log?: string
  birdBinary?: string
  runner?: CommandRunner
}

export interface SyncBirdResult {
  changed: boolean
  reloaded: boolean
  text: string
  configPath: string
  status: ApplyBirdStatus
  message: string
}

/** Renders this node's BIRD config and puts it in force. A second call with the same input does nothing. */
export async function syncBird(input: BirdModelInput, opts: SyncBirdOptions): Promise<SyncBirdResult> {
  const model = buildBirdModel(input)
  const text = renderBirdConfig(model, {
    ...(opts.timers ? {timers: opts.timers} : {}),
    ...(opts.log ? {log: opts.log} : {}),
  })
  const configPath = join(opts.configDir, opts.configFile ?? 'bird.cfg')
  const r = await applyBirdConfig({
    configPath,
    socketPath: opts.socketPath,
    text,
    dryRun: opts.dryRun,
    ...(opts.birdBinary ? {birdBinary: opts.birdBinary} : {}),
    ...(opts.runner ? {runner: opts.runner} : {}),
  })
  return {changed: r.changed, reloaded: r.reloaded, text, configPath, status: r.status, message: r.message}
}
