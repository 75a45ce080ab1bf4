#!/usr/bin/env bash
# Runs test files over and over, stopping at the first failure: the proof that a once-flaky test
# is fixed. Default: the apply-lock concurrency test and the watch-compaction test, 50 runs each.
#   scripts/repeat-tests.sh [-n RUNS] [FILE[::NAME-PATTERN]]...
# Each run gets a fresh TEST_SEED (printed), so a failure can be replayed.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=50
if [ "${1:-}" = -n ]; then runs=$2; shift 2; fi
[ $# -gt 0 ] || set -- test/unit/node-lock.test.ts 'test/integration/node-run-watch.test.ts::compacted'
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for spec in "$@"; do
  file=${spec%%::*}
  args=(--import tsx --test --test-reporter=spec)
  [ "$file" != "$spec" ] && args+=(--test-name-pattern "${spec#*::}")
  start=$SECONDS
  for ((i = 1; i <= runs; i++)); do
    seed=${TEST_SEED:-$RANDOM$RANDOM}
    if ! TEST_SEED=$seed node "${args[@]}" "$file" >"$log" 2>&1; then
      cat "$log"
      echo "$spec: FAILED on run $i of $runs (TEST_SEED=$seed)"
      exit 1
    fi
  done
  echo "$spec: $runs runs in a row passed ($((SECONDS - start)) s)"
done
