#!/bin/sh
# PID 1 of a user-mode-linux guest (scripts/lab.sh and test/uml/harness.ts both boot it).
# Beside it in its directory: `env` (sets REPO_DIR and MODULES) and `script.sh` (the guest's
# work, which reports with `pass NAME`, `fail NAME` and `section NAME`). The host filesystem is
# mounted read-only; /run, /tmp and /mnt are fresh tmpfs in here.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
UML_DIR=${0%/*}
export HOME=/tmp UML_DIR UML_BUILD="$UML_DIR/build"
. "$UML_DIR/env"
MARK=@@UML@@
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /mnt
# A checkout under /tmp (a CI clone, say) would vanish under the fresh /tmp: keep it at its path.
case "$REPO_DIR" in /tmp/*) mkdir -p /mnt/host-tmp && mount --bind /tmp /mnt/host-tmp ;; esac
mount -t tmpfs tmpfs /tmp
case "$REPO_DIR" in /tmp/*) mkdir -p "$REPO_DIR" && mount --bind "/mnt/host-tmp${REPO_DIR#/tmp}" "$REPO_DIR" ;; esac
mkdir -p /mnt/lib/modules && ln -s "/usr/lib/uml/modules/$(uname -r)" "/mnt/lib/modules/$(uname -r)"
# The kernel loads a module on demand by running the program in /proc/sys/kernel/modprobe, and
# modprobe looks in /lib/modules, which this guest lacks (its modules are under /mnt): on-demand
# loading works as on a host only through a modprobe that looks there. Without it, every
# iptables-legacy call (each get/set of a table) also ran a failing `modprobe bpfilter` (0.1 s a
# try in here: a 29-rule iptables-save took 1.1 s instead of 0.12 s).
printf '#!/bin/sh\nexec modprobe -d /mnt "$@"\n' >/mnt/modprobe && chmod +x /mnt/modprobe && echo /mnt/modprobe >/proc/sys/kernel/modprobe
pass() { echo "$MARK PASS $*"; }
fail() { echo "$MARK FAIL $*"; }
section() { echo "$MARK SECTION $*"; }
for m in $MODULES; do modprobe -d /mnt "$m" || fail "modprobe $m"; done
cd "$UML_DIR" || exit 1
. "$UML_DIR/script.sh"
echo "$MARK DONE"
echo o > /proc/sysrq-trigger
sleep 10
