// Workloads on a host without an orchestrator (`calicoctl workload add|remove|list`), wired the
// way Calico's CNI plugin wires a pod: a veth pair whose host end is `cali<11 hex>` and whose
// other end is `eth0` in the workload's network namespace with a /32 address and a default route
// via 169.254.1.1 (answered by proxy ARP on the cali interface); the address comes from IPAM and
// the WorkloadEndpoint resource records it all. Run in the host's network namespace, as root.
import {createHash, randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {resourceKey} from '../datastore/keys.js'
import type {ResourceStore} from '../datastore/store.js'
import type {Watch} from '../datastore/watch.js'
import {type IptablesBackend, resolveIptablesBackend} from '../dataplane/iptables/executor.js'
import {dropUntilProgrammed, removePendingDrops} from '../dataplane/iptables/pending.js'
import {ensureWorkloadInterfaceSysctls, OWNED_ROUTE_PROTOCOL} from '../dataplane/netlink.js'
import {Ipam} from '../ipam/index.js'
import {assertSafeName, runChecked, runCommand} from '../lib/exec.js'
import {reservedIPv4Cidrs} from '../resources/kinds/ipreservation.js'
import {CalicoError, NotFoundError} from '../resources/errors.js'
import {kindByName} from '../resources/registry.js'
import {type KindDef, type Resource, specOf} from '../resources/types.js'
import {formatFieldError} from '../resources/errors.js'
import {nodeDef} from './identity.js'
import {DEFAULT_ALLOW_PROFILE, poolsForNode} from './snapshot.js'

export const WORKLOAD_ORCHESTRATOR = 'calicoctl'
export const WORKLOAD_ENDPOINT = 'eth0'
export const POD_GATEWAY = '169.254.1.1'
/** The MAC Calico gives every host-side veth end. */
export const HOST_SIDE_MAC = 'ee:ee:ee:ee:ee:ee'

/** `cali` + 11 hex characters of SHA-1 over `<namespace>.<name>` (as Calico's CNI plugin names them). */
export function workloadInterfaceName(namespace: string, name: string): string {
  return `cali${createHash('sha1').update(`${namespace}.${name}`).digest('hex').slice(0, 11)}`
}

export function workloadHandle(namespace: string, name: string): string {
  return `workload.${namespace}.${name}`
}

/** The WorkloadEndpoint name Calico derives: node, orchestrator, workload, endpoint with '-' doubled. */
export function workloadEndpointName(node: string, name: string): string {
  return [node, WORKLOAD_ORCHESTRATOR, name, WORKLOAD_ENDPOINT].map((s) => s.replaceAll('-', '--')).join('-')
}

/** `k=v,k2=v2` → labels. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const item of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new CalicoError(`invalid label '${item}': use key=value`)
    out[item.slice(0, eq)] = item.slice(eq + 1)
  }
  return out
}

/** A netns name (under /var/run/netns) or an absolute path to a namespace file. */
export function namespacePath(netns: string): string {
  if (netns.startsWith('/')) {
    if (netns.includes('..') || /\s/.test(netns)) throw new CalicoError(`invalid namespace path '${netns}'`)
    return netns
  }
  assertSafeName('network namespace name', netns)
  return `/var/run/netns/${netns}`
}

function wepDef(): KindDef {
  const def = kindByName('WorkloadEndpoint')
  if (!def) throw new CalicoError('this build has no WorkloadEndpoint kind: workloads cannot be recorded')
  return def
}

export interface AddWorkloadOptions {
  store: ResourceStore
  name: string
  node: string
  /** Workload (Kubernetes-style) namespace; default `default`. */
  namespace?: string
  /** netns name or absolute path of the workload's network namespace. */
  netns: string
  /** `auto` (default) or an IPv4 address. */
  ip?: string
  labels?: Record<string, string>
  profiles?: string[]
  /** How long to wait for this host's Node to be registered (default 30 s; 0: do not wait). */
  waitNodeMs?: number
  /** Told once, when it has to wait for the Node. */
  onWait?: (message: string) => void
  /** Drop the workload's traffic until the agent programs its policy (default: with the `auto` backend). */
  iptables?: {enabled: boolean; backend?: IptablesBackend}
  /** Aborted (SIGTERM, a caller's time limit): stop at the next step and undo what was done. */
  signal?: AbortSignal
}

export interface WorkloadInfo {
  name: string
  namespace: string
  node: string
  endpoint: string
  interfaceName: string
  ip: string
  mac?: string
  profiles: string[]
}

/**
 * Runs `ip` commands as one `ip -batch` process, on the host or inside the workload's namespace
 * (a named one through `ip -n`, one process; one given by path through nsenter): a process start
 * costs more than the commands (seconds under user-mode-linux).
 */
async function ipBatch(ns: {name?: string; path: string} | undefined, lines: string[]): Promise<void> {
  const batch = ['-batch', '-']
  const [file, args] = !ns ? ['ip', batch] : ns.name ? ['ip', ['-n', ns.name, ...batch]] : ['nsenter', [`--net=${ns.path}`, 'ip', ...batch]]
  await runChecked(file, args, {input: `${lines.join('\n')}\n`})
}

/** A random locally administered unicast MAC for the workload's eth0 (set here, so it need not be read back). */
function workloadMac(): string {
  const b = randomBytes(6)
  b[0] = ((b[0] ?? 0) & 0xfe) | 0x02
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':')
}

function info(r: Resource): WorkloadInfo {
  const s = specOf(r)
  return {
    name: String(s.workload ?? r.metadata.name),
    namespace: r.metadata.namespace ?? 'default',
    node: String(s.node ?? ''),
    endpoint: r.metadata.name,
    interfaceName: String(s.interfaceName ?? ''),
    ip: ((s.ipNetworks ?? []) as string[]).join(','),
    ...(s.mac ? {mac: String(s.mac)} : {}),
    profiles: (s.profiles ?? []) as string[],
  }
}

export async function addWorkload(opts: AddWorkloadOptions): Promise<WorkloadInfo> {
  const def = wepDef()
  const namespace = opts.namespace || 'default'
  assertSafeName('workload name', opts.name)
  assertSafeName('namespace', namespace)
  const nsPath = namespacePath(opts.netns)
  if (!existsSync(nsPath)) throw new CalicoError(`network namespace ${opts.netns} does not exist (${nsPath})`)
  const wepName = workloadEndpointName(opts.node, opts.name)
  // Only the keys this command needs (its endpoint, this Node, the pools, the reservations):
  // never a snapshot of the whole datastore.
  const [existing, found, poolList, reservationList] = await Promise.all([
    opts.store.get(def, wepName, namespace),
    opts.store.get(nodeDef(), opts.node),
    listKind(opts.store, 'IPPool'),
    listKind(opts.store, 'IPReservation'),
  ])
  if (existing) throw new CalicoError(`workload ${namespace}/${opts.name} already exists on node ${opts.node}`)
  const node = found ?? (await waitForNode(opts))
  const iface = workloadInterfaceName(namespace, opts.name)
  const peer = `tmp${iface.slice(4)}`

  const ipam = new Ipam(opts.store.ds)
  const labels = node.metadata.labels ?? {}
  const pools = poolsForNode({pools: poolList}, labels)
  const handleId = workloadHandle(namespace, opts.name)
  const attrs = {node: opts.node, namespace, workload: opts.name, type: 'workload'}
  // Resolved before anything is written: a host without iptables fails here, not half-way.
  const backend = opts.iptables?.enabled === false ? undefined : await resolveIptablesBackend(opts.iptables?.backend ?? 'auto')
  let address: string
  if (!opts.ip || opts.ip === 'auto') {
    const reservations = reservedIPv4Cidrs(reservationList)
    const res = await ipam.autoAssign({node: opts.node, nodeLabels: labels, num: 1, handleId, attrs, pools, reservations})
    address = res.ips[0] as string
  } else {
    await ipam.assignIP({ip: opts.ip, node: opts.node, handleId, attrs, pools})
    address = opts.ip
  }

  const undo: Array<() => Promise<unknown>> = [() => ipam.releaseByHandle(handleId)]
  const step = () => {
    if (opts.signal?.aborted) throw new CalicoError(`workload add ${namespace}/${opts.name} interrupted: everything it did is undone`)
  }
  try {
    step()
    // Fail closed: the drops go in before the interface exists (a rule may name an interface to come).
    if (backend) {
      await dropUntilProgrammed(iface, backend)
      undo.push(() => removePendingDrops(iface, backend))
    }
    step()
    const mac = workloadMac()
    undo.push(() => runCommand('ip', ['link', 'del', iface]))
    // The /32 route goes in with the interface, as node apply's routes part would write it, so
    // the workload works at once (the link is up; it has a carrier once eth0 is up below).
    await ipBatch(undefined, [
      `link add ${iface} address ${HOST_SIDE_MAC} type veth peer name ${peer} address ${mac}`,
      `link set ${peer} netns ${nsPath}`,
      `link set ${iface} up`,
      `route replace ${address}/32 dev ${iface} proto ${OWNED_ROUTE_PROTOCOL} scope link`,
    ])
    step()
    await ipBatch({...(opts.netns.startsWith('/') ? {} : {name: opts.netns}), path: nsPath}, [
      'link set lo up',
      `link set ${peer} name ${WORKLOAD_ENDPOINT}`,
      `addr add ${address}/32 dev ${WORKLOAD_ENDPOINT}`,
      `link set ${WORKLOAD_ENDPOINT} up`,
      `route add ${POD_GATEWAY} dev ${WORKLOAD_ENDPOINT} scope link`,
      `route add default via ${POD_GATEWAY} dev ${WORKLOAD_ENDPOINT}`,
    ])
    step()
    await ensureWorkloadInterfaceSysctls(iface)

    step()
    const r: Resource = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'WorkloadEndpoint',
      metadata: {name: wepName, namespace, ...(opts.labels && Object.keys(opts.labels).length > 0 ? {labels: opts.labels} : {})},
      spec: {
        orchestrator: WORKLOAD_ORCHESTRATOR,
        workload: opts.name,
        node: opts.node,
        endpoint: WORKLOAD_ENDPOINT,
        ipNetworks: [`${address}/32`],
        profiles: opts.profiles?.length ? opts.profiles : [DEFAULT_ALLOW_PROFILE],
        interfaceName: iface,
        ...(mac ? {mac} : {}),
      },
    }
    def.defaults?.(r)
    const problems = def.validate?.(r, {}) ?? []
    if (problems.length) throw new CalicoError(`invalid WorkloadEndpoint: ${problems.map(formatFieldError).join('; ')}`)
    const [res] = await opts.store.createMany([{def, resource: opts.store.prepareCreate(def, r)}])
    if (!res?.ok) throw res?.error ?? new CalicoError('WorkloadEndpoint was not created')
    return info(res.resource)
  } catch (err) {
    for (const u of undo.reverse()) await u().catch(() => {})
    throw err
  }
}

/** Waits until this host's Node is registered or `waitNodeMs` has passed (saying so once). */
async function waitForNode(opts: AddWorkloadOptions): Promise<Resource> {
  const waitMs = opts.waitNodeMs ?? DEFAULT_WAIT_NODE_MS
  const hint = `start 'calicoctl node run' (or run 'calicoctl node apply') on it`
  if (waitMs > 0 && !opts.signal?.aborted) {
    opts.onWait?.(`node ${opts.node} is not registered yet: waiting up to ${waitMs / 1000}s for it (${hint})`)
    const node = await nodeRegistered(opts, waitMs)
    if (node) return node
    if (opts.signal?.aborted) throw new CalicoError(`workload add interrupted while waiting for node ${opts.node} to register: nothing was done`)
  }
  throw new CalicoError(`node ${opts.node} is not registered${waitMs > 0 ? ` after ${waitMs / 1000}s` : ''}: ${hint} first`)
}

/**
 * The Node as soon as it is written, through a watch on its key (no polling: the registration is
 * seen within one etcd round trip); undefined after `waitMs` or on abort.
 */
async function nodeRegistered(opts: AddWorkloadOptions, waitMs: number): Promise<Resource | undefined> {
  const def = nodeDef()
  const key = resourceKey(def, opts.node)
  const from = await opts.store.ds.revision()
  // Written since the first read: found here; anything later, the watch (from `from`) delivers.
  const now = await opts.store.get(def, opts.node)
  if (now) return now
  return new Promise<Resource | undefined>((resolve, reject) => {
    let watch: Watch | undefined
    let done = false
    const finish = (node?: Resource, error?: unknown) => {
      if (done) return
      done = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      watch?.close()
      if (error) reject(error)
      else resolve(node)
    }
    const onAbort = () => finish()
    const timer = setTimeout(() => finish(), waitMs)
    opts.signal?.addEventListener('abort', onAbort, {once: true})
    const found = () => opts.store.get(def, opts.node).then((n) => n && finish(n), (error) => finish(undefined, error))
    opts.store.ds
      .watch([key], from, {
        onEvent: (e) => {
          if (e.key === key && e.type === 'put') void found()
        },
        // Compacted under us (the wait outlived etcd's history): one more read decides.
        onLost: () => void found().then(() => finish()),
      })
      .then(
        (w) => {
          watch = w
          if (done) w.close()
        },
        (error) => finish(undefined, error),
      )
  })
}

export const DEFAULT_WAIT_NODE_MS = 30_000

async function listKind(store: ResourceStore, kind: string): Promise<Resource[]> {
  const def = kindByName(kind)
  return def ? (await store.list(def)).items : []
}

export interface RemoveWorkloadOptions {
  store: ResourceStore
  name: string
  node: string
  namespace?: string
  /** Removes the drops `workload add` left when the agent had not programmed the host yet. */
  iptables?: {enabled: boolean; backend?: IptablesBackend}
}

/** Deletes the veth (its /32 route goes with it), releases the address and deletes the WorkloadEndpoint. */
export async function removeWorkload(opts: RemoveWorkloadOptions): Promise<WorkloadInfo> {
  const def = wepDef()
  const namespace = opts.namespace || 'default'
  assertSafeName('workload name', opts.name)
  const wepName = workloadEndpointName(opts.node, opts.name)
  const r = await opts.store.get(def, wepName, namespace)
  if (!r) throw new NotFoundError(`workload ${namespace}/${opts.name} does not exist on node ${opts.node}`)
  const w = info(r)
  const iface = w.interfaceName || workloadInterfaceName(namespace, opts.name)
  assertSafeName('interface name', iface)
  const del = await runCommand('ip', ['link', 'del', iface])
  if (del.exitCode !== 0 && !/Cannot find device/.test(del.stderr)) throw new CalicoError(`cannot delete ${iface}: ${del.stderr.trim()}`)
  // Best effort: with no usable iptables here, `workload add` could not have left drops either.
  if (opts.iptables?.enabled !== false) await resolveIptablesBackend(opts.iptables?.backend ?? 'auto').then((b) => removePendingDrops(iface, b)).catch(() => {})
  await new Ipam(opts.store.ds).releaseByHandle(workloadHandle(namespace, opts.name))
  const [res] = await opts.store.deleteMany([{def, name: wepName, namespace}])
  if (res && !res.ok && !(res.error instanceof NotFoundError)) throw res.error
  return w
}

/** `workload list`: one row per workload. */
export async function workloadListTable(items: readonly WorkloadInfo[]): Promise<string> {
  const {tabTable} = await import('../output/table.js')
  return tabTable([['NAMESPACE', 'NAME', 'NODE', 'INTERFACE', 'IP'], ...items.map((w) => [w.namespace, w.name, w.node, w.interfaceName, w.ip])])
}

/** This node's workloads (all nodes with `node` undefined). */
export async function listWorkloads(store: ResourceStore, node: string | undefined): Promise<WorkloadInfo[]> {
  const def = kindByName('WorkloadEndpoint')
  if (!def) return []
  const {items} = await store.list(def)
  return items
    .filter((r) => (r.spec as {orchestrator?: string})?.orchestrator === WORKLOAD_ORCHESTRATOR)
    .filter((r) => node === undefined || (r.spec as {node?: string})?.node === node)
    .map(info)
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
}
