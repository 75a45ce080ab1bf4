#!/usr/bin/env bash
# The test suite in tiers, each a directory of test files (no lists of names: a new file joins its
# directory's tier by being there):
#   unit         test/unit         pure (no root, etcd or network namespace): files in parallel
#   integration  test/integration  a real etcd, one per file on free ports: files in parallel
#   host         test/netns        network namespaces, iptables, BIRD (host-wide): one file at a time
#   uml          test/uml          user-mode-linux guests (the seed journey): one file at a time
# `scripts/test.sh` runs them all: the build first, the uml and host tiers alongside the others
# (the guests share nothing with the host's namespaces, and the namespaces nothing with the
# integration tier's etcds; their output is printed when they end), then a summary whose last
# line is "N passed, N failed, N skipped". `scripts/test.sh unit host` runs only those.
# TEST_ALONGSIDE="uml" keeps the host tier in line; TEST_SERIAL=1 runs every tier after the other.
#
# Environment: TEST_SEED (every random choice in the tests derives from it; a fresh one is drawn
# and printed when unset), TEST_JOBS_UNIT / TEST_JOBS_INTEGRATION (files at once; default 3 / 2),
# TEST_NO_BUILD=1 (use the dist/ already built).
# With CI=true a skipped test whose reason starts with "needs " (root, etcd, bird, UML...) fails
# the run: in CI everything a test needs is installed.
set -uo pipefail
cd "$(dirname "$0")/.."

declare -A DIR=([unit]=test/unit [integration]=test/integration [host]=test/netns [uml]=test/uml)
declare -A JOBS=([unit]=${TEST_JOBS_UNIT:-3} [integration]=${TEST_JOBS_INTEGRATION:-2} [host]=1 [uml]=1)
ORDER=(unit integration host uml)

tiers=("$@")
[ ${#tiers[@]} -gt 0 ] || tiers=("${ORDER[@]}")
for t in "${tiers[@]}"; do
  [ -n "${DIR[$t]:-}" ] || { echo "unknown tier '$t' (tiers: ${ORDER[*]})" >&2; exit 2; }
done
# Every test file belongs to a tier: one outside the tier directories would never run.
stray=$(find test -name '*.test.ts' -not -path 'test/unit/*' -not -path 'test/integration/*' -not -path 'test/netns/*' -not -path 'test/uml/*')
if [ -n "$stray" ]; then
  echo "test files outside the tier directories (move each into test/unit, integration, netns or uml):" >&2
  echo "$stray" >&2
  exit 2
fi

export TEST_SEED=${TEST_SEED:-$(((RANDOM << 15) | RANDOM))}
started=$SECONDS
if [ "${TEST_NO_BUILD:-}" != 1 ]; then
  npm run --silent build >/dev/null || { echo "the build failed" >&2; exit 1; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs one tier: spec output on stdout, TAP into $work/TIER.tap, status into $work/TIER.rc.
run_tier() {
  local tier=$1 t0=$SECONDS files
  mapfile -t files < <(find "${DIR[$tier]}" -name '*.test.ts' | sort)
  if [ ${#files[@]} -eq 0 ]; then
    echo 0 >"$work/$tier.rc"
    : >"$work/$tier.tap"
    return
  fi
  echo "== tier $tier: ${#files[@]} files, ${JOBS[$tier]} at a time"
  node --import tsx --test --test-concurrency="${JOBS[$tier]}" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$work/$tier.tap" "${files[@]}"
  echo $? >"$work/$tier.rc"
  echo $((SECONDS - t0)) >"$work/$tier.secs"
}

# Tiers named in TEST_ALONGSIDE (default: uml host) run in the background alongside the others when
# more than one tier runs; their output is printed when they end.
background=()
pids=()
if [ ${#tiers[@]} -gt 1 ] && [ "${TEST_SERIAL:-}" != 1 ]; then
  for t in ${TEST_ALONGSIDE-uml host}; do
    [[ " ${tiers[*]} " == *" $t "* ]] || continue
    background+=("$t")
    run_tier "$t" >"$work/$t.out" 2>&1 &
    pids+=($!)
  done
fi
for t in "${tiers[@]}"; do
  [[ " ${background[*]} " == *" $t "* ]] || run_tier "$t"
done
for i in "${!background[@]}"; do
  wait "${pids[$i]}"
  cat "$work/${background[$i]}.out"
done

# TAP totals: "# pass N" etc. at the end of each tier's report; skips are counted from the
# "# SKIP" lines, which include skipped suites (the totals count only tests).
total() { grep -E "^# $1 " "$work/$2.tap" 2>/dev/null | tail -1 | awk '{print $3}'; }
pass=0 fail=0 skip=0 status=0
summary=()
for t in "${tiers[@]}"; do
  p=$(total pass "$t") f=$(total fail "$t") c=$(total cancelled "$t")
  s=$(grep -cE '^\s*ok [0-9]+ - .* # SKIP' "$work/$t.tap" 2>/dev/null)
  p=${p:-0} f=$((${f:-0} + ${c:-0})) s=${s:-0}
  rc=$(cat "$work/$t.rc" 2>/dev/null || echo 1)
  # A tier that failed without a failing test (a crash, a file that did not load) still fails.
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  [ "$rc" = 0 ] || status=1
  pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
  summary+=("tier $t: $p passed, $f failed, $s skipped ($(cat "$work/$t.secs" 2>/dev/null || echo 0) s)")
done

skipped=$(for t in "${tiers[@]}"; do sed -nE 's/^\s*ok [0-9]+ - (.*) # SKIP ?(.*)$/\1: \2/p' "$work/$t.tap" 2>/dev/null; done)
echo
printf '%s\n' "${summary[@]}"
if [ -n "$skipped" ]; then
  echo "skipped:"
  sed 's/^/  /' <<<"$skipped"
  if [ "${CI:-}" = true ]; then
    must=$(grep -E ': needs ' <<<"$skipped")
    if [ -n "$must" ]; then
      echo "CI: these tests must run here but were skipped (what they need is missing):"
      sed 's/^/  /' <<<"$must"
      status=1
      fail=$((fail + $(wc -l <<<"$must")))
    fi
  fi
fi
echo "random choices from TEST_SEED=$TEST_SEED (replay: TEST_SEED=$TEST_SEED npm test); $((SECONDS - started)) s in all"
echo "$pass passed, $fail failed, $skip skipped"
exit $status
