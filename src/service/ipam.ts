// The `ipam` commands over the IPAM library: utilisation and borrowed-address tables, the
// consistency check and its JSON report, release by address or by report, configuration and
// pool splitting. Commands call one function here and print what it returns.
import {readFileSync, writeFileSync} from 'node:fs'
import type {ResourceStore} from '../datastore/store.js'
import {
  allocatedOrdinals,
  blockHost,
  checkIpam,
  HANDLE_PREFIX,
  handleIdOfKey,
  Ipam,
  type IpamPool,
  parseCidr4,
  parseIp4,
  IPAM_ROOT,
  type BorrowedAddress,
  type IpamConfig,
  type PoolUsage,
} from '../ipam/index.js'
import {cidr4Contains, formatCidr4, ipv4Of, isIPv4, netFamily, splitCidr4} from '../lib/ip.js'
import {type Colour, paintUsage} from '../output/colour.js'
import {boxTable} from '../output/box-table.js'
import type {Cell} from '../output/table.js'
import {CalicoError} from '../resources/errors.js'
import {kindByName} from '../resources/registry.js'
import {readPool} from '../resources/kinds/ippool.js'
import {reservedIPv4Cidrs} from '../resources/kinds/ipreservation.js'
import {type KindDef, type Resource, specOf} from '../resources/types.js'
import {clusterInformation} from './version.js'

// ---------------------------------------------------------------------------------------------
// Shared helpers

export function ipamFor(store: ResourceStore): Ipam {
  return new Ipam(store.ds)
}

function kind(name: string): KindDef {
  const def = kindByName(name)
  if (!def) throw new CalicoError(`resource kind ${name} is not known`)
  return def
}


async function loadPools(store: ResourceStore): Promise<{resources: Resource[]; pools: IpamPool[]}> {
  const {items} = await store.list(kind('IPPool'))
  const v4 = items.filter((r) => {
    const cidr = String(specOf(r).cidr ?? '')
    return netFamily(cidr) === 4
  })
  return {resources: v4, pools: v4.map(readPool)}
}

async function loadReservations(store: ResourceStore): Promise<string[]> {
  const def = kindByName('IPReservation')
  if (!def) return []
  const {items} = await store.list(def)
  return reservedIPv4Cidrs(items)
}

function validIp(text: string): string {
  const ip = text.trim()
  if (!isIPv4(ip)) throw new CalicoError(`Invalid IP address specified: ${text}`)
  return ip
}

// ---------------------------------------------------------------------------------------------
// Tables and number formats as calicoctl prints them

/** Go's `%.5g` for a non-negative count. */
export function goG5(n: number): string {
  if (n === 0) return '0'
  const exp = Math.floor(Math.log10(Math.abs(n)))
  if (exp < -4 || exp >= 5) {
    const [mant = '', e = '0'] = n.toExponential(4).split('e')
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant
    const ev = Number(e)
    return `${m}e${ev < 0 ? '-' : '+'}${String(Math.abs(ev)).padStart(2, '0')}`
  }
  const s = n.toPrecision(5)
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s
}

/** Go's `%.f`: rounds to the nearest integer, ties to even. */
export function goRound0(x: number): string {
  const f = Math.floor(x)
  const diff = x - f
  const r = diff > 0.5 ? f + 1 : diff < 0.5 ? f : f % 2 === 0 ? f : f + 1
  return String(r)
}

function withPercentage(n: number, capacity: number): string {
  return `${goG5(n)} (${capacity > 0 ? goRound0((100 * n) / capacity) : 'NaN'}%)`
}

// ---------------------------------------------------------------------------------------------
// ipam show

export async function showUsage(store: ResourceStore, showBlocks: boolean, colour?: Colour): Promise<string> {
  const ipam = ipamFor(store)
  const [{pools}, reservations] = await Promise.all([loadPools(store), loadReservations(store)])
  return usageTable(await ipam.usage(pools, reservations), showBlocks, colour)
}

/** `ipam show [--show-blocks]`: a row per pool (and per block), as calicoctl prints them; with colour, a pool or block nearly full stands out. */
export function usageTable(usage: readonly PoolUsage[], showBlocks: boolean, colour?: Colour): string {
  const rows: Cell[][] = []
  const row = (grouping: string, cidr: string, capacity: number, inUse: number, free: number): Cell[] => [
    grouping,
    cidr,
    goG5(capacity),
    {text: withPercentage(inUse, capacity), paint: paintUsage(colour, inUse, capacity)},
    withPercentage(free, capacity),
  ]
  for (const u of usage) {
    // Orphaned blocks (in no pool) are shown only as blocks, as calicoctl does.
    if (!u.cidr.endsWith('/0')) rows.push(row('IP Pool', u.cidr, u.capacity, u.inUse, u.free))
    if (showBlocks) for (const b of u.blocks) rows.push(row('Block', b.cidr, b.capacity, b.inUse, b.free))
  }
  return boxTable(['GROUPING', 'CIDR', 'IPS TOTAL', 'IPS IN USE', 'IPS FREE'], rows)
}

function ownerAttrs(title: string, attrs: Record<string, string> | undefined): string {
  const keys = Object.keys(attrs ?? {}).sort()
  if (!attrs || keys.length === 0) return ''
  return `${title}:\n${keys.map((k) => `  ${k}: ${attrs[k]}\n`).join('')}`
}

export async function showIp(store: ResourceStore, ipText: string): Promise<string> {
  const ip = validIp(ipText)
  const info = await ipamFor(store).getAssignmentAttributes(ip)
  if (!info) return `${ip} is not assigned\n`
  let out = `IP ${ip} is in use\n`
  out += `Handle ID: ${info.handleId ?? '<none>'}\n`
  out += ownerAttrs('Active Owner Attributes', info.attrs) || 'No Active Owner attributes defined\n'
  out += ownerAttrs('Alternate Owner Attributes', info.alternateOwnerAttrs)
  return out
}

export async function showBorrowed(store: ResourceStore): Promise<string> {
  return borrowedTable(await ipamFor(store).borrowedAddresses())
}

/** `ipam show --show-borrowed`: who borrowed which address from whose block, and a note on the unclassified. */
export function borrowedTable(borrowed: readonly BorrowedAddress[]): string {
  const rows: string[][] = []
  let unclassified = 0
  for (const b of borrowed) {
    if (!b.borrowingNode) {
      unclassified++
      continue
    }
    const a = b.attrs
    const ns = a.namespace ?? ''
    let type = ''
    let to = ''
    if (a.vmi !== undefined) [type, to] = ['vmi', `${ns}/${a.vmi}`]
    else if (a.pod !== undefined) [type, to] = ['pod', `${ns}/${a.pod}`]
    else if (a.workload !== undefined) [type, to] = [a.type ?? 'workload', `${ns}/${a.workload}`]
    else if (a.type !== undefined) type = a.type
    rows.push([b.ip, b.borrowingNode, b.block, b.blockOwner, type, to])
  }
  let out = boxTable(['IP', 'BORROWING-NODE', 'BLOCK', 'BLOCK OWNER', 'TYPE', 'ALLOCATED-TO'], rows)
  if (unclassified > 0)
    out += `\nNote: found ${unclassified} IP allocations without an explicit node association. Unable to determine if they are borrowed.\n`
  return out
}

export async function showConfiguration(store: ResourceStore): Promise<string> {
  return configurationTable(await ipamFor(store).getConfig())
}

/** `ipam show --show-configuration`: one row per IPAM setting. */
export function configurationTable(c: IpamConfig): string {
  const rows: string[][] = [
    ['StrictAffinity', String(c.strictAffinity)],
    ['AutoAllocateBlocks', String(c.autoAllocateBlocks)],
    ['MaxBlocksPerHost', String(c.maxBlocksPerHost)],
  ]
  if (c.kubeVirtVMAddressPersistence !== undefined) rows.push(['KubeVirtVMAddressPersistence', JSON.stringify(c.kubeVirtVMAddressPersistence)])
  return boxTable(['PROPERTY', 'VALUE'], rows)
}

// ---------------------------------------------------------------------------------------------
// ipam check

export interface ReportAllocation {
  ip: string
  handle?: string
  sequenceNumber?: string
  pod?: string
  namespace?: string
  node?: string
  type?: string
  creationTimestamp?: string
  inUse: boolean
  borrowed?: boolean
  owners: string[]
}

export interface ReportHandle {
  ID: string
  UID: null
  Revision: string
}

/** The machine-readable report of `ipam check -o`, read back by `ipam release --from-report`. */
export interface CheckReport {
  version: string
  clusterGUID: string
  datastoreLocked: boolean
  clusterInformationRevision: string
  clusterType: string
  allocations: Record<string, ReportAllocation[]>
  leakedHandles?: ReportHandle[]
  /** Every inconsistency found, with its kind (beyond what calicoctl's report holds). */
  problems: Array<{kind: string; message: string; ip?: string; block?: string; handleId?: string; node?: string}>
}

export interface CheckOptions {
  showAllIps?: boolean
  showProblemIps?: boolean
  version: string
}

export interface CheckResult {
  text: string
  problems: number
  report: CheckReport
}

export async function runCheck(store: ResourceStore, opts: CheckOptions): Promise<CheckResult> {
  const showAll = opts.showAllIps ?? false
  const showProblems = showAll || (opts.showProblemIps ?? false)
  const lines: string[] = []
  const say = (s = '') => lines.push(s)
  const ipam = ipamFor(store)
  say('Checking IPAM for inconsistencies...')
  say()

  // Read-only: a missing ClusterInformation just leaves the report's cluster fields empty.
  const info = await clusterInformation(store)
  const ci = specOf(info)

  // Allocations, straight from the blocks (with the sequence numbers a safe release needs).
  say('Loading all IPAM blocks...')
  const records = await ipam.listBlockRecords()
  say(`Found ${records.length} IPAM blocks.`)
  const allocations = new Map<string, ReportAllocation[]>()
  const byNode = new Map<string, number>()
  const handlesInBlocks = new Set<string>()
  const attrText = new Map<string, string>()
  for (const {block} of records) {
    say(` IPAM block ${block.cidr} affinity=${block.affinity ?? '<none>'}:`)
    const owner = blockHost(block) ?? ''
    for (const a of allocatedOrdinals(block)) {
      const s = a.attr.secondary ?? {}
      const handle = a.attr.handleId?.split('\r')[0]
      const node = s.node || owner
      const alloc: ReportAllocation = {ip: a.ip, inUse: false, owners: []}
      if (handle !== undefined) {
        alloc.handle = handle
        handlesInBlocks.add(handle)
      }
      const seq = block.sequenceNumberForAllocation?.get(String(a.ordinal))
      if (seq !== undefined) alloc.sequenceNumber = seq.toString()
      if (s.pod) alloc.pod = s.pod
      if (s.namespace) alloc.namespace = s.namespace
      if (node) alloc.node = node
      if (s.type) alloc.type = s.type
      if (s.timestamp) alloc.creationTimestamp = s.timestamp
      if (node !== owner) alloc.borrowed = true
      const list = allocations.get(a.ip) ?? []
      list.push(alloc)
      allocations.set(a.ip, list)
      byNode.set(node, (byNode.get(node) ?? 0) + 1)
      const extra = Object.keys(s)
        .sort()
        .map((k) => `${k}=${s[k]}`)
        .join(',')
      attrText.set(a.ip, `Main:${handle ?? '<none>'} Extra:${extra}`)
      if (showAll) say(`  ${a.ip} allocated; attrs ${attrText.get(a.ip)}`)
    }
  }
  const numAllocs = [...allocations.values()].reduce((n, l) => n + l.length, 0)
  say(`IPAM blocks record ${numAllocs} allocations.`)
  say()

  say('Loading all IPAM pools...')
  const {pools} = await loadPools(store)
  const active = pools.filter((p) => !p.disabled)
  for (const p of active) say(`  ${p.cidr}`)
  say(`Found ${active.length} active IP pools.`)
  say()

  // Addresses really in use, and by whom.
  const inUse = new Map<string, string[]>()
  const use = (ip: string, owner: string) => {
    if (showAll) say(`  ${ip} belongs to ${owner}`)
    inUse.set(ip, [...(inUse.get(ip) ?? []), owner])
    for (const a of allocations.get(ip) ?? []) {
      a.inUse = true
      a.owners.push(owner)
    }
  }
  say('Loading all nodes.')
  const nodes = (await store.list(kind('Node'))).items
  let nodeIps = 0
  for (const n of nodes) {
    const s = specOf(n)
    for (const addr of [s.ipv4VXLANTunnelAddr, s.wireguard?.interfaceIPv4Address, s.bgp?.ipv4IPIPTunnelAddr]) {
      const ip = typeof addr === 'string' ? ipv4Of(addr) : undefined
      if (!ip) continue
      use(ip, `Node(${n.metadata.name})`)
      nodeIps++
    }
  }
  say(`Found ${nodeIps} node tunnel IPs.`)
  say()

  say('Loading all workload endpoints.')
  const wepDef = kindByName('WorkloadEndpoint')
  const weps = wepDef ? (await store.list(wepDef)).items : []
  let wepIps = 0
  for (const w of weps) {
    for (const net of (specOf(w).ipNetworks ?? []) as string[]) {
      const ip = typeof net === 'string' ? ipv4Of(net) : undefined
      if (!ip) continue
      use(ip, `Workload(${w.metadata.namespace ?? 'default'}/${w.metadata.name})`)
      wepIps++
    }
  }
  say(`Found ${wepIps} workload IPs.`)
  say(`Workloads and nodes are using ${inUse.size} IPs.`)
  say()

  say('Loading all handles')
  const {kvs: handleKvs} = await store.ds.list(HANDLE_PREFIX)
  const handleRevisions = new Map<string, string>()
  for (const kv of handleKvs) {
    const id = handleIdOfKey(kv.key)
    if (id) handleRevisions.set(id, kv.modRevision)
  }

  const topNodes = [...byNode.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  say('Looking for top (up to 20) nodes by allocations...')
  for (const [n, c] of topNodes.slice(0, 20)) say(`  ${n || '<no node>'} has ${c} allocations`)
  if (topNodes.length > 0) say(`Node with most allocations has ${topNodes[0]?.[1]}; median is ${topNodes[Math.floor(topNodes.length / 2)]?.[1]}`)
  say()

  // The library's structural checks (handle counts, affinities, nodes that no longer exist).
  const nodeNames = new Set(nodes.map((n) => n.metadata.name))
  const structural = await checkIpam(ipam, {inUse: new Set(inUse.keys()), nodes: nodeNames})
  let problems = 0

  say('Scanning for IPs that are allocated but not actually in use...')
  const leaked = [...allocations.keys()].filter((ip) => !inUse.has(ip)).sort(byIp)
  if (showProblems) for (const ip of leaked) for (const _ of allocations.get(ip) ?? []) say(`  ${ip} leaked; attrs ${attrText.get(ip)}`)
  problems += leaked.length
  say(`Found ${leaked.length} IPs that are allocated in IPAM but not actually in use.`)

  say('Scanning for IPs that are in use by a workload or node but not allocated in IPAM...')
  const notInPool: string[] = []
  const notAllocated: string[] = []
  for (const [ip, owners] of [...inUse.entries()].sort((a, b) => byIp(a[0], b[0]))) {
    if (showProblems && owners.length > 1) say(`  ${ip} has multiple owners.`)
    if (allocations.has(ip)) continue
    const inActive = active.some((p) => cidr4Contains(parseCidr4(p.cidr), parseIp4(ip)))
    if (showProblems) for (const o of owners) say(inActive ? `  ${ip} in use by ${o} and in active IPAM pool but has no IPAM allocation.` : `  ${ip} in use by ${o} is not in any active IP pool.`)
    ;(inActive ? notAllocated : notInPool).push(ip)
  }
  problems += notInPool.length + notAllocated.length
  say(`Found ${notInPool.length} in-use IPs that are not in active IP pools.`)
  say(`Found ${notAllocated.length} in-use IPs that are in active IP pools but have no corresponding IPAM allocation.`)
  say()

  say('Scanning for IPAM handles with no matching IPs...')
  const leakedHandles: ReportHandle[] = []
  let goodHandles = 0
  for (const [id, rev] of [...handleRevisions.entries()].sort()) {
    if (handlesInBlocks.has(id)) {
      goodHandles++
      continue
    }
    if (showAll) say(`  ${id} doesn't have any active IPs.`)
    leakedHandles.push({ID: id, UID: null, Revision: rev})
  }
  problems += leakedHandles.length
  say(`Found ${leakedHandles.length} handles with no matching IPs (and ${goodHandles} handles with matches).`)

  say('Scanning for IPs with missing handle...')
  const missing = [...handlesInBlocks].filter((h) => !handleRevisions.has(h)).sort()
  if (showProblems) for (const h of missing) say(`  ${h} is in use in a block but doesn't exist.`)
  problems += missing.length
  say(`Found ${missing.length} handles mentioned in blocks with no matching handle resource.`)

  // What calicoctl does not look for: handle counts that disagree with the blocks, affinities
  // without their block (and the reverse), and blocks or addresses of nodes that are gone.
  say('Scanning for inconsistent handles, affinities and blocks of deleted nodes...')
  const other = structural.problems.filter(
    (p) =>
      p.kind === 'handle-count-mismatch' ||
      p.kind === 'affinity-without-block' ||
      p.kind === 'block-without-affinity' ||
      p.kind === 'block-of-unknown-node' ||
      (p.kind === 'leaked-ip' && p.ip !== undefined && inUse.has(p.ip)),
  )
  if (showProblems) for (const p of other) say(`  ${p.message}`)
  problems += other.length
  say(`Found ${other.length} other IPAM inconsistencies.`)

  say(`Check complete; found ${problems} problems.`)

  const report: CheckReport = {
    version: opts.version,
    clusterGUID: String(ci.clusterGUID ?? ''),
    datastoreLocked: ci.datastoreReady === false,
    clusterInformationRevision: info?.metadata.resourceVersion ?? '',
    clusterType: String(ci.clusterType ?? ''),
    allocations: Object.fromEntries([...allocations.entries()].sort((a, b) => byIp(a[0], b[0]))),
    ...(leakedHandles.length > 0 ? {leakedHandles} : {}),
    problems: [
      ...leaked.map((ip) => ({kind: 'leaked-ip', ip, message: `IP ${ip} is allocated in IPAM but not in use`})),
      ...notInPool.map((ip) => ({kind: 'not-in-active-pool', ip, message: `IP ${ip} is in use but not in any active IP pool`})),
      ...notAllocated.map((ip) => ({kind: 'ip-not-allocated', ip, message: `IP ${ip} is in use but has no IPAM allocation`})),
      ...leakedHandles.map((h) => ({kind: 'empty-handle', handleId: h.ID, message: `handle ${h.ID} has no IPs`})),
      ...missing.map((h) => ({kind: 'missing-handle', handleId: h, message: `handle ${h} is used in a block but does not exist`})),
      ...other.map((p) => ({...p})),
    ],
  }
  return {text: `${lines.join('\n')}\n`, problems, report}
}

function byIp(a: string, b: string): number {
  return parseIp4(a) - parseIp4(b)
}

export function writeReport(path: string, report: CheckReport): void {
  try {
    writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`, {mode: 0o644})
  } catch (err) {
    throw new CalicoError(`cannot write report ${path}: ${(err as Error).message}`)
  }
}

// ---------------------------------------------------------------------------------------------
// ipam release

export async function releaseIp(store: ResourceStore, ipText: string): Promise<string> {
  const ip = validIp(ipText)
  const r = await ipamFor(store).releaseIPs([ip])
  if (r.released.length === 0) throw new CalicoError(`IP address ${ip} is not assigned`)
  return `Successfully released IP address ${ip}\n`
}

function readReport(path: string): CheckReport {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new CalicoError(`cannot read report ${path}: ${(err as Error).message}`)
  }
  try {
    const r = JSON.parse(text) as CheckReport
    if (!r || typeof r !== 'object' || typeof r.allocations !== 'object') throw new Error('no allocations in it')
    return r
  } catch (err) {
    throw new CalicoError(`report ${path} is not an IPAM check report: ${(err as Error).message}`)
  }
}

export interface ReleaseFromReportsOptions {
  files: string[]
  force: boolean
  version: string
}

/**
 * Releases what every given report marks as leaked: addresses that are still held by the same
 * handle with the same sequence number as when the report was written (anything reassigned
 * since is left alone), and handles whose revision has not changed.
 */
export async function releaseFromReports(store: ResourceStore, opts: ReleaseFromReportsOptions): Promise<string> {
  const lines: string[] = []
  const info = await clusterInformation(store)
  if (!info) throw new CalicoError("ClusterInformation default does not exist: lock the data store with 'calicoctl datastore migrate lock', run 'ipam check -o' again and retry")
  const ci = specOf(info)
  const reports: CheckReport[] = []
  let current = false
  for (const file of opts.files) {
    const r = readReport(file)
    if (String(ci.clusterGUID ?? '') !== r.clusterGUID)
      throw new CalicoError(`cluster does not match the provided report (${file}): mismatched cluster GUID. Refusing to release`)
    if (r.version !== opts.version) {
      if (!opts.force) throw new CalicoError(`the provided report (${file}) was produced using a different version (${r.version}) of calicoctl. Refusing to release`)
      lines.push('WARNING: Report was produced using a different version of calicoctl. Ignoring due to --force option')
    }
    if (info?.metadata.resourceVersion === r.clusterInformationRevision) current = true
    reports.push(r)
  }
  if (!current)
    throw new CalicoError('the provided reports are all stale - at least one should be up-to-date. Please generate a new report while the data store is locked and try again')
  if (ci.datastoreReady !== false) {
    if (!opts.force) throw new CalicoError('data store is not locked. Either lock the data store, or re-run with --force')
    lines.push('WARNING: Data store is not locked. Ignoring due to --force option')
  }

  // Only what is leaked in every report.
  let ips: Map<string, ReportAllocation> | undefined
  let handles: Map<string, ReportHandle> | undefined
  for (const r of reports) {
    const nextIps = new Map<string, ReportAllocation>()
    for (const [ip, list] of Object.entries(r.allocations))
      for (const a of list) if (!a.inUse && (ips === undefined || ips.has(ip))) nextIps.set(ip, a)
    ips = nextIps
    const nextHandles = new Map<string, ReportHandle>()
    for (const h of r.leakedHandles ?? []) {
      const before = handles?.get(h.ID)
      if (handles === undefined || (before && before.Revision === h.Revision)) nextHandles.set(h.ID, h)
    }
    handles = nextHandles
  }

  const ipam = ipamFor(store)
  if (ips && ips.size > 0) {
    lines.push(`Releasing ${ips.size} old IPs...`)
    // Compare with what the blocks hold now.
    const now = new Map<string, {handle?: string | undefined; seq?: string | undefined}>()
    for (const {block} of await ipam.listBlockRecords())
      for (const a of allocatedOrdinals(block))
        now.set(a.ip, {handle: a.attr.handleId?.split('\r')[0], seq: block.sequenceNumberForAllocation?.get(String(a.ordinal))?.toString()})
    const release: string[] = []
    let gone = 0
    for (const [ip, a] of ips) {
      const cur = now.get(ip)
      if (!cur || cur.handle !== a.handle || (a.sequenceNumber !== undefined && cur.seq !== a.sequenceNumber)) gone++
      else release.push(ip)
    }
    const res = await ipam.releaseIPs(release)
    gone += res.notAssigned.length
    lines.push(`Released ${res.released.length} IPs successfully`)
    if (gone > 0) lines.push(`${gone} addresses marked as leaked in the report had already been cleaned up.`)
  } else lines.push("Report didn't contain any leaked IPs to clean up.")

  if (handles && handles.size > 0) {
    lines.push(`Deleting ${handles.size} handles...`)
    let ok = 0
    let skipped = 0
    for (const h of handles.values()) {
      const key = `${HANDLE_PREFIX}${h.ID}`
      const r = await store.ds.txn([{key, modRevision: h.Revision}], [{type: 'delete', key}])
      if (r.succeeded) ok++
      else skipped++
    }
    lines.push(`Released ${ok} handles; ${skipped} skipped; 0 errors.`)
  } else lines.push("Report didn't contain any handles to clean up.")
  lines.push('You may now unlock the data store.')
  return `${lines.join('\n')}\n`
}

// ---------------------------------------------------------------------------------------------
// ipam configure

export interface ConfigureOptions {
  strictAffinity?: string | undefined
  maxBlocksPerHost?: number | undefined
  kubeVirtIpPersistence?: string | undefined
}

export async function configureIpam(store: ResourceStore, opts: ConfigureOptions): Promise<string> {
  if (opts.strictAffinity === undefined && opts.maxBlocksPerHost === undefined && opts.kubeVirtIpPersistence === undefined)
    throw new CalicoError('at least one of --strictaffinity, --max-blocks-per-host or --kubevirt-ip-persistence must be given')
  const update: {strictAffinity?: boolean; maxBlocksPerHost?: number; kubeVirtVMAddressPersistence?: string} = {}
  if (opts.strictAffinity !== undefined) {
    // Go's strconv.ParseBool, which calicoctl uses.
    const v = opts.strictAffinity
    const yes = ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)
    if (!yes && !['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) throw new CalicoError(`invalid value '${v}' for --strictaffinity: use true or false`)
    update.strictAffinity = yes
  }
  if (opts.maxBlocksPerHost !== undefined) {
    if (!Number.isInteger(opts.maxBlocksPerHost) || opts.maxBlocksPerHost < 0)
      throw new CalicoError(`invalid value '${opts.maxBlocksPerHost}' for --max-blocks-per-host: use a non-negative integer`)
    update.maxBlocksPerHost = opts.maxBlocksPerHost
  }
  if (opts.kubeVirtIpPersistence !== undefined) {
    if (opts.kubeVirtIpPersistence !== 'Enabled' && opts.kubeVirtIpPersistence !== 'Disabled')
      throw new CalicoError(`invalid value '${opts.kubeVirtIpPersistence}' for --kubevirt-ip-persistence: use Enabled or Disabled`)
    update.kubeVirtVMAddressPersistence = opts.kubeVirtIpPersistence
  }
  try {
    await ipamFor(store).setConfig(update)
  } catch (err) {
    throw new CalicoError((err as Error).message)
  }
  return 'Successfully set IPAM configuration\n'
}

// ---------------------------------------------------------------------------------------------
// ipam split

export interface SplitOptions {
  number: number
  cidr?: string | undefined
  name?: string | undefined
}

/**
 * Splits a pool into NUMBER equal pools named `split-<old>-<i>` while the datastore is locked:
 * the new pools are created first (overlapping the old one, as calicoctl's unsafe create does),
 * then the old pool is deleted without touching its blocks and affinities, which stay valid
 * inside the new pools.
 */
export async function splitPool(store: ResourceStore, opts: SplitOptions): Promise<string> {
  const n = opts.number
  if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0) throw new CalicoError(`the number of pools to split into must be a power of 2 greater than 1, not ${opts.number}`)
  if ((opts.cidr === undefined) === (opts.name === undefined)) throw new CalicoError('give exactly one of --cidr or --name to choose the pool to split')
  const info = await clusterInformation(store)
  if (specOf(info).datastoreReady !== false) throw new CalicoError('Datastore is not locked. Run the `calicoctl datastore migrate lock` command in order to split the IP pools.')
  const def = kind('IPPool')
  const {items} = await store.list(def)
  const old = opts.name !== undefined ? items.find((p) => p.metadata.name === opts.name) : items.find((p) => samePrefix(String(specOf(p).cidr ?? ''), opts.cidr as string))
  if (!old) throw new CalicoError(opts.name !== undefined ? `resource does not exist: IPPool(${opts.name})` : `no IP pool with CIDR ${opts.cidr} found`)
  const spec = specOf(old)
  const cidr = parseCidr4(String(spec.cidr))
  const bits = Math.log2(n)
  const prefix = cidr.prefix + bits
  const {blockSize} = readPool(old)
  if (prefix > blockSize) throw new CalicoError(`cannot split IP pool ${old.metadata.name} (${formatCidr4(cidr)}) into ${n}: each part would be smaller than its block size /${blockSize}`)
  const created: Resource[] = []
  for (const [i, sub] of splitCidr4(cidr, bits).entries()) {
    const part = formatCidr4(sub)
    const r: Resource = {apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: {name: `split-${old.metadata.name}-${i}`, ...(old.metadata.labels ? {labels: old.metadata.labels} : {})}, spec: {...spec, cidr: part}}
    def.defaults?.(r)
    created.push(store.prepareCreate(def, r))
  }
  const results = await store.createMany(created.map((resource) => ({def, resource})))
  const failed = results.find((r) => !r.ok)
  if (failed && !failed.ok) throw failed.error
  const [del] = await store.deleteMany([{def, name: old.metadata.name, resourceVersion: old.metadata.resourceVersion}])
  if (del && !del.ok) throw del.error
  return `${created.map((r) => `Created IP pool ${r.metadata.name} (${String(specOf(r).cidr)})`).join('\n')}\nDeleted IP pool ${old.metadata.name}\nSuccessfully split IP pool ${old.metadata.name} into ${n} pools\n`
}

function samePrefix(a: string, b: string): boolean {
  try {
    return formatCidr4(parseCidr4(a)) === formatCidr4(parseCidr4(b))
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// Export of the IPAM state (for `datastore migrate export`)

/** Every IPAM key with its raw value (sequence numbers stay exact), in key order. */
export async function ipamState(store: ResourceStore): Promise<Array<{key: string; value: string}>> {
  const {kvs} = await store.ds.list(IPAM_ROOT)
  return kvs.map((kv) => ({key: kv.key, value: kv.value}))
}
