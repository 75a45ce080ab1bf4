// `calicoctl node diags`: collect what helps explain this host's networking into
// diags-YYYYMMDD_HHMMSS.tar.gz in a fresh temp directory.
import {mkdir, mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises'
import {hostname, tmpdir} from 'node:os'
import {dirname, join, relative} from 'node:path'
import {BirdControl} from '../dataplane/bird/index.js'
import {runChecked, runCommand} from '../lib/exec.js'

export function diagsStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`
}

const COMMANDS: Array<[string, string, string[]]> = [
  ['ipv4_route', 'ip', ['-4', 'route', 'show', 'table', 'all']],
  ['ipv6_route', 'ip', ['-6', 'route']],
  ['ipv4_addr', 'ip', ['-4', 'addr']],
  ['ipv6_addr', 'ip', ['-6', 'addr']],
  ['links', 'ip', ['-d', 'link']],
  ['iptables-nft-save', 'iptables-nft-save', ['-c']],
  ['iptables-legacy-save', 'iptables-legacy-save', ['-c']],
  ['ipset_list', 'ipset', ['list']],
]

/** Blanks secrets in collected text: BIRD's BGP passwords and any etcd/BGP password field. */
export function redactSecrets(text: string): string {
  return text
    .replace(/(\bpassword\s+)"(?:[^"\\\n]|\\.)*"/gi, '$1"<redacted>"')
    .replace(/("(?:\w*[pP]assword|secret\w*)"\s*:\s*)"(?:[^"\\]|\\.)*"/g, '$1"<redacted>"')
    .replace(/^(\s*(?:\w*[pP]assword|ETCD_PASSWORD)\s*[:=]\s*).+$/gm, '$1<redacted>')
}

export interface DiagsOptions {
  birdConfigDir: string
  birdSocket: string
  statusFile: string
  /** Calico's log directory (`node run --log-dir`): its files are copied under logs/, secrets blanked. */
  logDir?: string
  now?: Date
}

export async function collectDiags(opts: DiagsOptions): Promise<{archive: string; files: string[]}> {
  const stamp = diagsStamp(opts.now ?? new Date())
  const base = await mkdtemp(join(tmpdir(), 'calico-diags-'))
  const name = `diags-${stamp}`
  const dir = join(base, name)
  await mkdir(dir)
  const files: string[] = []
  const put = async (file: string, text: string) => {
    await writeFile(join(dir, file), text)
    files.push(file)
  }
  await put('date', `${(opts.now ?? new Date()).toString()}\n`)
  await put('hostname', `${hostname()}\n`)
  for (const [file, cmd, args] of COMMANDS) {
    try {
      const r = await runCommand(cmd, args, {timeoutMs: 15_000})
      await put(file, r.exitCode === 0 ? r.stdout : `# ${cmd} ${args.join(' ')} exited ${r.exitCode}\n${r.stdout}${r.stderr}`)
    } catch (err) {
      await put(file, `# ${cmd}: ${err instanceof Error ? err.message : String(err)}\n`)
    }
  }
  // BIRD: its generated config and what it says over the control socket.
  await mkdir(join(dir, 'bird'))
  for (const f of await readdir(opts.birdConfigDir).catch(() => [] as string[])) {
    if (!f.endsWith('.cfg')) continue
    // Copied with BGP passwords blanked: a diags tarball gets mailed around.
    const text = await readFile(join(opts.birdConfigDir, f), 'utf8').catch(() => undefined)
    if (text === undefined) continue
    await writeFile(join(dir, 'bird', f), redactSecrets(text))
    files.push(`bird/${f}`)
  }
  let birdText = ''
  try {
    const c = await BirdControl.connect(opts.birdSocket)
    try {
      for (const cmd of ['show status', 'show protocols all', 'show route']) {
        const r = await c.command(cmd)
        birdText += `# ${cmd}\n${r.lines.map((l) => `${l.code} ${l.text}`).join('\n')}\n\n`
      }
    } finally {
      c.close()
    }
  } catch (err) {
    birdText = `# BIRD at ${opts.birdSocket} did not answer: ${err instanceof Error ? err.message : String(err)}\n`
  }
  await put('bird/status', redactSecrets(birdText))
  const status = await readFile(opts.statusFile, 'utf8').catch(() => undefined)
  if (status !== undefined) await put('node-status.json', redactSecrets(status))
  if (opts.logDir) {
    const entries = await readdir(opts.logDir, {recursive: true, withFileTypes: true}).catch(() => [])
    for (const e of entries) {
      if (!e.isFile()) continue
      const rel = relative(opts.logDir, join(e.parentPath, e.name))
      const text = await readFile(join(opts.logDir, rel), 'utf8').catch(() => undefined)
      if (text === undefined) continue
      await mkdir(dirname(join(dir, 'logs', rel)), {recursive: true})
      await put(join('logs', rel), redactSecrets(text))
    }
  }
  const archive = join(base, `${name}.tar.gz`)
  await runChecked('tar', ['-czf', archive, '-C', base, name])
  return {archive, files}
}
