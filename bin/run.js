#!/usr/bin/env node
// Two answers need nothing from oclif and are asked for most often by scripts, so they skip
// loading it (oclif alone costs about 2x a bare Node start):
//  - `version --client` (and `--version`): the version and commit from dist/build-info.json,
//    exactly as the version command prints them;
//  - `--help` with output that is not a terminal: the root help oclif rendered for width 80 at
//    build time (dist/root-help.json, from scripts/cache-help.mjs), used only when nothing that
//    changes oclif's rendering is in play (width, theme, debug, another Node/platform).
// Everything else, and CALICOCTL_NO_FAST_PATH=1, goes through oclif, loaded from the build's
// bundle (scripts/bundle.mjs: 25 files instead of 154 modules for a `get`) and, for our own
// commands, without its plugins (ownCommand below).
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'

// `calicoctl [options] <command> [<args>...]`: options before the command move after its words
// (bin/global-options.js, loaded only when the first argument is an option other than a lone --help).
const given = process.argv.slice(2)
const hoist = given[0]?.[0] === '-' && !(given.length === 1 && given[0] === '--help')
const {argv, version: versionFlag, invalid} = hoist ? (await import('./global-options.js')).hoistGlobalOptions(given) : {argv: given, version: false, invalid: false}
if (invalid) {
  // calicoctl's top-level docopt refuses an unknown or incomplete option before the command
  // word: it echoes the whole line on stdout and exits 1 (upstream calicoctl/calicoctl/calicoctl.go).
  process.stdout.write(`Invalid option: '${given.join(' ')}'. Use flag '--help' to read about a specific subcommand.\n`)
  process.exit(1)
}
const env = process.env
const fast = !env.CALICOCTL_NO_FAST_PATH && argv.length <= 3

function rootHelp() {
  if (process.stdout.isTTY || env.OCLIF_COLUMNS || env.DEBUG || env.CALICOCTL_CONFIG_DIR || env.CALICOCTL_DISABLE_THEME) return undefined
  let cached
  try {
    cached = JSON.parse(readFileSync(new URL('../dist/root-help.json', import.meta.url), 'utf8'))
  } catch {
    return undefined
  }
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const ua = `${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}`
  if (cached.ua !== ua || cached.version !== pjson.version) return undefined
  const configDir = `${env.XDG_CONFIG_HOME || `${homedir()}/.config`}/calicoctl`
  if (existsSync(`${configDir}/theme.json`)) return undefined
  return cached.text
}

// Our own commands need nothing from the help and autocomplete plugins, and oclif finding them,
// reading their manifests and matching the plugin list against every dependency (minimatch) is
// about a tenth of a short command's CPU. The build lists the first words of our commands
// (dist/command-roots.json, from scripts/bundle.mjs); for one of those oclif starts without plugins.
function ownCommand() {
  if (env.CALICOCTL_NO_FAST_PATH) return false
  try {
    return JSON.parse(readFileSync(new URL('../dist/command-roots.json', import.meta.url), 'utf8')).includes(argv[0])
  } catch {
    return false
  }
}

function withoutPlugins() {
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const root = dirname(dirname(fileURLToPath(import.meta.url)))
  return {root, pjson: {...pjson, oclif: {...pjson.oclif, plugins: []}}}
}

/** `version --client` alone, or with --allow-version-mismatch (which it ignores). */
function clientVersionOnly() {
  if (argv[0] !== 'version' || !argv.includes('--client')) return false
  return argv.every((a, i) => i === 0 || a === '--client' || a === '--allow-version-mismatch')
}

if (versionFlag || (fast && clientVersionOnly())) {
  // One small file written by the build (scripts/bundle.mjs); package.json when there is none.
  let info
  try {
    info = JSON.parse(readFileSync(new URL('../dist/build-info.json', import.meta.url), 'utf8'))
  } catch {
    info = {version: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version, gitCommit: 'unknown'}
  }
  const {version, gitCommit} = info
  process.stdout.write(`Client Version:    v${version}\nGit commit:        ${gitCommit}\n`)
} else {
  const help = fast && argv.length === 1 && argv[0] === '--help' ? rootHelp() : undefined
  if (help !== undefined) process.stdout.write(help)
  else {
    const nodeModule = await import('node:module')
    // Node 22's compile cache shortens later start-ups; Node 20 has none, so this is optional.
    nodeModule.enableCompileCache?.()
    // @oclif/core checks its own engines range (>=18) at import, loading all of semver (49
    // modules, about a tenth of a short command's start-up) for a check Node 20 always passes.
    const skipEngineCheck = env.OCLIF_DISABLE_ENGINE_WARNING === undefined
    if (skipEngineCheck) env.OCLIF_DISABLE_ENGINE_WARNING = '1'
    // The build bundles @oclif/core with our commands (scripts/bundle.mjs): execute must come from
    // that same copy. Plain tsc output (no bundle) uses the package.
    const {execute} = await import('../dist/chunks/oclif.js').catch((error) => {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error
      return import('@oclif/core')
    })
    if (skipEngineCheck) delete env.OCLIF_DISABLE_ENGINE_WARNING
    const loadOptions = ownCommand() ? withoutPlugins() : undefined
    await execute(loadOptions ? {args: argv, loadOptions} : {args: argv, dir: import.meta.url})
  }
}
