// The --wait flag shared by every write that changes hosts. Kept apart from the wait service so
// that declaring the flag loads nothing heavy.
import {Flags} from '@oclif/core'

export const DEFAULT_WAIT = '60s'

export const waitFlag = {
  wait: Flags.string({
    summary: 'Wait until every running node has applied the change (optionally: how long, e.g. --wait=2m; default 60s).',
    description:
      "Nodes running 'calicoctl node run' publish the datastore revision they last applied; this waits until each has reached the revision of this write, printing progress on stderr. Exits 1 naming the nodes that did not converge in time or whose pass failed.",
  }),
}

/** `--wait` with no value means the default timeout: oclif string flags need a value, so add it. */
export function normalizeWaitArgv(argv: string[]): string[] {
  const end = argv.indexOf('--')
  const head = end === -1 ? argv : argv.slice(0, end)
  const tail = end === -1 ? [] : argv.slice(end)
  return [...head.map((a) => (a === '--wait' ? `--wait=${DEFAULT_WAIT}` : a)), ...tail]
}
