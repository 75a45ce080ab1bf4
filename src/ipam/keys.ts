// etcd keys of Calico's IPAM data (libcalico-go model: block, block affinity, handle, config, host).
import {IpamError} from './errors.js'

export const IPAM_ROOT = '/calico/ipam/v2/'
export const BLOCK_PREFIX_V4 = '/calico/ipam/v2/assignment/ipv4/block/'
export const AFFINITY_ROOT = '/calico/ipam/v2/host/'
export const HANDLE_PREFIX = '/calico/ipam/v2/handle/'
export const CONFIG_KEY = '/calico/ipam/v2/config'

/** `10.0.0.0/26` → `10.0.0.0-26`, as Calico writes a CIDR inside a key. */
export function cidrToKeyPart(cidr: string): string {
  return cidr.replace('/', '-')
}

export function keyPartToCidr(part: string): string {
  const i = part.lastIndexOf('-')
  if (i < 0) throw new IpamError(`not a block key segment: ${part}`)
  return `${part.slice(0, i)}/${part.slice(i + 1)}`
}

export function blockKey(cidr: string): string {
  return BLOCK_PREFIX_V4 + cidrToKeyPart(cidr)
}

/** The block CIDR named by a block key, or undefined for any other key. */
export function cidrOfBlockKey(key: string): string | undefined {
  const m = /^\/calico\/ipam\/v2\/assignment\/ipv4\/block\/([^/]+)$/.exec(key)
  return m ? keyPartToCidr(m[1] as string) : undefined
}

/** Prefix of one node's IPv4 affinities. */
export function hostAffinityPrefix(node: string): string {
  return `${AFFINITY_ROOT}${node}/ipv4/block/`
}

export function affinityKey(node: string, cidr: string): string {
  return hostAffinityPrefix(node) + cidrToKeyPart(cidr)
}

/** Parses `/calico/ipam/v2/host/<node>/ipv4/block/<cidr>`. */
export function parseAffinityKey(key: string): {node: string; cidr: string} | undefined {
  const m = /^\/calico\/ipam\/v2\/host\/([^/]+)\/ipv4\/block\/([^/]+)$/.exec(key)
  return m ? {node: m[1] as string, cidr: keyPartToCidr(m[2] as string)} : undefined
}

/** The IPAM host key (`RemoveIPAMHost` deletes it). */
export function ipamHostKey(node: string): string {
  return AFFINITY_ROOT + node
}

export function handleKey(handleId: string): string {
  if (!handleId || handleId.includes('/')) throw new IpamError(`invalid IPAM handle ID: '${handleId}'`)
  return HANDLE_PREFIX + handleId
}

export function handleIdOfKey(key: string): string | undefined {
  return key.startsWith(HANDLE_PREFIX) ? key.slice(HANDLE_PREFIX.length) : undefined
}
