// After a bulk write failed part-way, what etcd actually holds: every resource the command meant
// to write is read back by key, and counts as written only when the stored copy is the one this
// command wrote (a create: our uid; an update: a revision other than the one we read before
// writing). Transactions in flight when the connection failed may have committed without us
// hearing the answer, so counting answers alone undercounts.
import {DatastoreError} from '../resources/errors.js'
import type {KindDef, Resource} from '../resources/types.js'
import {describe} from '../datastore/store.js'

/** One resource in the report (`-o json`). */
export interface ReportedResource {
  kind: string
  name: string
  namespace?: string
  /** The stored revision, for written resources. */
  resourceVersion?: string
}

export interface WriteReport {
  written: ReportedResource[]
  notWritten: ReportedResource[]
  /** Set when the read-back itself failed: `notWritten` then holds the unconfirmed ones. */
  rereadFailed?: string
}

/** A bulk write that failed part-way, with what landed and what did not. */
export class PartialWriteError extends DatastoreError {
  constructor(
    message: string,
    readonly report: WriteReport,
  ) {
    super(message)
  }
}

export interface Attempted {
  def: KindDef
  /** The resource as sent (a create carries the uid this command gave it). */
  resource: Resource
  /** The stored copy read before writing (updates). */
  before?: Resource | undefined
  /** The write's own answer said it landed. */
  confirmed: boolean
  /** A deletion: it landed when the key is gone. */
  deletion?: boolean
}

/** Names shown in the one-line message; `-o json` lists every one. */
const SHOWN = 10

function ref(a: {def: KindDef; resource: Resource}, now?: Resource): ReportedResource {
  const r: ReportedResource = {kind: a.def.kind, name: a.resource.metadata.name}
  if (a.def.namespaced) r.namespace = a.resource.metadata.namespace ?? 'default'
  if (now?.metadata.resourceVersion) r.resourceVersion = now.metadata.resourceVersion
  return r
}

/** The same report for a write that finished: rows written (or unchanged) and rows refused. */
export function reportOf(rows: Array<{def: KindDef; resource: Resource; action?: string; error?: Error}>): WriteReport {
  const report: WriteReport = {written: [], notWritten: []}
  for (const row of rows) {
    if (row.error) report.notWritten.push(ref(row))
    else if (row.action === 'created' || row.action === 'updated') report.written.push(ref(row, row.resource))
  }
  return report
}

/** Did this command's write of `a` land, given what is stored now? */
function landed(a: Attempted, now: Resource | undefined): boolean {
  if (a.deletion) return !now || (a.resource.metadata.uid !== undefined && now.metadata.uid !== a.resource.metadata.uid)
  if (!now) return false
  if (!a.before) return now.metadata.uid === a.resource.metadata.uid || a.confirmed
  return now.metadata.resourceVersion !== a.before.metadata.resourceVersion
}

/**
 * The error to report after `cause` stopped a bulk write: re-reads (`reread`, keyed by `key`)
 * and says which resources are written and which are not.
 */
export async function afterFailure(
  cause: DatastoreError,
  attempted: Attempted[],
  reread: () => Promise<Map<string, Resource>>,
  key: (a: Attempted) => string,
): Promise<PartialWriteError> {
  const report: WriteReport = {written: [], notWritten: []}
  let stored: Map<string, Resource> | undefined
  try {
    stored = await reread()
  } catch (error) {
    report.rereadFailed = (error as Error).message
  }
  for (const a of attempted) {
    const now = stored?.get(key(a))
    const ok = stored ? landed(a, now) : a.confirmed
    if (ok) report.written.push(ref(a, now))
    else report.notWritten.push(ref(a))
  }
  const total = attempted.length
  const what = attempted.some((a) => a.deletion) ? 'deletion(s)' : 'resource write(s)'
  const names = (list: ReportedResource[]) => {
    const shown = list.slice(0, SHOWN).map((r) => describe({kind: r.kind, namespaced: r.namespace !== undefined} as KindDef, r.name, r.namespace))
    return `${shown.join(', ')}${list.length > SHOWN ? ` and ${list.length - SHOWN} more (-o json lists every one)` : ''}`
  }
  const counted = stored
    ? `read back after the failure, ${report.written.length} of ${total} ${what} landed`
    : `the read-back failed too, so only the ${report.written.length} of ${total} ${what} etcd confirmed are known to have landed`
  const missing = report.notWritten.length > 0 ? `; ${stored ? 'not done' : 'not confirmed'}: ${names(report.notWritten)}` : ''
  return new PartialWriteError(
    `${cause.message}; ${counted}${missing} (every resource is either fully written or untouched): re-run the same command to finish`,
    report,
  )
}
