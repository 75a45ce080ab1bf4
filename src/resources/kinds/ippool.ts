import {fieldError, type FieldError} from '../errors.js'
import {boolPtr, bool, int, obj, str, strList, strPtr, type Fields} from '../schema.js'
import {validateSelector} from '../selector.js'
import {type KindDef, type Resource, specOf} from '../types.js'
import {CidrIndex, cidrsOverlap, parseCidr} from '../validate.js'
import {type Check, oneOf, type RuleRow, required, tableValidator} from '../rule-table.js'

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
  // v1 fields that v3.32.1 no longer has: read from old stored pools; in a manifest, refused as
  // unknown to upstream's API (upstream.ts addUpstreamFindings).
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

const V = 'libcalico-go/lib/validator/v3/validator.go'
const API = 'api/pkg/apis/projectcalico/v3/ippool.go'
type Spec = IPPoolSpec & Record<string, unknown>
// Several rows read the pool's CIDR; the rows of one pool run together, so the last parse is kept.
let lastCidr: {text: string; parsed: ReturnType<typeof parseCidr>} | undefined
function cidr(text: unknown): ReturnType<typeof parseCidr> {
  if (typeof text !== 'string') return undefined
  if (lastCidr?.text !== text) lastCidr = {text, parsed: parseCidr(text)}
  return lastCidr.parsed
}
const cidrOf = (s: Spec) => cidr(s.cidr)
const encapOn = (mode: unknown) => typeof mode === 'string' && mode !== '' && mode !== 'Never'
const usesOf = (s: Spec) => (Array.isArray(s.allowedUses) ? s.allowedUses : [])
const isLoadBalancer = (s: Spec) => usesOf(s).includes('LoadBalancer')
const selector: Check = (v, at) => (typeof v === 'string' && v !== '' ? validateSelector(v, at.path, {allowGlobal: false}) : undefined)

/** IPPool's rules (validator.go validateIPPoolSpec and the field tags of ippool.go). */
export const RULES: readonly RuleRow[] = [
  {field: 'spec.cidr', rule: 'required', source: `${API} cidr (validate:"net")`, absent: true, check: required},
  {field: 'spec.cidr', rule: 'a valid subnet', source: `${V} validateIPPoolSpec`, check: (v) => (v !== '' && !cidr(v) ? 'IPPool CIDR must be a valid subnet' : undefined)},
  {field: 'spec.cidr', rule: 'strictly masked', source: `${V} validateIPPoolSpec`, check: (v) => (cidr(v)?.masked === false ? 'IPPool CIDR is not strictly masked' : undefined)},
  {
    field: 'spec.cidr',
    rule: 'outside the link-local range',
    source: `${V} validateIPPoolSpec`,
    check: (v) => {
      const p = cidr(v)
      const linkLocal = p?.family === 4 ? '169.254.0.0/16' : 'fe80::/10'
      return p && cidrsOverlap(p.text, linkLocal) ? `IPPool CIDR overlaps with the link-local range ${linkLocal}` : undefined
    },
  },
  {field: 'spec.ipipMode', rule: 'Always, CrossSubnet or Never', source: `${API} ipipMode (validate:"ipIpMode")`, check: oneOf(...ENCAP_MODES)},
  {field: 'spec.vxlanMode', rule: 'Always, CrossSubnet or Never', source: `${API} vxlanMode (validate:"vxlanMode")`, check: oneOf(...ENCAP_MODES)},
  {field: 'spec.assignmentMode', rule: 'Automatic or Manual', source: `${API} assignmentMode (validate:"assignmentMode")`, check: oneOf('Automatic', 'Manual')},
  {field: 'spec.ipipMode', rule: 'not with VXLAN', source: `${V} validateIPPoolSpec`, check: (v, at) => (encapOn(v) && encapOn(at.parent.vxlanMode) ? 'Cannot enable both VXLAN and IPIP on the same IPPool' : undefined)},
  {field: 'spec.ipipMode', rule: 'IPv4 pools only', source: `${V} validateIPPoolSpec`, check: (v, at) => (encapOn(v) && cidrOf(at.parent as Spec)?.family === 6 ? 'IPIP is not supported on an IPv6 IP pool' : undefined)},
  {
    field: 'spec.blockSize',
    rule: '20-32 (IPv4) or 116-128 (IPv6)',
    source: `${V} validateIPPoolSpec`,
    check: (v, at) => {
      const p = cidrOf(at.parent as Spec)
      const [lo, hi] = p?.family === 6 ? [116, 128] : [20, 32]
      return p && typeof v === 'number' && (v < lo || v > hi) ? `IPv${p.family} block size must be between ${lo} and ${hi}` : undefined
    },
  },
  {
    field: 'spec.cidr',
    rule: 'no smaller than a block (unless disabled)',
    source: `${V} validateIPPoolSpec`,
    check: (_v, at) => {
      const s = at.parent as Spec
      const p = cidrOf(s)
      const b = s.blockSize
      if (!p || typeof b !== 'number' || s.disabled || b < (p.family === 4 ? 20 : 116) || b > (p.family === 4 ? 32 : 128)) return undefined
      return p.prefix > b ? `IP pool size is too small (/${p.prefix}) for use with Calico IPAM: the prefix must be /${b} or larger` : undefined
    },
  },
  {field: 'spec.nodeSelector', rule: 'a selector', source: `${API} nodeSelector (validate:"selector")`, check: selector},
  {field: 'spec.namespaceSelector', rule: 'a selector', source: `${API} namespaceSelector (validate:"selector")`, check: selector},
  {field: 'spec.allowedUses[*]', rule: 'Workload, Tunnel or LoadBalancer', source: `${API} allowedUses (validate:"ipPoolUse")`, check: oneOf(...USES)},
  {field: 'spec.allowedUses', rule: 'LoadBalancer alone', source: `${V} validateIPPoolSpec`, check: (v, at) => (isLoadBalancer(at.parent as Spec) && (v as unknown[]).length > 1 ? 'LoadBalancer cannot be combined with other uses' : undefined)},
  {
    field: 'spec.allowedUses',
    rule: 'LoadBalancer pools without IPIP or VXLAN',
    source: `${V} validateIPPoolSpec`,
    check: (_v, at) => (isLoadBalancer(at.parent as Spec) && (encapOn(at.parent.ipipMode) || encapOn(at.parent.vxlanMode)) ? 'LoadBalancer pools cannot use IPIP or VXLAN' : undefined),
  },
  {field: 'spec.nodeSelector', rule: 'all() on LoadBalancer pools', source: `${V} validateIPPoolSpec`, check: (v, at) => (isLoadBalancer(at.parent as Spec) && v !== '' && v !== 'all()' ? 'LoadBalancer pools need nodeSelector all()' : undefined)},
  // validator.go validateIPPoolSpec refuses disableBGPExport on LoadBalancer pools (its message
  // says the opposite; the check is `isLoadBalancer && pool.DisableBGPExport`).
  {field: 'spec.disableBGPExport', rule: 'not on LoadBalancer pools', source: `${V} validateIPPoolSpec`, check: (v, at) => (v === true && isLoadBalancer(at.parent as Spec) ? 'must not be true on a LoadBalancer pool' : undefined)},
  {
    field: 'spec.namespaceSelector',
    rule: 'not on Tunnel pools',
    source: `${V} validateIPPoolSpec`,
    check: (v, at) => (v !== '' && usesOf(at.parent as Spec).includes('Tunnel') ? [fieldError(at.path, 'is not allowed on a pool with the Tunnel use')] : undefined),
  },
  {
    // calicoctl checks on create only; so do we, plus updates.
    field: 'spec.cidr',
    rule: 'no overlap with another pool',
    source: 'libcalico-go/lib/clientv3/ippool.go validateAndSetDefaults',
    check: (v, at) => {
      const p = cidr(v)
      if (!p || !at.ctx.existing) return undefined
      const name = at.resource.metadata.name
      const out = overlapIndex(at.ctx.existing)
        .overlapping(p.text)
        .filter((other) => other.metadata.name !== name)
        .map((other) => fieldError('spec.cidr', `IPPool(${name}) CIDR overlaps with IPPool(${other.metadata.name}) CIDR ${(other.spec as IPPoolSpec).cidr}`, v))
      return out.length > 0 ? out : undefined
    },
  },
]

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
  rules: RULES,
  validate: tableValidator(RULES),
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
