import {randomBytes} from 'node:crypto'
import type {ResourceStore} from '../datastore/store.js'
import {CalicoError} from '../resources/errors.js'
import {kindByName} from '../resources/registry.js'
import type {Resource} from '../resources/types.js'

function bare(v: string): string {
  return v.replace(/^v/, '').replace(/-.*$/, '')
}

export async function clusterInformation(store: ResourceStore): Promise<Resource | undefined> {
  return store.get(kindByName('ClusterInformation')!, 'default')
}

export async function checkClusterVersion(store: ResourceStore, clientVersion: string): Promise<void> {
  let info: Resource | undefined
  try {
    info = await clusterInformation(store)
  } catch {
    return // unreachable cluster: the command itself reports it
  }
  const cluster = (info?.spec as {calicoVersion?: string} | undefined)?.calicoVersion
  if (!cluster) return
  if (bare(cluster) !== bare(clientVersion))
    throw new CalicoError(`version mismatch. Client Version: v${clientVersion}, Cluster Version: ${cluster}. Use --allow-version-mismatch to override`)
}

/** Like calico's EnsureInitialized: ClusterInformation `default` (and the default tier when known). */
export async function ensureInitialized(store: ResourceStore): Promise<void> {
  const def = kindByName('ClusterInformation')!
  if (!(await store.get(def, 'default'))) {
    const guid = randomBytes(16).toString('hex')
    const r = store.prepareCreate(def, {apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: {name: 'default'}, spec: {clusterGUID: guid, clusterType: 'etcd,bgp', datastoreReady: true}})
    await store.createMany([{def, resource: r}])
  }
  const tier = kindByName('Tier')
  if (tier && !(await store.get(tier, 'default'))) {
    const r = store.prepareCreate(tier, {apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: {name: 'default'}, spec: {order: 1_000_000, defaultAction: 'Deny'}})
    await store.createMany([{def: tier, resource: r}])
  }
}
