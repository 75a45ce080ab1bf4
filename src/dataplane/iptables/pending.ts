// Fail closed for a workload the agent has not programmed yet. Once the agent has written its
// filter chains, a cali interface it does not know is dropped by the dispatch chains ("Unknown
// interface") until its endpoint chains exist, as Felix does. Before that (a `workload add` typed
// right after `node run`, ahead of the agent's first iptables pass) nothing would stop its
// traffic: so `workload add` puts a drop for its interface into cali-FORWARD and cali-INPUT,
// hooked from FORWARD and INPUT with the agent's own hook rules. The agent's first write of the
// filter table replaces both chains whole (and re-writes its hooks), so the drops go in the same
// transaction that brings the workload's policy.
//
// Each script starts with `-N cali-from-wl-dispatch` and `-X` of it: a table's restore is one
// transaction, so when the agent's chains already exist the script fails as a whole and nothing
// is written (the dispatch chain's own drop covers the interface then).
import {type CommandRunner, runCommand} from '../../lib/exec.js'
import {type ResolvedIptablesBackend, iptablesBinaries} from './executor.js'
import {FILTER_HOOKS} from './model.js'
import {hookHashes} from './planner.js'
import {CHAIN} from './names.js'
import {renderRule} from './render.js'

const DISPATCH = CHAIN.fromWorkloadDispatch
const COMMENT = ['-m', 'comment', '--comment', '"workload not programmed yet"']

/** The drops for one interface, by chain. */
function drops(iface: string): Array<[chain: typeof CHAIN.forward | typeof CHAIN.input, rule: string]> {
  return [
    [CHAIN.forward, ['-i', iface, ...COMMENT, '-j', 'DROP'].join(' ')],
    [CHAIN.forward, ['-o', iface, ...COMMENT, '-j', 'DROP'].join(' ')],
    [CHAIN.input, ['-i', iface, ...COMMENT, '-j', 'DROP'].join(' ')],
  ]
}

/** The agent's hook into `chain` for `target`, exactly as it writes it (same hash comment). */
function agentHook(kernelChain: 'FORWARD' | 'INPUT'): string {
  const {inserts} = hookHashes(kernelChain, FILTER_HOOKS.filter((h) => h.chain === kernelChain))
  const h = inserts[0]
  if (!h) throw new Error(`no ${kernelChain} hook in the filter model`)
  return renderRule('-I', kernelChain, h.rule.rule, h.hash)
}

export type PendingDropResult = 'added' | 'programmed' | 'removed' | 'none'

/** The filter table as `iptables-save` prints it. */
async function saveFilter(backend: ResolvedIptablesBackend, run: CommandRunner): Promise<string> {
  const r = await run(iptablesBinaries(backend).save, ['-t', 'filter'])
  if (r.exitCode !== 0) throw new Error(`${iptablesBinaries(backend).save} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? ''}`)
  return r.stdout
}

const hasChain = (saved: string, chain: string) => saved.split('\n').some((l) => l.startsWith(`:${chain} `))

async function restoreGuarded(backend: ResolvedIptablesBackend, run: CommandRunner, lines: string[]): Promise<boolean> {
  const script = ['*filter', `-N ${DISPATCH}`, `-X ${DISPATCH}`, ...lines, 'COMMIT', ''].join('\n')
  const r = await run(iptablesBinaries(backend).restore, ['--noflush', '--wait'], {input: script})
  return r.exitCode === 0
}

/**
 * Drops the interface's traffic until the agent programs the filter table. 'programmed': the
 * agent's chains are there already (their dispatch drops it until its policy exists).
 */
export async function dropUntilProgrammed(iface: string, backend: ResolvedIptablesBackend, run: CommandRunner = runCommand): Promise<PendingDropResult> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const saved = await saveFilter(backend, run)
    if (hasChain(saved, DISPATCH)) return 'programmed'
    const lines: string[] = []
    for (const chain of [CHAIN.forward, CHAIN.input] as const) if (!hasChain(saved, chain)) lines.push(`-N ${chain}`)
    for (const [chain, rule] of drops(iface)) lines.push(`-A ${chain} ${rule}`)
    for (const [kernel, target] of [['FORWARD', CHAIN.forward], ['INPUT', CHAIN.input]] as const) {
      if (!saved.split('\n').some((l) => l.startsWith(`-A ${kernel} `) && l.endsWith(`-j ${target}`))) lines.push(agentHook(kernel))
    }
    // Fails as a whole when the agent (or another `workload add`) changed the table meanwhile: read again.
    if (await restoreGuarded(backend, run, lines)) return 'added'
  }
  throw new Error(`cannot add the drop rules for ${iface}: the filter table kept changing`)
}

/** Removes the interface's pending drops (`workload remove` before the agent programmed it). */
export async function removePendingDrops(iface: string, backend: ResolvedIptablesBackend, run: CommandRunner = runCommand): Promise<PendingDropResult> {
  const saved = await saveFilter(backend, run)
  if (hasChain(saved, DISPATCH)) return 'programmed'
  const present = new Set(saved.split('\n'))
  const lines = drops(iface).filter(([chain, rule]) => present.has(`-A ${chain} ${rule}`)).map(([chain, rule]) => `-D ${chain} ${rule}`)
  if (lines.length === 0) return 'none'
  return (await restoreGuarded(backend, run, lines)) ? 'removed' : 'programmed'
}
