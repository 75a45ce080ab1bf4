// Entry point for `node apply`: syncRoutes(input, {dryRun}) plus the types it speaks.
export {applyRouteOps, InterfaceAges, readOwnedRoutes, RouteSyncError, type SavedInterfaceAge, type SyncRoutesResult, syncRoutes} from './executor.js'
export {desiredRoutes, type RouteModelInput} from './model.js'
export {planRouteChanges, planRoutes, ROUTE_GRACE_MS, type RouteGrace} from './planner.js'
export {formatRoute, formatRouteOp, type Route, type RouteOp} from './types.js'
