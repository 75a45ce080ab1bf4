// `calicoctl node status`: is this host's Calico agent running, and what BIRD says about its BGP
// sessions (read over BIRD's control socket, no birdc).
import {readdir, readFile} from 'node:fs/promises'
import {BirdNotRunningError, peerStatusRows, type ProtocolRow, showProtocols} from '../dataplane/bird/index.js'
import {processAlive as alive} from '../lib/process.js'
import {type Colour, paintBgpState, paintProtocolState} from '../output/colour.js'
import {boxTable} from '../output/box-table.js'
import type {Cell} from '../output/table.js'

export const DEFAULT_STATUS_FILE = '/var/run/calico/node-status.json'
export const NOT_ROOT_MESSAGE = 'Need super user privileges: Operation not permitted'

/** Does an argv look like a Calico agent (`calico-felix`, `calico-node -felix`, `calicoctl node run`)? */
export function isAgentCommandLine(argv: readonly string[]): boolean {
  const base = (s: string | undefined) => (s ?? '').split('/').pop() ?? ''
  const first = base(argv[0])
  if (first === 'calico-felix') return true
  if (first === 'calico-node' && argv.includes('-felix')) return true
  // calicoctl itself, or node running bin/run.js, with `node run` as its arguments.
  for (let i = 0; i + 2 < argv.length + 1; i++) {
    const b = base(argv[i])
    if ((b === 'calicoctl' || b === 'run.js') && argv[i + 1] === 'node' && argv[i + 2] === 'run') return true
  }
  return false
}

/** The agent runs if its status file names a live PID (or no PID), or a matching process exists. */
export async function agentRunning(statusFile: string, procRoot = '/proc'): Promise<boolean> {
  const text = await readFile(statusFile, 'utf8').catch(() => undefined)
  if (text !== undefined) {
    let doc: {pid?: unknown; state?: unknown} = {}
    try {
      doc = JSON.parse(text) as typeof doc
    } catch {}
    // An agent that stopped cleanly says so; a /proc scan would see other namespaces' agents.
    if (doc.state === 'stopped') return false
    if (typeof doc.pid !== 'number' || alive(doc.pid)) return true
  }
  const entries = await readdir(procRoot).catch(() => [] as string[])
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue
    const cmd = await readFile(`${procRoot}/${e}/cmdline`, 'utf8').catch(() => '')
    if (cmd && isAgentCommandLine(cmd.split('\0').filter(Boolean))) return true
  }
  return false
}

/**
 * calicoctl's `IPv4 BGP status` section: a header line and the peer table (calicoctl's
 * tablewriter layout, src/output/table.ts), or `No IPv4 peers found.` With colour, the STATE and
 * INFO cells show the session state at a glance.
 */
export function peerStatusTable(rows: readonly ProtocolRow[], family: 4 | 6 = 4, colour?: Colour): string {
  const header = `IPv${family} BGP status`
  const peers = peerStatusRows(rows, family)
  if (peers.length === 0) return `${header}\nNo IPv${family} peers found.\n`
  const cells = peers.map(([address = '', type = '', state = '', since = '', info = '']): Cell[] => [
    address,
    type,
    {text: state, paint: paintProtocolState(colour, state)},
    since,
    {text: info, paint: paintBgpState(colour, info)},
  ])
  return `${header}\n${boxTable(['PEER ADDRESS', 'PEER TYPE', 'STATE', 'SINCE', 'INFO'], cells)}`
}

const V4_PEER = /^(Global|Node|Mesh)_\d+_\d+_\d+_\d+(_port_\d+)?$/

export interface PeerStatus {
  family: 4 | 6
  address: string
  type: string
  state: string
  since: string
  info: string
}

export interface NodeStatus {
  calicoRunning: boolean
  birdRunning: boolean
  peers: PeerStatus[]
}

export async function nodeStatus(opts: {statusFile: string; socketPath: string; procRoot?: string; colour?: Colour | undefined}): Promise<NodeStatus & {text: string}> {
  const calicoRunning = await agentRunning(opts.statusFile, opts.procRoot)
  const lines = [calicoRunning ? 'Calico process is running.' : 'Calico process is not running.', '']
  let rows: ProtocolRow[] | undefined
  try {
    rows = await showProtocols(opts.socketPath)
  } catch (err) {
    if (!(err instanceof BirdNotRunningError)) throw err
  }
  const peers: PeerStatus[] = []
  if (!rows) {
    lines.push('The BGP backend process (BIRD) is not running.')
  } else {
    const v4 = rows.filter((r) => V4_PEER.test(r.name))
    const v6 = rows.filter((r) => !V4_PEER.test(r.name))
    for (const [family, set] of [[4, v4], [6, v6]] as const) {
      for (const [address = '', type = '', state = '', since = '', info = ''] of peerStatusRows(set, family)) peers.push({family, address, type, state, since, info})
    }
    lines.push(peerStatusTable(v4, 4, opts.colour), peerStatusTable(v6, 6, opts.colour).trimEnd())
  }
  return {calicoRunning, birdRunning: rows !== undefined, peers, text: `${lines.join('\n')}\n`}
}
