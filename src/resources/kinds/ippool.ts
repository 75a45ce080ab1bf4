import {fieldError, type FieldError} from '../errors.js'
import {boolPtr, bool, int, obj, str, strList, strPtr, type Fields} from '../schema.js'
import {validateSelector} from '../selector.js'
import {type KindDef, type Resource, specOf} from '../types.js'
import {checkOneOf, CidrIndex, cidrsOverlap, parseCidr} from '../validate.js'

export interface IPPoolSpec {
  cidr: string
  vxlanMode?: string
  ipipMode?: string
  natOutgoing?: boolean
  disabled?: boolean
  disableBGPExport?: boolean
  blockSize?: number
  nodeSelector?: string
  namespaceSelector?: string
  allowedUses?: string[]
  assignmentMode?: string
  ipip?: unknown
}

export const ENCAP_MODES = ['Always', 'CrossSubnet', 'Never'] as const
const USES = ['Workload', 'Tunnel', 'LoadBalancer'] as const

const specFields: Fields = [
  ['cidr', str],
  ['vxlanMode', str],
  ['ipipMode', str],
  ['natOutgoing', bool],
  ['disabled', bool],
  ['disableBGPExport', bool],
  ['blockSize', int],
  ['nodeSelector', str],
  ['namespaceSelector', str],
  ['ipip', obj([['enabled', bool], ['mode', str]], true)],
  ['nat-outgoing', bool],
  ['allowedUses', strList],
  ['assignmentMode', strPtr],
]
void boolPtr

// One index per set of pools, so checking N pools against each other is N log N, not N².
const indexes = new WeakMap<Resource[], CidrIndex<Resource>>()
function overlapIndex(pools: Resource[]): CidrIndex<Resource> {
  let idx = indexes.get(pools)
  if (!idx) {
    idx = new CidrIndex(pools.flatMap((r) => ((r.spec as IPPoolSpec | undefined)?.cidr ? [[(r.spec as IPPoolSpec).cidr, r] as const] : [])))
    indexes.set(pools, idx)
  }
  return idx
}

function spec(r: Resource): IPPoolSpec {
  r.spec ??= {}
  return r.spec as IPPoolSpec
}

/** The uses a pool serves when it names none. */
export const DEFAULT_ALLOWED_USES: readonly string[] = ['Workload', 'Tunnel']

/**
 * Calico's IPPool defaults, filled in where a field is absent or empty: when a pool is written and
 * again when one is read back (upstream v3.32.1 libcalico-go/lib/clientv3/ippool.go: the
 * create/update defaulting and convertIpPoolFromStorage). A value that is there but wrong is left
 * for validation to report.
 */
export function fillPoolDefaults(s: IPPoolSpec): void {
  const p = typeof s.cidr === 'string' ? parseCidr(s.cidr) : undefined
  s.vxlanMode ||= 'Never'
  s.ipipMode ||= 'Never'
  // Upstream takes the family from the CIDR; one that does not parse is refused on write anyway.
  if (!s.blockSize) s.blockSize = p?.family === 6 ? 122 : 26
  s.nodeSelector ||= 'all()'
  if (!s.allowedUses || s.allowedUses.length === 0) s.allowedUses = [...DEFAULT_ALLOWED_USES]
  s.assignmentMode ||= 'Automatic'
}

/** A stored pool as the agent and IPAM read it: its spec with Calico's defaults, flags as booleans. */
export interface PoolRead {
  name: string
  cidr: string
  blockSize: number
  disabled: boolean
  nodeSelector: string
  ipipMode: string
  vxlanMode: string
  /** Default `[Workload, Tunnel]`. */
  allowedUses: string[]
  /** `Automatic` (default) or `Manual`: manual pools serve only requests that name them. */
  assignmentMode: string
  natOutgoing: boolean
  disableBGPExport: boolean
}

export function readPool(r: Resource): PoolRead {
  const s: IPPoolSpec = {...specOf<IPPoolSpec>(r)}
  fillPoolDefaults(s)
  return {
    name: r.metadata.name,
    cidr: String(s.cidr ?? ''),
    blockSize: Number(s.blockSize),
    disabled: s.disabled === true,
    nodeSelector: String(s.nodeSelector),
    ipipMode: String(s.ipipMode),
    vxlanMode: String(s.vxlanMode),
    allowedUses: s.allowedUses ?? [...DEFAULT_ALLOWED_USES],
    assignmentMode: String(s.assignmentMode),
    natOutgoing: s.natOutgoing === true,
    disableBGPExport: s.disableBGPExport === true,
  }
}

export const IPPool: KindDef = {
  kind: 'IPPool',
  plural: 'ippools',
  aliases: ['ippool', 'ippools', 'ipp', 'ipps', 'pool', 'pools'],
  namespaced: false,
  specFields,
  columns: ['NAME', 'CIDR', 'SELECTOR'],
  wideColumns: ['NAME', 'CIDR', 'NAT', 'IPIPMODE', 'VXLANMODE', 'DISABLED', 'DISABLEBGPEXPORT', 'SELECTOR', 'ASSIGNMENTMODE'],
  cell(r, col) {
    const s = spec(r)
    switch (col) {
      case 'NAME':
        return r.metadata.name
      case 'CIDR':
        return s.cidr ?? ''
      case 'SELECTOR':
        return s.nodeSelector ?? ''
      case 'NAT':
        return String(Boolean(s.natOutgoing))
      case 'IPIPMODE':
        return s.ipipMode || 'Never'
      case 'VXLANMODE':
        return s.vxlanMode || 'Never'
      case 'DISABLED':
        return String(Boolean(s.disabled))
      case 'DISABLEBGPEXPORT':
        return String(Boolean(s.disableBGPExport))
      case 'ASSIGNMENTMODE':
        return s.assignmentMode ?? 'Automatic'
      default:
        return ''
    }
  },
  defaults(r) {
    const s = spec(r)
    const p = typeof s.cidr === 'string' ? parseCidr(s.cidr) : undefined
    // Normalise to canonical form only when strictly masked: a masked-off CIDR must still fail.
    if (p?.masked) s.cidr = p.text
    fillPoolDefaults(s)
  },
  validate(r, ctx) {
    const s = spec(r)
    const out: FieldError[] = []
    const p = typeof s.cidr === 'string' ? parseCidr(s.cidr) : undefined
    if (s.cidr === undefined || s.cidr === '') out.push(fieldError('spec.cidr', 'is required'))
    else if (!p) out.push(fieldError('spec.cidr', 'IPPool CIDR must be a valid subnet', s.cidr))
    else {
      if (!p.masked) out.push(fieldError('spec.cidr', 'IPPool CIDR is not strictly masked', s.cidr))
      const linkLocal = p.family === 4 ? '169.254.0.0/16' : 'fe80::/10'
      if (cidrsOverlap(p.text, linkLocal)) out.push(fieldError('spec.cidr', `IPPool CIDR overlaps with the link-local range ${linkLocal}`, s.cidr))
    }
    checkOneOf(s.ipipMode, ENCAP_MODES, 'spec.ipipMode', out)
    checkOneOf(s.vxlanMode, ENCAP_MODES, 'spec.vxlanMode', out)
    checkOneOf(s.assignmentMode, ['Automatic', 'Manual'], 'spec.assignmentMode', out)
    const ipip = s.ipipMode && s.ipipMode !== 'Never'
    const vxlan = s.vxlanMode && s.vxlanMode !== 'Never'
    if (ipip && vxlan) out.push(fieldError('spec.ipipMode', 'Cannot enable both VXLAN and IPIP on the same IPPool', s.ipipMode))
    if (p?.family === 6 && ipip) out.push(fieldError('spec.ipipMode', 'IPIP is not supported on an IPv6 IP pool', s.ipipMode))
    if (s.blockSize !== undefined && p) {
      const [lo, hi] = p.family === 4 ? [20, 32] : [116, 128]
      if (s.blockSize < lo || s.blockSize > hi)
        out.push(fieldError('spec.blockSize', `IPv${p.family} block size must be between ${lo} and ${hi}`, s.blockSize))
      else if (!s.disabled && p.prefix > s.blockSize)
        out.push(fieldError('spec.cidr', `IP pool size is too small (/${p.prefix}) for use with Calico IPAM: the prefix must be /${s.blockSize} or larger`, s.cidr))
    }
    if (s.nodeSelector) out.push(...validateSelector(s.nodeSelector, 'spec.nodeSelector', {allowGlobal: false}))
    if (s.namespaceSelector) out.push(...validateSelector(s.namespaceSelector, 'spec.namespaceSelector', {allowGlobal: false}))
    for (const [i, u] of (s.allowedUses ?? []).entries()) checkOneOf(u, USES, `spec.allowedUses[${i}]`, out)
    const uses = s.allowedUses ?? []
    if (uses.includes('LoadBalancer')) {
      if (uses.length > 1) out.push(fieldError('spec.allowedUses', 'LoadBalancer cannot be combined with other uses', uses))
      if (ipip || vxlan) out.push(fieldError('spec.allowedUses', 'LoadBalancer pools cannot use IPIP or VXLAN', uses))
      if ((s.nodeSelector ?? 'all()') !== 'all()') out.push(fieldError('spec.nodeSelector', "LoadBalancer pools need nodeSelector all()", s.nodeSelector))
      // validator.go validateIPPoolSpec refuses disableBGPExport on LoadBalancer pools (its
      // message says the opposite; the check is `isLoadBalancer && pool.DisableBGPExport`).
      if (s.disableBGPExport) out.push(fieldError('spec.disableBGPExport', 'must not be true on a LoadBalancer pool', true))
    }
    if (uses.includes('Tunnel') && s.namespaceSelector) out.push(fieldError('spec.namespaceSelector', 'is not allowed on a pool with the Tunnel use'))
    if (s.ipip) out.push(fieldError('spec.ipip', 'is a v1 field that may not be set'))
    if (s['nat-outgoing' as keyof IPPoolSpec]) out.push(fieldError('spec.nat-outgoing', 'is a v1 field that may not be set'))
    // Overlap is checked against every other stored pool (calicoctl checks on create only; so do we, plus updates).
    if (p && ctx.existing) {
      for (const other of overlapIndex(ctx.existing).overlapping(p.text)) {
        if (other.metadata.name === r.metadata.name) continue
        out.push(fieldError('spec.cidr', `IPPool(${r.metadata.name}) CIDR overlaps with IPPool(${other.metadata.name}) CIDR ${(other.spec as IPPoolSpec).cidr}`, s.cidr))
      }
    }
    return out
  },
  validateUpdate(stored, next) {
    const out: FieldError[] = []
    const a = stored.spec as IPPoolSpec
    const b = next.spec as IPPoolSpec
    if (parseCidr(a.cidr)?.text !== parseCidr(b.cidr)?.text) out.push(fieldError('spec.cidr', 'IPPool CIDR cannot be modified', b.cidr))
    if (a.blockSize !== b.blockSize) out.push(fieldError('spec.blockSize', 'IPPool BlockSize cannot be modified', b.blockSize))
    if ((a.allowedUses ?? []).includes('LoadBalancer') && !(b.allowedUses ?? []).includes('LoadBalancer'))
      out.push(fieldError('spec.allowedUses', 'cannot be changed away from LoadBalancer', b.allowedUses))
    return out
  },
}
