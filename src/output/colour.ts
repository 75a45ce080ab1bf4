// Colour, through chalk, for what a person scans: errors and warnings on stderr, BGP session
// states in `node status`, address usage in `ipam show`. Only for a terminal: never when NO_COLOR
// is set (to anything, https://no-color.org), never when the stream is a file or a pipe unless
// chalk's own FORCE_COLOR says so, and never in machine output (-o json/yaml/go-template: those
// printers take no colour). Upstream calicoctl prints no colour at all; without a terminal our
// output is byte for byte its output.
//
// chalk is loaded only when colour will be used, so a piped or scripted run never pays for it.
import type {ChalkInstance} from 'chalk'

export type Colour = ChalkInstance

/** Colour for stdout or stderr, or undefined when that stream gets none. */
export async function colourFor(stream: 'stdout' | 'stderr'): Promise<Colour | undefined> {
  const env = process.env
  if (env.NO_COLOR !== undefined) return undefined
  // chalk's own rule, checked before loading it: a stream that is not a terminal gets colour only
  // when FORCE_COLOR asks for it.
  if (!(stream === 'stdout' ? process.stdout : process.stderr).isTTY && env.FORCE_COLOR === undefined) return undefined
  const {Chalk, supportsColor, supportsColorStderr} = await import('chalk')
  const support = stream === 'stdout' ? supportsColor : supportsColorStderr
  return support && support.level > 0 ? new Chalk({level: support.level}) : undefined
}

/** A BGP session state (BIRD's, first word of `node status`'s INFO): green when up, yellow while connecting, red when idle or failed. */
export function paintBgpState(colour: Colour | undefined, info: string): ((line: string) => string) | undefined {
  if (!colour) return undefined
  const state = info.split(' ')[0] ?? ''
  if (state === 'Established') return colour.green
  if (['Active', 'Connect', 'OpenSent', 'OpenConfirm'].includes(state)) return colour.yellow
  return colour.red
}

/** BIRD's protocol state (`node status`'s STATE): up green, start yellow, anything else red. */
export function paintProtocolState(colour: Colour | undefined, state: string): ((line: string) => string) | undefined {
  if (!colour) return undefined
  if (state === 'up') return colour.green
  if (state === 'start') return colour.yellow
  return colour.red
}

/** Share of a pool or block in use (`ipam show`): red from 90%, yellow from 75%, else plain. */
export function paintUsage(colour: Colour | undefined, inUse: number, capacity: number): ((line: string) => string) | undefined {
  if (!colour || capacity <= 0) return undefined
  const share = inUse / capacity
  if (share >= 0.9) return colour.red
  if (share >= 0.75) return colour.yellow
  return undefined
}
