// calicoctl's usage is `calicoctl [options] <command> [<args>...]`: the global options may come
// before the command word (upstream v3.32.1 calicoctl/calicoctl/calicoctl.go: -h/--help,
// -l/--log-level, --context, --allow-version-mismatch; plus -c/--config and --timeout, which
// every command of ours takes too). oclif finds the command from the first words, so the options
// found before the command are moved to just after its words, spelled long with `=`: there `-l`
// means the log level whatever the command (after `get`/`delete`, `-l` is --selector).
// Plain string work on a handful of arguments: bin/run.js runs it on every start-up.

/** The global options that take a value, by long name and by short letter. */
const VALUED = new Set(['log-level', 'config', 'context', 'timeout'])
const SHORT = {l: 'log-level', c: 'config'}

/**
 * Moves the global options before the command word to after the command's words.
 * Returns {argv, version, invalid}: version is true when `--version` was among them (and argv is
 * then the rest); invalid is true when, before any command word, an option is not one of the
 * global options or lacks its value (calicoctl's docopt refuses that line as an invalid option).
 */
export function hoistGlobalOptions(argv) {
  const first = argv[0]
  if (first === undefined || first[0] !== '-' || first === '-' || first === '--') return {argv, version: false, invalid: false}
  let moved = []
  let version = false
  let i = 0
  for (; i < argv.length; i++) {
    const a = argv[i]
    if (a === '-h' || a === '--help') moved.push('--help')
    else if (a === '--version') version = true
    else if (a === '--allow-version-mismatch') moved.push(a)
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const name = a.slice(2, eq < 0 ? undefined : eq)
      if (!VALUED.has(name)) break
      if (eq >= 0) moved.push(a)
      else if (i + 1 < argv.length) moved.push(`--${name}=${argv[++i]}`)
      else break
    } else if (a[0] === '-' && a.length >= 2 && a[1] in SHORT) {
      const name = SHORT[a[1]]
      if (a.length > 2) moved.push(`--${name}=${a.slice(a[2] === '=' ? 3 : 2)}`)
      else if (i + 1 < argv.length) moved.push(`--${name}=${argv[++i]}`)
      else break
    } else break
  }
  const rest = argv.slice(i)
  // Given again after the command, the later one counts (oclif refuses an option given twice).
  const end = rest.indexOf('--')
  const after = end < 0 ? rest : rest.slice(0, end)
  const again = (opt) => {
    const name = opt.slice(2).split('=')[0]
    const short = name === 'config' ? '-c' : undefined
    return after.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || (short !== undefined && a.startsWith(short)))
  }
  if (moved.length > 0 && after.length > 0) moved = moved.filter((opt) => opt === '--help' || !again(opt))
  let words = 0
  while (words < rest.length && rest[words][0] !== '-') words++
  // Stopped on an option we do not know: it stays first (the caller reports the line as invalid).
  if (words === 0) return {argv: [...rest, ...moved], version, invalid: rest.length > 0 && rest[0] !== '-' && rest[0] !== '--'}
  return {argv: [...rest.slice(0, words), ...moved, ...rest.slice(words)], version, invalid: false}
}
