// `calicoctl node checksystem`: kernel version, the kernel features Calico's dataplane needs
// (from the kernel config, modules.builtin/modules.dep or /sys/module), and the programs this
// tool drives. The evaluation is pure; gathering the facts is separate.
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {release} from 'node:os'
import {gunzipSync} from 'node:zlib'
import {runCommand} from '../lib/exec.js'

export const MIN_KERNEL = '2.6.24'
export const SUCCESS_MESSAGE = 'System meets minimum system requirements to run Calico!'
export const FAILURE_MESSAGE = "System doesn't meet one or more minimum system requirements to run Calico"

export interface FeatureCheck {
  /** Module name as lsmod / modules.builtin know it. */
  module: string
  /** Alternative module names. */
  aliases?: string[]
  /** Any of these CONFIG_ options set to y or m provides the feature. */
  configs: string[]
  required: boolean
  /** What needs it, shown when it is missing. */
  purpose: string
}

export const FEATURES: readonly FeatureCheck[] = [
  {module: 'ip_tables', configs: ['CONFIG_IP_NF_IPTABLES'], required: true, purpose: 'iptables policy'},
  {module: 'ip6_tables', configs: ['CONFIG_IP6_NF_IPTABLES'], required: false, purpose: 'IPv6 policy'},
  {module: 'ip_set', configs: ['CONFIG_IP_SET'], required: true, purpose: 'ipsets for policy selectors'},
  {module: 'ip_set_hash_ip', configs: ['CONFIG_IP_SET_HASH_IP'], required: true, purpose: 'hash:ip ipsets'},
  {module: 'ip_set_hash_net', configs: ['CONFIG_IP_SET_HASH_NET'], required: true, purpose: 'hash:net ipsets'},
  {module: 'xt_set', aliases: ['ipt_set'], configs: ['CONFIG_NETFILTER_XT_SET'], required: true, purpose: 'iptables ipset matches'},
  {module: 'xt_conntrack', configs: ['CONFIG_NETFILTER_XT_MATCH_CONNTRACK'], required: true, purpose: 'connection tracking matches'},
  {module: 'xt_mark', configs: ['CONFIG_NETFILTER_XT_MARK', 'CONFIG_IP_NF_TARGET_MARK', 'CONFIG_NETFILTER_XT_TARGET_MARK'], required: true, purpose: 'policy mark bits'},
  {module: 'xt_multiport', configs: ['CONFIG_NETFILTER_XT_MATCH_MULTIPORT', 'CONFIG_IP_NF_MATCH_MULTIPORT'], required: true, purpose: 'port lists in rules'},
  {module: 'xt_addrtype', configs: ['CONFIG_NETFILTER_XT_MATCH_ADDRTYPE'], required: true, purpose: 'address type matches'},
  {module: 'ipt_REJECT', aliases: ['xt_REJECT'], configs: ['CONFIG_IP_NF_TARGET_REJECT', 'CONFIG_NFT_REJECT', 'CONFIG_NETFILTER_XT_TARGET_REJECT'], required: true, purpose: 'REJECT target'},
  {module: 'xt_rpfilter', aliases: ['ipt_rpfilter'], configs: ['CONFIG_IP_NF_MATCH_RPFILTER', 'CONFIG_NETFILTER_XT_MATCH_RPFILTER'], required: true, purpose: 'reverse path filtering'},
  {module: 'nf_conntrack_netlink', configs: ['CONFIG_NF_CT_NETLINK'], required: true, purpose: 'conntrack cleanup'},
  {module: 'xt_MASQUERADE', aliases: ['ipt_MASQUERADE'], configs: ['CONFIG_NETFILTER_XT_TARGET_MASQUERADE', 'CONFIG_IP_NF_TARGET_MASQUERADE'], required: true, purpose: 'natOutgoing'},
  {module: 'veth', configs: ['CONFIG_VETH'], required: true, purpose: 'workload interfaces (workload add)'},
  {module: 'ipip', configs: ['CONFIG_NET_IPIP'], required: true, purpose: 'IPIP pools (tunl0); without it only ipipMode: Never pools work'},
  {module: 'xt_u32', configs: ['CONFIG_NETFILTER_XT_MATCH_U32'], required: false, purpose: 'u32 matches'},
  {module: 'xt_bpf', configs: ['CONFIG_NETFILTER_XT_MATCH_BPF'], required: false, purpose: 'BPF matches'},
]

export interface SystemFacts {
  kernelRelease: string
  /** CONFIG_X → y|m|n; undefined when no kernel config could be read. */
  config?: Map<string, string>
  configSource?: string
  /** Modules built in or available (modules.builtin / modules.dep) or loaded (/sys/module). */
  modules: Set<string>
  /** Programs: name → version text, or undefined when missing. */
  tools: Record<string, string | undefined>
}

export type CheckState = 'OK' | 'FAIL' | 'SKIP'

export interface CheckLine {
  group: 'kernel' | 'feature' | 'tool'
  name: string
  state: CheckState
  required: boolean
  detail: string
}

/** Compares dotted kernel versions numerically (`6.18.44-fc` ≥ `2.6.24`). */
export function kernelAtLeast(releaseText: string, min: string): boolean {
  const nums = (s: string) => (/^(\d+(?:\.\d+)*)/.exec(s)?.[1] ?? '0').split('.').map(Number)
  const a = nums(releaseText)
  const b = nums(min)
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d > 0
  }
  return true
}

export function parseKernelConfig(text: string): Map<string, string> {
  const m = new Map<string, string>()
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_[A-Z0-9_]+)=(.*)$/.exec(line)
    if (set) m.set(set[1] ?? '', set[2] ?? '')
    const unset = /^# (CONFIG_[A-Z0-9_]+) is not set/.exec(line)
    if (unset) m.set(unset[1] ?? '', 'n')
  }
  return m
}

const norm = (m: string) => m.replaceAll('-', '_')

export function evaluateSystem(f: SystemFacts, requiredTools: readonly string[]): CheckLine[] {
  const out: CheckLine[] = []
  const kOk = kernelAtLeast(f.kernelRelease, MIN_KERNEL)
  out.push({group: 'kernel', name: f.kernelRelease, state: kOk ? 'OK' : 'FAIL', required: true, detail: kOk ? '' : `kernel ${MIN_KERNEL} or newer is required`})
  for (const feat of FEATURES) {
    const names = [feat.module, ...(feat.aliases ?? [])].map(norm)
    const asModule = names.find((n) => f.modules.has(n))
    const asConfig = feat.configs.find((c) => {
      const v = f.config?.get(c)
      return v === 'y' || v === 'm'
    })
    let state: CheckState
    let detail: string
    if (asModule || asConfig) {
      state = 'OK'
      detail = asConfig ? `${asConfig}=${f.config?.get(asConfig)}` : 'module available'
    } else if (!f.config) {
      state = feat.required ? 'FAIL' : 'SKIP'
      detail = `not found as a module and no kernel config to check; needed for ${feat.purpose}`
    } else {
      state = feat.required ? 'FAIL' : 'SKIP'
      detail = `${feat.configs.join(' / ')} not set in ${f.configSource ?? 'the kernel config'}; needed for ${feat.purpose}`
    }
    out.push({group: 'feature', name: feat.module, state, required: feat.required, detail})
  }
  for (const [tool, version] of Object.entries(f.tools)) {
    const required = requiredTools.includes(tool)
    out.push({group: 'tool', name: tool, state: version !== undefined ? 'OK' : required ? 'FAIL' : 'SKIP', required, detail: version ?? 'not installed'})
  }
  return out
}

export function formatChecks(lines: readonly CheckLine[]): {text: string; ok: boolean} {
  const groups: Array<[CheckLine['group'], string]> = [
    ['kernel', 'Checking kernel version...'],
    ['feature', 'Checking kernel modules and features...'],
    ['tool', 'Checking programs...'],
  ]
  const out: string[] = []
  for (const [g, title] of groups) {
    out.push(title)
    for (const l of lines.filter((x) => x.group === g)) {
      const note = l.state === 'OK' ? (l.group === 'tool' ? `  ${l.detail}` : '') : `  ${l.detail}`
      out.push(`\t\t${l.name.padEnd(24)}${l.state}${note}`)
    }
  }
  const failed = lines.filter((l) => l.state === 'FAIL')
  for (const l of failed) out.push(`WARNING: ${l.name}: ${l.detail}`)
  const ok = failed.length === 0
  if (ok) out.push(SUCCESS_MESSAGE)
  return {text: `${out.join('\n')}\n`, ok}
}

async function readConfig(kernelRelease: string, override?: string): Promise<{config: Map<string, string>; source: string} | undefined> {
  const candidates = override
    ? [override]
    : ['/proc/config.gz', `/boot/config-${kernelRelease}`, '/usr/src/linux/.config', `/lib/modules/${kernelRelease}/build/.config`]
  for (const path of candidates) {
    try {
      const raw = await readFile(path)
      const text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8')
      return {config: parseKernelConfig(text), source: path}
    } catch {}
  }
  return undefined
}

async function moduleNames(kernelRelease: string): Promise<Set<string>> {
  const mods = new Set<string>()
  for (const file of ['modules.builtin', 'modules.dep']) {
    const text = await readFile(`/lib/modules/${kernelRelease}/${file}`, 'utf8').catch(() => '')
    for (const m of text.matchAll(/([^/\s:]+)\.ko(?:\.(?:gz|xz|zst|bz2))?/g)) mods.add(norm(m[1] ?? ''))
  }
  for (const name of FEATURES.flatMap((f) => [f.module, ...(f.aliases ?? [])])) if (existsSync(`/sys/module/${norm(name)}`)) mods.add(norm(name))
  return mods
}

async function toolVersion(file: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await runCommand(file, args, {timeoutMs: 5000})
    const text = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).find(Boolean)
    return text ?? 'present'
  } catch {
    return undefined
  }
}

export async function gatherSystemFacts(opts: {kernelConfig?: string; iptablesBackend?: 'nft' | 'legacy'} = {}): Promise<SystemFacts> {
  const kernelRelease = release()
  const cfg = await readConfig(kernelRelease, opts.kernelConfig)
  const backend = opts.iptablesBackend ?? 'nft'
  return {
    kernelRelease,
    ...(cfg ? {config: cfg.config, configSource: cfg.source} : {}),
    modules: await moduleNames(kernelRelease),
    tools: {
      ip: await toolVersion('ip', ['-V']),
      [`iptables-${backend}-restore`]: await toolVersion(`iptables-${backend}-restore`, ['--version']),
      ipset: await toolVersion('ipset', ['version']),
      bird: await toolVersion('bird', ['--version']),
      nsenter: await toolVersion('nsenter', ['--version']),
    },
  }
}

export const REQUIRED_TOOLS = (backend: 'nft' | 'legacy' = 'nft') => ['ip', `iptables-${backend}-restore`, 'ipset', 'bird']
