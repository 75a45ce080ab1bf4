// Inputs the IPAM library takes from its callers (pools and reservations live elsewhere).
import type {PoolRead} from '../resources/kinds/ippool.js'

/**
 * The parts of an IPPool resource that IPAM needs: a pool as readPool gives it
 * (resources/kinds/ippool.ts), where uses and assignment mode may be left out (their defaults).
 */
export type IpamPool = Omit<PoolRead, 'natOutgoing' | 'disableBGPExport' | 'allowedUses' | 'assignmentMode'> & Partial<Pick<PoolRead, 'allowedUses' | 'assignmentMode'>>

/** Does this selector expression select a node with these labels? */
export type SelectsFn = (selector: string, labels: Record<string, string>) => boolean

/** Intended use of an address (IPPool `allowedUses`). */
export type IpamUse = 'Workload' | 'Tunnel'

export interface AutoAssignArgs {
  node: string
  nodeLabels?: Record<string, string> | undefined
  num: number
  handleId?: string | undefined
  /** Stored as the allocation's `secondary` attributes. Defaults to `{node}`. */
  attrs?: Record<string, string> | undefined
  pools: readonly IpamPool[]
  /** IPReservation `reservedCIDRs`, all reservations together. */
  reservations?: readonly string[] | undefined
  ipVersion?: 4 | undefined
  /** Default `Workload`. */
  use?: IpamUse | undefined
  /** Restrict to these pools (names or CIDRs); Manual pools are used only when named here. */
  requestedPools?: readonly string[] | undefined
  /** Per-request block limit; the stricter of this and the global `maxBlocksPerHost` applies. */
  maxBlocks?: number | undefined
  /** Never hold more than this many addresses on the handle (Calico's MaxAllocToHandlePerIPVersion). */
  maxPerHandle?: number | undefined
  /** Return what could be assigned instead of failing (and rolling back) on a shortfall. */
  partial?: boolean | undefined
}

export interface AutoAssignResult {
  /** Assigned addresses, e.g. `10.0.0.5`. */
  ips: string[]
  /** The same addresses with their block's prefix length, e.g. `10.0.0.5/26` (what Calico returns). */
  cidrs: string[]
  /** Why fewer than requested were assigned (only with `partial`). */
  messages: string[]
}

export interface AssignIpArgs {
  ip: string
  node: string
  handleId?: string | undefined
  attrs?: Record<string, string> | undefined
  pools: readonly IpamPool[]
}

export interface ReleaseResult {
  released: string[]
  /** Addresses that were not assigned (or lie in no block). */
  notAssigned: string[]
}

export interface AssignmentInfo {
  ip: string
  block: string
  blockAffinity: string | null
  handleId?: string | undefined
  attrs: Record<string, string>
  alternateOwnerAttrs?: Record<string, string> | undefined
  sequenceNumber?: bigint | undefined
}

export interface BlockInfo {
  cidr: string
  /** Node the block is affine to, if any. */
  node?: string | undefined
  affinity: string | null
  capacity: number
  inUse: number
  free: number
  modRevision: string
}

export interface BlockUsage {
  cidr: string
  node?: string | undefined
  capacity: number
  inUse: number
  /** Addresses that can still be handed out. */
  free: number
  reserved: number
}

export interface PoolUsage {
  name: string
  cidr: string
  /** Addresses in the pool (`IPS TOTAL`). */
  capacity: number
  inUse: number
  free: number
  reserved: number
  blocks: BlockUsage[]
}

export interface BorrowedAddress {
  ip: string
  /** The `node` attribute of the allocation (who borrowed it). */
  borrowingNode: string
  block: string
  /** The block's affine node, or empty when it has none. */
  blockOwner: string
  handleId?: string | undefined
  attrs: Record<string, string>
}

export interface IpamConfigUpdate {
  strictAffinity?: boolean | undefined
  autoAllocateBlocks?: boolean | undefined
  maxBlocksPerHost?: number | undefined
  kubeVirtVMAddressPersistence?: string | undefined
  ipCooldownSeconds?: number | undefined
}
