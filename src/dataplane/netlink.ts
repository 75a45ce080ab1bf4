// Shared kernel access for the dataplane executors: links, IPv4 addresses and main-table routes
// over rtnetlink (the `netlink` package), plus the per-interface /proc sysctls Calico needs.
// The socket lives in the namespace of this process: run under `ip netns exec NS` to act on NS.
import {readFile, writeFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import type {RtNetlinkSocket} from 'netlink/dist/rt/rt.js'
import {assertSafeName} from '../lib/exec.js'
import {formatIPv4, parseIPv4, parseNet4} from '../lib/ip.js'

/** The protocol number that marks a route as ours (Felix's default exclusive protocol). */
export const OWNED_ROUTE_PROTOCOL = 80
export const MAIN_TABLE = 254
const AF_INET = 2
/** RTNH_F_ONLINK; the package's typed RouteFlags lack it. */
const RTNH_F_ONLINK = 4
const IFLA_INFO_KIND = 1
// rtnetlink message types and the rtmsg header (linux/rtnetlink.h).
const RTM_NEWROUTE = 24
const RTM_GETROUTE = 26
const RTMSG_LENGTH = 12
const RTA_DST = 1
const RTA_OIF = 4
const RTA_GATEWAY = 5
const RTA_TABLE = 15
const NLM_F_DUMP = 0x300
// NLM_F_* request flags for new objects.
const NLM_F_REPLACE = 0x100
const NLM_F_EXCL = 0x200
const NLM_F_CREATE = 0x400

export interface LinkInfo {
  name: string
  index: number
  mtu: number
  /** Administratively up (IFF_UP). */
  up: boolean
  /** `veth`, `ipip`, ... from IFLA_LINKINFO; undefined for plain devices such as lo. */
  kind?: string
}

export interface AddressInfo {
  ifindex: number
  /** CIDR, e.g. `192.168.1.0/32`. */
  cidr: string
}

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'local' | 'other'
export type RouteScope = 'universe' | 'link' | 'host' | 'other'

export interface KernelRoute {
  /** CIDR, e.g. `192.168.1.0/26`. */
  dst: string
  type: RouteType
  gateway?: string
  ifindex?: number
  onlink: boolean
  scope: RouteScope
  protocol: number
  table: number
}

/** A route to write; names the device by index (resolve names first). */
export interface RouteSpec {
  dst: string
  type: 'unicast' | 'blackhole'
  gateway?: string
  ifindex?: number
  onlink?: boolean
  scope: 'universe' | 'link'
  protocol: number
}

/** A rejected netlink request; `code` is the errno name the kernel answered (EEXIST, ENODEV, ...). */
export class NetlinkError extends Error {
  constructor(
    readonly code: string,
    readonly operation: string,
  ) {
    super(`${operation}: ${code}${ERRNO_TEXT[code] ? ` (${ERRNO_TEXT[code]})` : ''}`)
    this.name = 'NetlinkError'
  }
}

const ERRNO_TEXT: Record<string, string> = {
  EEXIST: 'already exists',
  ENOENT: 'not found',
  ESRCH: 'not found',
  ENODEV: 'no such device',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'device is down',
  EPERM: 'permission denied',
  EOPNOTSUPP: 'not supported by this kernel',
  ENOTSUP: 'not supported by this kernel',
  EINVAL: 'invalid argument',
  EADDRNOTAVAIL: 'address not available',
}

/** The package rejects with `Error("Request rejected: EEXIST")`; recover the errno name. */
export function netlinkErrorCode(err: unknown): string | undefined {
  const msg = err instanceof Error ? err.message : String(err)
  return /Request rejected: ([A-Z0-9]+)/.exec(msg)?.[1]
}

async function wrap<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    const code = netlinkErrorCode(err)
    if (code) throw new NetlinkError(code, operation)
    throw err
  }
}

export function ipv4ToBuffer(ip: string): Buffer {
  const n = parseIPv4(ip)
  if (n === undefined) throw new Error(`invalid IPv4 address '${ip}'`)
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

export function bufferToIpv4(b: Buffer): string {
  return formatIPv4(b.readUInt32BE(0))
}

/** An IPv4 CIDR (a bare address is /32) as the address written and its prefix length. */
export function splitCidr(cidr: string): {ip: string; len: number} {
  const p = parseNet4(cidr)
  if (!p) throw new Error(parseIPv4(cidr.split('/')[0] ?? '') === undefined ? `invalid IPv4 address in '${cidr}'` : `invalid IPv4 CIDR '${cidr}'`)
  return {ip: formatIPv4(p.ip), len: p.cidr.prefix}
}

/** IFLA_LINKINFO is handed over raw: find the nested IFLA_INFO_KIND string. */
function linkKind(info: Buffer | undefined): string | undefined {
  if (!info) return undefined
  let off = 0
  while (off + 4 <= info.length) {
    const len = info.readUInt16LE(off)
    const type = info.readUInt16LE(off + 2) & 0x3fff
    if (len < 4) break
    if (type === IFLA_INFO_KIND) return info.subarray(off + 4, off + len).toString('utf8').replace(/\0+$/, '')
    off += (len + 3) & ~3
  }
  return undefined
}

const routeTypeNumbers: Record<number, RouteType> = {1: 'unicast', 2: 'local', 6: 'blackhole', 7: 'unreachable', 8: 'prohibit'}
const scopeNumbers: Record<number, RouteScope> = {0: 'universe', 253: 'link', 254: 'host'}

/**
 * One RTM_NEWROUTE payload (rtmsg, then attributes) as a KernelRoute; undefined when it is not
 * an IPv4 main-table route or (with `protocol`) has another protocol.
 */
export function parseRouteMessage(d: Buffer, protocol?: number): KernelRoute | undefined {
  if (d.length < RTMSG_LENGTH || d[0] !== AF_INET) return undefined
  const proto = d[5] as number
  if (protocol !== undefined && proto !== protocol) return undefined
  let table = d[4] as number
  let dst = '0.0.0.0'
  let gateway: string | undefined
  let ifindex: number | undefined
  for (let off = RTMSG_LENGTH; off + 4 <= d.length; ) {
    const len = d.readUInt16LE(off)
    if (len < 4 || off + len > d.length) break
    const type = d.readUInt16LE(off + 2) & 0x3fff
    if (type === RTA_DST && len >= 8) dst = bufferToIpv4(d.subarray(off + 4, off + 8))
    else if (type === RTA_GATEWAY && len >= 8) gateway = bufferToIpv4(d.subarray(off + 4, off + 8))
    else if (type === RTA_OIF && len >= 8) ifindex = d.readUInt32LE(off + 4)
    else if (type === RTA_TABLE && len >= 8) table = d.readUInt32LE(off + 4)
    off += (len + 3) & ~3
  }
  if (table !== MAIN_TABLE) return undefined
  // Optional fields assigned, not spread: a dump makes one of these per route.
  const route: KernelRoute = {
    dst: `${dst}/${d[1]}`,
    type: routeTypeNumbers[d[7] as number] ?? 'other',
    onlink: (d.readUInt32LE(8) & RTNH_F_ONLINK) !== 0,
    scope: scopeNumbers[d[6] as number] ?? 'other',
    protocol: proto,
    table,
  }
  if (gateway) route.gateway = gateway
  if (ifindex !== undefined) route.ifindex = ifindex
  return route
}

/** Opens an rtnetlink socket in this process's network namespace; close() it when done. */
export function openNetlink(): Netlink {
  return new Netlink()
}

// The package is loaded at the first socket, not with this module: its native part and 400 kB of
// struct codecs cost about as much as the rest of a command's start-up (0.5-0.75 s of a command
// under user-mode-linux), and the sysctls and constants here need none of it. Only its rtnetlink
// part: the package's index also loads nl80211 and WireGuard modules this tool never uses.
let rtNetlink: typeof import('netlink/dist/rt/rt.js') | undefined
function loadRtNetlink(): typeof import('netlink/dist/rt/rt.js') {
  rtNetlink ??= createRequire(import.meta.url)('netlink/dist/rt/rt.js') as typeof import('netlink/dist/rt/rt.js')
  return rtNetlink
}

export class Netlink {
  private readonly sock: RtNetlinkSocket

  constructor() {
    this.sock = loadRtNetlink().createRtNetlink()
  }

  close(): void {
    this.sock.socket.close()
  }

  async listLinks(): Promise<LinkInfo[]> {
    const msgs = await wrap('list links', () => this.sock.getLinks())
    return msgs.map((m) => {
      const kind = linkKind(m.attrs.linkinfo)
      return {
        name: m.attrs.ifname ?? '',
        index: m.data.index ?? 0,
        mtu: m.attrs.mtu ?? 0,
        up: m.data.flags?.up === true,
        ...(kind ? {kind} : {}),
      }
    })
  }

  async linkByName(name: string): Promise<LinkInfo | undefined> {
    return (await this.listLinks()).find((l) => l.name === name)
  }

  async setLinkUp(index: number): Promise<void> {
    await wrap(`set link ${index} up`, () => this.sock.setLink({index, flags: {up: true}, change: {up: true}}))
  }

  async setLinkMtu(index: number, mtu: number): Promise<void> {
    await wrap(`set link ${index} mtu ${mtu}`, () => this.sock.setLink({index}, {mtu}))
  }

  /** Creates a link of a kind that needs no IFLA_INFO_DATA (e.g. `ipip` with defaults). */
  async createLink(name: string, kind: string): Promise<void> {
    assertSafeName('interface name', name)
    const kindBytes = Buffer.from(`${kind}\0`)
    const nla = Buffer.alloc((4 + kindBytes.length + 3) & ~3)
    nla.writeUInt16LE(4 + kindBytes.length, 0)
    nla.writeUInt16LE(IFLA_INFO_KIND, 2)
    kindBytes.copy(nla, 4)
    await wrap(`create ${kind} link ${name}`, () =>
      this.sock.newLink({}, {ifname: name, linkinfo: nla}, {flags: NLM_F_CREATE | NLM_F_EXCL}),
    )
  }

  /** IPv4 addresses, optionally of one link. */
  async listAddresses(ifindex?: number): Promise<AddressInfo[]> {
    const msgs = await wrap('list addresses', () => this.sock.getAddresses({family: AF_INET}))
    const out: AddressInfo[] = []
    for (const m of msgs) {
      const raw = m.attrs.local ?? m.attrs.address
      if (m.data.family !== AF_INET || !raw || m.data.index === undefined) continue
      if (ifindex !== undefined && m.data.index !== ifindex) continue
      out.push({ifindex: m.data.index, cidr: `${bufferToIpv4(raw)}/${m.data.prefixlen ?? 32}`})
    }
    return out
  }

  async addAddress(ifindex: number, cidr: string): Promise<void> {
    const {ip, len} = splitCidr(cidr)
    const b = ipv4ToBuffer(ip)
    await wrap(`add address ${cidr}`, () =>
      this.sock.newAddress({family: AF_INET, prefixlen: len, index: ifindex}, {local: b, address: b}, {flags: NLM_F_CREATE | NLM_F_EXCL}),
    )
  }

  async deleteAddress(ifindex: number, cidr: string): Promise<void> {
    const {ip, len} = splitCidr(cidr)
    const b = ipv4ToBuffer(ip)
    await wrap(`delete address ${cidr}`, () => this.sock.delAddress({family: AF_INET, prefixlen: len, index: ifindex}, {local: b, address: b}))
  }

  /**
   * IPv4 routes of the main table, optionally only those with one protocol number. The dump is
   * parsed here rather than by the package: only the rtmsg header and four attributes are read,
   * and routes of other protocols are skipped from the header alone (a host with 10,000 routes
   * made the package's generic parse most of a no-op pass).
   */
  async listRoutes(filter: {protocol?: number} = {}): Promise<KernelRoute[]> {
    const request = Buffer.alloc(RTMSG_LENGTH)
    request[0] = AF_INET
    const [msgs] = await wrap('list routes', () => this.sock.socket.request(RTM_GETROUTE, request, {flags: NLM_F_DUMP}))
    const out: KernelRoute[] = []
    for (const m of msgs) {
      if (m.type !== RTM_NEWROUTE) continue
      const r = parseRouteMessage(m.data, filter.protocol)
      if (r) out.push(r)
    }
    return out
  }

  /** Writes a route; `replace` overwrites the route with the same key, otherwise an existing one is EEXIST. */
  async writeRoute(r: RouteSpec, mode: 'add' | 'replace'): Promise<void> {
    const {ip, len} = splitCidr(r.dst)
    const flags = mode === 'replace' ? NLM_F_CREATE | NLM_F_REPLACE : NLM_F_CREATE | NLM_F_EXCL
    await wrap(`${mode} route ${r.dst}`, () =>
      this.sock.newRoute(
        {
          family: AF_INET,
          dstLen: len,
          table: MAIN_TABLE,
          protocol: r.protocol,
          scope: r.scope === 'link' ? 'LINK' : 'UNIVERSE',
          type: r.type === 'blackhole' ? 'BLACKHOLE' : 'UNICAST',
          flags: r.onlink ? {__unknown: RTNH_F_ONLINK} : {},
        },
        {
          dst: ipv4ToBuffer(ip),
          ...(r.gateway ? {gateway: ipv4ToBuffer(r.gateway)} : {}),
          ...(r.ifindex !== undefined ? {oif: r.ifindex} : {}),
        },
        {flags},
      ),
    )
  }

  /** Deletes a main-table route; naming the protocol makes the kernel refuse to delete anyone else's. */
  async deleteRoute(dst: string, protocol: number, type: 'unicast' | 'blackhole' | 'other' = 'other'): Promise<void> {
    const {ip, len} = splitCidr(dst)
    await wrap(`delete route ${dst}`, () =>
      this.sock.delRoute(
        {
          family: AF_INET,
          dstLen: len,
          table: MAIN_TABLE,
          protocol,
          scope: 'NOWHERE',
          ...(type === 'unicast' ? {type: 'UNICAST' as const} : type === 'blackhole' ? {type: 'BLACKHOLE' as const} : {}),
        },
        {dst: ipv4ToBuffer(ip)},
      ),
    )
  }
}

/** Writes each /proc/sys value that differs; returns the number of writes (with dryRun: that would be made). */
async function ensureProcSys(values: ReadonlyArray<readonly [string, string]>, dryRun = false): Promise<number> {
  let writes = 0
  for (const [path, value] of values) {
    const current = (await readFile(path, 'utf8')).trim()
    if (current !== value) {
      if (!dryRun) await writeFile(path, `${value}\n`)
      writes++
    }
  }
  return writes
}

/**
 * Sets the sysctls a workload interface needs, as Felix does: forwarding on it, proxy ARP so the
 * pod's gateway 169.254.1.1 is answered by the host, with no reply delay. Writes only what
 * differs; returns the number of writes.
 */
export async function ensureWorkloadInterfaceSysctls(iface: string, opts: {dryRun?: boolean; procRoot?: string} = {}): Promise<number> {
  const procRoot = opts.procRoot ?? '/proc'
  assertSafeName('interface name', iface)
  if (iface.includes('/') || iface === '.' || iface === '..' || iface.length > 15) throw new Error(`invalid interface name '${iface}'`)
  return ensureProcSys(
    [
      [`${procRoot}/sys/net/ipv4/conf/${iface}/forwarding`, '1'],
      [`${procRoot}/sys/net/ipv4/conf/${iface}/proxy_arp`, '1'],
      [`${procRoot}/sys/net/ipv4/neigh/${iface}/proxy_delay`, '0'],
    ],
    opts.dryRun,
  )
}

/**
 * `net.ipv4.ip_forward=1`, as Felix does at start when IPForwarding is Enabled (its default):
 * without it the host neither routes workload traffic nor answers proxy ARP for the pods'
 * gateway. Returns true when it was (or, with dryRun, would be) switched on.
 */
export async function ensureIpForwarding(opts: {dryRun?: boolean; procRoot?: string} = {}): Promise<boolean> {
  return (await ensureProcSys([[`${opts.procRoot ?? '/proc'}/sys/net/ipv4/ip_forward`, '1']], opts.dryRun)) > 0
}
