// Desired iptables/ipset state vs what `iptables-save` / `ipset save` report → restore scripts.
// Pure. Only `cali-` chains and `cali:<hash>`-commented rules in kernel chains are ever
// touched; everything else in the tables is left exactly as it is.
import {CHAIN_PREFIX, chainLines, hashChain, IPSET_MAIN_PREFIX, IPSET_TEMP_PREFIX, renderRule, ruleHashes} from './render.js'
import type {DesiredState, HookRule, IpSetState, IpSetType, IptChain, TableName, TableState} from './types.js'
import {TABLES} from './types.js'

export const IPSET_MAXELEM = 1_048_576

export interface SavedRule {
  /**
   * The rule as iptables-save printed it, starting with `-A <chain>`; empty in owned chains,
   * where only the hashes are compared (a syncer remembers them for the agent's life).
   */
  text: string
  /** Our `cali:<hash>` comment, when the rule carries one. */
  hash?: string
}

export interface SavedTable {
  /** Every chain in the table (kernel and others) with its rules in order. */
  chains: Map<string, SavedRule[]>
}

const HASH_RE = /--comment "?cali:([A-Za-z0-9_-]+)"?/

/**
 * A copy of a piece of a larger text that does not keep that text alive: V8 may represent a
 * substring as a view into its parent, and a syncer remembers parsed rules for the agent's life.
 */
function own(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8')
}

/** Parses one table's section of iptables-save output (absent table → empty). */
export function parseIptablesSave(text: string, table: TableName): SavedTable {
  const chains = new Map<string, SavedRule[]>()
  let inTable = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (line.startsWith('*')) {
      inTable = line.slice(1) === table
      continue
    }
    if (!inTable) continue
    if (line === 'COMMIT') {
      inTable = false
      continue
    }
    if (line.startsWith(':')) {
      const name = line.slice(1).split(/\s+/)[0]
      if (name && !chains.has(name)) chains.set(own(name), [])
      continue
    }
    const m = /^-A\s+(\S+)/.exec(line)
    if (m?.[1]) {
      let rules = chains.get(m[1])
      if (!rules) {
        rules = []
        chains.set(own(m[1]), rules)
      }
      const h = HASH_RE.exec(line)
      const text = isOwnedChain(m[1]) ? '' : own(line)
      rules.push(h?.[1] ? {text, hash: own(h[1])} : {text})
    }
  }
  return {chains}
}

export const isOwnedChain = (name: string): boolean => name.startsWith(CHAIN_PREFIX)

export interface TablePlan {
  table: TableName
  /** The `iptables-restore --noflush` input for this table. */
  script: string
  /** Owned chains created or rewritten. */
  chainsWritten: string[]
  /** Owned chains removed. */
  chainsDeleted: string[]
  /** Kernel chains whose hook rules are re-written. */
  hooksChanged: string[]
}

export function hookHashes(chain: string, hooks: readonly HookRule[]): {inserts: Array<{rule: HookRule; hash: string}>; appends: Array<{rule: HookRule; hash: string}>} {
  const ordered = [...hooks.filter((h) => h.position === 'insert'), ...hooks.filter((h) => h.position === 'append')]
  const hashes = ruleHashes(chain, ordered.map((h) => h.rule))
  const withHash = ordered.map((rule, i) => ({rule, hash: hashes[i] as string}))
  return {inserts: withHash.filter((h) => h.rule.position === 'insert'), appends: withHash.filter((h) => h.rule.position === 'append')}
}

function sameList(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** A table's chains by name, built once per table object (a syncer's desired state is its next base). */
const chainMaps = new WeakMap<TableState, Map<string, IptChain>>()
function chainsByName(state: TableState): Map<string, IptChain> {
  let m = chainMaps.get(state)
  if (!m) {
    m = new Map(state.chains.map((c) => [c.name, c]))
    chainMaps.set(state, m)
  }
  return m
}

/**
 * The restore script for one table, or undefined when the kernel already matches. With `base`,
 * a state the kernel is known to hold for our chains (what the last successful plan realised),
 * chains that are the very same objects in `base` and `desired` are taken as in place unseen.
 */
export function planTable(table: TableName, desired: TableState, saved: SavedTable, base?: TableState): TablePlan | undefined {
  const declare: string[] = []
  const writes: string[] = []
  const hookDeletes: string[] = []
  const hookAdds: string[] = []
  const deletes: string[] = []
  const chainsWritten: string[] = []
  const chainsDeleted: string[] = []
  const hooksChanged: string[] = []

  // The desired state is the next sync's base: its map is built once for both.
  const wanted = chainsByName(desired)
  const known = base === undefined ? undefined : chainsByName(base)
  const candidates = known === undefined ? desired.chains : desired.chains.filter((c) => known.get(c.name) !== c)
  for (const chain of [...candidates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!isOwnedChain(chain.name)) throw new Error(`refusing to program chain ${chain.name}: not a ${CHAIN_PREFIX} chain`)
    const {hashes, bodies} = hashChain(chain)
    const current = saved.chains.get(chain.name)
    if (current && sameList(current.map((r) => r.hash), hashes)) continue
    declare.push(`:${chain.name} - [0:0]`)
    // The lines are made here, only for chains that are written.
    for (const line of chainLines(chain, hashes, bodies)) writes.push(line)
    chainsWritten.push(chain.name)
  }
  for (const name of [...saved.chains.keys()].filter((n) => isOwnedChain(n) && !wanted.has(n)).sort()) {
    // Flushing first drops references between stale chains; deletion comes last.
    declare.push(`:${name} - [0:0]`)
    deletes.push(`-X ${name}`)
    chainsDeleted.push(name)
  }

  const kernelChains = new Set<string>(desired.hooks.map((h) => h.chain))
  for (const [name, rules] of saved.chains) if (!isOwnedChain(name) && rules.some((r) => r.hash)) kernelChains.add(name)
  for (const chain of [...kernelChains].sort()) {
    if (isOwnedChain(chain)) throw new Error(`hook rules belong in kernel chains, not ${chain}`)
    const {inserts, appends} = hookHashes(chain, desired.hooks.filter((h) => h.chain === chain))
    const current = saved.chains.get(chain) ?? []
    const ours = current.filter((r) => r.hash !== undefined)
    const top = current.slice(0, inserts.length).map((r) => r.hash)
    const rest = current.slice(inserts.length).filter((r) => r.hash !== undefined).map((r) => r.hash)
    const inPlace =
      sameList(top, inserts.map((h) => h.hash)) && sameList(rest, appends.map((h) => h.hash)) && ours.length === inserts.length + appends.length
    if (inPlace) continue
    hooksChanged.push(chain)
    for (const r of ours) hookDeletes.push(r.text.replace(/^-A\s+/, '-D '))
    // `-I` without a position inserts at the top, so write the inserts last-first.
    for (const h of [...inserts].reverse()) hookAdds.push(renderRule('-I', chain, h.rule.rule, h.hash))
    for (const h of appends) hookAdds.push(renderRule('-A', chain, h.rule.rule, h.hash))
  }

  if (declare.length + hookDeletes.length + hookAdds.length === 0) return undefined
  const script = [`*${table}`, ...declare, ...writes, ...hookDeletes, ...hookAdds, ...deletes, 'COMMIT', ''].join('\n')
  return {table, script, chainsWritten, chainsDeleted, hooksChanged}
}

// ---------------------------------------------------------------------------------------------
// ipsets

export interface SavedIpset {
  name: string
  type: string
  members: string[]
}

/** Our sets (cali4 prefix) from `ipset save` output. */
export function parseIpsetSave(text: string): Map<string, SavedIpset> {
  const sets = new Map<string, SavedIpset>()
  for (const raw of text.split('\n')) {
    const parts = raw.trim().split(/\s+/)
    const [verb, name, arg] = parts
    if (!name || !arg || !(name.startsWith(IPSET_MAIN_PREFIX) || name.startsWith(IPSET_TEMP_PREFIX))) continue
    if (verb === 'create') {
      const set = {name: own(name), type: arg, members: []}
      sets.set(set.name, set)
    } else if (verb === 'add') sets.get(name)?.members.push(own(arg))
  }
  return sets
}

export interface IpsetPlan {
  /** `ipset restore` input run before iptables changes: new sets and atomic content swaps. */
  update: string
  /** `ipset restore` input run after iptables no longer refers to stale sets. */
  cleanup: string
  created: string[]
  updated: string[]
  destroyed: string[]
}

function createLine(name: string, type: IpSetType): string {
  return `create ${name} ${type} family inet maxelem ${IPSET_MAXELEM}`
}

/** As planTable: with `base` (sets the kernel is known to hold), identical set objects are skipped. */
export function planIpsets(desired: readonly IpSetState[], current: Map<string, SavedIpset>, base?: readonly IpSetState[]): IpsetPlan {
  const update: string[] = []
  const cleanup: string[] = []
  const created: string[] = []
  const updated: string[] = []
  const destroyed: string[] = []
  // Leftover temporary sets (from an interrupted run) are never referenced by iptables.
  for (const name of [...current.keys()].sort()) if (name.startsWith(IPSET_TEMP_PREFIX)) update.push(`destroy ${name}`)
  let temp = 0
  const wanted = new Set<string>()
  const known = base === undefined ? undefined : new Map(base.map((x) => [x.name, x]))
  for (const set of desired) {
    wanted.add(set.name)
    if (known !== undefined && known.get(set.name) === set) continue
    const cur = current.get(set.name)
    const members = [...new Set(set.members)].sort()
    if (!cur) {
      update.push(createLine(set.name, set.type), ...members.map((m) => `add ${set.name} ${m}`))
      created.push(set.name)
      continue
    }
    if (cur.type === set.type && sameList([...cur.members].sort(), members)) continue
    if (cur.type !== set.type) {
      // Sets of different types cannot be swapped; replace in place (fails loudly if in use).
      update.push(`destroy ${set.name}`, createLine(set.name, set.type), ...members.map((m) => `add ${set.name} ${m}`))
    } else {
      const tmp = `${IPSET_TEMP_PREFIX}${temp++}`
      update.push(createLine(tmp, set.type), ...members.map((m) => `add ${tmp} ${m}`), `swap ${tmp} ${set.name}`, `destroy ${tmp}`)
    }
    updated.push(set.name)
  }
  for (const name of [...current.keys()].sort()) {
    if (name.startsWith(IPSET_MAIN_PREFIX) && !wanted.has(name)) {
      cleanup.push(`destroy ${name}`)
      destroyed.push(name)
    }
  }
  const text = (lines: string[]): string => (lines.length > 0 ? `${lines.join('\n')}\n` : '')
  return {update: text(update), cleanup: text(cleanup), created, updated, destroyed}
}

// ---------------------------------------------------------------------------------------------

export interface Plan {
  /** Only tables that need a restore, in the order they are applied. */
  tables: TablePlan[]
  ipsets: IpsetPlan
}

/** The whole plan from the desired state and the saved text of each table and of ipset. */
export function planAll(desired: DesiredState, saves: Partial<Record<TableName, string>>, ipsetSave: string): Plan {
  return planParsed(desired, parseKernel(saves, ipsetSave))
}

/** What the kernel holds, parsed: each table's chains and our sets. */
export interface ParsedKernel {
  tables: Record<TableName, SavedTable>
  ipsets: Map<string, SavedIpset>
}

export function parseKernel(saves: Partial<Record<TableName, string>>, ipsetSave: string): ParsedKernel {
  const tables = Object.fromEntries(TABLES.map((t) => [t, parseIptablesSave(saves[t] ?? '', t)])) as Record<TableName, SavedTable>
  return {tables, ipsets: parseIpsetSave(ipsetSave)}
}

/**
 * The plan against an already-parsed (or remembered) kernel state. `base`: a desired state the
 * kernel is known to hold (the one the last applied plan realised); chains and sets that are
 * the same objects in it are not compared again (see IncrementalModel).
 */
export function planParsed(desired: DesiredState, kernel: ParsedKernel, base?: DesiredState): Plan {
  const tables: TablePlan[] = []
  for (const t of TABLES) {
    const p = planTable(t, desired.tables[t], kernel.tables[t], base?.tables[t])
    if (p) tables.push(p)
  }
  return {tables, ipsets: planIpsets(desired.ipsets, kernel.ipsets, base?.ipsets)}
}

/**
 * What the kernel holds once `plan` was applied to `before` (iptables-restore is atomic per
 * table, so exit 0 means exactly this): owned chains as desired, rewritten kernel chains with
 * our inserts on top and appends at the end around the other tools' rules, sets as desired.
 * Chains a plan did not touch are shared with `before`, not copied.
 */
export function kernelAfter(before: ParsedKernel, desired: DesiredState, plan: Plan): ParsedKernel {
  const tables = {...before.tables}
  for (const tp of plan.tables) {
    const want = desired.tables[tp.table]
    const chains = new Map(before.tables[tp.table].chains)
    for (const name of tp.chainsDeleted) chains.delete(name)
    const wanted = chainsByName(want)
    for (const name of tp.chainsWritten) {
      const c = wanted.get(name)
      if (c) chains.set(name, hashChain(c).hashes.map((hash) => ({text: '', hash})))
    }
    for (const name of tp.hooksChanged) {
      const {inserts, appends} = hookHashes(name, want.hooks.filter((h) => h.chain === name))
      const foreign = (chains.get(name) ?? []).filter((r) => r.hash === undefined)
      const ours = (h: {rule: HookRule; hash: string}): SavedRule => ({text: renderRule('-A', name, h.rule.rule, h.hash), hash: h.hash})
      chains.set(name, [...inserts.map(ours), ...foreign, ...appends.map(ours)])
    }
    tables[tp.table] = {chains}
  }
  const ipsets = new Map([...before.ipsets].filter(([name]) => name.startsWith(IPSET_MAIN_PREFIX)))
  for (const name of plan.ipsets.destroyed) ipsets.delete(name)
  const changed = new Set([...plan.ipsets.created, ...plan.ipsets.updated])
  for (const set of desired.ipsets) {
    if (changed.has(set.name)) ipsets.set(set.name, {name: set.name, type: set.type, members: [...new Set(set.members)].sort()})
  }
  return {tables, ipsets}
}

export function isEmptyPlan(plan: Plan): boolean {
  return plan.tables.length === 0 && plan.ipsets.update === '' && plan.ipsets.cleanup === ''
}

/** Human-readable concatenation of every script in a plan (for --dry-run output). */
export function planText(plan: Plan): string {
  const parts: string[] = []
  if (plan.ipsets.update) parts.push(`# ipset restore\n${plan.ipsets.update}`)
  for (const t of plan.tables) parts.push(`# iptables-restore --noflush (${t.table})\n${t.script}`)
  if (plan.ipsets.cleanup) parts.push(`# ipset restore (stale sets)\n${plan.ipsets.cleanup}`)
  return parts.join('')
}
