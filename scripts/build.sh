#!/usr/bin/env bash
# Compiles into a fresh directory and swaps it in, so a CLI running during a rebuild never sees
# a half-empty dist/; then the oclif manifest and the man pages.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist.new
npx tsc -p tsconfig.json --outDir dist.new
# Commands and hooks as bundles with @oclif/core inside (start-up time); see the script.
node scripts/bundle.mjs dist.new
# Chunk names carry a content hash, and a CLI started before this build (node run, --wait) may
# import one of its chunks later: the previous builds' chunks stay for a day.
if [ -d dist/chunks ]; then find dist/chunks -name '*.js' -mtime -1 -exec cp -np {} dist.new/chunks/ \;; fi
rm -rf dist.old
if [ -d dist ]; then mv dist dist.old; fi
mv dist.new dist
rm -rf dist.old
npx oclif manifest >/dev/null
node scripts/gen-man.mjs
# The root --help, rendered once for bin/run.js fast path (after the manifest it is drawn from).
node scripts/cache-help.mjs
