# A network lab for the VIP scenarios (root): network namespaces for a client and two nodes on one bridge
# (the bridge in a namespace of its own), each node with a small HTTP backend answering its own name, and
# on the nodes either Tandem (the packaged distribution, proxying the VIP to the local backend) or keepalived
# (VRRPv3, unicast, moving the VIP in front of the backend). Every namespace is deleted on exit (on_exit),
# every process is tracked (common.sh), so any exit path leaves nothing behind.
#
#   lab_init PREFIX NET       namespaces PREFIX-{sw,c,1,2}, addresses NET.100 (client), NET.1, NET.2, VIP NET.50
#   lab_node_start STACK N    starts Tandem or keepalived on node N (LAB_ADVERT_MS, LAB_PREEMPT, LAB_PRIORITY_N)
#   lab_nodes_stop            kills both nodes (SIGKILL: no handover), puts their links up, removes the VIP
#                             and every nft table in the node namespaces
#   lab_url STACK             the URL of the VIP for that stack
#   lab_wait_holder STACK NODE TIMEOUT   until a new connection to the VIP is answered by NODE (n1, n2)

LAB_CLUSTER_PORT=7400          # Tandem's cluster UDP port in the lab
LAB_ADVERT_MS=${LAB_ADVERT_MS:-100}
LAB_PREEMPT=${LAB_PREEMPT:-1}
# keepalived's priorities: those Tandem gives prefer: [n1, n2] (250, then 50 less each), so that both stacks'
# backups wait the same master-down interval (RFC 5798's skew time grows as the priority falls)
declare -A LAB_PRIORITY=([1]=250 [2]=200)
declare -A LAB_NODE_PID=()                  # node -> pid of its Tandem JVM or keepalived's parent process
declare -A LAB_BACKEND_PID=()               # node -> pid of its backend (python http.server on port 8000)
LAB_STARTS=0

# lab_init PREFIX NET: builds the lab; LAB_DIR (under BENCH_WORK) holds configs, state dirs and logs.
lab_init() {
  local p=$1 n
  LAB_NET=$2
  LAB_VIP=$LAB_NET.50
  LAB_NS_SW=$p-sw
  LAB_NS_C=$p-c
  LAB_DIR=$BENCH_WORK/lab
  mkdir -p "$LAB_DIR"
  for n in sw c 1 2; do
    ip netns add "$p-$n"
    on_exit "ip netns del $p-$n"
    ip -n "$p-$n" link set lo up
  done
  ip -n "$LAB_NS_SW" link add br0 type bridge
  ip -n "$LAB_NS_SW" link set br0 up
  for n in c 1 2; do
    ip link add eth0 netns "$p-$n" type veth peer name "p$n" netns "$LAB_NS_SW"
    ip -n "$LAB_NS_SW" link set "p$n" master br0
    ip -n "$LAB_NS_SW" link set "p$n" up
    ip -n "$p-$n" link set eth0 up
  done
  ip -n "$LAB_NS_C" addr add "$LAB_NET.100/24" dev eth0
  ip -n "$p-1" addr add "$LAB_NET.1/24" dev eth0
  ip -n "$p-2" addr add "$LAB_NET.2/24" dev eth0
  LAB_PREFIX=$p
  head -c 32 /dev/urandom >"$LAB_DIR/cluster.key"
  for n in 1 2; do
    mkdir -p "$LAB_DIR/www-$n"
    echo "n$n" >"$LAB_DIR/www-$n/index.html"
    lab_backend_start "$n"
  done
}

# The node's backend on port 8000 (what keepalived fronts; Tandem proxies to it): lib/tiny_backend.py, HTTP/1.1
# keep-alive, so that a keep-alive client keeps its connection to keepalived's VIP as it does to Tandem's, and
# answering in one write. (python's http.server writes the head and the body apart: on a connection kept alive,
# as a proxy's to its backend is, Nagle's algorithm and delayed ACKs add 40 ms or more to each answer, which
# only the stack with a proxy in front, Tandem, paid, and which stretched its outages by as much.)
lab_backend_start() { # node
  local n=$1
  ip netns exec "$(lab_ns "$n")" python3 "$BENCH_HOME/lib/tiny_backend.py" 8000 "n$n" 0.0.0.0 >/dev/null 2>&1 &
  LAB_BACKEND_PID[$n]=$!
  track "backend-n$n" "${LAB_BACKEND_PID[$n]}"
}

# Kills node N's backend (SIGKILL, as a dead box) and starts a new one, answering again before it returns.
lab_backend_kill() { # node
  local n=$1
  [[ -n ${LAB_BACKEND_PID[$n]:-} ]] || return 0
  kill -KILL "${LAB_BACKEND_PID[$n]}" 2>/dev/null || true
  wait "${LAB_BACKEND_PID[$n]}" 2>/dev/null || true
  untrack "${LAB_BACKEND_PID[$n]}"
  LAB_BACKEND_PID[$n]=""
}

lab_backend_restart() { # node
  local n=$1 deadline=$((SECONDS + 15))
  lab_backend_kill "$n"
  lab_backend_start "$n"
  until ip netns exec "$(lab_ns "$n")" curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:8000/"; do
    ((SECONDS < deadline)) || die "the backend of n$n did not answer after its restart"
    sleep 0.1
  done
}

lab_ns() { echo "$LAB_PREFIX-$1"; }

# The node's own address, and its peer's.
lab_addr() { echo "$LAB_NET.$1"; }
lab_peer() { echo "$LAB_NET.$((3 - $1))"; }

lab_url() { if [[ $1 == tandem ]]; then echo "http://$LAB_VIP:80/"; else echo "http://$LAB_VIP:8000/"; fi; }

lab_bool() { if (($1)); then echo true; else echo false; fi; }

# LAB_MIRROR=1: a mirror of a directory of the node's own (the TCP connection between the nodes that tells a
# backup at once that its master's process is gone); else nothing.
lab_tandem_mirror() { # node
  ((${LAB_MIRROR:-0})) || return 0
  mkdir -p "$LAB_DIR/www-n$1"
  echo "  mirror: {paths: [$LAB_DIR/www-n$1], state_dir: $LAB_DIR/mirror-state-n$1, sync_wait: 5s}"
}

lab_tandem_config() { # node
  local n=$1
  mkdir -p "$LAB_DIR/state-n$n"
  cat >"$LAB_DIR/tandem-n$n.yaml" <<YAML
listeners:
  - {name: http, bind: "$LAB_VIP:80"}
sites:
  - {hosts: ["*"], upstream: web}
upstreams:
  web:
    servers: [{address: "127.0.0.1:8000"}]
    timeouts: {connect: 1s, read: 5s, write: 5s}
cluster:
  nodes: {n1: $LAB_NET.1, n2: $LAB_NET.2}
  port: $LAB_CLUSTER_PORT
  secret_file: $LAB_DIR/cluster.key
  state_dir: $LAB_DIR/state-n$n
  advert_interval: ${LAB_ADVERT_MS}ms
  preempt: $(lab_bool "$LAB_PREEMPT")
$(lab_tandem_mirror "$n")
  vips:
    - {address: $LAB_VIP/24, interface: eth0, prefer: [n1, n2]}
YAML
}

# keepalived as Debian ships it, configured the nearest way to Tandem's: VRRPv3, unicast to the peer, the
# same advert interval; preempt off is `nopreempt` (both start as BACKUP either way).
lab_keepalived_config() { # node
  local n=$1 adv
  adv=$(awk -v ms="$LAB_ADVERT_MS" 'BEGIN { printf "%g", ms / 1000 }')
  cat >"$LAB_DIR/keepalived-n$n.conf" <<CONF
global_defs {
  router_id n$n
  vrrp_version 3
  script_user root
  enable_script_security
}
vrrp_instance web {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${LAB_PRIORITY[$n]}
  advert_int $adv
  $( ((LAB_PREEMPT)) || echo nopreempt)
  unicast_src_ip $(lab_addr "$n")
  unicast_peer {
    $(lab_peer "$n")
  }
  virtual_ipaddress {
    $LAB_VIP/24 dev eth0
  }
}
CONF
}

# lab_node_start STACK N: started with `ip netns exec` itself (which execs), so that $! is Tandem's JVM
# (bin/tandem execs java) or keepalived's parent process.
lab_node_start() {
  local stack=$1 n=$2 ns
  ns=$(lab_ns "$n")
  LAB_STARTS=$((LAB_STARTS + 1))
  if [[ $stack == tandem ]]; then
    lab_tandem_config "$n"
    ip netns exec "$ns" sh "$TANDEM_DIST/bin/tandem" run --config "$LAB_DIR/tandem-n$n.yaml" --node "n$n" \
        >>"$LAB_DIR/node-n$n.log" 2>&1 &
  else
    lab_keepalived_config "$n"
    ip netns exec "$ns" keepalived -n -l -P -f "$LAB_DIR/keepalived-n$n.conf" -p "$LAB_DIR/ka-n$n-$LAB_STARTS.pid" \
        -r "$LAB_DIR/ka-vrrp-n$n-$LAB_STARTS.pid" >>"$LAB_DIR/node-n$n.log" 2>&1 &
  fi
  LAB_NODE_PID[$n]=$!
  track "$stack-n$n" "${LAB_NODE_PID[$n]}"
}

# The pid of keepalived's VRRP process on node N (the child that sends adverts and holds the VIP), empty
# when there is none.
lab_keepalived_vrrp_pid() {
  local f
  f=$(find "$LAB_DIR" -maxdepth 1 -name "ka-vrrp-n$1-*.pid" | tail -n 1)
  [[ -n $f && -s $f ]] && cat "$f"
  return 0
}

# Every process of node N: Tandem's JVM, or keepalived's parent and its children (the VRRP child survives its
# parent's SIGKILL, so it is found through its pid file too).
lab_node_pids() {
  local n=$1
  [[ -n ${LAB_NODE_PID[$n]:-} ]] && proc_tree "${LAB_NODE_PID[$n]}"
  lab_keepalived_vrrp_pid "$n"
}

lab_nodes_stop() {
  local n p ns
  for n in 1 2; do
    for p in $(lab_node_pids "$n" | sort -u); do
      kill -CONT "$p" 2>/dev/null || true
      kill -KILL "$p" 2>/dev/null || true
    done
    if [[ -n ${LAB_NODE_PID[$n]:-} ]]; then
      wait "${LAB_NODE_PID[$n]}" 2>/dev/null || true
      untrack "${LAB_NODE_PID[$n]}"
    fi
    LAB_NODE_PID[$n]=""
    rm -f "$LAB_DIR"/ka-*n"$n"-*.pid
    ns=$(lab_ns "$n")
    ip -n "$ns" link set eth0 up
    ip -n "$ns" addr del "$LAB_VIP/24" dev eth0 2>/dev/null || true
    ip netns exec "$ns" nft flush ruleset 2>/dev/null || true
  done
}

# The node answering a new connection to the VIP now (n1, n2), empty when none.
lab_holder() {
  ip netns exec "$LAB_NS_C" curl -s -m 0.5 "$(lab_url "$1")" 2>/dev/null | head -n 1 || true
}

lab_wait_holder() { # stack node timeout_s
  local deadline=$((SECONDS + $3))
  until [[ $(lab_holder "$1") == "$2" ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
