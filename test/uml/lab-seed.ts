// Shared by test/uml/seed.test.ts: the seed scenario's guest script and the kernel modules it
// needs inside user-mode-linux (IPIP, veth, and the legacy iptables/ipset pieces the policy uses).
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')

export const SEED_MODULES = [
  'veth', 'ipip',
  'ip_tables', 'iptable_filter', 'iptable_nat', 'iptable_mangle', 'iptable_raw',
  'xt_comment', 'xt_conntrack', 'xt_mark', 'xt_multiport', 'xt_addrtype', 'xt_set', 'xt_MASQUERADE', 'ipt_REJECT',
  'ip_set', 'ip_set_hash_ip', 'ip_set_hash_net', 'ip_set_hash_ipport', 'ip_set_hash_netport', 'ip_set_list_set',
]

/** The guest script: REPO set, then scripts/lab/seed.sh. */
export function seedScript(): string {
  return `REPO=${REPO}\n${readFileSync(`${REPO}/scripts/lab/seed.sh`, 'utf8')}`
}
