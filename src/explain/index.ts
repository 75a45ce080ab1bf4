// `node explain` service: read one datastore snapshot, explain the packet.
import type {ResourceStore} from '../datastore/store.js'
import {Ipam} from '../ipam/index.js'
import {readSnapshot} from '../node/cache.js'
import {kindByName} from '../resources/registry.js'
import type {Resource} from '../resources/types.js'
import {type ExplainRequest, type ExplainResult, explain, formatExplain, type StagedPolicies} from './explain.js'

export {explain, formatExplain, type ExplainRequest, type ExplainResult} from './explain.js'

export async function runExplain(store: ResourceStore, req: ExplainRequest, output: 'text' | 'json'): Promise<{text: string; result: ExplainResult}> {
  const list = async (kind: string): Promise<Resource[]> => (await store.list(kindByName(kind)!)).items
  // Staged policies are not part of a node pass (never programmed): read for explain only.
  const [snap, global, namespaced, kubernetes] = await Promise.all([
    readSnapshot(store, new Ipam(store.ds)),
    list('StagedGlobalNetworkPolicy'),
    list('StagedNetworkPolicy'),
    list('StagedKubernetesNetworkPolicy'),
  ])
  const staged: StagedPolicies = {global, namespaced, kubernetes}
  const result = explain(snap, req, staged)
  return {result, text: output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatExplain(result)}
}
