// Public API of the IPAM library.
export {Ipam, type IpamOptions, type AffinityRecord, type BlockRecord, poolNodeSelects, DEFAULT_MAX_BLOCKS_PER_HOST} from './allocator.js'
export {ensureTunnelAddress, releaseTunnelAddress, ipipTunnelHandle, ipipTunnelPools, IPIP_TUNNEL_ATTR_TYPE, type TunnelArgs, type TunnelResult} from './tunnel.js'
export {checkIpam, type IpamCheckReport, type IpamProblem, type CheckOptions} from './check.js'
export * from './types.js'
export * from './errors.js'
export * from './keys.js'
export {
  type AllocationBlock,
  type AllocationAttribute,
  type BlockAffinity,
  type IpamHandle,
  type IpamConfig,
  type AffinityState,
  DEFAULT_IPAM_CONFIG,
  encodeBlock,
  decodeBlock,
  encodeAffinity,
  decodeAffinity,
  encodeHandle,
  decodeHandle,
  encodeConfig,
  decodeConfig,
} from './codec.js'
export {AddressFilter, blockHost, freeCount, inUseCount, allocatedOrdinals} from './block.js'
export {parseCidr4, parseIp4} from './net.js'
// The IP rules themselves are src/lib/ip.ts's; re-exported under the names the agent uses.
export {cidr4Contains as cidrContains, type Cidr4} from '../lib/ip.js'
