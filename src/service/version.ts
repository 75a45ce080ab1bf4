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
