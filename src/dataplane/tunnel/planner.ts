// Diff of the desired IPIP device against what was read back (pure).
import type {DesiredTunnel} from './model.js'

export interface ActualTunnel {
  exists: boolean
  mtu?: number
  up?: boolean
  /** IPv4 CIDRs on the device. */
  addresses: string[]
}

export type TunnelOp =
  | {op: 'create'}
  | {op: 'set-mtu'; mtu: number}
  | {op: 'delete-address'; cidr: string}
  | {op: 'add-address'; cidr: string}
  | {op: 'set-up'}

export function planTunnel(desired: DesiredTunnel, actual: ActualTunnel): TunnelOp[] {
  if (!desired.present) {
    // IPIP no longer needed: strip the addresses but leave the device (the ipip module owns it).
    return actual.exists ? [...actual.addresses].sort().map((cidr) => ({op: 'delete-address', cidr})) : []
  }
  const ops: TunnelOp[] = []
  // A device we are about to create starts with no address, down, at the kernel's default MTU.
  const current: ActualTunnel = actual.exists ? actual : {exists: false, addresses: []}
  if (!actual.exists) ops.push({op: 'create'})
  if (current.mtu !== desired.mtu) ops.push({op: 'set-mtu', mtu: desired.mtu})
  for (const cidr of [...current.addresses].sort()) if (!desired.addresses.includes(cidr)) ops.push({op: 'delete-address', cidr})
  for (const cidr of desired.addresses) if (!current.addresses.includes(cidr)) ops.push({op: 'add-address', cidr})
  if (current.up !== true && desired.up) ops.push({op: 'set-up'})
  return ops
}

export function formatTunnelOp(op: TunnelOp): string {
  switch (op.op) {
    case 'create':
      return 'create tunl0 (ipip)'
    case 'set-mtu':
      return `set tunl0 mtu ${op.mtu}`
    case 'delete-address':
      return `delete address ${op.cidr} from tunl0`
    case 'add-address':
      return `add address ${op.cidr} to tunl0`
    case 'set-up':
      return 'set tunl0 up'
  }
}
