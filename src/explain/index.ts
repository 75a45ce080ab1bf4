// `node explain` service: read one datastore snapshot, explain the packet.
import type {ResourceStore} from '../datastore/store.js'
import {Ipam} from '../ipam/index.js'
import {readSnapshot, selects} from '../node/snapshot.js'
import {type ExplainRequest, type ExplainResult, explain, formatExplain} from './explain.js'

export {explain, formatExplain, type ExplainRequest, type ExplainResult} from './explain.js'

export async function runExplain(store: ResourceStore, req: ExplainRequest, output: 'text' | 'json'): Promise<{text: string; result: ExplainResult}> {
  const snap = await readSnapshot(store, new Ipam(store.ds, {selects}))
  const result = explain(snap, req)
  return {result, text: output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatExplain(result)}
}
