// The one privilege check of the node commands that touch the host (routes, links, iptables,
// ipsets, BIRD's files and socket): they need CAP_NET_ADMIN, in practice root. Checked up front
// so an operator gets one clear line instead of the first EPERM from deep inside a pass.
import {readFileSync} from 'node:fs'
import {CalicoError} from '../resources/errors.js'

/** Bit of CAP_NET_ADMIN in the capability sets of /proc/<pid>/status. */
const CAP_NET_ADMIN = 12n

export class PrivilegeError extends CalicoError {}

/** Does this process hold CAP_NET_ADMIN? Reads the effective set; falls back to "is root". */
export function hasNetAdmin(statusText?: string): boolean {
  let text = statusText
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8')
    } catch {
      return process.getuid?.() === 0
    }
  }
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(text)
  if (!m) return process.getuid?.() === 0
  return ((BigInt(`0x${m[1]}`) >> CAP_NET_ADMIN) & 1n) === 1n
}

export function notPrivilegedMessage(command: string): string {
  return `calicoctl ${command} needs root privileges (CAP_NET_ADMIN) to read and program this host's routes, iptables and BIRD: run it as root, e.g. with sudo`
}

/** Throws a one-line PrivilegeError unless the process may program the host's network. */
export function requireNetAdmin(command: string, statusText?: string): void {
  if (!hasNetAdmin(statusText)) throw new PrivilegeError(notPrivilegedMessage(command))
}
