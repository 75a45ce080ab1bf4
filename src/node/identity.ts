// Who this host is: its node name, its IPv4 address (with prefix length) and AS number, found
// the way calico-node finds them (flags, then NODENAME / IP / AS / IP_AUTODETECTION_METHOD, then
// autodetection), and its Node resource in the datastore (created or updated by compare-and-swap;
// fields this tool does not own, such as the tunnel address or route reflector ID, are kept).
import {createSocket} from 'node:dgram'
import {hostname} from 'node:os'
import type {ResourceStore} from '../datastore/store.js'
import {openNetlink} from '../dataplane/netlink.js'
import {cidr4Contains, formatIPv4, ipRange, parseCidr, parseIPv4, parseNet4} from '../lib/ip.js'
import {CalicoError, ConflictError} from '../resources/errors.js'
import {kindByName} from '../resources/registry.js'
import type {KindDef, Resource} from '../resources/types.js'
import type {Logger} from './log.js'

/** One host interface with its IPv4 addresses as CIDRs (`198.51.100.95/24`). */
export interface HostInterface {
  name: string
  index: number
  up: boolean
  addresses: string[]
}

/** Interfaces calico-node never picks an address from. */
export const ALWAYS_EXCLUDED_INTERFACES: readonly string[] = [
  '^docker.*', '^cbr.*', '^dummy.*', '^podman.*', '^virbr.*', '^lxcbr.*', '^veth.*', '^lo', '^br-.*', '^cali.*', '^tunl.*',
  '^flannel.*', '^kube-ipvs.*', '^cni.*', '^vxlan\\.calico.*', '^vxlan-v6\\.calico.*', '^wireguard\\.cali.*', '^wg-v6\\.cali.*', '^nodelocaldns.*',
]

export type AutodetectMethod =
  | {kind: 'first-found'}
  | {kind: 'interface'; patterns: string[]}
  | {kind: 'skip-interface'; patterns: string[]}
  | {kind: 'cidr'; cidrs: string[]}
  | {kind: 'can-reach'; destination: string}

/** Parses an IP_AUTODETECTION_METHOD value. Empty means first-found. */
export function parseAutodetectMethod(text: string | undefined): AutodetectMethod {
  const t = (text ?? '').trim()
  if (t === '' || t === 'first-found') return {kind: 'first-found'}
  const eq = t.indexOf('=')
  const key = eq < 0 ? t : t.slice(0, eq)
  const value = eq < 0 ? '' : t.slice(eq + 1).trim()
  const list = () => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean)
    if (items.length === 0) throw new CalicoError(`invalid IP autodetection method '${t}': '${key}=' needs a value`)
    return items
  }
  const regexes = () => {
    const items = list()
    for (const p of items) {
      try {
        new RegExp(p)
      } catch {
        throw new CalicoError(`invalid IP autodetection method '${t}': '${p}' is not a valid regular expression`)
      }
    }
    return items
  }
  switch (key) {
    case 'interface':
      return {kind: 'interface', patterns: regexes()}
    case 'skip-interface':
      return {kind: 'skip-interface', patterns: regexes()}
    case 'cidr': {
      const cidrs = list()
      for (const c of cidrs) if (!isV4Cidr(c)) throw new CalicoError(`invalid IP autodetection method '${t}': '${c}' is not an IPv4 CIDR`)
      return {kind: 'cidr', cidrs}
    }
    case 'can-reach':
      if (!value) throw new CalicoError(`invalid IP autodetection method '${t}': 'can-reach=' needs a destination`)
      return {kind: 'can-reach', destination: value}
    default:
      throw new CalicoError(
        `invalid IP autodetection method '${t}': use first-found, interface=REGEX, skip-interface=REGEX, cidr=CIDR or can-reach=DESTINATION`,
      )
  }
}

function isV4Cidr(text: string): boolean {
  return parseCidr(text)?.family === 4
}

// Go's regexp.MatchString semantics: unanchored unless the pattern anchors itself.
const matchesAny = (name: string, patterns: readonly string[]) => patterns.some((p) => new RegExp(p).test(name))

/** Addresses calico-node would never report as the node IP. */
function usableAddress(cidr: string): boolean {
  const p = parseNet4(cidr)
  if (!p) return false
  const range = ipRange(formatIPv4(p.ip))
  return range !== 'loopback' && range !== 'linkLocal' && range !== 'unspecified' && range !== 'multicast'
}

export interface DetectedAddress {
  /** CIDR, e.g. 198.51.100.95/24. */
  cidr: string
  interface: string
}

/**
 * Picks the node address from the host's interfaces (pure; `can-reach` needs the local source
 * address the kernel chose, passed as `reachSource`). Interfaces are considered in index order.
 */
export function autodetectAddress(interfaces: readonly HostInterface[], method: AutodetectMethod, reachSource?: string): DetectedAddress | undefined {
  const ordered = [...interfaces].sort((a, b) => a.index - b.index)
  const candidates = (exclude: readonly string[]) =>
    ordered.filter((i) => !matchesAny(i.name, exclude)).flatMap((i) => i.addresses.filter(usableAddress).map((cidr) => ({cidr, interface: i.name})))
  switch (method.kind) {
    case 'first-found':
      return candidates(ALWAYS_EXCLUDED_INTERFACES)[0]
    case 'skip-interface':
      return candidates([...ALWAYS_EXCLUDED_INTERFACES, ...method.patterns])[0]
    case 'interface':
      return ordered
        .filter((i) => matchesAny(i.name, method.patterns))
        .flatMap((i) => i.addresses.filter(usableAddress).map((cidr) => ({cidr, interface: i.name})))[0]
    case 'cidr': {
      const nets = method.cidrs.flatMap((c) => parseNet4(c)?.cidr ?? [])
      return candidates(ALWAYS_EXCLUDED_INTERFACES).find((c) => {
        const ip = parseNet4(c.cidr)?.ip
        return ip !== undefined && nets.some((n) => cidr4Contains(n, ip))
      })
    }
    case 'can-reach':
      return reachSource ? findAddress(interfaces, reachSource) : undefined
  }
}

/** The interface holding an address, and the address with that interface's prefix length. */
export function findAddress(interfaces: readonly HostInterface[], ip: string): DetectedAddress | undefined {
  for (const i of [...interfaces].sort((a, b) => a.index - b.index)) {
    const hit = i.addresses.find((c) => c.split('/')[0] === ip)
    if (hit) return {cidr: hit, interface: i.name}
  }
  return undefined
}

/** This network namespace's interfaces and IPv4 addresses, over netlink. */
export async function readHostInterfaces(): Promise<HostInterface[]> {
  const nl = openNetlink()
  try {
    // One dump at a time: the socket cannot interleave two multipart replies.
    const links = await nl.listLinks()
    const addrs = await nl.listAddresses()
    return links.map((l) => ({name: l.name, index: l.index, up: l.up, addresses: addrs.filter((a) => a.ifindex === l.index).map((a) => a.cidr)}))
  } finally {
    nl.close()
  }
}

/** The source address the kernel picks to reach `destination` (a UDP connect sends nothing). */
export async function sourceAddressFor(destination: string): Promise<string> {
  let host = destination
  let port = 80
  const m = /^(.*):(\d+)$/.exec(destination)
  const v4 = m ? parseIPv4(m[1] ?? '') : undefined
  if (m && v4 !== undefined) {
    host = formatIPv4(v4)
    port = Number(m[2])
  }
  const sock = createSocket('udp4')
  try {
    return await new Promise<string>((resolve, reject) => {
      sock.once('error', reject)
      sock.connect(port, host, () => resolve(sock.address().address))
    })
  } catch (err) {
    throw new CalicoError(`IP autodetection can-reach=${destination}: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    sock.close()
  }
}

export interface IdentityOptions {
  /** --name; else NODENAME; else the host name. */
  name?: string
  /** --ip: `a.b.c.d[/len]`, `autodetect`, or undefined (keep the Node's, else autodetect). */
  ip?: string
  /** --ip-autodetection-method. */
  autodetectionMethod?: string
  /** --as. */
  as?: string
  env?: NodeJS.ProcessEnv
}

export interface NodeIdentity {
  name: string
  /** CIDR, e.g. 198.51.100.95/24. */
  ipv4Address: string
  /** Interface holding the address; undefined when the address is not on this host (or was not looked up: addressOnly). */
  interface?: string
  /** AS to store on the Node; undefined keeps whatever the Node has. */
  asNumber?: string
  /** How the address was found, for the plan. */
  source: string
}

export function resolveNodeName(opts: Pick<IdentityOptions, 'name' | 'env'>): string {
  const env = opts.env ?? process.env
  const name = (opts.name || env.NODENAME || env.HOSTNAME || hostname()).trim().toLowerCase()
  if (!name) throw new CalicoError('cannot determine the node name: use --name or NODENAME')
  return name
}

function normaliseAs(text: string): string {
  const s = text.trim()
  const dotted = /^(\d+)\.(\d+)$/.exec(s)
  const ok = dotted ? Number(dotted[1]) <= 0xffff && Number(dotted[2]) <= 0xffff : /^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 0xffffffff
  if (!ok) throw new CalicoError(`invalid AS number '${text}': use a number from 1 to 4294967295 or the dotted form 1.10`)
  return s
}

/**
 * Resolves this host's identity. `existing` is the stored Node (its address is kept when
 * neither --ip nor IP is given); `interfaces` and `reachSource` are injectable for tests.
 * With `addressOnly` (registration: the Node needs the name, address and AS) the host's
 * interfaces are read only when the address depends on them, and `interface` may be missing.
 */
export async function resolveIdentity(
  opts: IdentityOptions,
  existing?: Resource,
  deps: {interfaces?: HostInterface[]; readInterfaces?: () => Promise<HostInterface[]>; reach?: (dest: string) => Promise<string>; addressOnly?: boolean} = {},
): Promise<NodeIdentity> {
  const env = opts.env ?? process.env
  const name = resolveNodeName(opts)
  let read = deps.interfaces
  const hostInterfaces = async () => {
    read ??= await (deps.readInterfaces ?? readHostInterfaces)()
    return read
  }
  /** The interface holding `ip` (and its prefix), unless only the address is asked for and it is known. */
  const lookup = async (ip: string, known: boolean) => (known && deps.addressOnly ? undefined : findAddress(await hostInterfaces(), ip))
  const ipText = (opts.ip ?? env.IP ?? '').trim()
  const asText = (opts.as ?? env.AS ?? '').trim()
  const asNumber = asText ? normaliseAs(asText) : undefined
  const done = (cidr: string, source: string, iface?: string): NodeIdentity => ({
    name,
    ipv4Address: cidr,
    ...(iface ? {interface: iface} : {}),
    ...(asNumber ? {asNumber} : {}),
    source,
  })

  if (ipText && ipText !== 'autodetect') {
    if (ipText === 'none') throw new CalicoError('IP=none is not supported: node apply needs an IPv4 address for routes and BGP')
    const p = parseNet4(ipText)
    if (!p) throw new CalicoError(`invalid --ip '${ipText}': use an IPv4 address (optionally with /prefix) or 'autodetect'`)
    const ip = formatIPv4(p.ip)
    const found = await lookup(ip, ipText.includes('/'))
    const cidr = ipText.includes('/') ? `${ip}/${p.cidr.prefix}` : (found?.cidr ?? `${ip}/32`)
    return done(cidr, 'configured', found?.interface)
  }
  const stored = (existing?.spec as {bgp?: {ipv4Address?: string}} | undefined)?.bgp?.ipv4Address
  if (!ipText && stored) {
    const found = await lookup(stored.split('/')[0] ?? '', true)
    return done(stored, 'from the Node resource', found?.interface)
  }
  const methodText = opts.autodetectionMethod ?? env.IP_AUTODETECTION_METHOD
  const method = parseAutodetectMethod(methodText)
  const reachSource = method.kind === 'can-reach' ? await (deps.reach ?? sourceAddressFor)(method.destination) : undefined
  const hit = autodetectAddress(await hostInterfaces(), method, reachSource)
  if (!hit) throw new CalicoError(`no IPv4 address found for this node with autodetection method '${methodText || 'first-found'}'`)
  return done(hit.cidr, `autodetected (${methodText || 'first-found'}) on ${hit.interface}`, hit.interface)
}

// ---------------------------------------------------------------------------------------------
// The Node resource

export function nodeDef(): KindDef {
  const def = kindByName('Node')
  if (!def) throw new CalicoError('the Node kind is not registered')
  return def
}

export interface NodeRegistration {
  action: 'created' | 'updated' | 'unchanged'
  /** The Node as stored (or as it would be stored, with dryRun). */
  node: Resource
  /** Human-readable field changes, e.g. `spec.bgp.ipv4Address: (none) -> 198.51.100.95/24`. */
  changes: string[]
}

type Bgp = {ipv4Address?: string; asNumber?: string | number; ipv4IPIPTunnelAddr?: string; [k: string]: unknown}

function bgpOf(r: Resource | undefined): Bgp {
  return ((r?.spec as {bgp?: Bgp} | undefined)?.bgp ?? {}) as Bgp
}

function diffBgp(before: Bgp, after: Bgp): string[] {
  const out: string[] = []
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[k]
    const b = after[k]
    if (String(a ?? '') !== String(b ?? '')) out.push(`spec.bgp.${k}: ${a === undefined || a === '' ? '(none)' : String(a)} -> ${b === undefined || b === '' ? '(none)' : String(b)}`)
  }
  return out
}

/**
 * Applies `mutate` to this node's spec.bgp and stores the result: create when absent, else a
 * compare-and-swap update retried on conflict. Nothing is written when nothing changes.
 */
export async function updateNodeBgp(
  store: ResourceStore,
  name: string,
  mutate: (bgp: Bgp) => Bgp,
  opts: {dryRun?: boolean; existing?: Resource} = {},
): Promise<NodeRegistration> {
  const def = nodeDef()
  let stored = opts.existing ?? (await store.get(def, name))
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = bgpOf(stored)
    const after = mutate({...before})
    for (const k of Object.keys(after)) if (after[k] === undefined || after[k] === '') delete after[k]
    const changes = diffBgp(before, after)
    if (stored && changes.length === 0) return {action: 'unchanged', node: stored, changes}
    const spec = {...((stored?.spec as Record<string, unknown>) ?? {})}
    if (Object.keys(after).length > 0) spec.bgp = after
    else delete spec.bgp
    if (!stored) {
      const fresh = store.prepareCreate(def, {apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: {name}, spec})
      if (opts.dryRun) return {action: 'created', node: fresh, changes}
      const [res] = await store.createMany([{def, resource: fresh}])
      if (res?.ok) return {action: 'created', node: res.resource, changes}
    } else {
      const next = store.prepareUpdate(stored, {...stored, spec})
      if (opts.dryRun) return {action: 'updated', node: next, changes}
      const [res] = await store.updateMany([{def, resource: next}])
      if (res?.ok) return {action: 'updated', node: res.resource, changes}
      if (res && !(res.error instanceof ConflictError)) throw res.error
    }
    stored = await store.get(def, name) // lost a race: read again and retry
  }
  throw new ConflictError(`update conflict: Node(${name}) kept changing; try again`)
}

/** Creates or updates this host's Node with its address and (when given) AS number. */
export function registerNode(store: ResourceStore, id: NodeIdentity, opts: {dryRun?: boolean; existing?: Resource} = {}): Promise<NodeRegistration> {
  return updateNodeBgp(
    store,
    id.name,
    (bgp) => ({
      ...bgp,
      ipv4Address: id.ipv4Address,
      // Calico stores a plain AS as a JSON number and the dotted form as a string.
      ...(id.asNumber !== undefined ? {asNumber: /^\d+$/.test(id.asNumber) ? Number(id.asNumber) : id.asNumber} : {}),
    }),
    opts,
  )
}

/**
 * Registration as the first datastore action of `node run` and `node apply`: one read of this
 * host's Node, then create or update it. Nothing else is read first, so the Node is visible
 * (and `workload add` can run) before any snapshot is listed or the dataplane is touched.
 */
export async function registerThisNode(
  store: ResourceStore,
  opts: IdentityOptions,
  deps: {interfaces?: HostInterface[]} = {},
): Promise<NodeRegistration & {identity: NodeIdentity}> {
  // Only the address is stored: the host's interfaces are read (netlink loaded) only when the
  // address depends on them (autodetection, or --ip without a prefix), which keeps netlink's
  // load out of the time to registration.
  const existing = await store.get(nodeDef(), resolveNodeName(opts))
  const identity = await resolveIdentity(opts, existing, {...deps, addressOnly: true})
  const reg = await registerNode(store, identity, existing ? {existing} : {})
  return {...reg, identity}
}

/**
 * registerThisNode for `node run`, logged: a failure is logged, not thrown (the first pass
 * registers again and retries).
 */
export async function registerAndLog(store: ResourceStore, opts: IdentityOptions, log: Logger, interfaces?: HostInterface[]): Promise<void> {
  const t0 = Date.now()
  try {
    const r = await registerThisNode(store, opts, interfaces ? {interfaces} : {})
    log('info', `Node ${r.identity.name} ${r.action === 'unchanged' ? 'already registered' : r.action} (${r.identity.ipv4Address}) in ${Date.now() - t0} ms`)
  } catch (err) {
    log('error', `cannot register this node yet: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}; the first pass retries`)
  }
}
