#!/usr/bin/env bash
# The main job end to end: set up, start a throwaway etcd on loopback, apply the sample
# manifest, and show it with `get -o wide`. Everything it starts it stops, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
work=$(mktemp -d /tmp/calicoctl-lab.XXXXXX)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
peer=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
etcd --name lab --data-dir "$work/data" --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "lab=http://127.0.0.1:$peer" --logger zap --log-level error >"$work/etcd.log" 2>&1 &
etcd_pid=$!
trap 'kill "$etcd_pid" 2>/dev/null; wait "$etcd_pid" 2>/dev/null; rm -rf "$work"' EXIT
export ETCD_ENDPOINTS="http://127.0.0.1:$port" CALICOCTL_CONFIG=/nonexistent
for _ in $(seq 50); do etcdctl --endpoints "$ETCD_ENDPOINTS" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
set -x
./bin/run.js apply -f examples/cluster.yaml
./bin/run.js get ippools -o wide
./bin/run.js get bgppeers -o wide
./bin/run.js get bgpconfigurations
