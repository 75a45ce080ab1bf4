// Shared by test/uml/seed.test.ts: the seed scenario's guest script and the kernel modules it
// needs inside user-mode-linux (IPIP, veth, and the legacy iptables/ipset pieces the policy uses).
import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')

/** The kernel modules the seed needs in the guest: the same list scripts/lab.sh loads. */
export const SEED_MODULES = readFileSync(`${REPO}/scripts/lab/modules`, 'utf8').split(/\s+/).filter(Boolean)

/** The guest script: REPO set, then scripts/lab/seed.sh. */
export function seedScript(): string {
  return `REPO=${REPO}\n${readFileSync(`${REPO}/scripts/lab/seed.sh`, 'utf8')}`
}

/** A busy loop in its own process that ends by itself after `ms` (stop it by PID before that). */
export function burner(ms: number): ChildProcess {
  return spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], {stdio: 'ignore'})
}

/** The seed guest's figures (ms after `node run` started, ms after a patch returned, idle CPU %). */
export function seedFigures(sections: Map<string, string>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const part of `${sections.get('timings') ?? ''} ${sections.get('idle') ?? ''}`.trim().split(/\s+/)) {
    const [k, v] = part.split('=')
    if (k && v !== undefined && v !== 'none' && Number.isFinite(Number(v))) out[k] = Number(v)
  }
  for (const dir of ['never', 'always']) {
    const v = Number((sections.get(`convergence-${dir}`) ?? '').trim())
    if (Number.isFinite(v) && v > 0) out[`convergence-${dir}`] = v
  }
  return out
}
