#!/usr/bin/env bash
# The whole test suite: build, then every test file serially with node's test runner (the
# netns, BIRD and etcd tests share host-wide resources and must not run in parallel).
# Ends with a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run --silent build >/dev/null || exit 1
mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
node --import tsx --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}"
status=$?
pass=$(grep -E '^# pass ' "$tap" | tail -1 | awk '{print $3}')
fail=$(grep -E '^# fail ' "$tap" | tail -1 | awk '{print $3}')
echo "${pass:-0} passed, ${fail:-0} failed"
exit $status
