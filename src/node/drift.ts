// The long-running agent's drift check: is the kernel still what the last passes left? It runs
// no program on its short interval: owned routes and tunl0 are read over netlink and compared
// with what the last routes and tunnel parts planned; iptables and ipsets are read back (one
// iptables-save, one ipset save) only every `iptablesRefreshMs`, their chains compared by rule
// hash with what the agent's IptablesSyncer last wrote (Felix re-reads its tables on a long
// interval the same way). A difference is a reason for a pass; no difference costs nothing more.
import type {IptablesSyncer, SyncOptions} from '../dataplane/iptables/executor.js'
import {type Netlink, openNetlink} from '../dataplane/netlink.js'
import {readOwnedRoutes} from '../dataplane/routes/executor.js'
import {planRoutes, ROUTE_GRACE_MS} from '../dataplane/routes/planner.js'
import {formatRouteOp, type Route} from '../dataplane/routes/types.js'
import {readTunnel} from '../dataplane/tunnel/executor.js'
import type {DesiredTunnel} from '../dataplane/tunnel/model.js'
import {formatTunnelOp, planTunnel} from '../dataplane/tunnel/planner.js'
import type {NodePassResult} from './pass.js'

/** What a routes part left: the routes it programmed, those waiting for a device, those kept in grace. */
interface RoutesRecord {
  desired: Route[]
  skipped: Route[]
  held: Route[]
  /** When the held routes may be deleted by a pass (their grace is over by then). */
  heldDue: number
}

export interface DriftCheckOptions {
  /** The agent's syncer; undefined = iptables not checked (--no-iptables). */
  iptables?: IptablesSyncer
  /** How often iptables and ipsets are read back (0 = never). */
  iptablesRefreshMs: number
  clock?: () => number
  /** Test hook: the netlink socket (default: one opened per check). */
  netlink?: () => Netlink
}

export class DriftCheck {
  private routes: RoutesRecord | undefined
  private tunnel: DesiredTunnel | undefined
  private iptablesReadAt: number
  private readonly clock: () => number

  constructor(private readonly o: DriftCheckOptions) {
    this.clock = o.clock ?? Date.now
    this.iptablesReadAt = this.clock()
  }

  /** After every pass: what its parts left (a part that did not run keeps its old record; one that failed has none). */
  record(r: NodePassResult): void {
    for (const p of r.parts) {
      if (p.notRun) continue
      const ok = p.status === 'unchanged' || p.status === 'changed'
      if (p.part === 'routes') {
        const d = p.detail as {desired?: Route[]; skipped?: Array<{route: Route}>; held?: Route[]} | undefined
        this.routes = ok && d?.desired
          ? {desired: d.desired, skipped: (d.skipped ?? []).map((s) => s.route), held: d.held ?? [], heldDue: this.clock() + ROUTE_GRACE_MS}
          : undefined
      } else if (p.part === 'tunnel') {
        this.tunnel = ok ? (p.detail as {desired?: DesiredTunnel} | undefined)?.desired : undefined
      } else if (p.part === 'iptables' && (p.detail as {readKernel?: boolean} | undefined)?.readKernel) {
        this.iptablesReadAt = this.clock()
      }
    }
  }

  /** The differences found, one line each (empty: the kernel is as the passes left it). */
  async check(iptablesOpts: Pick<SyncOptions, 'backend' | 'runner'> = {}): Promise<string[]> {
    const out: string[] = []
    if (this.routes || this.tunnel) {
      const nl = this.o.netlink?.() ?? openNetlink()
      try {
        out.push(...(await this.checkKernel(nl)))
      } finally {
        if (!this.o.netlink) nl.close()
      }
    }
    const syncer = this.o.iptables
    if (syncer && this.o.iptablesRefreshMs > 0 && this.clock() - this.iptablesReadAt >= this.o.iptablesRefreshMs) {
      this.iptablesReadAt = this.clock()
      const verdict = await syncer.check(iptablesOpts)
      if (verdict !== 'same') out.push(verdict === 'differs' ? 'iptables: our chains, rules or sets differ from what was written' : 'iptables: not synced yet')
    }
    return out
  }

  private async checkKernel(nl: Netlink): Promise<string[]> {
    const out: string[] = []
    const links = await nl.listLinks()
    if (this.tunnel) out.push(...planTunnel(this.tunnel, await readTunnel(nl)).map((op) => `tunnel: ${formatTunnelOp(op)}`))
    const rec = this.routes
    if (rec) {
      const held = new Set(rec.held.map((r) => r.dst))
      const actual = (await readOwnedRoutes(nl, links)).filter((r) => !held.has(r.dst))
      out.push(...planRoutes(rec.desired, actual).map((op) => `routes: ${formatRouteOp(op)}`))
      const up = new Set(links.filter((l) => l.up).map((l) => l.name))
      for (const r of rec.skipped) if (r.dev !== undefined && up.has(r.dev)) out.push(`routes: device ${r.dev} is up now`)
      if (rec.held.length > 0 && this.clock() >= rec.heldDue) out.push(`routes: ${rec.held.length} kept route${rec.held.length === 1 ? '' : 's'} due for a decision`)
    }
    return out
  }
}
