#!/usr/bin/env bash
# Starts user-mode-linux (linux.uml) with the given arguments, its host processes held on one host
# CPU. The guest has a single CPU, but UML runs the guest's kernel and each guest address space as
# separate host processes that hand control to each other (through ptrace) on every system call
# and page fault of the guest. Left to the host's scheduler they sit on different CPUs, and each
# handoff becomes a wake-up of another CPU: on this machine (itself a VM, where waking an idle
# CPU is costly) that made the whole guest about three times slower when the host was otherwise
# idle (a bare `node -e 0` in the guest: 0.77-0.90 s spread, 0.24-0.34 s held on one CPU), and
# the lab then timed the host's idle wake-ups, not calicoctl. One guest CPU, one host CPU, as a
# VM's virtual CPU is pinned. Without taskset the guest runs unpinned.
set -euo pipefail
cpu=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*\([0-9][0-9]*\).*/\1/p' /proc/self/status)
if [ -n "$cpu" ] && command -v taskset >/dev/null; then exec taskset -c "$cpu" linux.uml "$@"; fi
exec linux.uml "$@"
