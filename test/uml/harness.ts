// Runs a shell script as init inside user-mode-linux, for what this machine's kernel cannot do
// (IPIP). The host filesystem is mounted read-only; /run, /tmp and /mnt are fresh tmpfs inside
// (a checkout under /tmp stays visible at its own path).
// The script reports with `pass NAME` / `fail NAME` and `section NAME` (output until the next
// marker is collected); `linux.uml` always exits 0, so the markers are the only verdict.
import {chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'
import {haveCommand} from '../helpers/netns.js'
import {runCommand} from '../../src/lib/exec.js'

export const UML_BINARY = 'linux.uml'
/** Lives outside /tmp: the guest mounts a tmpfs over /tmp, which would hide the script. */
const SCRATCH_PARENT = '/var/tmp'
const REPO = fileURLToPath(new URL('../..', import.meta.url))
const INIT_SCRIPT = join(REPO, 'scripts/lab/uml-init.sh')
/** Starts linux.uml held on one host CPU (the script says why); the lab starts it the same way. */
const UML_RUN = join(REPO, 'scripts/lab/uml-run.sh')

export function umlSkipReason(): string | undefined {
  if (!haveCommand(UML_BINARY)) return `needs ${UML_BINARY} (apt-get install user-mode-linux)`
  return undefined
}

export interface UmlResult {
  /** Everything the guest printed on its console. */
  output: string
  passed: string[]
  failed: string[]
  /** Output of each `section NAME`, keyed by NAME. */
  sections: Map<string, string>
  /** The script ran to its end (the guest did not crash or time out first). */
  finished: boolean
}

export interface UmlOptions {
  /** Kernel modules to load before the script (from the user-mode-linux package). */
  modules?: string[]
  /** Files to place beside the script (readable in the guest at `$UML_DIR/<name>`). */
  files?: Record<string, string>
  /**
   * Repo-relative TypeScript entry points to transpile (with their relative imports) into
   * `$UML_BUILD/<same path>.js`: node under UML is slow, and tsx would recompile on every run.
   */
  compile?: string[]
  memMb?: number
  timeoutMs?: number
}

const MARK = '@@UML@@'

export function parseUmlOutput(output: string): UmlResult {
  const passed: string[] = []
  const failed: string[] = []
  const sections = new Map<string, string>()
  let finished = false
  let current: string | undefined
  let body: string[] = []
  const close = () => {
    if (current !== undefined) sections.set(current, body.join('\n'))
    current = undefined
    body = []
  }
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\r$/, '')
    const m = new RegExp(`^${MARK} (PASS|FAIL|SECTION|DONE)(?: (.*))?$`).exec(line)
    if (!m) {
      if (current !== undefined) body.push(line)
      continue
    }
    close()
    const [, kind, name = ''] = m
    if (kind === 'PASS') passed.push(name)
    else if (kind === 'FAIL') failed.push(name)
    else if (kind === 'SECTION') current = name
    else finished = true
  }
  close()
  return {output, passed, failed, sections, finished}
}

/** Transpiles entries and everything they import relatively; bare imports resolve via a node_modules link. */
export function compileForUml(entries: readonly string[], outDir: string): void {
  const seen = new Set<string>()
  const queue = entries.map((e) => resolve(REPO, e))
  while (queue.length) {
    const file = queue.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    const source = readFileSync(file, 'utf8')
    for (const m of source.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) queue.push(resolve(dirname(file), `${m[1]}.ts`))
    const out = ts.transpileModule(source, {compilerOptions: {module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true}, fileName: file})
    const target = join(outDir, relative(REPO, file)).replace(/\.ts$/, '.js')
    mkdirSync(dirname(target), {recursive: true})
    writeFileSync(target, out.outputText)
  }
  writeFileSync(join(outDir, 'package.json'), '{"type": "module"}\n')
  symlinkSync(join(REPO, 'node_modules'), join(outDir, 'node_modules'))
}

/** The guest's init (shared with scripts/lab.sh) reads REPO_DIR and MODULES from `env` beside it. */
function initEnv(modules: readonly string[]): string {
  for (const m of modules) if (!/^[A-Za-z0-9_-]+$/.test(m)) throw new Error(`invalid module name '${m}'`)
  return `REPO_DIR='${REPO.replace(/\/$/, '')}'\nMODULES='${modules.join(' ')}'\n`
}

export async function runInUml(script: string, opts: UmlOptions = {}): Promise<UmlResult> {
  const dir = mkdtempSync(join(SCRATCH_PARENT, 'calico-uml-'))
  try {
    copyFileSync(INIT_SCRIPT, join(dir, 'init.sh'))
    chmodSync(join(dir, 'init.sh'), 0o755)
    writeFileSync(join(dir, 'env'), initEnv(opts.modules ?? []))
    writeFileSync(join(dir, 'script.sh'), script)
    if (opts.compile?.length) compileForUml(opts.compile, join(dir, 'build'))
    for (const [name, text] of Object.entries(opts.files ?? {})) {
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`invalid file name '${name}'`)
      writeFileSync(join(dir, name), text)
    }
    const r = await runCommand(
      'bash',
      [UML_RUN, `mem=${opts.memMb ?? 768}M`, 'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'ro', `init=${join(dir, 'init.sh')}`, 'con0=fd:0,fd:1', 'con=null', 'quiet'],
      {timeoutMs: opts.timeoutMs ?? 180_000},
    )
    return parseUmlOutput(r.stdout)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
