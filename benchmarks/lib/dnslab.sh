# The DNS lab as a shell library (root), the benchmark's copy of DnsFailoverLabIT's: two regions, each a node
# behind its own router's NAT (nftables masquerade, and dnat of the cluster port and port 80 to the node), joined
# by an "internet" bridge that also holds a knot server authoritative for example.com. (TSIG key tandem-key.),
# the spare servers and a client. Every namespace is deleted on exit (on_exit), every process tracked.
#
#   dnslab_init PREFIX        namespaces PREFIX-{net,ra,a,rb,b,dns,w,c}; DNSLAB_DIR holds configs and logs
#   dnslab_spares             the spare servers (lib/spare_check.py) on 198.51.100.101 and .102, port 8080
#   dnslab_backend N PORT     node N's (1, 2) HTTP backend answering its name (lb1, lb2) on PORT
#   dnslab_zone [ADDRESS]     www.example.com. holding ADDRESS alone again (nsupdate), or no A record at all
#   dnslab_www                what the server answers for www.example.com. A, sorted, space-separated
#
# Addresses: lb1 10.1.0.11 behind 198.51.100.7; lb2 10.2.0.12 behind 198.51.100.9; knot 198.51.100.53; spares
# 198.51.100.101 and .102; a third place for a witness node 198.51.100.103 (in the spares' namespace); the client
# 198.51.100.50. DNSLAB_DELAY_MS (default 0): what the delaying forwarder adds each way between the two regions.

DNSLAB_FORWARDER=$BENCH_REPO/testkit/src/main/resources/dev/tandem/testkit/delay_forward.py
DNSLAB_ZONE=example.com.
DNSLAB_WWW=www.example.com.
DNSLAB_DNS=198.51.100.53
DNSLAB_SPARES=(198.51.100.101 198.51.100.102)
DNSLAB_W3=198.51.100.103
DNSLAB_CLIENT=198.51.100.50
DNSLAB_CLUSTER_PORT=7400
declare -A DNSLAB_PUBLIC=([1]=198.51.100.7 [2]=198.51.100.9)
declare -A DNSLAB_PRIVATE=([1]=10.1.0.11 [2]=10.2.0.12)
declare -A DNSLAB_BACKEND_PID=()

dnslab_init() {
  local p=$1 ns
  DNSLAB_P=$p
  DNSLAB_DIR=$BENCH_WORK/dnslab
  mkdir -p "$DNSLAB_DIR"
  for ns in net ra a rb b dns w c; do
    ip netns add "$p-$ns"
    on_exit "ip netns del $p-$ns"
    ip -n "$p-$ns" link set lo up
  done
  ip -n "$p-net" link add br0 type bridge
  ip -n "$p-net" link set br0 up
  dnslab_region 1 a
  dnslab_region 2 b
  dnslab_uplink "$p-dns" pd "$DNSLAB_DNS"
  dnslab_uplink "$p-w" pw "${DNSLAB_SPARES[0]}"
  ip -n "$p-w" addr add "${DNSLAB_SPARES[1]}/24" dev eth0
  ip -n "$p-w" addr add "$DNSLAB_W3/24" dev eth0
  dnslab_uplink "$p-c" pc "$DNSLAB_CLIENT"
  dnslab_knot
}

dnslab_ns() { # role: ra a rb b dns w c net
  echo "$DNSLAB_P-$1"
}

# A region: router rX (wan on the bridge at the public address, lan 10.N.0.1) and the node's namespace X.
dnslab_region() { # N suffix
  local n=$1 s=$2 router host
  router=$DNSLAB_P-r$s
  host=$DNSLAB_P-$s
  dnslab_uplink "$router" "p$s" "${DNSLAB_PUBLIC[$n]}" wan
  ip link add eth0 netns "$host" type veth peer name lan netns "$router"
  ip -n "$router" addr add "10.$n.0.1/24" dev lan
  ip -n "$router" link set lan up
  ip -n "$host" addr add "${DNSLAB_PRIVATE[$n]}/24" dev eth0
  ip -n "$host" link set eth0 up
  ip -n "$host" route add default via "10.$n.0.1"
  ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1
  cat >"$DNSLAB_DIR/nat-$s.nft" <<NFT
table ip lab_nat {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        iifname "wan" ip daddr ${DNSLAB_PUBLIC[$n]} udp dport $DNSLAB_CLUSTER_PORT dnat to ${DNSLAB_PRIVATE[$n]}
        iifname "wan" ip daddr ${DNSLAB_PUBLIC[$n]} tcp dport { $DNSLAB_CLUSTER_PORT, 80 } dnat to ${DNSLAB_PRIVATE[$n]}
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" masquerade
    }
}
NFT
  ip netns exec "$router" nft -f "$DNSLAB_DIR/nat-$s.nft"
}

dnslab_uplink() { # ns bridge-port address [ifname]
  local ns=$1 port=$2 address=$3 ifname=${4:-eth0}
  ip link add "$ifname" netns "$ns" type veth peer name "$port" netns "$DNSLAB_P-net"
  ip -n "$DNSLAB_P-net" link set "$port" master br0
  ip -n "$DNSLAB_P-net" link set "$port" up
  ip -n "$ns" addr add "$address/24" dev "$ifname"
  ip -n "$ns" link set "$ifname" up
}

dnslab_knot() {
  local d=$DNSLAB_DIR/knot
  mkdir -p "$d/db"
  DNSLAB_SECRET=$(head -c 32 /dev/urandom | base64)
  DNSLAB_TSIG=$d/tsig.key
  printf 'key:\n  - id: tandem-key.\n    algorithm: hmac-sha256\n    secret: %s\n' "$DNSLAB_SECRET" >"$DNSLAB_TSIG"
  dnslab_zone_file "${DNSLAB_PUBLIC[1]}"
  cat >"$d/knot.conf" <<CONF
server:
    listen: $DNSLAB_DNS@53
    rundir: $d
database:
    storage: $d/db
key:
  - id: tandem-key.
    algorithm: hmac-sha256
    secret: $DNSLAB_SECRET
acl:
  - id: update
    key: tandem-key.
    action: update
zone:
  - domain: $DNSLAB_ZONE
    storage: $d
    file: example.com.zone
    acl: update
    zonefile-sync: -1
CONF
  ip netns exec "$DNSLAB_P-dns" /usr/sbin/knotd -c "$d/knot.conf" >>"$DNSLAB_DIR/knotd.log" 2>&1 &
  DNSLAB_KNOT_PID=$!
  track knotd "$DNSLAB_KNOT_PID"
  local deadline=$((SECONDS + 30))
  until [[ $(dnslab_www) == "${DNSLAB_PUBLIC[1]}" ]]; do
    ((SECONDS < deadline)) || die "knot did not answer (see $DNSLAB_DIR/knotd.log)"
    sleep 0.2
  done
}

DNSLAB_SERIAL=1
dnslab_zone_file() { # address
  cat >"$DNSLAB_DIR/knot/example.com.zone" <<ZONE
\$TTL 300
@ SOA ns.example.com. admin.example.com. $DNSLAB_SERIAL 3600 600 86400 60
@ NS ns.example.com.
ns A $DNSLAB_DNS
www ${DNSLAB_TTL:-5} A $1
ZONE
}

# Puts the record back to ADDRESS alone, as an operator would with nsupdate (between cases); no ADDRESS: empty.
dnslab_zone() { # [address]
  local a
  {
    echo "server $DNSLAB_DNS 53"
    echo "zone $DNSLAB_ZONE"
    for a in $(dnslab_www); do echo "update delete $DNSLAB_WWW A $a"; done
    [[ -z ${1:-} ]] || echo "update add $DNSLAB_WWW ${DNSLAB_TTL:-5} A $1"
    echo send
  } | ip netns exec "$DNSLAB_P-c" nsupdate -y "hmac-sha256:tandem-key.:$DNSLAB_SECRET" >/dev/null
}

dnslab_www() {
  ip netns exec "$DNSLAB_P-c" dig +short +time=1 +tries=1 "@$DNSLAB_DNS" "$DNSLAB_WWW" A 2>/dev/null \
    | grep -E '^[0-9.]+$' | sort | tr '\n' ' ' | sed 's/ $//'
}

dnslab_spares() {
  local s
  for s in "${DNSLAB_SPARES[@]}"; do
    ip netns exec "$DNSLAB_P-w" python3 "$BENCH_HOME/lib/spare_check.py" "$s" 8080 >>"$DNSLAB_DIR/spare-$s.log" 2>&1 &
    track "spare-$s" $!
  done
  for s in "${DNSLAB_SPARES[@]}"; do
    local deadline=$((SECONDS + 20))
    until ip netns exec "$DNSLAB_P-c" curl -fs -m 1 -o /dev/null "http://$s:8080/"; do
      ((SECONDS < deadline)) || die "the spare server $s did not answer"
      sleep 0.1
    done
  done
}

dnslab_backend() { # N port
  local n=$1 port=$2 s
  s=$([[ $n == 1 ]] && echo a || echo b)
  mkdir -p "$DNSLAB_DIR/www-$n"
  echo "lb$n" >"$DNSLAB_DIR/www-$n/index.html"
  ip netns exec "$DNSLAB_P-$s" python3 -m http.server "$port" --bind 0.0.0.0 --directory "$DNSLAB_DIR/www-$n" \
      >/dev/null 2>&1 &
  DNSLAB_BACKEND_PID[$n]=$!
  track "backend-lb$n" "${DNSLAB_BACKEND_PID[$n]}"
  local deadline=$((SECONDS + 20))
  until ip netns exec "$DNSLAB_P-$s" curl -fs -m 1 -o /dev/null "http://127.0.0.1:$port/"; do
    ((SECONDS < deadline)) || die "the backend of lb$n did not answer"
    sleep 0.1
  done
}

dnslab_backend_kill() { # N
  local pid=${DNSLAB_BACKEND_PID[$1]:-}
  [[ -n $pid ]] || return 0
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  untrack "$pid"
  DNSLAB_BACKEND_PID[$1]=""
}

# Cuts (or restores) the wan link of region N's router: the whole region off the internet.
dnslab_link() { # N up|down
  local s
  s=$([[ $1 == 1 ]] && echo ra || echo rb)
  ip -n "$DNSLAB_P-$s" link set wan "$2"
}

# Region N's router drops what goes to or comes from ADDRESS (or stops doing so: ADDRESS "-").
dnslab_block() { # N address|-
  local s
  s=$([[ $1 == 1 ]] && echo ra || echo rb)
  ip netns exec "$DNSLAB_P-$s" nft delete table ip lab_block 2>/dev/null || true
  [[ $2 == - ]] && return 0
  ip netns exec "$DNSLAB_P-$s" nft -f - <<NFT
table ip lab_block {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ip daddr $2 drop
        ip saddr $2 drop
    }
}
NFT
}

# Adds MS of delay each way between the two regions (0: none): in each router, what its node sends to the other
# region's cluster port (UDP adverts, TCP mirror) is redirected to the delaying forwarder ($DNSLAB_FORWARDER, the
# one DnsFailoverLabIT runs too), which passes it on MS
# later from the router's public address; the forwarder of the other region's router delays the way back.
declare -A DNSLAB_DELAY_PID=()
dnslab_delay() { # ms
  local ms=$1 n s other router
  for n in 1 2; do
    s=$([[ $n == 1 ]] && echo ra || echo rb)
    router=$DNSLAB_P-$s
    other=${DNSLAB_PUBLIC[$((3 - n))]}
    ip netns exec "$router" nft delete table ip lab_delay 2>/dev/null || true
    if [[ -n ${DNSLAB_DELAY_PID[$n]:-} ]]; then
      stop_tree "${DNSLAB_DELAY_PID[$n]}" "delay-$s"
      untrack "${DNSLAB_DELAY_PID[$n]}"
      DNSLAB_DELAY_PID[$n]=""
    fi
    ((ms > 0)) || continue
    ip netns exec "$router" python3 "$DNSLAB_FORWARDER" --delay-ms "$ms" \
        --tcp "10.$n.0.1:27400" --udp "10.$n.0.1:27400=$other:$DNSLAB_CLUSTER_PORT" --source "${DNSLAB_PUBLIC[$n]}" \
        >>"$DNSLAB_DIR/delay-$s.log" 2>&1 &
    DNSLAB_DELAY_PID[$n]=$!
    track "delay-$s" "${DNSLAB_DELAY_PID[$n]}"
    local deadline=$((SECONDS + 20))
    until grep -qs delaying "$DNSLAB_DIR/delay-$s.log"; do
      ((SECONDS < deadline)) || die "the delaying forwarder of $s did not start (see $DNSLAB_DIR/delay-$s.log)"
      sleep 0.1
    done
    ip netns exec "$router" nft -f - <<NFT
table ip lab_delay {
    chain prerouting {
        type nat hook prerouting priority dstnat - 1; policy accept;
        iifname "lan" ip daddr $other tcp dport $DNSLAB_CLUSTER_PORT dnat to 10.$n.0.1:27400
        iifname "lan" ip daddr $other udp dport $DNSLAB_CLUSTER_PORT dnat to 10.$n.0.1:27400
    }
}
NFT
  done
}
