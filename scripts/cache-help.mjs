#!/usr/bin/env node
// Build step: renders the root `--help` through oclif (output not a terminal, so width 80, no
// theme) and stores it in dist/root-help.json for bin/run.js's fast path. The stored text is
// keyed by the user agent oclif printed (name/version platform-arch node-version); at run time
// a different Node, platform or version falls back to oclif. If anything looks off, no cache.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(ROOT, 'dist', 'root-help.json')
rmSync(out, {force: true})
const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const ua = `${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}`
const home = mkdtempSync(join(tmpdir(), 'calicoctl-help-'))
try {
  const env = {...process.env, CALICOCTL_NO_FAST_PATH: '1', HOME: home}
  for (const k of ['OCLIF_COLUMNS', 'DEBUG', 'XDG_CONFIG_HOME', 'CALICOCTL_CONFIG_DIR', 'CALICOCTL_DISABLE_THEME']) delete env[k]
  const text = execFileSync(process.execPath, [join(ROOT, 'bin', 'run.js'), '--help'], {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  // A second rendering must agree (nothing time- or environment-dependent in it).
  const again = execFileSync(process.execPath, [join(ROOT, 'bin', 'run.js'), '--help'], {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  if (text === again && text.includes(ua)) writeFileSync(out, `${JSON.stringify({version: pjson.version, ua, text})}\n`)
  else console.error('cache-help: root help not cached (rendering not stable or user agent not found)')
} finally {
  rmSync(home, {recursive: true, force: true})
}
