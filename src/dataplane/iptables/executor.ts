// Applies an iptables/ipset plan: `ipset restore` (new sets and swaps), one
// `iptables-restore --noflush` for every changed table (each table its own COMMIT, so each is
// still an atomic transaction), then removal of stale sets. A long-running caller keeps an
// IptablesSyncer, which remembers what it wrote and re-reads the kernel only when it has to
// (first sync, after a failure, when asked to verify), and re-renders only what changed.

import {type CommandRunner, runCommand} from '../../lib/exec.js'
import {CalicoError} from '../../resources/errors.js'
import {IncrementalModel} from './model.js'
import {isEmptyPlan, kernelAfter, type ParsedKernel, type Plan, parseKernel, planAll, planParsed, planText, type TablePlan} from './planner.js'
import type {DesiredState, IptablesInput, TableName} from './types.js'
import {TABLES} from './types.js'

/** The iptables flavours this tool can program. */
export type ResolvedIptablesBackend = 'nft' | 'legacy'
/** What a caller may ask for: a flavour, or `auto` (whatever the system's `iptables` is). */
export type IptablesBackend = ResolvedIptablesBackend | 'auto'
export const IPTABLES_BACKEND_CHOICES = ['auto', 'nft', 'legacy'] as const

/** The library default when no backend is given (the CLI flags default to `auto`). */
export const DEFAULT_IPTABLES_BACKEND: ResolvedIptablesBackend = 'nft'

/** The one switch for the iptables flavour: every save/restore goes through these binaries. */
export function iptablesBinaries(backend: ResolvedIptablesBackend = DEFAULT_IPTABLES_BACKEND): {save: string; restore: string} {
  return {save: `iptables-${backend}-save`, restore: `iptables-${backend}-restore`}
}

/**
 * The flavour named by `iptables --version` output: "iptables v1.8.9 (nf_tables)" or
 * "(legacy)"; releases before 1.8 had only the legacy flavour and print no suffix.
 */
export function backendFromVersion(text: string): ResolvedIptablesBackend | undefined {
  if (/\(nf_tables\)/.test(text)) return 'nft'
  if (/\(legacy\)/.test(text)) return 'legacy'
  const m = /iptables v(\d+)\.(\d+)/.exec(text)
  if (m && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 8))) return 'legacy'
  return undefined
}

/** Which flavour the system's `iptables` uses, or undefined when that cannot be told. */
export async function detectIptablesBackend(runner: CommandRunner = runCommand): Promise<ResolvedIptablesBackend | undefined> {
  try {
    const r = await runner('iptables', ['--version'])
    return r.exitCode === 0 ? backendFromVersion(`${r.stdout}\n${r.stderr}`) : undefined
  } catch {
    return undefined
  }
}

/** `auto` → the system's flavour (an error naming the fix when it cannot be told). */
export async function resolveIptablesBackend(backend: IptablesBackend | undefined, runner?: CommandRunner): Promise<ResolvedIptablesBackend> {
  if (backend === undefined) return DEFAULT_IPTABLES_BACKEND
  if (backend !== 'auto') return backend
  const found = await detectIptablesBackend(runner)
  if (!found) throw new CalicoError("iptables backend 'auto': cannot tell nft from legacy from 'iptables --version'; pass --iptables-backend nft or legacy")
  return found
}

export const IPSET_BINARY = 'ipset'

export interface SyncOptions {
  dryRun?: boolean
  /**
   * Re-read the kernel instead of trusting what an IptablesSyncer remembers (periodic drift
   * checks: another tool may have flushed or edited our chains). One-shot syncs always read.
   */
  verify?: boolean
  backend?: IptablesBackend
  /** How programs are run (tests wrap `ip netns exec`). */
  runner?: CommandRunner
}

export interface SyncResult {
  /** Tables that got an iptables-restore (or would, with dryRun). */
  changedTables: TableName[]
  ipsetChanges: {created: string[]; updated: string[]; destroyed: string[]}
  /** Every script that was (or would be) fed to ipset / iptables-restore. Empty on a no-op. */
  script: string
  /** Number of iptables-restore invocations made: 1 when any table changed, 0 on a no-op and with dryRun. */
  restoreCalls: number
  /** Number of ipset restore invocations made. */
  ipsetCalls: number
  /** Whether this sync read the kernel (iptables-save + ipset save) or planned from memory. */
  readKernel: boolean
}

export interface KernelState {
  saves: Record<TableName, string>
  ipsetSave: string
}

function firstLine(text: string): string {
  // iptables-restore puts the useful part ("line N failed", the bad option) near the end,
  // followed by a usage hint that says nothing about the failure.
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Try `'))
  return lines.length === 0 ? '' : lines.slice(-2).join(' ').replace(/\s+/g, ' ')
}

/** Cuts one `iptables-save` dump into its tables; a table the kernel has not loaded is empty. */
export function splitSave(text: string): Record<TableName, string> {
  const out = Object.fromEntries(TABLES.map((t) => [t, ''])) as Record<TableName, string>
  let current: TableName | undefined
  let lines: string[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim()
      current = (TABLES as readonly string[]).includes(name) ? (name as TableName) : undefined
      lines = [line]
      continue
    }
    if (!current) continue
    lines.push(line)
    if (line.trim() === 'COMMIT') {
      out[current] = `${lines.join('\n')}\n`
      current = undefined
    }
  }
  return out
}

/**
 * Reads every table with one iptables-save (one process, not one per table: process start-up
 * is most of the cost on a small host) and the sets with `ipset save`.
 */
export async function readKernelState(opts: SyncOptions = {}): Promise<KernelState> {
  const run = opts.runner ?? runCommand
  const {save} = iptablesBinaries(await resolveIptablesBackend(opts.backend, opts.runner))
  const [r, s] = await Promise.all([run(save, []), run(IPSET_BINARY, ['save'])])
  if (r.exitCode !== 0) throw new CalicoError(`${save} failed: ${firstLine(r.stderr || r.stdout)}`)
  if (s.exitCode !== 0) throw new CalicoError(`ipset save failed: ${firstLine(s.stderr || s.stdout)}`)
  return {saves: splitSave(r.stdout), ipsetSave: s.stdout}
}

/**
 * Which table of a combined restore script failed, and its failing line, from the line number
 * iptables-restore reports ("line 12 failed", "Error occurred at line: 12"); undefined when it
 * names no line of the script.
 */
export function failedTable(tables: readonly TablePlan[], output: string): {table: TableName; applied: TableName[]; text: string} | undefined {
  const n = Number([...output.matchAll(/line:? (\d+)/g)].at(-1)?.[1])
  if (!Number.isInteger(n) || n < 1) return undefined
  let start = 0
  for (const [i, t] of tables.entries()) {
    const lines = t.script.split('\n')
    if (n <= start + lines.length - 1) return {table: t.table, applied: tables.slice(0, i).map((x) => x.table), text: lines[n - start - 1] ?? ''}
    start += lines.length - 1
  }
  return undefined
}

/**
 * Runs a plan. Every changed table goes to one iptables-restore (process start-up dominates a
 * small change); a failed table is left unchanged, tables before it were committed, and the
 * error names it.
 */
export async function applyPlan(plan: Plan, opts: SyncOptions = {}): Promise<{restoreCalls: number; ipsetCalls: number}> {
  const run = opts.runner ?? runCommand
  const {restore} = iptablesBinaries(await resolveIptablesBackend(opts.backend, opts.runner))
  let restoreCalls = 0
  let ipsetCalls = 0
  if (plan.ipsets.update) {
    ipsetCalls++
    const r = await run(IPSET_BINARY, ['restore'], {input: plan.ipsets.update})
    if (r.exitCode !== 0) throw new CalicoError(`ipset restore failed: ${firstLine(r.stderr || r.stdout)}`)
  }
  if (plan.tables.length > 0) {
    restoreCalls++
    // --wait: the legacy flavour takes a host-wide lock that another tool may hold briefly.
    const r = await run(restore, ['--noflush', '--wait'], {input: plan.tables.map((t) => t.script).join('')})
    if (r.exitCode !== 0) {
      const out = r.stderr || r.stdout
      const failed = failedTable(plan.tables, out)
      const only = plan.tables.length === 1 ? (plan.tables[0] as TablePlan).table : undefined
      const table = failed?.table ?? only
      const what = table
        ? `iptables table ${table} not changed${failed && failed.applied.length > 0 ? ` (${failed.applied.join(', ')} applied before it)` : ''}`
        : `iptables tables ${plan.tables.map((t) => t.table).join(', ')}: some not changed`
      const rule = failed?.text ? ` [${failed.text.length > 200 ? `${failed.text.slice(0, 200)}...` : failed.text}]` : ''
      throw new CalicoError(`${what}: ${restore} failed: ${firstLine(out)}${rule}`)
    }
  }
  if (plan.ipsets.cleanup) {
    ipsetCalls++
    const r = await run(IPSET_BINARY, ['restore'], {input: plan.ipsets.cleanup})
    if (r.exitCode !== 0) throw new CalicoError(`ipset cleanup of stale sets failed: ${firstLine(r.stderr || r.stdout)}`)
  }
  return {restoreCalls, ipsetCalls}
}

/** Plans the desired state against the kernel (no writes). */
export async function planIptables(desired: DesiredState, opts: SyncOptions = {}): Promise<Plan> {
  const k = await readKernelState(opts)
  return planAll(desired, k.saves, k.ipsetSave)
}

/**
 * Keeps this host's iptables and ipsets at the state the resources describe, across calls.
 * After a successful apply it remembers what the kernel now holds for our chains and sets, so
 * the next sync plans against memory without an iptables-save (the expensive part at scale).
 * It reads the kernel on the first sync, after any failure and when opts.verify is set; nothing
 * else is trusted blindly for long, because callers verify periodically.
 */
export class IptablesSyncer {
  private known: ParsedKernel | undefined
  private knownBackend: ResolvedIptablesBackend | undefined
  /** The desired state that `known` realises: chains and sets still the same objects are in place. */
  private knownDesired: DesiredState | undefined
  /** Re-renders only what an input change touches (inputs are treated as immutable). */
  private readonly model = new IncrementalModel()
  /** A kernel read by check() that differed from `known`: the next sync plans against it (no second read). */
  private checked: {kernel: ParsedKernel; backend: ResolvedIptablesBackend} | undefined

  /** Forget what was written: the next sync reads the kernel. */
  invalidate(): void {
    this.known = undefined
    this.knownDesired = undefined
    this.checked = undefined
  }

  /**
   * A drift check: reads the kernel (one iptables-save, one ipset save) and compares our chains
   * (rule hashes), our rules in the kernel's chains and our sets with what the last sync left.
   * 'same': nothing to do; 'differs': the next sync() plans against this read and repairs it;
   * 'unknown': nothing was synced yet (or the last sync failed): the next sync reads anyway.
   */
  async check(optsIn: Pick<SyncOptions, 'backend' | 'runner'> = {}): Promise<'same' | 'differs' | 'unknown'> {
    const backend = await resolveIptablesBackend(optsIn.backend, optsIn.runner)
    if (!this.known || !this.knownDesired || this.knownBackend !== backend) return 'unknown'
    const desired = this.knownDesired
    const k = await readKernelState({...optsIn, backend})
    const kernel = parseKernel(k.saves, k.ipsetSave)
    // A sync may have run meanwhile: then its own state is the one to trust.
    if (desired !== this.knownDesired) return 'same'
    if (isEmptyPlan(planParsed(desired, kernel))) return 'same'
    this.checked = {kernel, backend}
    return 'differs'
  }

  async sync(input: IptablesInput, optsIn: SyncOptions = {}): Promise<SyncResult> {
    // Resolve `auto` once, so one pass never mixes flavours.
    const backend = await resolveIptablesBackend(optsIn.backend, optsIn.runner)
    const opts: SyncOptions = {...optsIn, backend}
    const checked = this.checked?.backend === backend ? this.checked.kernel : undefined
    this.checked = undefined
    const fromMemory = this.known !== undefined && this.knownBackend === backend && !opts.verify && !checked
    const desired = this.model.build(input)
    // Nothing this host's iptables depends on changed since the last successful sync.
    if (fromMemory && desired === this.knownDesired) {
      return {changedTables: [], ipsetChanges: {created: [], updated: [], destroyed: []}, script: '', restoreCalls: 0, ipsetCalls: 0, readKernel: false}
    }
    let before: ParsedKernel
    if (fromMemory) before = this.known as ParsedKernel
    else if (checked && !opts.verify) {
      this.invalidate()
      before = checked
    } else {
      this.invalidate()
      const k = await readKernelState(opts)
      before = parseKernel(k.saves, k.ipsetSave)
    }
    // From memory only the chains and sets that are new objects since the last sync are compared.
    const plan = planParsed(desired, before, fromMemory ? this.knownDesired : undefined)
    let text: string | undefined
    const result: SyncResult = {
      changedTables: plan.tables.map((t) => t.table),
      ipsetChanges: {created: plan.ipsets.created, updated: plan.ipsets.updated, destroyed: plan.ipsets.destroyed},
      // Made when read: a first pass's scripts are megabytes, and a copy made before the
      // restores would be held (with the input written to them) while they run.
      get script() {
        text ??= planText(plan)
        return text
      },
      restoreCalls: 0,
      ipsetCalls: 0,
      readKernel: !fromMemory && !checked,
    }
    if (opts.dryRun) return result
    if (!isEmptyPlan(plan)) {
      try {
        const calls = await applyPlan(plan, opts)
        result.restoreCalls = calls.restoreCalls
        result.ipsetCalls = calls.ipsetCalls
      } catch (err) {
        // Some tables may have changed before the failure: only a fresh read can tell.
        this.invalidate()
        throw err
      }
    }
    // No read-back: iptables-restore is atomic per table and exit 0 means it applied; drift
    // from other tools is caught by the caller's periodic verify.
    this.known = kernelAfter(before, desired, plan)
    this.knownBackend = backend
    this.knownDesired = desired
    return result
  }
}

/**
 * Brings this host's iptables and ipsets to the state the resources describe, reading the
 * kernel first (a one-shot IptablesSyncer). A second call with the same input writes nothing
 * (restoreCalls 0, empty script).
 */
export async function syncIptables(input: IptablesInput, opts: SyncOptions = {}): Promise<SyncResult> {
  return new IptablesSyncer().sync(input, opts)
}
