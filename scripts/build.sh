#!/usr/bin/env bash
# Compiles into a fresh directory and swaps it in, so a CLI running during a rebuild never sees
# a half-empty dist/; then the oclif manifest and the man pages.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist.new
npx tsc -p tsconfig.json --outDir dist.new
rm -rf dist.old
if [ -d dist ]; then mv dist dist.old; fi
mv dist.new dist
rm -rf dist.old
npx oclif manifest >/dev/null
node scripts/gen-man.mjs
# The root --help, rendered once for bin/run.js fast path (after the manifest it is drawn from).
node scripts/cache-help.mjs
