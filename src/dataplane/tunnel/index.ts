// Entry point for `node apply`: syncTunnel(input, {dryRun}) plus the types it speaks.
export {NO_IPIP_MESSAGE, type SyncTunnelInput, type SyncTunnelResult, syncTunnel, TunnelUnavailableError} from './executor.js'
export {desiredTunnel, hostMtuFromLinks, IPIP_DEVICE, ipipNeeded} from './model.js'
export {formatTunnelOp, planTunnel, type TunnelOp} from './planner.js'
