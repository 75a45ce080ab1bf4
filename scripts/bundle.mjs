#!/usr/bin/env node
// Build step after tsc: replaces dist/commands/** and dist/hooks/** with esbuild bundles that
// share code through chunks in dist/chunks/, with @oclif/core (and its dependencies) bundled in.
// `get ippools` then loads 25 files instead of 154 modules, most of its start-up.
// bin/run.js takes oclif's execute from dist/chunks/oclif.js, so oclif and the commands it loads
// share one copy of @oclif/core (instanceof checks on errors and commands hold). Small pure-JS
// dependencies (js-yaml, ipaddr.js) are bundled too; see `external` for what stays out. The rest
// of dist/ stays tsc's output (for scripts and tests).
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = process.argv[2] ? resolve(process.argv[2]) : join(ROOT, 'dist')

const sources = (dir) =>
  readdirSync(join(ROOT, dir), {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))

const entryPoints = [
  ...[...sources('src/commands'), ...sources('src/hooks')].map((f) => ({in: f, out: f.slice('src/'.length, -'.ts'.length)})),
  {in: join(ROOT, 'scripts/bundle-oclif-entry.mjs'), out: 'chunks/oclif'},
]

rmSync(join(outdir, 'chunks'), {recursive: true, force: true})
await build({
  absWorkingDir: ROOT,
  entryPoints,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  // @oclif/core is CommonJS: its require() of Node built-ins needs a real require in ESM output.
  banner: {js: "import{createRequire as __ctlRequire}from'node:module';const require=__ctlRequire(import.meta.url);"},
  external: [
    // oclif loads its plugins itself, each with its own copy of @oclif/core (given our config, it
    // reloads it by duck typing, so they work); the not-found hook imports one.
    '@oclif/plugin-*',
    // A native addon, found next to its prebuilt binaries.
    'netlink',
    // Only for @oclif/core's engine check, which bin/run.js turns off.
    'semver',
    // Optional loaders @oclif/core only requires for TypeScript sources in development.
    'typescript',
    'tsx',
    'ts-node',
    'pnpapi',
  ],
  logLevel: 'warning',
})

// The first word of each of our commands: bin/run.js starts oclif without plugins for these.
const roots = new Set(sources('src/commands').map((f) => f.split('/')[2].replace(/\.ts$/, '')))
writeFileSync(join(outdir, 'command-roots.json'), `${JSON.stringify([...roots].sort())}\n`)

// The version and the commit the build was made from, for `version` (calicoctl's "Git commit"
// line) and bin/run.js's `version --client` (one small file to read).
const {version} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
let gitCommit = 'unknown'
try {
  gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], {cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
} catch {}
writeFileSync(join(outdir, 'build-info.json'), `${JSON.stringify({version, gitCommit})}\n`)
