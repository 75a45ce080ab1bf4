// What deleting an IPPool or a Node does besides removing its key, as Calico's client does:
// the cascade table delete.ts consults, run before the deletes, and doing nothing on a dry run.
import type {ResourceStore, ResourceRef} from '../datastore/store.js'
import {allocatedOrdinals, releaseTunnelAddress} from '../ipam/index.js'
import {netFamily} from '../lib/ip.js'
import {ConflictError, NotFoundError} from '../resources/errors.js'
import {kindByName} from '../resources/registry.js'
import {type KindDef, type Resource, specOf} from '../resources/types.js'
import type {Loaded} from './crud.js'
import {ipamFor} from './ipam.js'
import {sleep} from '../lib/sleep.js'

/** How long a disabled pool is left before its affinities go, so in-flight allocations finish (Calico waits 500 ms). */
export const POOL_DISABLE_GRACE_MS = 500


/** The stored resource a delete target names, unless the target pins a revision that is no longer current. */
async function storedTarget(store: ResourceStore, t: Loaded): Promise<Resource | undefined> {
  const r = await store.get(t.def, t.resource.metadata.name, t.resource.metadata.namespace)
  if (!r) return undefined
  const pinned = t.resource.metadata.resourceVersion
  if (pinned && pinned !== r.metadata.resourceVersion) return undefined // the delete itself will report the conflict
  return r
}

/**
 * IPPool: disable it (so nothing new is handed out), wait, release every block affinity in
 * its CIDR; the normal delete then removes the pool.
 */
export async function cascadeIPPoolDelete(store: ResourceStore, targets: Loaded[], dryRun: boolean): Promise<void> {
  if (dryRun) return
  const ipam = ipamFor(store)
  let disabledAny = false
  const cidrs: string[] = []
  for (const t of targets) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const pool = await storedTarget(store, t)
      if (!pool) break
      const spec = specOf(pool)
      if (spec.disabled !== true) {
        const next: Resource = {...pool, spec: {...spec, disabled: true}}
        const [res] = await store.updateMany([{def: t.def, resource: next}])
        if (res && !res.ok) {
          if (res.error instanceof ConflictError && !t.resource.metadata.resourceVersion) continue
          break
        }
        disabledAny = true
        // Keep a pinned delete pointing at the version we just wrote.
        if (res?.ok && t.resource.metadata.resourceVersion) t.resource.metadata.resourceVersion = res.resource.metadata.resourceVersion
      }
      if (typeof spec.cidr === 'string' && netFamily(spec.cidr) === 4) cidrs.push(spec.cidr)
      break
    }
  }
  if (disabledAny) await sleep(POOL_DISABLE_GRACE_MS)
  for (const cidr of cidrs) await ipam.releasePoolAffinities(cidr)
}

async function deleteWhere(store: ResourceStore, def: KindDef | undefined, keep: (r: Resource) => boolean): Promise<void> {
  if (!def) return
  const {items} = await store.list(def)
  const refs: ResourceRef[] = items.filter(keep).map((r) => ({def, name: r.metadata.name, namespace: r.metadata.namespace}))
  if (refs.length === 0) return
  const out = await store.deleteMany(refs)
  for (const o of out) if (!o.ok && !(o.error instanceof NotFoundError)) throw o.error
}

/**
 * Node: release its tunnel and workload addresses (every allocation whose `node` attribute
 * names it), delete its WorkloadEndpoints, drop its block affinities and IPAM host entry, and
 * delete its BGPPeers, node-specific BGP/Felix configuration and HostEndpoints.
 */
export async function cascadeNodeDelete(store: ResourceStore, targets: Loaded[], dryRun: boolean): Promise<void> {
  if (dryRun) return
  const ipam = ipamFor(store)
  for (const t of targets) {
    const node = await storedTarget(store, t)
    if (!node) continue
    const name = node.metadata.name
    const spec = specOf(node)

    // Addresses: the IPIP tunnel handle, then whatever else is allocated to this node.
    await releaseTunnelAddress(ipam, name)
    const handles = new Set<string>()
    const loose: string[] = []
    for (const {block} of await ipam.listBlockRecords()) {
      for (const a of allocatedOrdinals(block)) {
        if (a.attr.secondary?.node !== name) continue
        const h = a.attr.handleId?.split('\r')[0]
        if (h !== undefined) handles.add(h)
        else loose.push(a.ip)
      }
    }
    for (const h of handles) await ipam.releaseByHandle(h)
    // Addresses named on the node that are still allocated to it (VXLAN, WireGuard).
    for (const addr of [spec.ipv4VXLANTunnelAddr, spec.wireguard?.interfaceIPv4Address, spec.bgp?.ipv4IPIPTunnelAddr]) {
      if (typeof addr !== 'string' || addr === '') continue
      const ip = addr.split('/')[0] ?? ''
      const info = await ipam.getAssignmentAttributes(ip).catch(() => undefined)
      if (info && (info.attrs.node === name || info.attrs.node === undefined)) loose.push(ip)
    }
    if (loose.length > 0) await ipam.releaseIPs([...new Set(loose)])

    await deleteWhere(store, kindByName('WorkloadEndpoint'), (r) => specOf(r).node === name)
    await ipam.removeIpamHost(name)
    await deleteWhere(store, kindByName('BGPPeer'), (r) => specOf(r).node === name)
    await deleteWhere(store, kindByName('BGPConfiguration'), (r) => r.metadata.name === `node.${name}`)
    await deleteWhere(store, kindByName('FelixConfiguration'), (r) => r.metadata.name === `node.${name}`)
    await deleteWhere(store, kindByName('HostEndpoint'), (r) => specOf(r).node === name)
  }
}

/** Hooks that run before a kind's resources are deleted. */
export type DeleteCascade = (store: ResourceStore, targets: Loaded[], dryRun: boolean) => Promise<void>

/** The cascade of each kind that has one, consulted by delete.ts before it deletes. */
export const deleteCascades: ReadonlyMap<string, DeleteCascade> = new Map<string, DeleteCascade>([
  ['IPPool', cascadeIPPoolDelete],
  ['Node', cascadeNodeDelete],
])
