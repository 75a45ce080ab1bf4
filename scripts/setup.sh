#!/usr/bin/env bash
# Installs what a fresh Debian machine (as root) lacks, then the npm dependencies and the build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=0
  for c in etcd etcdctl bird birdc iptables-restore ipset ip ping tcpdump groff linux.uml; do command -v "$c" >/dev/null || missing=1; done
  if [ "$missing" = 1 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      etcd-server etcd-client bird2 iptables ipset iproute2 iputils-ping kmod tcpdump groff-base man-db openssl procps util-linux user-mode-linux >/dev/null
  fi
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build >/dev/null
