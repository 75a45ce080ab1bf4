// `cluster diags` for an etcd cluster: a snapshot of what the datastore holds and how etcd is
// doing, as calico-diagnostics-YYYYMMDD_HHMMSS.tar.gz (UTC, as upstream names it). Upstream
// collects Kubernetes objects and pod logs with kubectl; here the cluster is the etcd datastore:
//
//   calico-diagnostics-<stamp>/
//     cluster/version.txt           client version; ClusterInformation (version, type, GUID, lock)
//     cluster/connection.yaml       how we reached etcd, every credential redacted
//     etcd/members.yaml             etcd's member list
//     etcd/endpoint-status.yaml     per configured endpoint: version, db size, leader, raft index
//     resources/<plural>.yaml       every kind as a <Kind>List, as `get <kind> -o yaml -A` prints it (secrets redacted)
//     ipam/{blocks,affinities,handles,config,other}.json   every IPAM key with its stored value
//     ipam/show-blocks.txt          `ipam show --show-blocks`
//     nodes/status.json             the per-node status keys (/calico/felix/v2/...)
//
// Redaction: any field named like a password, secret, token or private key is replaced by
// "<redacted>" (a BGPPeer's spec.password and its secretKeyRef included), then every file's text
// goes through the same filter as `node diags`. etcd user names, passwords and inline keys are
// never written; endpoint URLs lose any user:password part.
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import type {ClientConfig} from '../datastore/config.js'
import {EtcdDatastore} from '../datastore/etcd.js'
import type {ResourceStore} from '../datastore/store.js'
import {IPAM_ROOT} from '../ipam/keys.js'
import {runChecked} from '../lib/exec.js'
import {redactSecrets} from '../node/diags.js'
import {NODE_STATUS_PREFIX} from '../node/node-status-key.js'
import {outputDocument, serialize} from '../output/printers.js'
import {CalicoError} from '../resources/errors.js'
import {KINDS} from '../resources/registry.js'
import {API_VERSION, specOf} from '../resources/types.js'
import {showUsage} from './ipam.js'
import {clusterInformation} from './version.js'

export const REDACTED = '<redacted>'

/** Field names whose values never leave the cluster. */
const SECRET_FIELD = /pass(word|phrase)|secret|token|private_?key|^key$|^etcdKey$/i

/** A deep copy with every secret-named field's value replaced. */
export function redactFields(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactFields)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_FIELD.test(k) && x !== undefined && x !== null && x !== '' ? REDACTED : redactFields(x)
    return out
  }
  return v
}

/** An endpoint URL without any user:password part. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, `$1${REDACTED}@`)
}

/** The connection settings as safe to share: endpoints and file paths, no credentials. */
export function connectionSummary(c: ClientConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {datastoreType: c.datastoreType, etcdEndpoints: c.endpoints.map(redactUrl), timeoutMs: c.timeoutMs}
  if (c.username) out.etcdUsername = REDACTED
  if (c.password) out.etcdPassword = REDACTED
  if (c.key) out.etcdKey = REDACTED
  if (c.cert) out.etcdCert = '<inline certificate, not collected>'
  if (c.caCert) out.etcdCACert = '<inline CA certificate, not collected>'
  if (c.keyFile) out.etcdKeyFile = c.keyFile
  if (c.certFile) out.etcdCertFile = c.certFile
  if (c.caCertFile) out.etcdCACertFile = c.caCertFile
  return out
}

/** YYYYMMDD_HHMMSS in UTC. */
export function utcStamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '_')
}

export interface ClusterDiagsOptions {
  clientVersion: string
  /** Directory for the archive, or a path ending in .tar.gz. Default: the current directory. */
  output?: string | undefined
  /** Concurrent datastore reads (upstream's --max-parallelism). */
  maxParallelism?: number
  skipTempDirCleanup?: boolean
  now?: Date
  say?: (line: string) => void
}

export interface ClusterDiagsResult {
  archive: string
  tempDir: string
  files: string[]
}

/** Runs fn over items, at most `width` at once. */
async function eachLimited<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({length: Math.max(1, Math.min(width, items.length))}, async () => {
    while (next < items.length) await fn(items[next++]!)
  }))
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e))

/** `[{key, value}]` with each stored JSON value spliced in as it is (64-bit numbers stay exact). */
function kvJson(kvs: Array<{key: string; value: string}>): string {
  const rows = kvs.map(({key, value}) => {
    let v: string
    try {
      JSON.parse(value)
      v = value
    } catch {
      v = JSON.stringify(value)
    }
    return `  {"key": ${JSON.stringify(key)}, "value": ${v}}`
  })
  return rows.length === 0 ? '[]\n' : `[\n${rows.join(',\n')}\n]\n`
}

export async function collectClusterDiags(store: ResourceStore, opts: ClusterDiagsOptions): Promise<ClusterDiagsResult> {
  const say = opts.say ?? (() => {})
  const now = opts.now ?? new Date()
  const name = `calico-diagnostics-${utcStamp(now)}`
  const archive = opts.output?.endsWith('.tar.gz') ? resolve(opts.output) : resolve(opts.output ?? '.', `${name}.tar.gz`)
  const ds = store.ds
  say('==== Begin collecting diagnostics. ====')
  const tempDir = await mkdtemp(join(tmpdir(), 'calico-cluster-diags-'))
  say(`Created temporary directory: ${tempDir}`)
  const dir = join(tempDir, name)
  const files: string[] = []
  const put = async (rel: string, text: string) => {
    await mkdir(dirname(join(dir, rel)), {recursive: true})
    await writeFile(join(dir, rel), redactSecrets(text), {mode: 0o600})
    files.push(rel)
  }
  // A part that cannot be collected leaves its error in the archive and a line on stdout; the
  // other parts are still collected (as upstream does).
  const failed = async (rel: string, e: unknown) => {
    say(`  ERROR: ${rel}: ${errText(e)}`)
    await put(rel, `${errText(e)}\n`)
  }
  try {
    say('Collecting versions...')
    const info = await clusterInformation(store).catch((e) => new Error(errText(e)))
    const row = (label: string, value: unknown) => `${`${label}:`.padEnd(24)}${String(value)}\n`
    let version = row('Client Version', `v${opts.clientVersion}`)
    if (info instanceof Error) {
      say(`  ERROR: ClusterInformation could not be read: ${info.message}`)
      version += `# ClusterInformation could not be read: ${info.message}\n`
    } else {
      const s = specOf<Record<string, unknown>>(info)
      version += row('Cluster Calico Version', s.calicoVersion || 'unknown')
      version += row('Cluster Type', s.clusterType || 'unknown')
      version += row('Cluster GUID', s.clusterGUID ?? 'unknown')
      version += row('Datastore Ready', s.datastoreReady === false ? 'false (locked for migration)' : (s.datastoreReady ?? 'unknown'))
    }
    await put('cluster/version.txt', version)
    await put('cluster/connection.yaml', serialize(connectionSummary(ds.config), 'yaml'))

    say('Collecting etcd member list and endpoint status...')
    await collectEtcd(ds, put, say)

    say(`Collecting Calico resources (${KINDS.length} kinds)...`)
    await eachLimited([...KINDS], opts.maxParallelism ?? 10, async (def) => {
      try {
        const {items, revision} = await store.list(def)
        const docs = items.map((r) => redactFields(outputDocument(def, r)))
        await put(`resources/${def.plural}.yaml`, serialize({apiVersion: API_VERSION, items: docs, kind: `${def.kind}List`, metadata: {resourceVersion: revision}}, 'yaml'))
      } catch (e) {
        await failed(`resources/${def.plural}.error.txt`, e)
      }
    })

    say('Collecting IPAM blocks, affinities, handles and configuration...')
    try {
      const {kvs} = await ds.list(IPAM_ROOT)
      const groups: Record<string, Array<{key: string; value: string}>> = {blocks: [], affinities: [], handles: [], config: [], other: []}
      for (const kv of kvs) {
        const g = /^\/calico\/ipam\/v2\/assignment\//.test(kv.key) ? 'blocks' : /^\/calico\/ipam\/v2\/host\//.test(kv.key) ? 'affinities' : /^\/calico\/ipam\/v2\/handle\//.test(kv.key) ? 'handles' : kv.key === '/calico/ipam/v2/config' ? 'config' : 'other'
        groups[g]!.push(kv)
      }
      for (const [g, list] of Object.entries(groups)) await put(`ipam/${g}.json`, kvJson(list))
      await put('ipam/show-blocks.txt', await showUsage(store, true).catch((e) => `# ipam show --show-blocks failed: ${errText(e)}\n`))
    } catch (e) {
      await failed('ipam/error.txt', e)
    }

    say('Collecting node status keys...')
    try {
      const {kvs} = await ds.list(NODE_STATUS_PREFIX.replace(/no-region\/host\/$/, ''))
      await put('nodes/status.json', kvJson(kvs))
    } catch (e) {
      await failed('nodes/error.txt', e)
    }

    say('\n==== Producing a diagnostics bundle. ====')
    await mkdir(dirname(archive), {recursive: true})
    await runChecked('tar', ['-czf', archive, '-C', tempDir, name])
    say(`Diagnostic bundle created at ${archive}`)
    return {archive, tempDir, files}
  } catch (error) {
    throw new CalicoError(`cluster diags failed: ${errText(error)}`)
  } finally {
    if (!opts.skipTempDirCleanup) await rm(tempDir, {recursive: true, force: true})
  }
}

/** etcd's member list and each configured endpoint's status, over etcd's own gRPC API. */
async function collectEtcd(ds: EtcdDatastore, put: (rel: string, text: string) => Promise<void>, say: (line: string) => void): Promise<void> {
  try {
    const res = await ds.memberList()
    const members = res.members.map((m) => ({id: m.ID, name: m.name, peerURLs: m.peerURLs.map(redactUrl), clientURLs: m.clientURLs.map(redactUrl), isLearner: m.isLearner}))
    await put('etcd/members.yaml', serialize({clusterId: res.clusterId, members}, 'yaml'))
  } catch (e) {
    say(`  ERROR: etcd member list: ${errText(e)}`)
    await put('etcd/members.yaml', `# member list failed: ${errText(e)}\n`)
  }
  const statuses: Array<Record<string, unknown>> = []
  for (const endpoint of ds.config.endpoints) {
    let one: EtcdDatastore | undefined
    try {
      one = await EtcdDatastore.connect({...ds.config, endpoints: [endpoint]})
      const s = await one.status()
      statuses.push({endpoint: redactUrl(endpoint), version: s.version, dbSize: s.dbSize, leader: s.leader, memberId: s.header.member_id, raftIndex: s.raftIndex, raftTerm: s.raftTerm, isLeader: s.leader === s.header.member_id})
    } catch (e) {
      say(`  ERROR: etcd endpoint status of ${redactUrl(endpoint)}: ${errText(e)}`)
      statuses.push({endpoint: redactUrl(endpoint), error: errText(e)})
    } finally {
      one?.close()
    }
  }
  await put('etcd/endpoint-status.yaml', serialize(statuses, 'yaml'))
}
