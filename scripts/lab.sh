#!/usr/bin/env bash
# The main job end to end (DESIGN §6, the seed scenario): two hosts `master` and `node` on one
# segment, each with `calicoctl node run` and BIRD, a pod on each, pool 192.168.0.0/16 in IPIP
# mode; pod1 pings pod2 through tunl0 (IP-in-IP on the wire), the pool is patched to
# ipipMode Never and both hosts converge on plain BGP routes by themselves, a deny policy stops
# the ping and its deletion restores it, then back to IPIP.
#
# It all runs inside user-mode-linux (a Linux kernel run as an ordinary process, with this
# machine's filesystem read-only): it has IPIP, which this machine's kernel may lack, and
# nothing the lab does touches this host's own network. Exit status 0 only if every step passed.
# Everything it starts lives inside the guest; Ctrl-C stops the guest and removes the scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "lab: run as root (apt packages, user-mode-linux, network namespaces)" >&2; exit 1; }
echo "lab: setting up (apt packages, npm ci, build) ..."
bash scripts/setup.sh

if [ -r /proc/config.gz ] && zcat /proc/config.gz | grep -q '^CONFIG_NET_IPIP=[ym]'; then
  echo "lab: this kernel has IPIP; the lab still runs inside user-mode-linux, so this host's network stays untouched"
else
  echo "lab: this kernel has no IPIP (CONFIG_NET_IPIP is not set): running the two hosts inside user-mode-linux"
fi

MARK=@@UML@@
# Outside /tmp: the guest mounts a tmpfs over /tmp, which would hide these files.
dir=$(mktemp -d /var/tmp/calico-lab.XXXXXX)
uml_pid=
cleanup() {
  if [ -n "$uml_pid" ] && kill -0 "$uml_pid" 2>/dev/null; then kill "$uml_pid" 2>/dev/null || true; wait "$uml_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'echo; echo "lab: interrupted"; exit 130' INT TERM

install -m 755 scripts/lab/uml-init.sh "$dir/init.sh"
printf "REPO_DIR='%s'\nMODULES='%s'\n" "$PWD" "$(tr -s ' \n' '  ' <scripts/lab/modules)" >"$dir/env"
{ echo "REPO=$PWD"; cat scripts/lab/seed.sh; } >"$dir/script.sh"

echo "lab: booting user-mode-linux ..."
start=$(date +%s)
bash scripts/lab/uml-run.sh mem=1024M root=/dev/root rootfstype=hostfs rootflags=/ ro "init=$dir/init.sh" con0=fd:0,fd:1 con=null quiet \
  </dev/null >"$dir/console.txt" 2>&1 &
uml_pid=$!
# Show the walkthrough as it happens: the lab's own lines and failures, not the kernel's or the test's data.
hide=0
while IFS= read -r line; do
  line=${line%$'\r'}
  case "$line" in
    "$MARK SECTION end"*) hide=0 ;;
    "$MARK SECTION"*) hide=1 ;;
    "$MARK FAIL"*) hide=0; echo "lab: FAIL - ${line#"$MARK FAIL "}" ;;
    "$MARK"*) hide=0 ;;
    "lab: "* | "  "*) [ "$hide" = 1 ] || printf '%s\n' "$line" ;;
  esac
done < <(tail -n +1 -f --pid="$uml_pid" "$dir/console.txt")
wait "$uml_pid" || true
uml_pid=

failed=$(grep -c "^$MARK FAIL" "$dir/console.txt" || true)
passed=$(grep -c "^$MARK PASS" "$dir/console.txt" || true)
echo
if grep -q "^$MARK DONE" "$dir/console.txt" && [ "$failed" = 0 ] && [ "$passed" -gt 0 ]; then
  echo "lab: all $passed checks passed in $(($(date +%s) - start)) s"
  exit 0
fi
grep -q "^$MARK DONE" "$dir/console.txt" || { echo "lab: the guest did not finish; its last lines:"; tail -20 "$dir/console.txt"; }
echo "lab: $failed of $((passed + failed)) checks failed"
exit 1
