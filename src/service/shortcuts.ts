// Operator shortcuts: one short command per common task (pool mode, mesh, AS, peers, route
// reflectors), each a small change expressed through the same resource layer as create/patch.
import {encodeResource} from '../datastore/codec.js'
import {describe, type ResourceStore} from '../datastore/store.js'
import {parseOutputFormat, printResources} from '../output/printers.js'
import {summarize} from './summary.js'
import {AlreadyExistsError, CalicoError, NotFoundError} from '../resources/errors.js'
import {kindByName} from '../resources/registry.js'
import {API_VERSION, type KindDef, type Resource, specOf} from '../resources/types.js'
import {deleteResources, writeResources} from './crud.js'
import {patchResource} from './modify.js'

/** What a shortcut did: the line to print and the etcd revision of its write (for --wait). */
export interface ShortcutResult {
  message: string
  /** Revision of the write; undefined when nothing was written. */
  revision?: string
  changed: boolean
}

function kind(name: string): KindDef {
  const def = kindByName(name)
  if (!def) throw new CalicoError(`internal: kind ${name} is not registered`)
  return def
}

const newResource = (def: KindDef, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Resource => ({
  apiVersion: API_VERSION,
  kind: def.kind,
  metadata: {name, ...(labels ? {labels} : {})},
  spec,
})

async function create(store: ResourceStore, def: KindDef, r: Resource): Promise<ShortcutResult> {
  const rows = await writeResources(store, 'create', [{def, resource: r}])
  const s = summarize('create', rows)
  if (!s.ok) throw new CalicoError(s.stderr.trimEnd())
  const rv = rows[0]?.resource.metadata.resourceVersion
  return {message: s.stdout.trimEnd(), changed: true, ...(rv ? {revision: rv} : {})}
}

/** A merge patch on an existing resource; reports whether anything changed. */
async function patch(store: ResourceStore, def: KindDef, name: string, change: Record<string, unknown>): Promise<{resource: Resource; changed: boolean}> {
  const before = await store.get(def, name)
  if (!before) throw new NotFoundError(`resource does not exist: ${describe(def, name)}`)
  const text = JSON.stringify(change)
  // A change that changes nothing is not written (no new revision, nothing for nodes to do).
  const preview = await patchResource(store, def, name, undefined, text, 'merge', true)
  if (encodeResource(def, preview) === encodeResource(def, before)) return {resource: before, changed: false}
  const after = await patchResource(store, def, name, undefined, text, 'merge')
  return {resource: after, changed: true}
}

/** Patches the resource if it exists, else creates it from `fresh`. */
async function upsert(store: ResourceStore, def: KindDef, name: string, change: Record<string, unknown>, fresh: () => Resource): Promise<{changed: boolean; revision?: string; created: boolean}> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await store.get(def, name)
    if (existing) {
      const p = await patch(store, def, name, change)
      const rv = p.resource.metadata.resourceVersion
      return {changed: p.changed, created: false, ...(p.changed && rv ? {revision: rv} : {})}
    }
    const rows = await writeResources(store, 'create', [{def, resource: fresh()}])
    const row = rows[0]!
    if (row.error instanceof AlreadyExistsError) continue
    if (row.error) throw row.error
    const rv = row.resource.metadata.resourceVersion
    return {changed: true, created: true, ...(rv ? {revision: rv} : {})}
  }
  throw new CalicoError(`${describe(def, name)} keeps changing; try again`)
}

function patched(p: {resource: Resource; changed: boolean}): {changed: boolean; revision?: string} {
  const rv = p.resource.metadata.resourceVersion
  return {changed: p.changed, ...(p.changed && rv ? {revision: rv} : {})}
}

function done(message: string, p: {changed: boolean; revision?: string}): ShortcutResult {
  return {message: p.changed ? message : `${message} (no change)`, changed: p.changed, ...(p.revision ? {revision: p.revision} : {})}
}

// ---------- IP pools ----------

export const POOL_MODES = ['ipip', 'cross-subnet', 'vxlan', 'vxlan-cross-subnet', 'bgp'] as const
export type PoolMode = (typeof POOL_MODES)[number]

export interface CreatePoolOptions {
  name: string
  cidr: string
  ipipMode?: string | undefined
  vxlanMode?: string | undefined
  natOutgoing?: boolean | undefined
  blockSize?: number | undefined
  nodeSelector?: string | undefined
  disabled?: boolean | undefined
}

export function poolSpec(o: CreatePoolOptions): Record<string, unknown> {
  const spec: Record<string, unknown> = {cidr: o.cidr}
  if (o.ipipMode) spec.ipipMode = o.ipipMode
  if (o.vxlanMode) spec.vxlanMode = o.vxlanMode
  if (o.natOutgoing) spec.natOutgoing = true
  if (o.blockSize !== undefined) spec.blockSize = o.blockSize
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector
  if (o.disabled) spec.disabled = true
  return spec
}

export async function createPool(store: ResourceStore, o: CreatePoolOptions): Promise<ShortcutResult> {
  const def = kind('IPPool')
  return create(store, def, newResource(def, o.name, poolSpec(o)))
}

/** The encapsulation fields a mode name stands for: `bgp` is plain routing (no encapsulation). */
export function poolModeSpec(mode: PoolMode): {ipipMode: string; vxlanMode: string} {
  switch (mode) {
    case 'ipip':
      return {ipipMode: 'Always', vxlanMode: 'Never'}
    case 'cross-subnet':
      return {ipipMode: 'CrossSubnet', vxlanMode: 'Never'}
    case 'vxlan':
      return {ipipMode: 'Never', vxlanMode: 'Always'}
    case 'vxlan-cross-subnet':
      return {ipipMode: 'Never', vxlanMode: 'CrossSubnet'}
    case 'bgp':
      return {ipipMode: 'Never', vxlanMode: 'Never'}
  }
}

export async function setPoolMode(store: ResourceStore, name: string, mode: PoolMode): Promise<ShortcutResult> {
  if (!POOL_MODES.includes(mode)) throw new CalicoError(`unknown pool mode '${mode}': use one of ${POOL_MODES.join(', ')}`)
  const m = poolModeSpec(mode)
  const p = await patch(store, kind('IPPool'), name, {spec: m})
  return done(`IPPool ${name}: ipipMode ${m.ipipMode}, vxlanMode ${m.vxlanMode}`, patched(p))
}

export async function setPoolEnabled(store: ResourceStore, name: string, enabled: boolean): Promise<ShortcutResult> {
  const p = await patch(store, kind('IPPool'), name, {spec: {disabled: !enabled}})
  return done(`IPPool ${name} ${enabled ? 'enabled' : 'disabled'}`, patched(p))
}

/** Prints resources of a kind as `get <kind> -o <output>` would. */
export async function listKind(store: ResourceStore, kindName: string, output = 'wide'): Promise<string> {
  const def = kind(kindName)
  const {items, revision} = await store.list(def)
  return await printResources({def, items, format: parseOutputFormat(output), shape: 'list', listRevision: revision})
}

// ---------- BGP ----------

const DEFAULT_BGP_CONFIG = 'default'

export async function setMesh(store: ResourceStore, on: boolean): Promise<ShortcutResult> {
  const def = kind('BGPConfiguration')
  const r = await upsert(store, def, DEFAULT_BGP_CONFIG, {spec: {nodeToNodeMeshEnabled: on}}, () => newResource(def, DEFAULT_BGP_CONFIG, {nodeToNodeMeshEnabled: on}))
  return done(`BGP node-to-node mesh ${on ? 'enabled' : 'disabled'}`, r)
}

export function parseAsn(text: string): number {
  const dotted = /^(\d+)\.(\d+)$/.exec(text)
  const n = dotted ? Number(dotted[1]) * 65536 + Number(dotted[2]) : /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isInteger(n) || n < 1 || n > 4294967295) throw new CalicoError(`invalid AS number '${text}': use 1-4294967295 or the dotted form`)
  return n
}

export async function setAs(store: ResourceStore, asn: number, node?: string): Promise<ShortcutResult> {
  if (node) {
    const def = kind('Node')
    const stored = await store.get(def, node)
    if (!stored) throw new NotFoundError(`resource does not exist: ${describe(def, node)}`)
    if (!(stored.spec as {bgp?: unknown} | undefined)?.bgp) throw new CalicoError(`Node ${node} has no BGP configuration (spec.bgp); run 'calicoctl node apply' on it first`)
    const p = await patch(store, def, node, {spec: {bgp: {asNumber: asn}}})
    return done(`Node ${node}: AS ${asn}`, patched(p))
  }
  const def = kind('BGPConfiguration')
  const r = await upsert(store, def, DEFAULT_BGP_CONFIG, {spec: {asNumber: asn}}, () => newResource(def, DEFAULT_BGP_CONFIG, {asNumber: asn}))
  return done(`Global AS number ${asn}`, r)
}

export interface PeerOptions {
  peerIP: string
  asNumber: number
  node?: string | undefined
  nodeSelector?: string | undefined
  name?: string | undefined
}

/** The default name of a peer: `peer-<ip>` (dots and colons as dashes), prefixed by its node. */
export function peerName(o: Pick<PeerOptions, 'peerIP' | 'node'>): string {
  const ip = o.peerIP.toLowerCase().replaceAll(/[.:[\]]+/g, '-').replace(/^-|-$/g, '')
  return o.node ? `${o.node}.peer-${ip}` : `peer-${ip}`
}

export async function addPeer(store: ResourceStore, o: PeerOptions): Promise<ShortcutResult> {
  if (o.node && o.nodeSelector) throw new CalicoError('give either --node or --node-selector, not both')
  const def = kind('BGPPeer')
  const spec: Record<string, unknown> = {peerIP: o.peerIP, asNumber: o.asNumber}
  if (o.node) spec.node = o.node
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector
  return create(store, def, newResource(def, o.name ?? peerName(o), spec))
}

/** Removes a peer by name, or every peer with that peer IP (optionally only those of one node). */
export async function removePeer(store: ResourceStore, nameOrIp: string, node?: string): Promise<ShortcutResult> {
  const def = kind('BGPPeer')
  let targets: Resource[]
  const byName = await store.get(def, nameOrIp)
  if (byName) targets = [byName]
  else {
    const {items} = await store.list(def)
    targets = items.filter((p) => {
      const s = specOf<{peerIP?: string; node?: string}>(p)
      return s.peerIP !== undefined && (s.peerIP === nameOrIp || s.peerIP.replace(/:\d+$/, '') === nameOrIp) && (node === undefined || s.node === node)
    })
  }
  if (targets.length === 0) throw new NotFoundError(`no BGPPeer named or with peer IP '${nameOrIp}'${node ? ` on node ${node}` : ''}`)
  const rows = await deleteResources(
    store,
    targets.map((r) => ({def, resource: r})),
  )
  const s = summarize('delete', rows)
  if (!s.ok) throw new CalicoError(s.stderr.trimEnd())
  return {message: `${s.stdout.trimEnd()}: ${targets.map((t) => t.metadata.name).join(', ')}`, changed: true, ...(s.revision ? {revision: s.revision} : {})}
}

/** Route reflector on: the cluster ID and the `route-reflector=true` label; off: both removed. */
export async function setRouteReflector(store: ResourceStore, node: string, clusterId: string | undefined): Promise<ShortcutResult> {
  const def = kind('Node')
  const stored = await store.get(def, node)
  if (!stored) throw new NotFoundError(`resource does not exist: ${describe(def, node)}`)
  if (clusterId !== undefined && !(stored.spec as {bgp?: unknown} | undefined)?.bgp)
    throw new CalicoError(`Node ${node} has no BGP configuration (spec.bgp); run 'calicoctl node apply' on it first`)
  const change =
    clusterId === undefined
      ? {metadata: {labels: {'route-reflector': null}}, spec: (stored.spec as {bgp?: unknown})?.bgp ? {bgp: {routeReflectorClusterID: null}} : {}}
      : {metadata: {labels: {'route-reflector': 'true'}}, spec: {bgp: {routeReflectorClusterID: clusterId}}}
  const p = await patch(store, def, node, change)
  const msg = clusterId === undefined ? `Node ${node} is no longer a route reflector` : `Node ${node} is a route reflector with cluster ID ${clusterId} (label route-reflector=true)`
  return done(msg, patched(p))
}

