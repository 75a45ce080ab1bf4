// Public surface of the iptables part: build the input from resources, then syncIptables().
import {parseSelector} from '../../resources/selector.js'
import type {SelectorCompiler} from './types.js'

export {
  applyPlan,
  backendFromVersion,
  DEFAULT_IPTABLES_BACKEND,
  detectIptablesBackend,
  IPTABLES_BACKEND_CHOICES,
  type IptablesBackend,
  IptablesSyncer,
  iptablesBinaries,
  planIptables,
  type ResolvedIptablesBackend,
  readKernelState,
  resolveIptablesBackend,
  type SyncOptions,
  type SyncResult,
  syncIptables,
} from './executor.js'
export {ALL_HOSTS_SET, ALL_POOLS_SET, buildDesiredState, IncrementalModel, isValidInterfaceName, MASQ_POOLS_SET} from './model.js'
export {isEmptyPlan, type Plan, parseIpsetSave, parseIptablesSave, planAll, planText } from './planner.js'
export type * from './types.js'

/** The real selector language (src/resources/selector.ts) in the shape the model takes. */
export const compileSelector: SelectorCompiler = (text) => {
  const s = parseSelector(text)
  return {id: s.uniqueId(), matches: (labels) => s.matches(labels)}
}
