// Shared by test/uml/seed.test.ts: the seed scenario's guest script and the kernel modules it
// needs inside user-mode-linux (IPIP, veth, and the legacy iptables/ipset pieces the policy uses).
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')

/** The kernel modules the seed needs in the guest: the same list scripts/lab.sh loads. */
export const SEED_MODULES = readFileSync(`${REPO}/scripts/lab/modules`, 'utf8').split(/\s+/).filter(Boolean)

/** The guest script: REPO set, then scripts/lab/seed.sh. */
export function seedScript(): string {
  return `REPO=${REPO}\n${readFileSync(`${REPO}/scripts/lab/seed.sh`, 'utf8')}`
}
