// The bench children program iptables, ipsets and routes of the namespace they run in. Run by
// mistake (or imported) in the host's own namespace they would change the host: they stop first.
import {execFileSync} from 'node:child_process'

/** Exits with status 2 unless this process is inside a named network namespace. */
export function requireBenchNetns(what: string): void {
  let name = ''
  try {
    name = execFileSync('ip', ['netns', 'identify'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
  } catch {
    name = ''
  }
  if (name !== '') return
  process.stderr.write(`${what}: not inside a network namespace (ip netns identify is empty); run it through its bench, which makes one\n`)
  process.exit(2)
}
