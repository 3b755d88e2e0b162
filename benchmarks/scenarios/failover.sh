#!/usr/bin/env bash
# summary: Tandem vs keepalived moving a VIP (root): the master's link down and a planned move, at two advert intervals
# Failover outage as a client sees it: Tandem beside keepalived (Debian package, VRRPv3, unicast, same
# advert interval), in the same lab, in the same run.
#
# The lab: network namespaces for a client and two nodes on one bridge (in a namespace of its own). Each
# node runs a small HTTP backend (python3 http.server, answering with the node's name) and either Tandem
# (the packaged distribution, proxying the VIP to the local backend) or keepalived (moving the VIP in front
# of the backend). The client asks for the VIP every 10 ms, each time on a new connection, and the outage is
# the longest time between two answered requests.
#
# Scenarios, each at every advert interval:
#   unplanned  the master's link goes down
#   planned    Tandem: `tandem handover` when the CLI has it, else a clean stop (SIGTERM: hand over, then stop);
#              keepalived: a clean stop (SIGTERM: priority-0 advert, address removed)
#
# Usage: benchmarks/scenarios/failover.sh            (root; builds the distribution when missing)
#   ADVERTS="1000 100" RUNS=3 STACKS="tandem keepalived" SCENARIOS="unplanned planned"
#   KEEP=1 keeps the work directory (logs, client output); CAPTURE=1 records ARP and the
#   client's TCP on the bridge there (cap-STACK-ADVERT-SCENARIO-STAMP.pcap beside poll-...-STAMP.out; tcpdump)
# Prints one table per advert interval: median outage and failed requests over RUNS runs, and the ratio.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
ADVERTS=${ADVERTS:-"1000 100"}
RUNS=${RUNS:-3}
STACKS=${STACKS:-"tandem keepalived"}
SCENARIOS=${SCENARIOS:-"unplanned planned"}

if [ "$(id -u)" != 0 ]; then echo "failover.sh: needs root (network namespaces)" >&2; exit 2; fi
for tool in ip python3 java keepalived arping; do
  command -v "$tool" >/dev/null || { echo "failover.sh: $tool is missing (apt-get install iproute2 python3 keepalived iputils-arping)" >&2; exit 2; }
done

dist="$top/packaging/target/tandem"
poller_cp="$top/testkit/target/classes"
if [ ! -x "$dist/bin/tandem" ] && [ ! -f "$dist/bin/tandem" ] || [ ! -f "$poller_cp/dev/tandem/testkit/HttpPoller.class" ]; then
  echo "failover.sh: building the distribution (mvn package)..." >&2
  (cd "$top" && mvn -B -q -DskipTests -pl packaging -am package) >&2
fi

id=$(printf '%04x' $(( (RANDOM << 1 ^ $$) & 0xffff )))
P="fo$id"
NS_SW="$P-sw"; NS_C="$P-c"; NS_1="$P-1"; NS_2="$P-2"
NET=10.200.0
VIP=$NET.50
work=$(mktemp -d /tmp/tandem-failover.XXXXXX)
declare -a node_pids=() backend_pids=()

cleanup() {
  set +e
  for p in "${node_pids[@]}" "${backend_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  for f in "$work"/ka-*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
  wait 2>/dev/null
  for ns in "$NS_C" "$NS_1" "$NS_2" "$NS_SW"; do ip netns del "$ns" 2>/dev/null; done
  if [ -n "${KEEP:-}" ]; then echo "failover.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Background processes are started with `ip netns exec` itself (not a function), so that $! is the process.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
node_ns() { if [ "$1" = 1 ]; then echo "$NS_1"; else echo "$NS_2"; fi; }

setup_lab() {
  for ns in "$NS_SW" "$NS_C" "$NS_1" "$NS_2"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n "$NS_SW" link add br0 type bridge
  ip -n "$NS_SW" link set br0 up
  for n in c 1 2; do
    ip link add eth0 netns "$P-$n" type veth peer name "p$n" netns "$NS_SW"
    ip -n "$NS_SW" link set "p$n" master br0
    ip -n "$NS_SW" link set "p$n" up
    ip -n "$P-$n" link set eth0 up
  done
  ip -n "$NS_C" addr add $NET.100/24 dev eth0
  ip -n "$NS_1" addr add $NET.1/24 dev eth0
  ip -n "$NS_2" addr add $NET.2/24 dev eth0
  head -c 32 /dev/urandom > "$work/cluster.key"
  for n in 1 2; do
    mkdir -p "$work/www-$n"
    echo "n$n" > "$work/www-$n/index.html"
    ip netns exec "$(node_ns $n)" python3 -m http.server 8000 --bind 0.0.0.0 --directory "$work/www-$n" >/dev/null 2>&1 &
    backend_pids+=($!)
  done
}

tandem_config() { # node advert_ms
  cat > "$work/tandem-n$1.yaml" <<YAML
listeners:
  - {name: http, bind: "$VIP:80"}
sites:
  - {hosts: ["*"], upstream: web}
upstreams:
  web:
    servers: [{address: "127.0.0.1:8000"}]
    timeouts: {connect: 1s, read: 5s, write: 5s}
cluster:
  nodes: {n1: $NET.1, n2: $NET.2}
  port: 7400
  secret_file: $work/cluster.key
  advert_interval: ${2}ms
  preempt: true
  vips:
    - {address: $VIP/24, interface: eth0, prefer: [n1, n2]}
YAML
}

keepalived_config() { # node advert_ms
  local me=$NET.$1 peer prio
  if [ "$1" = 1 ]; then peer=$NET.2; prio=250; else peer=$NET.1; prio=240; fi
  local adv; adv=$(awk "BEGIN { printf \"%g\", $2 / 1000 }")
  cat > "$work/keepalived-n$1.conf" <<CONF
global_defs {
  router_id n$1
  vrrp_version 3
  script_user root
  enable_script_security
}
vrrp_instance web {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority $prio
  advert_int $adv
  unicast_src_ip $me
  unicast_peer {
    $peer
  }
  virtual_ipaddress {
    $VIP/24 dev eth0
  }
}
CONF
}

starts=0
start_node() { # stack node advert_ms
  local ns; ns=$(node_ns "$2")
  starts=$((starts + 1))
  if [ "$1" = tandem ]; then
    tandem_config "$2" "$3"
    ip netns exec "$ns" sh "$dist/bin/tandem" run --config "$work/tandem-n$2.yaml" --node "n$2" >>"$work/node-n$2.log" 2>&1 &
  else
    keepalived_config "$2" "$3"
    ip netns exec "$ns" keepalived -n -l -P -f "$work/keepalived-n$2.conf" -p "$work/ka-n$2-$starts.pid" -r "$work/ka-vrrp-n$2-$starts.pid" \
      >>"$work/node-n$2.log" 2>&1 &
  fi
  node_pids[$2]=$!
}

stop_nodes() {
  local n pidfile
  for n in 1 2; do
    if [ -n "${node_pids[$n]:-}" ]; then kill -9 "${node_pids[$n]}" 2>/dev/null || true; wait "${node_pids[$n]}" 2>/dev/null || true; fi
    node_pids[$n]=""
    # keepalived's VRRP child outlives a killed parent
    for pidfile in "$work"/ka-*n"$n"-*.pid; do
      if [ -f "$pidfile" ]; then kill -9 "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
    done
    ip -n "$(node_ns $n)" link set eth0 up
    ip -n "$(node_ns $n)" addr del $VIP/24 dev eth0 2>/dev/null || true
  done
}

url() { if [ "$1" = tandem ]; then echo "http://$VIP:80/"; else echo "http://$VIP:8000/"; fi; }

# Waits until the VIP answers from n1 and n2 is up as backup.
wait_ready() { # stack advert_ms
  local deadline=$((SECONDS + 30))
  until in_ns "$NS_C" curl -s -m 0.5 "$(url "$1")" 2>/dev/null | grep -q '^n1$'; do
    [ $SECONDS -lt $deadline ] || { echo "failover.sh: $1 never served the VIP" >&2; tail -n 20 "$work"/node-n*.log >&2; exit 1; }
    sleep 0.1
  done
  # Settled: n2 has heard n1 for a while, and both stacks' second gratuitous ARP round (5 s after taking
  # the VIP, also after a brief start-up mastership of n2) is over, so no MAC move from start-up falls
  # into the measurement.
  sleep "$(awk "BEGIN { t = ($2 * 4) / 1000 + 1; print (t > 6.5 ? t : 6.5) }")"
}

trigger() { # stack scenario
  case "$2" in
    unplanned) ip -n "$NS_1" link set eth0 down ;;
    planned)
      if [ "$1" = tandem ] && sh "$dist/bin/tandem" help 2>&1 | grep -q '^ *handover'; then
        in_ns "$NS_1" sh "$dist/bin/tandem" handover >/dev/null 2>&1 &
      else
        kill -TERM "${node_pids[1]}"
      fi ;;
  esac
}

measure() { # stack advert_ms scenario; sets gap and failed (no subshell: it keeps track of the node processes)
  stop_nodes
  start_node "$1" 1 "$2"
  sleep 0.3
  start_node "$1" 2 "$2"
  wait_ready "$1" "$2"
  local duration=8000
  [ "$3" = planned ] && [ "$1" = tandem ] && duration=14000
  [ "$2" -ge 1000 ] && duration=$((duration + 4000))
  ip netns exec "$NS_C" java -cp "$poller_cp" dev.tandem.testkit.HttpPoller "$(url "$1")" 10 $duration 100 300 > "$work/poll.out" &
  local poller=$!
  local capture=""
  local stamp; stamp=$(date +%s%N)
  if [ -n "${CAPTURE:-}" ]; then # ARP and the client's TCP on the bridge: who claims the VIP when, who resets what
    ip netns exec "$NS_SW" tcpdump -n -i br0 -s 128 -U -w "$work/cap-$1-$2-$3-$stamp.pcap" \
      "arp or (tcp and host $VIP)" 2>/dev/null &
    capture=$!
  fi
  sleep 2
  date +"%H:%M:%S.%3N trigger" >> "$work/node-n1.log"
  trigger "$1" "$3"
  wait $poller
  if [ -n "$capture" ]; then kill "$capture" 2>/dev/null || true; wait "$capture" 2>/dev/null || true; fi
  local s; s=$(grep '^summary' "$work/poll.out")
  gap=$(grep -o 'max_gap_ms=[0-9]*' <<<"$s" | cut -d= -f2)
  failed=$(grep -o ' failed=[0-9]*' <<<"$s" | cut -d= -f2)
  if ! grep -q ' ok 200 n2 ' "$work/poll.out"; then echo "failover.sh: $1 $3: n2 never answered" >&2; fi
  cp "$work/poll.out" "$work/poll-$1-$2-$3-$stamp.out"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

setup_lab
echo "failover: lab $P (client, n1, n2 on a bridge), $RUNS run(s) per case, client polls every 10 ms" >&2
declare -A gaps fails
for adv in $ADVERTS; do
  for scenario in $SCENARIOS; do
    for stack in $STACKS; do
      g=""; fl=""
      for run in $(seq "$RUNS"); do
        measure "$stack" "$adv" "$scenario"
        echo "  advert ${adv}ms $scenario $stack run $run: outage ${gap} ms, ${failed} failed request(s)" >&2
        g+="$gap"$'\n'; fl+="$failed"$'\n'
      done
      gaps[$adv,$scenario,$stack]=$(printf '%s' "$g" | median)
      fails[$adv,$scenario,$stack]=$(printf '%s' "$fl" | median)
    done
  done
done
stop_nodes

for adv in $ADVERTS; do
  echo
  echo "advert interval ${adv} ms (median of $RUNS; outage = longest gap between answered requests)"
  printf '%-10s | %-22s | %-22s | %s\n' scenario "tandem outage/failed" "keepalived outage/failed" "outage ratio t/k"
  for scenario in $SCENARIOS; do
    t=${gaps[$adv,$scenario,tandem]:-}; k=${gaps[$adv,$scenario,keepalived]:-}
    ratio="-"
    if [ -n "$t" ] && [ -n "$k" ] && [ "$k" -gt 0 ]; then ratio=$(awk "BEGIN { printf \"%.2f\", $t / $k }"); fi
    printf '%-10s | %-22s | %-22s | %s\n' "$scenario" \
      "${t:--} ms / ${fails[$adv,$scenario,tandem]:--}" "${k:--} ms / ${fails[$adv,$scenario,keepalived]:--}" "$ratio"
  done
done
