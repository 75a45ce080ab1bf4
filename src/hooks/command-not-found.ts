// An unknown command exits 2 (a usage error, as everywhere else in calicoctl) with one line on
// stderr naming the nearest command. Only when both stdin and stderr are terminals is the user
// asked, through @oclif/plugin-not-found, whether to run the suggestion; scripts never see a
// prompt and never hang.
import type {Hook} from '@oclif/core'

/** Plain Levenshtein distance (insert, delete, substitute all cost 1). */
export function distance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length] ?? 0
}

/** The nearest command id to `id` (ids use ':' between topic and command), if any is close enough. */
export function nearest(id: string, candidates: string[]): string | undefined {
  let best: {id: string; d: number} | undefined
  for (const c of [...candidates].sort()) {
    const d = distance(id, c)
    if (!best || d < best.d) best = {id: c, d}
  }
  if (!best) return undefined
  return best.d <= Math.max(2, Math.floor(id.length / 3)) ? best.id : undefined
}

/** The single line printed for an unknown command. */
export function notFoundMessage(bin: string, id: string, suggestion: string | undefined): string {
  const typed = id.replaceAll(':', ' ')
  const hint = suggestion ? ` Did you mean '${bin} ${suggestion.replaceAll(':', ' ')}'?` : ''
  return `Error: unknown command '${typed}' for '${bin}'.${hint} Run '${bin} --help' for a list of commands.`
}

const hook: Hook.CommandNotFound = async function (opts) {
  const {config, id} = opts
  const visible = config.commands.filter((c) => !c.hidden)
  const ids = [...visible.map((c) => c.id), ...visible.flatMap((c) => c.aliases)]
  if (process.stdin.isTTY && process.stderr.isTTY) {
    // Interactive: plugin-not-found warns, offers the nearest command and runs it if confirmed.
    const {default: pluginHook} = await import('@oclif/plugin-not-found')
    const ctx = {
      ...this,
      error: (message: string | Error, options: {exit?: number} = {}) => this.error(message, {...options, exit: 2}),
    }
    return pluginHook.call(ctx, opts)
  }
  process.stderr.write(`${notFoundMessage(config.bin, id, nearest(id, ids))}\n`)
  return this.exit(2)
}

export default hook
