// Consistency check of the IPAM data (for `ipam check`): blocks against handles and
// affinities, and, when the caller says which addresses and nodes really exist, leaks.
import type {Ipam} from './allocator.js'
import {allocatedOrdinals, blockHost} from './block.js'

export type IpamProblemKind =
  | 'handle-count-mismatch'
  | 'missing-handle'
  | 'empty-handle'
  | 'leaked-ip'
  | 'ip-not-allocated'
  | 'affinity-without-block'
  | 'block-without-affinity'
  | 'block-of-unknown-node'

export interface IpamProblem {
  kind: IpamProblemKind
  message: string
  ip?: string
  block?: string
  handleId?: string
  node?: string
}

export interface AllocationRecord {
  ip: string
  block: string
  handleId?: string | undefined
  attrs: Record<string, string>
}

export interface IpamCheckReport {
  blocks: number
  handles: number
  affinities: number
  allocations: AllocationRecord[]
  problems: IpamProblem[]
}

export interface CheckOptions {
  /** Addresses known to be in use (workload endpoints, tunnel addresses). Others are leaks. */
  inUse?: ReadonlySet<string> | undefined
  /** Names of existing nodes. Blocks and allocations of other nodes are reported. */
  nodes?: ReadonlySet<string> | undefined
}

export async function checkIpam(ipam: Ipam, opts: CheckOptions = {}): Promise<IpamCheckReport> {
  const [records, handles, affinities] = await Promise.all([ipam.listBlockRecords(), ipam.listHandles(), ipam.listAffinities()])
  const problems: IpamProblem[] = []
  const allocations: AllocationRecord[] = []
  // handle → block → addresses actually held
  const actual = new Map<string, Map<string, number>>()
  const blocksByCidr = new Map(records.map((r) => [r.block.cidr, r.block]))

  for (const {block} of records) {
    for (const a of allocatedOrdinals(block)) {
      const handleId = a.attr.handleId?.split('\r')[0]
      const rec: AllocationRecord = {ip: a.ip, block: block.cidr, handleId, attrs: {...(a.attr.secondary ?? {})}}
      allocations.push(rec)
      if (handleId !== undefined) {
        const per = actual.get(handleId) ?? new Map<string, number>()
        per.set(block.cidr, (per.get(block.cidr) ?? 0) + 1)
        actual.set(handleId, per)
        if (!handles.has(handleId))
          problems.push({kind: 'missing-handle', ip: a.ip, block: block.cidr, handleId, message: `IP ${a.ip} is allocated to handle ${handleId}, which does not exist`})
      }
      if (opts.inUse && !opts.inUse.has(a.ip))
        problems.push({kind: 'leaked-ip', ip: a.ip, block: block.cidr, handleId, message: `IP ${a.ip} is allocated${handleId ? ` to ${handleId}` : ''} but not in use`})
      else if (opts.nodes && rec.attrs.node && !opts.nodes.has(rec.attrs.node))
        problems.push({kind: 'leaked-ip', ip: a.ip, block: block.cidr, handleId, node: rec.attrs.node, message: `IP ${a.ip} belongs to node ${rec.attrs.node}, which does not exist`})
    }
    const host = blockHost(block)
    if (host !== undefined) {
      if (!affinities.some((a) => a.node === host && a.cidr === block.cidr))
        problems.push({kind: 'block-without-affinity', block: block.cidr, node: host, message: `block ${block.cidr} is affine to ${host} but has no affinity record`})
      if (opts.nodes && !opts.nodes.has(host))
        problems.push({kind: 'block-of-unknown-node', block: block.cidr, node: host, message: `block ${block.cidr} is affine to node ${host}, which does not exist`})
    }
  }

  if (opts.inUse) {
    const allocated = new Set(allocations.map((a) => a.ip))
    for (const ip of opts.inUse)
      if (!allocated.has(ip)) problems.push({kind: 'ip-not-allocated', ip, message: `IP ${ip} is in use but not allocated in IPAM`})
  }

  for (const [handleId, handle] of handles) {
    const per = actual.get(handleId) ?? new Map<string, number>()
    const cidrs = new Set([...Object.keys(handle.block), ...per.keys()])
    let total = 0
    for (const cidr of cidrs) {
      const recorded = handle.block[cidr] ?? 0
      const held = per.get(cidr) ?? 0
      total += held
      if (recorded !== held)
        problems.push({
          kind: 'handle-count-mismatch',
          handleId,
          block: cidr,
          message: `handle ${handleId} records ${recorded} address(es) in block ${cidr} but holds ${held}`,
        })
    }
    if (total === 0) problems.push({kind: 'empty-handle', handleId, message: `handle ${handleId} holds no addresses`})
  }

  for (const a of affinities) {
    const b = blocksByCidr.get(a.cidr)
    if (a.state === 'confirmed' && (!b || blockHost(b) !== a.node))
      problems.push({
        kind: 'affinity-without-block',
        block: a.cidr,
        node: a.node,
        message: b ? `node ${a.node} has an affinity to block ${a.cidr}, which is affine to ${b.affinity ?? 'no node'}` : `node ${a.node} has an affinity to block ${a.cidr}, which does not exist`,
      })
  }

  return {blocks: records.length, handles: handles.size, affinities: affinities.length, allocations, problems}
}
