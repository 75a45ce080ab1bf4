#!/usr/bin/env bash
# The whole test suite: build, then every test file serially with node's test runner (the
# netns, BIRD and etcd tests share host-wide resources and must not run in parallel).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build >/dev/null
mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
