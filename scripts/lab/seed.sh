# The seed scenario (DESIGN §6), run as the body of a user-mode-linux guest (the only place this
# machine has IPIP). Sourced by the guest's init (test/uml/harness.ts or scripts/lab.sh), which
# defines `pass NAME`, `fail NAME`, `section NAME` and sets UML_DIR; REPO (the checkout, with a
# built dist/) is set before this file. Plain lines are for a person; markers are for the test.
#
# Two hosts `master` 198.51.100.95/24 and `node` 198.51.100.96/24 (network namespaces on one
# veth), etcd on a unix socket, `calicoctl node run` on each as a user starts it (it registers
# the Node, switches forwarding on and runs BIRD itself), one pod per host added with
# `calicoctl workload add` straight away, pool 192.168.0.0/16 /26 ipipMode Always; then the
# switch to Never, a deny policy and its removal, and back to Always.
set -u
# Every CLI call has a 30 s guard (a hang fails the step instead of the whole run); etcd calls
# may take longer than the default 5 s on a busy machine under user-mode-linux.
CTL="timeout 30 node $REPO/bin/run.js"
T="--timeout 30s"
W=/tmp/lab
mkdir -p $W
export ETCD_ENDPOINTS=unix://$W/etcd.sock:2379 DATASTORE_TYPE=etcdv3 CALICOCTL_CONFIG=/nonexistent NO_COLOR=1

now() { date +%s%N; }
ms() { echo $((($(now) - $1) / 1000000)); }
say() { echo "lab: $*"; }
step() { echo; echo "lab: ===== $* ====="; }
# until_ok SECONDS CMD...: retries CMD every 0.2 s until it succeeds or the time is up.
until_ok() {
  _end=$(($(date +%s) + $1)); shift
  while ! "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$_end" ] && return 1
    sleep 0.2
  done
}
check() {  # check NAME CMD...: pass/fail marker plus a readable line
  _n=$1; shift
  if "$@"; then pass "$_n"; say "ok   - $_n"; else fail "$_n"; say "FAIL - $_n"; fi
}
ping1() { ip netns exec pod1 ping -c 1 -W 1 "$POD2" >/dev/null 2>&1; }
# show NAME TITLE CMD...: runs CMD once; prints its output indented for a person, then again as
# section NAME for the test (the lab hides sections).
show() {
  _name=$1; _title=$2; shift 2
  "$@" >$W/show.txt 2>&1
  echo "  --- $_title ---"; sed 's/^/  /' $W/show.txt
  section "$_name"; cat $W/show.txt; section end
}
routes() { show "$1-routes$2" "routes on $1" ip -n "$1" route show; }

# ---------------------------------------------------------------------------------------------
step "setup: etcd, hosts master and node on one segment, pods"
T_SETUP=$(now)
ip link set lo up
(cd $W && exec etcd --name lab --data-dir $W/etcd --listen-client-urls unix://etcd.sock:2379 --advertise-client-urls unix://etcd.sock:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster lab=http://127.0.0.1:2380 \
  --logger zap --log-level error >$W/etcd.log 2>&1) &
until_ok 30 etcdctl --endpoints unix://$W/etcd.sock:2379 endpoint health || { fail etcd; cat $W/etcd.log; }
for ns in master node pod1 pod2; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add v-master type veth peer name v-node
ip link set v-master netns master; ip link set v-node netns node
ip -n master link set v-master name eth0; ip -n node link set v-node name eth0
ip -n master addr add 198.51.100.95/24 dev eth0; ip -n node addr add 198.51.100.96/24 dev eth0
for h in master node; do
  ip -n $h link set eth0 up
  ip -n $h route add default via 198.51.100.1 dev eth0   # unused address: proxy ARP needs a covering route
  mkdir -p $W/$h
done
$CTL apply $T -f - <<'EOF' 2>&1 | sed 's/^/  /'
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 192.168.0.0/16
  blockSize: 26
  ipipMode: Always
  natOutgoing: false
EOF
say "setup took $(ms $T_SETUP) ms"

# ---------------------------------------------------------------------------------------------
step "calicoctl node run on each host, then the workloads straight away"
# Default flags: only where this lab keeps its files, and the legacy iptables the guest kernel has.
AGENT_FLAGS="--iptables-backend legacy"
T_RUN=$(now)
for h in master node; do
  addr=198.51.100.95; [ $h = node ] && addr=198.51.100.96
  # The agent runs until stopped: no 30 s guard on it.
  ip netns exec $h node $REPO/bin/run.js node run --name $h --ip $addr/24 --bird-config-dir $W/$h/bird --bird-socket $W/$h/bird.ctl \
    --lock-file $W/$h/lock --status-file $W/$h/status.json $AGENT_FLAGS >$W/$h/run.log 2>&1 &
  echo $! >$W/$h/run.pid
done
# No wait on the agents: `workload add` waits by itself (--wait-node) if the Node is not there yet.
WL_MS=""
for h in master node; do
  pod=pod1; [ $h = node ] && pod=pod2
  T_WL=$(now)
  ip netns exec $h $CTL workload add $pod $T --netns $pod --node $h --labels app=$pod $AGENT_FLAGS 2>&1 | sed 's/^/  /'
  WL_MS="$WL_MS $pod=$(ms $T_WL)"
done
say "workload add took (ms):$WL_MS"
# When each agent registered its Node and finished its first pass, from its own log (ms after start).
at() {  # at HOST REGEX: ms from T_RUN to the first log line matching REGEX, or "none"
  _ts=$(grep -m1 -E "$2" $W/$1/run.log | cut -d' ' -f1)
  [ -n "$_ts" ] && echo $(( ($(date -d "$_ts" +%s%N) - T_RUN) / 1000000 )) || echo none
}
# The first pass that went through (a first try that failed, e.g. on an etcd timeout, is retried).
FIRST_PASS='\[INFO\] pass \('
for h in master node; do until_ok 120 grep -qE "$FIRST_PASS" $W/$h/run.log || { fail "node-run-$h-started"; tail -20 $W/$h/run.log; }; done
TIMES=""
for h in master node; do TIMES="$TIMES $h-registered=$(at $h "\[INFO\] Node $h (created|updated|already registered)") $h-first-pass=$(at $h "$FIRST_PASS")"; done
section timings; echo "$TIMES$(echo "$WL_MS" | sed 's/\(pod[12]\)=/ workload-add-\1=/g')"; section end
say "ms after start:$TIMES"
for h in master node; do until_ok 60 test -S $W/$h/bird.ctl || fail "bird-$h-started"; done
check forwarding-on sh -c "[ \"\$(ip netns exec master cat /proc/sys/net/ipv4/ip_forward)\" = 1 ] && [ \"\$(ip netns exec node cat /proc/sys/net/ipv4/ip_forward)\" = 1 ]"
show master-status "calicoctl node status on master" ip netns exec master $CTL node status --bird-socket $W/master/bird.ctl --status-file $W/master/status.json

POD1=$(ip -n pod1 -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
POD2=$(ip -n pod2 -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
B2=$(echo "$POD2" | awk -F. '{printf "%s.%s.%s.%d/26", $1, $2, $3, int($4/64)*64}')
B1=$(echo "$POD1" | awk -F. '{printf "%s.%s.%s.%d/26", $1, $2, $3, int($4/64)*64}')
section addresses; echo "POD1=$POD1 POD2=$POD2 B1=$B1 B2=$B2"; section end
say "pod1 $POD1 (block $B1), pod2 $POD2 (block $B2)"
show pod1-routes "routes in pod1" ip -n pod1 route show

# ---------------------------------------------------------------------------------------------
step "1. IPIP mode: pod1 pings pod2 through tunl0"
tunl_route() { ip -n master route show "$B2" | grep -q "via 198.51.100.96 dev tunl0.*onlink"; }
until_ok 240 tunl_route
until_ok 60 ping1
routes master -ipip; routes node -ipip
show master-tunl0 "tunl0 on master" ip -n master -4 addr show dev tunl0
check ipip-tunl0-route tunl_route
check ipip-node-cali-route sh -c "ip -n node route show $POD2 | grep -Eq '^$POD2 dev cali[0-9a-f]+ .*scope link'"
# A capture on node's host link while pod1 pings: the packets are IP-in-IP (protocol 4).
capture() {  # capture FILE: up to 2 packets between the pods' hosts, as tcpdump prints them
  ip netns exec node timeout 60 tcpdump -l -n -c 2 -i eth0 'ip proto 4 or icmp' >"$1" 2>$W/tcpdump.err &
  _cap=$!
  # Ping only once tcpdump is listening: on a slow machine it takes seconds to start.
  until_ok 45 grep -q 'listening on' $W/tcpdump.err
  ip netns exec pod1 ping -c 4 -i 0.5 -W 2 "$POD2" >$W/ping.txt 2>&1
  wait $_cap
}
capture $W/cap-ipip.txt
show ipip-capture "capture on node's eth0 (tcpdump -n 'ip proto 4 or icmp')" cat $W/cap-ipip.txt
show ipip-ping "ping from pod1" tail -3 $W/ping.txt
check ipip-ping grep -q ' 0% packet loss' $W/ping.txt
check ipip-capture-proto4 grep -q 'IP 198.51.100.95 > 198.51.100.96: IP '"$POD1"' > '"$POD2"': ICMP echo request' $W/cap-ipip.txt
say "on the wire: $(grep -q "IP 198.51.100.95 > 198.51.100.96: IP $POD1 > $POD2" $W/cap-ipip.txt && echo 'IP-in-IP (protocol 4): outer 198.51.100.95 > 198.51.100.96, inner ICMP' || echo 'NOT IP-in-IP')"

# ---------------------------------------------------------------------------------------------
step "2. calicoctl patch ippool default-ipv4-ippool -p '{\"spec\":{\"ipipMode\":\"Never\"}}'"
$CTL patch ippool default-ipv4-ippool $T -p '{"spec":{"ipipMode":"Never"}}' 2>&1 | sed 's/^/  /'
T_PATCH=$(now)
# The convergence probes read each host's table once and match in the shell: every process
# started here takes CPU from the two agents (the guest has one CPU).
NL='
'
has() { case "$NL$1" in *"$NL$2"*) return 0;; esac; return 1; }  # has TEXT LINE-PREFIX
converged_never() {
  _rm=$(ip -n master route show) && _rn=$(ip -n node route show) || return 1
  case "$_rm$_rn" in *"dev tunl0"*) return 1;; esac
  has "$_rm" "$B2 via 198.51.100.96 dev eth0 proto bird" && has "$_rn" "$B1 via 198.51.100.95 dev eth0 proto bird" && ping1
}
if until_ok 180 converged_never; then CONV=$(ms $T_PATCH); else CONV=timeout; fi
section convergence-never; echo "$CONV"; section end
say "converged (no tunl0 route on either host, proto bird routes both ways, ping answers) ${CONV} ms after the patch returned"
routes master -never; routes node -never
check never-no-tunl0-routes sh -c "! ip -n master route show | grep -q 'dev tunl0' && ! ip -n node route show | grep -q 'dev tunl0'"
check never-bird-route sh -c "ip -n master route show $B2 | grep -q 'via 198.51.100.96 dev eth0 proto bird'"
capture $W/cap-bgp.txt
show never-capture "capture on node's eth0" cat $W/cap-bgp.txt
show never-ping "ping from pod1" tail -3 $W/ping.txt
check never-ping grep -q ' 0% packet loss' $W/ping.txt
check never-capture-plain sh -c "grep -q 'IP $POD1 > $POD2: ICMP echo request' $W/cap-bgp.txt && ! grep -q 'IP 198.51.100.95 > 198.51.100.96: IP ' $W/cap-bgp.txt"
say "on the wire: $(grep -q "IP $POD1 > $POD2: ICMP" $W/cap-bgp.txt && echo 'plain ICMP, a single IP header' || echo 'NOT plain ICMP')"

# ---------------------------------------------------------------------------------------------
step "3. a GlobalNetworkPolicy denying ICMP into pod2"
$CTL apply $T -f - <<'EOF' 2>&1 | sed 's/^/  /'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-icmp-pod2
spec:
  selector: app == 'pod2'
  types: [Ingress]
  ingress:
    - action: Deny
      protocol: ICMP
    - action: Allow
EOF
T_POL=$(now)
no_ping() { ! ping1; }
if until_ok 120 no_ping; then say "ping stopped $(ms $T_POL) ms after the policy was created"; fi
check policy-denies sh -c "! ip netns exec pod1 ping -c 2 -i 0.3 -W 1 $POD2 >/dev/null 2>&1"
$CTL delete globalnetworkpolicy deny-icmp-pod2 $T 2>&1 | sed 's/^/  /'
T_DEL=$(now)
if until_ok 120 ping1; then say "ping answers again $(ms $T_DEL) ms after the policy was deleted"; fi
check policy-deleted-ping ping1

# ---------------------------------------------------------------------------------------------
step "4. back to ipipMode Always"
$CTL patch ippool default-ipv4-ippool $T -p '{"spec":{"ipipMode":"Always"}}' 2>&1 | sed 's/^/  /'
T_BACK=$(now)
converged_always() {
  _rm=$(ip -n master route show) && _rn=$(ip -n node route show) || return 1
  case "$_rm" in *"proto bird"*) return 1;; esac
  has "$_rm" "$B2 via 198.51.100.96 dev tunl0 proto 80 onlink" && has "$_rn" "$B1 via 198.51.100.95 dev tunl0 proto 80 onlink" && ping1
}
if until_ok 180 converged_always; then CONV2=$(ms $T_BACK); else CONV2=timeout; fi
section convergence-always; echo "$CONV2"; section end
say "converged back to IPIP ${CONV2} ms after the patch returned"
routes master -always
check always-again-tunl0-route converged_always
capture $W/cap-ipip2.txt
check always-again-capture-proto4 grep -q 'IP 198.51.100.95 > 198.51.100.96: IP ' $W/cap-ipip2.txt

# For bench/uml-seed.mts only (IDLE_SECONDS set): each agent's CPU while nothing changes, from
# /proc/PID/stat (utime+stime, and cutime+cstime for the programs it ran), as % of one CPU.
if [ -n "${IDLE_SECONDS:-}" ]; then
  cpu() { awk '{print $14+$15, $16+$17}' /proc/$1/stat; }
  step "idle: both agents left alone for $IDLE_SECONDS s"
  for h in master node; do cpu "$(cat $W/$h/run.pid)" >$W/$h/cpu0; done
  sleep "$IDLE_SECONDS"
  IDLE=""
  for h in master node; do
    set -- $(cpu "$(cat $W/$h/run.pid)") $(cat $W/$h/cpu0)
    IDLE="$IDLE $h-idle-cpu=$(awk -v a=$1 -v b=$3 -v s=$IDLE_SECONDS 'BEGIN{printf "%.2f", (a-b)/s}') $h-idle-cpu-with-children=$(awk -v a=$1 -v c=$2 -v b=$3 -v d=$4 -v s=$IDLE_SECONDS 'BEGIN{printf "%.2f", (a+c-b-d)/s}')"
  done
  section idle; echo "$IDLE"; section end
  say "idle CPU (% of one CPU, clock ticks of 10 ms):$IDLE"
fi

# ---------------------------------------------------------------------------------------------
step "stop: SIGTERM to both agents (routes stay; their BIRDs stop)"
for h in master node; do kill -TERM "$(cat $W/$h/run.pid)"; done
for h in master node; do
  pid=$(cat $W/$h/run.pid)
  until_ok 20 sh -c "! kill -0 $pid" || fail "node-run-$h-exit"
  wait "$pid"; rc=$?
  check "node-run-$h-exit-0" test "$rc" = 0
done
check routes-stay sh -c "ip -n master route show $B2 | grep -q 'dev tunl0'"
for h in master node; do echo "  --- node run log on $h (changes only) ---"; grep -E '\[(INFO|WARN|ERROR)\]' $W/$h/run.log | grep -v 'etcd put' | sed 's/^/  /' | tail -40; done
section master-log; cat $W/master/run.log
section node-log; cat $W/node/run.log
section end
