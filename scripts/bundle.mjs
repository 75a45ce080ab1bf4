#!/usr/bin/env node
// Build step after tsc: replaces dist/commands/** and dist/hooks/** with esbuild bundles that
// share code through chunks in dist/chunks/, with @oclif/core (and its dependencies) bundled in.
// A short command then loads a handful of files instead of ~150 modules, most of its start-up.
// bin/run.js takes oclif's execute from dist/chunks/oclif.js, so oclif and the commands it loads
// share one copy of @oclif/core (instanceof checks on errors and commands hold). Our other
// dependencies stay external. The rest of dist/ stays tsc's output (for scripts and tests).
import {readdirSync, readFileSync, rmSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = process.argv[2] ? resolve(process.argv[2]) : join(ROOT, 'dist')
const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))

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
    ...Object.keys(pjson.dependencies).filter((d) => d !== '@oclif/core'),
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
