// Renders one BIRD 2 configuration file from a BirdModel. Pure and deterministic: the same model
// always gives byte-identical text, so an unchanged datastore never causes a reload.
import type {BirdModel, BirdPeer, BirdPool, FilterFunction, FilterMatch, FilterOperation, FilterRule} from './model.js'

export interface BgpTimers {
  connectDelay: number
  connectRetry: number
  errorWaitMin: number
  errorWaitMax: number
}

/** calico/node's values. */
export const DEFAULT_TIMERS: BgpTimers = {connectDelay: 2, connectRetry: 5, errorWaitMin: 5, errorWaitMax: 30}
/** For tests: sessions come up within a couple of seconds. */
export const FAST_TIMERS: BgpTimers = {connectDelay: 1, connectRetry: 2, errorWaitMin: 1, errorWaitMax: 5}

export interface RenderOptions {
  timers?: BgpTimers
  /** Where BIRD logs: `stderr`, `syslog` or an absolute file path. Omitted: no log statement. */
  log?: string
  /** Kernel/device scan interval in seconds (calico/node uses 2). */
  scanTime?: number
}

const PROTO_STATIC = 'static_blocks'

function logClasses(severity: string): string | undefined {
  switch (severity.toLowerCase()) {
    case 'none':
      return undefined
    case 'trace':
    case 'debug':
      return 'all'
    case 'warning':
      return '{ warning, error, auth, fatal, bug }'
    case 'error':
      return '{ error, auth, fatal, bug }'
    case 'fatal':
      return '{ fatal, bug }'
    default:
      return '{ info, remote, warning, error, auth, fatal, bug }'
  }
}

function debugLine(severity: string): string | undefined {
  switch (severity.toLowerCase()) {
    case 'none':
      return undefined
    case 'trace':
    case 'debug':
      return 'debug all;'
    default:
      return 'debug { states };'
  }
}

function logTarget(log: string): string {
  if (log === 'stderr' || log === 'syslog') return log
  if (!log.startsWith('/') || /["\n\r\\]/.test(log)) throw new Error(`BIRD log target must be stderr, syslog or an absolute path: '${log}'`)
  return `"${log}"`
}

function renderPoolsForExport(pools: BirdPool[]): string[] {
  const out: string[] = []
  for (const p of pools) if (p.disableBGPExport) out.push(`  if (net ~ ${p.cidr}) then reject; # BGP export disabled for this pool`)
  return out
}

// ---------------------------------------------------------------------------------------------
// BGPFilter functions.

/** Route priorities (Linux metrics, lower wins) travel as bgp_local_pref (higher wins): x = 2^31-1 - y. */
const PRIORITY_BASE = 2147483647

function matchText(m: FilterMatch): string {
  switch (m.t) {
    case 'net':
      return m.len ? `(net ${m.op} [ ${m.cidr}{${m.len[0]},${m.len[1]}} ])` : `(net ${m.op} ${m.cidr})`
    case 'fromPeers':
      return '(source = RTS_BGP)'
    case 'ifname':
      return `(defined(ifname) && ifname ~ "${m.pattern}")`
    case 'community':
      return m.value.length === 2 ? `((${m.value.join(', ')}) ~ bgp_community)` : `((${m.value.join(', ')}) ~ bgp_large_community)`
    case 'asPathPrefix':
      return `(bgp_path ~ [= ${m.asns.join(' ')} * =])`
    case 'priority':
      return `(defined(bgp_local_pref) && bgp_local_pref = ${PRIORITY_BASE - m.value})`
  }
}

function operationText(op: FilterOperation): string[] {
  switch (op.t) {
    case 'addCommunity':
      return [op.value.length === 2 ? `bgp_community.add((${op.value.join(', ')}));` : `bgp_large_community.add((${op.value.join(', ')}));`]
    case 'prependAS':
      // Each prepend goes in front: the last one written ends up first.
      return [...op.asns].reverse().map((a) => `bgp_path.prepend(${a});`)
    case 'setPriority':
      return [`bgp_local_pref = ${PRIORITY_BASE - op.value};`]
  }
}

function ruleText(r: FilterRule): string {
  const body = [...r.operations.flatMap(operationText), `${r.action};`].join(' ')
  let text = r.match.length > 0 ? `if (${r.match.map(matchText).join(' && ')}) then { ${body} }` : body
  if (r.peerType) text = `if (${r.peerType === 'iBGP' ? '' : '!'}is_same_as) then { ${text} }`
  return text
}

function renderFilterFunction(f: FilterFunction): string[] {
  return [
    `# BGPFilter ${f.filter}, ${f.direction}V4: rules in order, the first match decides; no match falls through`,
    `function '${f.fn}'(${f.takesPeerType ? 'bool is_same_as' : ''}) {`,
    ...f.rules.map((r) => `  ${ruleText(r)}`),
    '}',
  ]
}

function filterCall(fns: readonly FilterFunction[], fn: string, internal: boolean): string {
  return `'${fn}'(${fns.find((f) => f.fn === fn)?.takesPeerType ? String(internal) : ''});`
}

/** A peer's import and export statements: the defaults alone, or its filters' calls before them. */
function peerChannelFilters(p: BirdPeer, fns: readonly FilterFunction[]): string[] {
  const lines: string[] = []
  if (p.importFilters.length === 0) lines.push('    import all;')
  else lines.push('    import filter {', ...p.importFilters.map((fn) => `      ${filterCall(fns, fn, p.internal)}`), '      accept;', '    };')
  if (p.exportFilters.length === 0) {
    lines.push(`    export filter { calico_export_to_bgp_peers(${p.internal}); reject; };`)
    return lines
  }
  lines.push('    export filter {')
  const matchesPriority = fns.some((f) => p.exportFilters.includes(f.fn) && f.rules.some((r) => r.match.some((m) => m.t === 'priority')))
  if (matchesPriority) {
    // A route's priority is its kernel metric here and its bgp_local_pref once learned over BGP.
    lines.push(
      '      if (source = RTS_BGP && defined(bgp_local_pref)) then {',
      `        krt_metric = ${PRIORITY_BASE} - bgp_local_pref;`,
      '      } else {',
      '        if (!defined(krt_metric)) then { krt_metric = 1024; }',
      `        bgp_local_pref = ${PRIORITY_BASE} - krt_metric;`,
      '      }',
    )
  }
  lines.push(...p.exportFilters.map((fn) => `      ${filterCall(fns, fn, p.internal)}`), `      calico_export_to_bgp_peers(${p.internal});`, '      reject;', '    };')
  return lines
}

function renderPeer(p: BirdPeer, fns: readonly FilterFunction[]): string[] {
  const lines: string[] = []
  lines.push(`# ${p.kind === 'Mesh' ? 'Mesh peer' : p.kind === 'Global' ? 'Global peer' : 'Node-specific peer'} ${p.ip} (${p.origin})`)
  lines.push(`protocol bgp ${p.protocol} from bgp_template {`)
  lines.push(`  neighbor ${p.ip}${p.port !== undefined ? ` port ${p.port}` : ''} as ${p.asNumber};`)
  if (p.sourceAddress) lines.push(`  source address ${p.sourceAddress};`)
  if (p.ttlSecurity) lines.push('  ttl security on;', `  multihop ${p.ttlSecurity};`)
  else lines.push('  ttl security off;', '  multihop;')
  if (p.passive) lines.push('  passive on; # the peer connects to us')
  if (p.rrClusterID) lines.push('  rr client;', `  rr cluster id ${p.rrClusterID};`)
  if (p.password) lines.push(`  password "${p.password}";`)
  lines.push('  ipv4 {')
  lines.push(...peerChannelFilters(p, fns))
  if (p.keepNextHop && !p.internal) lines.push('    next hop keep;')
  lines.push('  };')
  lines.push('}')
  return lines
}

export function renderBirdConfig(m: BirdModel, opts: RenderOptions = {}): string {
  const t = opts.timers ?? DEFAULT_TIMERS
  const scan = opts.scanTime ?? 2
  const L: string[] = []
  L.push(`# Generated by calicoctl for node ${m.nodeName}. Do not edit: it is rewritten on every apply.`)
  if (m.routerID) L.push(`router id ${m.routerID};`)
  const classes = logClasses(m.logSeverity)
  if (opts.log && classes) L.push(`log ${logTarget(opts.log)} ${classes};`)
  L.push('')

  // Filters.
  L.push('# Aggregation of routes on this host: export each block, nothing beneath it.')
  L.push('function calico_aggr() {')
  for (const b of m.ownBlocks) {
    L.push(`  if (net = ${b}) then accept;`)
    L.push(`  if (net ~ ${b}) then reject;`)
  }
  L.push('}')
  L.push('')
  L.push('function calico_export_to_bgp_peers(bool internal_peer) {')
  L.push(...renderPoolsForExport(m.pools))
  L.push('  if (internal_peer) then {')
  L.push('    if (defined(ifname)) then {')
  L.push('      if ((ifname ~ "*.cali") || (ifname ~ "*.calico") || (ifname ~ "tunl0")) then reject;')
  L.push('    }')
  L.push('  }')
  L.push('  calico_aggr();')
  for (const p of m.pools) if (!p.disableBGPExport) L.push(`  if (net ~ ${p.cidr}) then accept;`)
  L.push('  reject;')
  L.push('}')
  L.push('')
  if (m.filterFunctions.length > 0) {
    L.push('# ------------- BGP filters -------------')
    for (const f of m.filterFunctions) L.push(...renderFilterFunction(f), '')
  }
  L.push('# Only routes learned over BGP reach the kernel; blocks of IPIP/VXLAN pools are programmed by calicoctl.')
  L.push('filter calico_kernel_programming {')
  L.push('  if (source != RTS_BGP) then reject; # our blackholes and kernel-learned routes stay as they are')
  for (const p of m.pools) {
    if (p.mode === 'ipip') L.push(`  if (net ~ ${p.cidr}) then reject; # IPIP pool: routes programmed by calicoctl`)
    else if (p.mode === 'vxlan') L.push(`  if (net ~ ${p.cidr}) then reject; # VXLAN pool: routes programmed by calicoctl`)
    else L.push(`  if (net ~ ${p.cidr}) then accept; # BGP pool: BIRD installs the routes`)
  }
  L.push('  accept;')
  L.push('}')
  L.push('')

  // Base protocols.
  L.push('protocol device {')
  L.push(`  scan time ${scan};`)
  L.push('}')
  L.push('')
  L.push('protocol direct {')
  L.push('  debug { states };')
  L.push('  ipv4;')
  L.push('  interface -"cali*", -"kube-ipvs*", "*";')
  L.push('}')
  L.push('')
  L.push('protocol kernel {')
  L.push('  learn;          # learn alien routes from the kernel')
  L.push(`  scan time ${scan};`)
  L.push('  graceful restart;')
  L.push('  merge paths on; # ECMP')
  L.push('  ipv4 {')
  L.push('    import all;')
  L.push('    export filter calico_kernel_programming;')
  L.push('  };')
  L.push('}')
  L.push('')
  if (m.ownBlocks.length > 0) {
    L.push('# IP blocks affine to this host.')
    L.push(`protocol static ${PROTO_STATIC} {`)
    L.push('  ipv4;')
    for (const b of m.ownBlocks) L.push(`  route ${b} blackhole;`)
    L.push('}')
  } else {
    L.push('# No IP blocks affine to this host.')
  }
  L.push('')

  if (!m.nodeIP) {
    L.push('# IPv4 disabled on this node.')
    return `${L.join('\n')}\n`
  }

  L.push('template bgp bgp_template {')
  const dbg = debugLine(m.logSeverity)
  if (dbg) L.push(`  ${dbg}`)
  L.push('  description "Connection to BGP peer";')
  L.push(`  local ${m.nodeIP}${m.listenPort !== undefined ? ` port ${m.listenPort}` : ''} as ${m.localAS};`)
  L.push('  graceful restart;')
  L.push(`  connect delay time ${t.connectDelay};`)
  L.push(`  connect retry time ${t.connectRetry};`)
  L.push(`  error wait time ${t.errorWaitMin},${t.errorWaitMax};`)
  L.push('  ipv4 {')
  L.push('    gateway recursive;')
  L.push('    add paths on;')
  L.push('  };')
  L.push('}')
  L.push('')

  const sections: Array<[string, BirdPeer['kind'], string]> = [
    ['Node-to-node mesh', 'Mesh', m.meshNote ?? 'No other nodes with an IPv4 address.'],
    ['Global peers', 'Global', 'No global peers configured.'],
    ['Node-specific peers', 'Node', 'No node-specific peers configured.'],
  ]
  for (const [title, kind, none] of sections) {
    L.push(`# ------------- ${title} -------------`)
    const peers = m.peers.filter((p) => p.kind === kind)
    if (kind === 'Mesh' && m.meshNote) L.push(`# ${m.meshNote}`)
    else if (peers.length === 0) L.push(`# ${none}`)
    for (const p of peers) {
      L.push(...renderPeer(p, m.filterFunctions))
      L.push('')
    }
    L.push('')
  }
  while (L[L.length - 1] === '') L.pop()
  return `${L.join('\n')}\n`
}
