// Desired state of the IPIP device (pure): present when an enabled IPv4 pool encapsulates with
// IPIP; then exactly one /32 (the node's tunnel address), MTU = host MTU - 20, admin up.
import {isIPv4, netFamily} from '../../lib/ip.js'

export const IPIP_DEVICE = 'tunl0'
/** Bytes of the outer IPv4 header IPIP adds. */
export const IPIP_OVERHEAD = 20
/** Felix's fallback when no host interface's MTU can be found. */
export const DEFAULT_HOST_MTU = 1460

export interface TunnelPoolInput {
  cidr: string
  ipipMode: 'Always' | 'CrossSubnet' | 'Never'
  disabled: boolean
}

export interface TunnelModelInput {
  pools: TunnelPoolInput[]
  /** Node.spec.bgp.ipv4IPIPTunnelAddr (a.b.c.d); undefined when none is allocated. */
  tunnelAddress?: string
  /** FelixConfiguration ipipMTU; 0 or undefined = host MTU - 20. */
  configuredMtu?: number
  hostMtu: number
}

export interface DesiredTunnel {
  present: boolean
  /** `/32` CIDRs that should be on the device: the tunnel address, or none. */
  addresses: string[]
  mtu: number
  up: boolean
}

export function ipipNeeded(pools: readonly TunnelPoolInput[]): boolean {
  return pools.some((p) => !p.disabled && p.ipipMode !== 'Never' && netFamily(p.cidr) === 4)
}

export function desiredTunnel(input: TunnelModelInput): DesiredTunnel {
  const present = ipipNeeded(input.pools)
  const mtu = input.configuredMtu && input.configuredMtu > 0 ? input.configuredMtu : input.hostMtu - IPIP_OVERHEAD
  if (input.tunnelAddress !== undefined && !isIPv4(input.tunnelAddress)) {
    throw new Error(`invalid IPIP tunnel address '${input.tunnelAddress}'`)
  }
  return {
    present,
    addresses: present && input.tunnelAddress ? [`${input.tunnelAddress}/32`] : [],
    mtu,
    up: present,
  }
}

// Felix's pattern for links that count as the host's uplinks when measuring MTU.
const UPLINK_NAME = /^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)/

/**
 * The host MTU that sizes the tunnel: the parent interface's MTU when it is known, else the
 * smallest MTU of the up links named like uplinks, else 1460.
 */
export function hostMtuFromLinks(links: ReadonlyArray<{name: string; mtu: number; up: boolean}>, parentInterface?: string): number {
  const parent = parentInterface ? links.find((l) => l.name === parentInterface) : undefined
  if (parent && parent.mtu > 0) return parent.mtu
  const mtus = links.filter((l) => l.up && UPLINK_NAME.test(l.name) && l.mtu > 0).map((l) => l.mtu)
  return mtus.length ? Math.min(...mtus) : DEFAULT_HOST_MTU
}
