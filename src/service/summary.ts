// calicoctl's success and partial-success messages, with one clear line per failed resource.
import type {ResultRow, Verb} from './crud.js'

const PAST: Record<Verb, string> = {create: 'created', apply: 'applied', replace: 'replaced', delete: 'deleted'}

export interface Summary {
  stdout: string
  stderr: string
  ok: boolean
  /** The etcd revision of the last write, if anything was written (for --wait). */
  revision?: string
}

function kindLabel(rows: ResultRow[]): string {
  const kinds = new Set(rows.map((r) => r.def.kind))
  return kinds.size === 1 ? ` '${[...kinds][0]}'` : ''
}

/** The highest revision among the rows' writes: what every node must have applied; undefined when nothing was written. */
export function writtenRevision(rows: ResultRow[]): string | undefined {
  let max: bigint | undefined
  for (const r of rows) if (r.revision !== undefined && (max === undefined || BigInt(r.revision) > max)) max = BigInt(r.revision)
  return max?.toString()
}

export function summarize(verb: Verb, rows: ResultRow[], dryRun = false): Summary {
  const revision = writtenRevision(rows)
  return revision === undefined ? summaryText(verb, rows, dryRun) : {...summaryText(verb, rows, dryRun), revision}
}

function summaryText(verb: Verb, rows: ResultRow[], dryRun: boolean): Summary {
  if (rows.length === 0) return {stdout: 'No resources specified\n', stderr: '', ok: true}
  const failed = rows.filter((r) => r.error)
  const ok = rows.length - failed.length
  const k = kindLabel(rows)
  const errLines = failed.map((r) => `  ${r.error!.message}`).join('\n')
  let stdout = ''
  if (dryRun && ok > 0) {
    const count = (a: string) => rows.filter((r) => r.action === a).length
    const parts = verb === 'delete' ? [`${count('deleted')} deleted`] : [`${count('created')} created`, `${count('updated')} updated`, `${count('unchanged')} unchanged`]
    if (count('skipped')) parts.push(`${count('skipped')} skipped`)
    stdout = `Dry run: would ${verb} ${ok}${k} resource(s) (${parts.join(', ')}); nothing was written\n`
  } else if (ok > 0 && verb === 'delete') stdout = `Successfully deleted ${ok}${k} resource(s)\n`
  if (failed.length === 0) return {stdout: dryRun ? stdout : `Successfully ${PAST[verb]} ${ok}${k} resource(s)\n`, stderr: '', ok: true}
  let stderr: string
  if (verb === 'delete') stderr = failed.map((r) => `Failed to delete '${r.def.kind}' resource: ${r.error!.message}`).join('\n')
  else if (rows.length === 1) stderr = `failed to ${verb}${k} resource: ${failed[0]!.error!.message}`
  else if (ok === 0) stderr = `failed to ${verb} any${k} resources:\n${errLines}`
  else stderr = `Partial success: ${PAST[verb]} ${ok} out of ${rows.length}${k} resources; ${failed.length} failed:\n${errLines}`
  return {stdout, stderr: `${stderr}\n`, ok: false}
}
