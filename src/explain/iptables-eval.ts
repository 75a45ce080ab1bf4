// A small interpreter for the filter-table chains the iptables model renders: it runs one
// packet (a new connection) through a chain exactly as the kernel would, over the same rules
// and ipsets `node apply` programs, and records which rules matched.
import {netContains} from '../lib/ip.js'
import type {DesiredState, IptChain, IptRule, IpSetState} from '../dataplane/iptables/types.js'

export interface Packet {
  src: string
  dst: string
  /** IP protocol number. */
  protocol: number
  srcPort?: number
  dstPort?: number
  icmpType?: number
  icmpCode?: number
}

export type Verdict = 'ACCEPT' | 'DROP'

export interface RuleHit {
  chain: string
  index: number
  rule: IptRule
}

export interface ChainRun {
  /** ACCEPT/DROP when a rule decided; RETURN when the chain returned or ran off its end. */
  result: Verdict | 'RETURN'
  mark: number
  /** Rules whose match succeeded, in evaluation order (including in called chains). */
  hits: RuleHit[]
  /** Match tokens this interpreter does not understand (treated as not matching). */
  unknown: string[]
}

export const PROTOCOLS: Record<string, number> = {icmp: 1, tcp: 6, udp: 17, sctp: 132, udplite: 136, ipip: 4}

export function protocolNumber(p: string | number): number {
  if (typeof p === 'number') return p
  const n = PROTOCOLS[p.toLowerCase()] ?? (/^\d+$/.test(p) ? Number(p) : undefined)
  if (n === undefined) throw new Error(`unknown protocol '${p}'`)
  return n
}

function inPorts(port: number | undefined, list: string): boolean {
  if (port === undefined) return false
  return list.split(',').some((p) => {
    const [a, b] = p.split(':')
    const lo = Number(a)
    const hi = b === undefined ? lo : Number(b)
    return port >= lo && port <= hi
  })
}

function parseMark(text: string): {value: number; mask: number} {
  const [v, m] = text.split('/')
  return {value: Number(v), mask: m === undefined ? 0xffffffff : Number(m)}
}

const PROTO_NAME: Record<number, string> = {1: 'icmp', 6: 'tcp', 17: 'udp', 132: 'sctp', 136: 'udplite'}

export class ChainInterpreter {
  private readonly chains = new Map<string, IptChain>()
  private readonly sets = new Map<string, IpSetState>()

  constructor(state: DesiredState) {
    for (const c of state.tables.filter.chains) this.chains.set(c.name, c)
    for (const s of state.ipsets) this.sets.set(s.name, s)
  }

  hasChain(name: string): boolean {
    return this.chains.has(name)
  }

  chain(name: string): IptChain | undefined {
    return this.chains.get(name)
  }

  private inSet(name: string, dir: string, pkt: Packet, unknown: string[]): boolean {
    const set = this.sets.get(name)
    if (!set) {
      unknown.push(`ipset ${name} (not in the model)`)
      return false
    }
    const dirs = dir.split(',')
    const ip = dirs[0] === 'src' ? pkt.src : pkt.dst
    if (set.type === 'hash:net') return set.members.some((m) => netContains(m, ip))
    const port = dirs[1] === 'src' ? pkt.srcPort : pkt.dstPort
    const want = `${ip},${PROTO_NAME[pkt.protocol] ?? pkt.protocol}:${port}`
    return set.members.includes(want)
  }

  /** Whether a rule's match tokens match the packet, given the current mark. */
  matches(match: string[], pkt: Packet, mark: number, unknown: string[]): boolean {
    let i = 0
    let negate = false
    const take = () => match[i++] ?? ''
    const test = (ok: boolean): boolean => {
      const r = negate ? !ok : ok
      negate = false
      return r
    }
    while (i < match.length) {
      const t = take()
      if (t === '!') {
        negate = true
        continue
      }
      let ok: boolean
      switch (t) {
        case '-p': {
          const p = take()
          ok = test(protocolNumber(p) === pkt.protocol)
          break
        }
        case '-s':
          ok = test(netContains(take(), pkt.src))
          break
        case '-d':
          ok = test(netContains(take(), pkt.dst))
          break
        case '-m':
          take() // the module name: its options follow and are handled below
          continue
        case '--match-set': {
          const name = take()
          ok = test(this.inSet(name, take(), pkt, unknown))
          break
        }
        case '--destination-ports':
        case '--dports':
        case '--dport':
          ok = test(inPorts(pkt.dstPort, take()))
          break
        case '--source-ports':
        case '--sports':
        case '--sport':
          ok = test(inPorts(pkt.srcPort, take()))
          break
        case '--icmp-type': {
          const [ty, code] = take().split('/')
          ok = test(pkt.protocol === 1 && pkt.icmpType === Number(ty) && (code === undefined || pkt.icmpCode === Number(code)))
          break
        }
        case '--ctstate':
          // Explain asks about a new connection: it is NEW, never RELATED, ESTABLISHED or INVALID.
          ok = test(take().split(',').includes('NEW'))
          break
        case '--mark': {
          const m = parseMark(take())
          ok = test(((mark & m.mask) >>> 0) === ((m.value & m.mask) >>> 0))
          break
        }
        case '--comment':
          take()
          ok = true
          negate = false
          break
        default:
          unknown.push(t)
          return false
      }
      if (!ok) return false
    }
    return true
  }

  /** Runs the packet through a chain (and the chains it jumps to). */
  run(chainName: string, pkt: Packet, mark = 0, depth = 0): ChainRun {
    const hits: RuleHit[] = []
    const unknown: string[] = []
    const chain = this.chains.get(chainName)
    if (!chain) return {result: 'RETURN', mark, hits, unknown: [`chain ${chainName} (not in the model)`]}
    if (depth > 16) return {result: 'DROP', mark, hits, unknown: ['chain recursion']}
    for (const [index, rule] of chain.rules.entries()) {
      if (!this.matches(rule.match, pkt, mark, unknown)) continue
      hits.push({chain: chainName, index, rule})
      const [kind, target, ...rest] = rule.action
      if (kind !== '-j' && kind !== '-g') continue
      switch (target) {
        case 'ACCEPT':
        case 'DROP':
          return {result: target, mark, hits, unknown}
        case 'RETURN':
          return {result: 'RETURN', mark, hits, unknown}
        case 'MARK': {
          const i = rest.indexOf('--set-mark')
          const m = parseMark(rest[i + 1] ?? '0')
          mark = ((mark & ~m.mask) | (m.value & m.mask)) >>> 0
          break
        }
        case 'LOG':
        case undefined:
          break
        default: {
          const sub = this.run(target, pkt, mark, depth + 1)
          hits.push(...sub.hits)
          unknown.push(...sub.unknown)
          mark = sub.mark
          if (sub.result !== 'RETURN') return {...sub, hits, unknown}
          if (kind === '-g') return {result: 'RETURN', mark, hits, unknown}
        }
      }
    }
    return {result: 'RETURN', mark, hits, unknown}
  }
}
