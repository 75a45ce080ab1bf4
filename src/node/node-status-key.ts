// Per-node agent status in etcd, next to where Felix keeps its own
// (`/calico/felix/v2/<region>/host/<node>/status`): the datastore revision the node's last pass
// applied, when, and whether it succeeded. `node run` publishes it after every pass; `--wait`
// and `node list` read it. Outside the watched prefixes, so publishing never triggers a pass.
import type {EtcdDatastore} from '../datastore/etcd.js'

export const NODE_STATUS_PREFIX = '/calico/felix/v2/no-region/host/'

export function nodeStatusKey(node: string): string {
  return `${NODE_STATUS_PREFIX}${node}/status`
}

export interface PublishedNodeStatus {
  node: string
  /** 'running' while the agent lives; 'stopped' once it has exited cleanly. */
  state: 'starting' | 'running' | 'stopped'
  /** The datastore revision the last pass had seen when it read the datastore (everything up to it is applied). */
  revision: string
  /** When the last pass ended (ISO 8601). */
  time: string
  result: 'ok' | 'failed'
  errors: string[]
  changed: boolean
  passes: number
  pid?: number
  /** Felix's fields, for tools that read Felix's status key. */
  first_update?: boolean
  uptime?: number
}

export interface StoredNodeStatus extends PublishedNodeStatus {
  /** The etcd mod revision of the status key itself. */
  modRevision: string
}

export async function publishNodeStatus(ds: EtcdDatastore, s: PublishedNodeStatus): Promise<void> {
  await ds.write({type: 'put', key: nodeStatusKey(s.node), value: JSON.stringify(s)})
}

/** The outcome of one pass as a status to publish (the revision is the one read before the pass started). */
export function statusFromPass(
  pass: {node: string; failed: boolean; changed: boolean; parts: Array<{part: string; status: string; error?: string}>},
  revision: string,
  extra: {passes: number; pid?: number; startedAt?: string; state?: PublishedNodeStatus['state']},
): PublishedNodeStatus {
  const now = new Date()
  const errors = pass.parts.filter((p) => p.status === 'failed').map((p) => `${p.part}: ${p.error ?? 'failed'}`)
  return {
    node: pass.node,
    state: extra.state ?? 'running',
    revision,
    time: now.toISOString(),
    result: pass.failed ? 'failed' : 'ok',
    errors,
    changed: pass.changed,
    passes: extra.passes,
    ...(extra.pid !== undefined ? {pid: extra.pid} : {}),
    first_update: extra.passes <= 1,
    ...(extra.startedAt ? {uptime: Math.round((now.getTime() - Date.parse(extra.startedAt)) / 1000)} : {}),
  }
}

export function parseNodeStatus(key: string, value: string, modRevision: string): StoredNodeStatus | undefined {
  const m = /^\/calico\/felix\/v2\/no-region\/host\/([^/]+)\/status$/.exec(key)
  if (!m) return undefined
  try {
    const v = JSON.parse(value) as Partial<PublishedNodeStatus>
    if (typeof v.revision !== 'string' && typeof v.revision !== 'number') return undefined
    return {
      node: m[1]!,
      state: v.state ?? 'running',
      revision: String(v.revision),
      time: v.time ?? '',
      result: v.result === 'failed' ? 'failed' : 'ok',
      errors: Array.isArray(v.errors) ? v.errors.map(String) : [],
      changed: Boolean(v.changed),
      passes: Number(v.passes ?? 0),
      ...(v.pid !== undefined ? {pid: v.pid} : {}),
      modRevision,
    }
  } catch {
    return undefined
  }
}

/** Every node's published status, by node name, and the revision of the read. */
export async function readNodeStatuses(ds: EtcdDatastore): Promise<{statuses: Map<string, StoredNodeStatus>; revision: string}> {
  const {kvs, revision} = await ds.list(NODE_STATUS_PREFIX)
  const statuses = new Map<string, StoredNodeStatus>()
  for (const kv of kvs) {
    const s = parseNodeStatus(kv.key, kv.value, kv.modRevision)
    if (s) statuses.set(s.node, s)
  }
  return {statuses, revision}
}

export async function deleteNodeStatus(ds: EtcdDatastore, node: string): Promise<void> {
  await ds.write({type: 'delete', key: nodeStatusKey(node)})
}
