// Applies tunnel ops to tunl0 over netlink and reads the device back.
import {CalicoError} from '../../resources/errors.js'
import {type Netlink, NetlinkError, openNetlink} from '../netlink.js'
import {desiredTunnel, hostMtuFromLinks, IPIP_DEVICE, type DesiredTunnel, type TunnelPoolInput} from './model.js'
import {type ActualTunnel, planTunnel, type TunnelOp} from './planner.js'

export const NO_IPIP_MESSAGE = `${IPIP_DEVICE} is not available: this kernel has no IPIP support (ipip module)`

export class TunnelUnavailableError extends CalicoError {
  constructor(message: string) {
    super(message)
    this.name = 'TunnelUnavailableError'
  }
}

export async function readTunnel(nl: Netlink): Promise<ActualTunnel & {index?: number}> {
  const link = await nl.linkByName(IPIP_DEVICE)
  if (!link) return {exists: false, addresses: []}
  const addresses = (await nl.listAddresses(link.index)).map((a) => a.cidr).sort()
  return {exists: true, index: link.index, mtu: link.mtu, up: link.up, addresses}
}

async function createTunnel(nl: Netlink): Promise<void> {
  try {
    await nl.createLink(IPIP_DEVICE, 'ipip')
  } catch (err) {
    if (err instanceof NetlinkError && err.code === 'EEXIST') return // the ipip module made it meanwhile
    if (err instanceof NetlinkError && ['EOPNOTSUPP', 'ENOTSUP', 'EAFNOSUPPORT'].includes(err.code)) throw new TunnelUnavailableError(NO_IPIP_MESSAGE)
    throw new TunnelUnavailableError(`${IPIP_DEVICE} could not be created: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** Applies ops in order; returns the number of kernel writes. */
export async function applyTunnelOps(nl: Netlink, ops: readonly TunnelOp[]): Promise<number> {
  let writes = 0
  let index = (await nl.linkByName(IPIP_DEVICE))?.index
  const device = async (): Promise<number> => {
    index ??= (await nl.linkByName(IPIP_DEVICE))?.index
    if (index === undefined) throw new TunnelUnavailableError(NO_IPIP_MESSAGE)
    return index
  }
  for (const op of ops) {
    switch (op.op) {
      case 'create':
        await createTunnel(nl)
        break
      case 'set-mtu':
        await nl.setLinkMtu(await device(), op.mtu)
        break
      case 'delete-address':
        await nl.deleteAddress(await device(), op.cidr)
        break
      case 'add-address':
        await nl.addAddress(await device(), op.cidr)
        break
      case 'set-up':
        await nl.setLinkUp(await device())
        break
    }
    writes++
  }
  return writes
}

export interface SyncTunnelInput {
  pools: TunnelPoolInput[]
  /** Node.spec.bgp.ipv4IPIPTunnelAddr (a.b.c.d). */
  tunnelAddress?: string
  /** FelixConfiguration ipipMTU; 0/undefined = host MTU - 20. */
  configuredMtu?: number
  /** Parent interface carrying the node IP; its MTU sizes the tunnel. */
  hostInterface?: string
}

export interface SyncTunnelResult {
  desired: DesiredTunnel
  ops: TunnelOp[]
  applied: number
}

/**
 * One reconcile pass for tunl0: read back, plan, apply (unless dryRun), and verify by reading
 * back again. Throws TunnelUnavailableError when IPIP is needed but the kernel cannot provide it.
 */
export async function syncTunnel(input: SyncTunnelInput, opts: {dryRun?: boolean; netlink?: Netlink} = {}): Promise<SyncTunnelResult> {
  const nl = opts.netlink ?? openNetlink()
  try {
    const links = await nl.listLinks()
    const desired = desiredTunnel({
      pools: input.pools,
      hostMtu: hostMtuFromLinks(links, input.hostInterface),
      ...(input.tunnelAddress !== undefined ? {tunnelAddress: input.tunnelAddress} : {}),
      ...(input.configuredMtu !== undefined ? {configuredMtu: input.configuredMtu} : {}),
    })
    const ops = planTunnel(desired, await readTunnel(nl))
    if (opts.dryRun || ops.length === 0) return {desired, ops, applied: 0}
    const applied = await applyTunnelOps(nl, ops)
    const left = planTunnel(desired, await readTunnel(nl))
    if (left.length) throw new CalicoError(`${IPIP_DEVICE} did not converge: still needs ${left.map((o) => o.op).join(', ')}`)
    return {desired, ops, applied}
  } finally {
    if (!opts.netlink) nl.close()
  }
}
