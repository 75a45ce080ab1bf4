// Public surface of the iptables part: build the input from resources, then syncIptables().
import {parseSelector} from '../../resources/selector.js'
import type {SelectorCompiler} from './types.js'

export {ALL_HOSTS_SET, ALL_POOLS_SET, MASQ_POOLS_SET, buildDesiredState, isValidInterfaceName} from './model.js'
export {isEmptyPlan, parseIpsetSave, parseIptablesSave, planAll, planText, type Plan} from './planner.js'
export {
  DEFAULT_IPTABLES_BACKEND,
  applyPlan,
  iptablesBinaries,
  planIptables,
  readKernelState,
  syncIptables,
  type IptablesBackend,
  type SyncOptions,
  type SyncResult,
} from './executor.js'
export type * from './types.js'

/** The real selector language (src/resources/selector.ts) in the shape the model takes. */
export const compileSelector: SelectorCompiler = (text) => {
  const s = parseSelector(text)
  return {id: s.uniqueId(), matches: (labels) => s.matches(labels)}
}
