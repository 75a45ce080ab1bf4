// --wait: block until every live node has applied a datastore revision, as published by
// `node run` under /calico/felix/v2/no-region/host/<node>/status; and `node list`.
import type {ResourceStore} from '../datastore/store.js'
import {readNodeStatuses, type StoredNodeStatus} from '../node/node-status-key.js'
import {kindByName} from '../resources/registry.js'
import {sleep} from '../lib/sleep.js'

export interface WaitOptions {
  /** The revision every node must have applied. */
  revision: string
  timeoutMs: number
  pollMs?: number
  onProgress?: (line: string) => void
  /** Only these nodes (default: every node whose agent is running). */
  nodes?: string[]
  /** Time, for tests (default: the real clock). */
  clock?: Clock
}

export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
}

const realClock: Clock = {now: () => Date.now(), sleep}

export interface NodeWaitState {
  node: string
  revision?: string
  state: 'converged' | 'pending' | 'failed' | 'no-agent'
  detail?: string
}

export interface WaitReport {
  ok: boolean
  revision: string
  nodes: NodeWaitState[]
  elapsedMs: number
}

const big = (s: string | undefined) => (s === undefined ? -1n : BigInt(s))

export function evaluateWait(statuses: Map<string, StoredNodeStatus>, revision: string, only?: string[]): NodeWaitState[] {
  const names = only ?? [...statuses.values()].filter((s) => s.state !== 'stopped').map((s) => s.node)
  return names.sort().map((node): NodeWaitState => {
    const s = statuses.get(node)
    if (!s || s.state === 'stopped') return {node, state: 'no-agent', detail: s ? 'agent stopped' : 'no agent has published a status'}
    if (big(s.revision) < big(revision)) return {node, revision: s.revision, state: 'pending', detail: `at revision ${s.revision}`}
    if (s.result === 'failed') return {node, revision: s.revision, state: 'failed', detail: s.errors.join('; ') || 'pass failed'}
    return {node, revision: s.revision, state: 'converged'}
  })
}

/** Polls the published statuses until every live node has applied `revision` (and succeeded) or the time is up. */
export async function waitForNodes(store: ResourceStore, opts: WaitOptions): Promise<WaitReport> {
  const clock = opts.clock ?? realClock
  const t0 = clock.now()
  const poll = opts.pollMs ?? 250
  let last = ''
  for (;;) {
    const {statuses} = await readNodeStatuses(store.ds)
    const nodes = evaluateWait(statuses, opts.revision, opts.nodes)
    const done = nodes.filter((n) => n.state === 'converged').length
    const line = `waiting for revision ${opts.revision}: ${done}/${nodes.length} nodes applied${nodes.some((n) => n.state === 'pending') ? ` (pending: ${nodes.filter((n) => n.state === 'pending').map((n) => n.node).join(', ')})` : ''}`
    if (line !== last) opts.onProgress?.(line)
    last = line
    const settled = nodes.every((n) => n.state !== 'pending')
    const elapsedMs = clock.now() - t0
    if (settled || elapsedMs >= opts.timeoutMs) return {ok: nodes.every((n) => n.state === 'converged'), revision: opts.revision, nodes, elapsedMs}
    await clock.sleep(Math.min(poll, Math.max(0, opts.timeoutMs - elapsedMs)))
  }
}

/** The lines a failed wait ends with: one per node that did not converge. */
export function waitFailure(r: WaitReport): string {
  const bad = r.nodes.filter((n) => n.state !== 'converged')
  return [
    `${bad.length} of ${r.nodes.length} node(s) did not apply revision ${r.revision} within ${(r.elapsedMs / 1000).toFixed(1)}s:`,
    ...bad.map((n) => `  ${n.node}: ${n.state === 'pending' ? `still ${n.detail}` : n.state === 'failed' ? `pass failed: ${n.detail}` : n.detail}`),
  ].join('\n')
}

/**
 * After a write with --wait (`timeoutMs` undefined: no --wait): blocks until every live node has
 * applied `revision`, with progress on `err`; throws naming the nodes that did not converge. No
 * revision means nothing was written.
 */
export async function waitAfterWrite(store: ResourceStore, timeoutMs: number | undefined, revision: string | undefined, err: (text: string) => void): Promise<WaitReport | undefined> {
  if (timeoutMs === undefined) return undefined
  if (revision === undefined) {
    err('nothing was written, so there is nothing for the nodes to apply')
    return undefined
  }
  const report = await waitForNodes(store, {revision, timeoutMs, onProgress: err})
  if (!report.ok) {
    const {CalicoError} = await import('../resources/errors.js')
    throw new CalicoError(waitFailure(report))
  }
  err(`${report.nodes.length} node(s) applied revision ${report.revision} in ${(report.elapsedMs / 1000).toFixed(1)}s`)
  return report
}

export interface NodeListRow {
  node: string
  agent: string
  revision: string
  time: string
  result: string
  errors: string[]
}

/** Every Node resource and every node with a published status, with its last applied revision. */
export async function listNodes(store: ResourceStore): Promise<{rows: NodeListRow[]; revision: string}> {
  const def = kindByName('Node')!
  const [{items}, {statuses, revision}] = await Promise.all([store.list(def), readNodeStatuses(store.ds)])
  const names = new Set([...items.map((n) => n.metadata.name), ...statuses.keys()])
  const rows = [...names].sort().map((node): NodeListRow => {
    const s = statuses.get(node)
    if (!s) return {node, agent: 'none', revision: '-', time: '-', result: '-', errors: []}
    return {node, agent: s.state, revision: s.revision, time: s.time || '-', result: s.result, errors: s.errors}
  })
  return {rows, revision}
}

export async function nodeListTable(rows: NodeListRow[], wide = false): Promise<string> {
  const head = ['NAME', 'AGENT', 'APPLIED REVISION', 'TIME', 'RESULT', ...(wide ? ['ERRORS'] : [])]
  const {tabTable} = await import('../output/table.js')
  return tabTable([head, ...rows.map((r) => [r.node, r.agent, r.revision, r.time, r.result, ...(wide ? [r.errors.join('; ') || '-'] : [])])])
}
