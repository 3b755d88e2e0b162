#!/usr/bin/env bash
# summary: DNS failover across two NATed regions (root): Tandem beside seed 004's polling script; fault to the record's change at the server and to a client's first answer from the backup
# Sourced by run.sh. The lab is lib/dnslab.sh (DnsFailoverLabIT's, in shell); the client is lib/dns_observe.py;
# seed 004's method is benchmarks/seed004-failover.sh. See benchmarks/README.md, "dns-failover".

DNSF_CASES_ALL=kill,cut,uplink,partition

dns_failover_usage() {
  cat <<EOF
usage: benchmarks/run.sh dns-failover [options]      (root)
  --runs N  runs of every case and stack; the table shows medians (default 1)
  --cases LIST  comma-separated, of $DNSF_CASES_ALL (default all)
  --stacks LIST  tandem,seed004 (default both)
  --interval SECONDS  how often seed 004's script polls the primary (default 60, as the seed's cron)
  --ttl SECONDS  the record's TTL, which the client's cache honours (default 5)
  --advert MS  Tandem's advert_interval (default 250)
  --delay MS  added each way to the cluster traffic between the two regions (testkit's delay_forward.py; default 0)
Cases: kill (the primary's node dies: Tandem or its web server, and the backend), cut (the primary's region
loses its uplink), uplink (the backup's own uplink is cut: a false alarm), partition (only the path between
the two regions fails; the primary still serves everyone else: a false alarm).
EOF
  bench_usage_env
}

dnsf_label() {
  case $1 in
    kill) echo "the primary's node killed" ;;
    cut) echo "the primary's region cut off" ;;
    uplink) echo "the backup's uplink cut (false alarm)" ;;
    partition) echo "the regions partitioned (false alarm)" ;;
    *) return 1 ;;
  esac
}

dnsf_false_alarm() { [[ $1 == uplink || $1 == partition ]]; }

scenario_main() {
  bench_options dns_failover_usage "$@"
  DNSF_RUNS=${BENCH_RUNS:-1}
  DNSF_INTERVAL=${BENCH_INTERVAL:-60}
  DNSLAB_TTL=${BENCH_TTL:-5}
  DNSF_ADVERT=${BENCH_ADVERT:-250}
  DNSF_DELAY=${BENCH_DELAY:-0}
  local cases=${BENCH_CASES:-$DNSF_CASES_ALL} stacks=${BENCH_STACKS:-tandem,seed004} c s run
  [[ $(id -u) == 0 ]] || die "dns-failover needs root (network namespaces)"
  need ip nft python3 java dig nsupdate curl
  [[ -x /usr/sbin/knotd ]] || die "knotd is missing (Debian: apt-get install -y knot)"
  for c in ${cases//,/ }; do dnsf_label "$c" >/dev/null || die "unknown case '$c' (known: $DNSF_CASES_ALL)"; done
  bench_init dns-failover
  TANDEM_DIST=${TANDEM_DIST:-$BENCH_REPO/packaging/target/tandem}
  [[ -f $TANDEM_DIST/bin/tandem ]] || mvn_package packaging
  dnslab_init "df$(printf '%04x' $(((RANDOM << 1 ^ $$) & 0xffff)))"
  dnslab_spares
  dnslab_delay "$DNSF_DELAY"
  DNSF_TSV=$BENCH_RESULTS/runs.tsv
  results_add "$DNSF_TSV" stack case run record_ms client_ms moved
  local load_before; load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  log "dns lab $DNSLAB_P: lb1 ${DNSLAB_PUBLIC[1]} (NAT), lb2 ${DNSLAB_PUBLIC[2]} (NAT), knot $DNSLAB_DNS, spares" \
      "${DNSLAB_SPARES[*]}; TTL ${DNSLAB_TTL}s; Tandem adverts ${DNSF_ADVERT} ms; seed 004 polls every" \
      "${DNSF_INTERVAL}s; ${DNSF_DELAY} ms added each way between the regions; load average before: $load_before"
  for s in ${stacks//,/ }; do
    "dnsf_${s}_start"
    for ((run = 1; run <= DNSF_RUNS; run++)); do
      for c in ${cases//,/ }; do
        dnsf_case "$s" "$c" "$run"
      done
    done
    "dnsf_${s}_stop"
  done
  dnsf_table "$cases" "$stacks" "$load_before" | tee "$BENCH_RESULTS/summary.txt"
}

# ---------------------------------------------------------------- Tandem: lb1, lb2 and a witness node lb3

declare -A DNSF_TANDEM_PID=()

dnsf_tandem_config() { # node
  local dir=$DNSLAB_DIR/tandem-$1
  mkdir -p "$dir"
  cp "$DNSLAB_DIR/cluster.key" "$dir/cluster.key"
  cat >"$dir/tandem.yaml" <<YAML
listeners:
  - {name: http, bind: "0.0.0.0:80"}
sites:
  - {hosts: ["*"], upstream: web}
upstreams:
  web:
    servers: [{address: "127.0.0.1:8000"}]
    timeouts: {connect: 1s, read: 5s, write: 5s}
cluster:
  nodes:
    lb1: {address: ${DNSLAB_PUBLIC[1]}, bind: ${DNSLAB_PRIVATE[1]}}
    lb2: {address: ${DNSLAB_PUBLIC[2]}, bind: ${DNSLAB_PRIVATE[2]}}
    lb3: $DNSLAB_W3
  port: $DNSLAB_CLUSTER_PORT
  secret_file: cluster.key
  advert_interval: ${DNSF_ADVERT}ms
  state_dir: state-cluster
  witnesses: [${DNSLAB_SPARES[0]}, "tcp:${DNSLAB_SPARES[1]}:8080"]
  dns:
    server: $DNSLAB_DNS:53
    zone: $DNSLAB_ZONE
    tsig: {name: tandem-key., algorithm: hmac-sha256, secret_file: $DNSLAB_TSIG}
    hold_down: 5s
    records:
      - {name: $DNSLAB_WWW, ttl: ${DNSLAB_TTL}s, mode: failover, prefer: [lb1, lb2]}
YAML
}

dnsf_tandem_node() { # node namespace
  ip netns exec "$2" sh "$TANDEM_DIST/bin/tandem" run --config "$DNSLAB_DIR/tandem-$1/tandem.yaml" --node "$1" \
      >>"$DNSLAB_DIR/tandem-$1.log" 2>&1 &
  DNSF_TANDEM_PID[$1]=$!
  track "tandem-$1" "${DNSF_TANDEM_PID[$1]}"
}

dnsf_tandem_start() {
  head -c 32 /dev/urandom >"$DNSLAB_DIR/cluster.key"
  dnslab_backend 1 8000
  dnslab_backend 2 8000
  local n
  for n in lb1 lb2 lb3; do dnsf_tandem_config "$n"; done
  # Tandem writes the record itself: a node's address put there by hand is not Tandem's, and stays.
  dnslab_zone
  dnsf_tandem_node lb1 "$(dnslab_ns a)"
  dnsf_tandem_node lb2 "$(dnslab_ns b)"
  dnsf_tandem_node lb3 "$(dnslab_ns w)"
}

# Every node up, every link up, the record at lb1 (Tandem moves it back itself after the hold-down), lb1 and
# lb2 reaching a majority of their witnesses, and the client answered by lb1.
dnsf_tandem_steady() {
  local deadline=$((SECONDS + 120)) n
  if [[ ! -d /proc/${DNSF_TANDEM_PID[lb1]} ]]; then
    dnslab_backend 1 8000
    dnsf_tandem_node lb1 "$(dnslab_ns a)"
  fi
  until [[ $(dnslab_www) == "${DNSLAB_PUBLIC[1]}" ]] && dnsf_majority lb1 && dnsf_majority lb2 \
      && [[ $(ip netns exec "$(dnslab_ns c)" curl -fs -m 1 "http://${DNSLAB_PUBLIC[1]}/") == lb1 ]]; do
    ((SECONDS < deadline)) || die "tandem: no steady state (record: $(dnslab_www)); see $DNSLAB_DIR/tandem-lb*.log"
    for n in lb1 lb2 lb3; do
      [[ -d /proc/${DNSF_TANDEM_PID[$n]} ]] || die "tandem $n exited; see $DNSLAB_DIR/tandem-$n.log"
    done
    sleep 0.25
  done
  # The record holds still at lb1 for a hold-down (a move back is over, not under way).
  sleep 1
}

dnsf_majority() { # node: it last said it reaches a majority of its witnesses
  local f=$DNSLAB_DIR/tandem-$1.log
  [[ -f $f ]] || return 1
  [[ $(grep "dns: witnesses reached\|dns: no witness majority" "$f" | tail -n 1) == *"witnesses reached"* ]]
}

dnsf_tandem_stop() {
  local n
  for n in lb1 lb2 lb3; do
    if [[ -n ${DNSF_TANDEM_PID[$n]:-} ]]; then
      stop_tree "${DNSF_TANDEM_PID[$n]}" "tandem-$n"
      untrack "${DNSF_TANDEM_PID[$n]}"
    fi
  done
  dnslab_backend_kill 1
  dnslab_backend_kill 2
}

# ---------------------------------------------------------------- seed 004: web servers on port 80, the script on lb2

dnsf_seed004_start() {
  dnslab_backend 1 80
  dnslab_backend 2 80
  dnsf_seed004_script
}

dnsf_seed004_script() {
  dnslab_zone "${DNSLAB_PUBLIC[1]}"
  echo up >"$DNSLAB_DIR/seed004.state"
  ip netns exec "$(dnslab_ns b)" bash "$BENCH_HOME/seed004-failover.sh" --primary "${DNSLAB_PUBLIC[1]}" \
      --self "${DNSLAB_PUBLIC[2]}" --spares "http://${DNSLAB_SPARES[0]}:8080 http://${DNSLAB_SPARES[1]}:8080" \
      --server "$DNSLAB_DNS" --name "$DNSLAB_WWW" --ttl "$DNSLAB_TTL" \
      --key "hmac-sha256:tandem-key.:$DNSLAB_SECRET" --state "$DNSLAB_DIR/seed004.state" \
      --interval "$DNSF_INTERVAL" >>"$DNSLAB_DIR/seed004.log" 2>&1 &
  DNSF_SEED_PID=$!
  track seed004 "$DNSF_SEED_PID"
}

# A reset record and state, the script started again: its poll phase is new, as a cron job's is to a fault.
dnsf_seed004_steady() {
  stop_tree "$DNSF_SEED_PID" seed004
  untrack "$DNSF_SEED_PID"
  [[ -n ${DNSLAB_BACKEND_PID[1]:-} ]] || dnslab_backend 1 80
  dnsf_seed004_script
  local deadline=$((SECONDS + 30))
  until [[ $(dnslab_www) == "${DNSLAB_PUBLIC[1]}" ]]; do
    ((SECONDS < deadline)) || die "seed004: the record did not go back to lb1"
    sleep 0.2
  done
}

dnsf_seed004_stop() {
  stop_tree "$DNSF_SEED_PID" seed004
  untrack "$DNSF_SEED_PID"
  dnslab_backend_kill 1
  dnslab_backend_kill 2
}

# ---------------------------------------------------------------- the cases

# The fault as a shell command (run by the observer, in the client's namespace).
dnsf_fault() { # stack case
  case $2 in
    kill)
      if [[ $1 == tandem ]]; then
        echo "kill -KILL ${DNSF_TANDEM_PID[lb1]} ${DNSLAB_BACKEND_PID[1]}"
      else
        echo "kill -KILL ${DNSLAB_BACKEND_PID[1]}"
      fi ;;
    cut) echo "ip -n $(dnslab_ns ra) link set wan down" ;;
    uplink) echo "ip -n $(dnslab_ns rb) link set wan down" ;;
    partition) echo "ip netns exec $(dnslab_ns ra) nft -f $DNSLAB_DIR/partition.nft" ;;
  esac
}

dnsf_heal() { # stack case
  dnslab_link 1 up
  dnslab_link 2 up
  ip netns exec "$(dnslab_ns ra)" nft delete table ip lab_block 2>/dev/null || true
  if [[ $2 == kill ]]; then
    local pid=${DNSLAB_BACKEND_PID[1]}
    wait "$pid" 2>/dev/null || true
    untrack "$pid"
    DNSLAB_BACKEND_PID[1]=""
    if [[ $1 == tandem ]]; then
      wait "${DNSF_TANDEM_PID[lb1]}" 2>/dev/null || true
      untrack "${DNSF_TANDEM_PID[lb1]}"
    fi
  fi
}

dnsf_case() { # stack case run
  local s=$1 c=$2 run=$3 observe=30 out record client moved
  "dnsf_${s}_steady"
  cat >"$DNSLAB_DIR/partition.nft" <<NFT
table ip lab_block {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ip daddr ${DNSLAB_PUBLIC[2]} drop
        ip saddr ${DNSLAB_PUBLIC[2]} drop
    }
    chain output {
        # what the delaying forwarder (--delay) sends from the router itself
        type filter hook output priority filter; policy accept;
        ip daddr ${DNSLAB_PUBLIC[2]} drop
    }
}
NFT
  if [[ $s == seed004 ]]; then
    # The script polled just now (it was started again): the fault falls at a random point of its interval, as
    # a fault does to a cron job. Then at least one poll after the fault, its checks (5 s timeouts), the update.
    sleep "$(awk -v seed="$RANDOM" -v i="$DNSF_INTERVAL" 'BEGIN { srand(seed); printf "%.2f", rand() * i }')"
    observe=$((DNSF_INTERVAL + 25))
  fi
  log "$s: $(dnsf_label "$c"), run $run (observing up to $observe s)"
  out=$(ip netns exec "$(dnslab_ns c)" python3 "$BENCH_HOME/lib/dns_observe.py" --server "$DNSLAB_DNS" \
      --name "$DNSLAB_WWW" --old "${DNSLAB_PUBLIC[1]}" --new "${DNSLAB_PUBLIC[2]}" --new-body lb2 \
      --ttl "$DNSLAB_TTL" --fault "$(dnsf_fault "$s" "$c")" --observe "$observe")
  log "$s: $c: $out"
  record=$(sed -n 's/.*record_ms=\([^ ]*\).*/\1/p' <<<"$out")
  client=$(sed -n 's/.*client_ms=\([^ ]*\).*/\1/p' <<<"$out")
  moved=$(sed -n 's/.*moved=\([^ ]*\).*/\1/p' <<<"$out")
  results_add "$DNSF_TSV" "$s" "$c" "$run" "${record:--}" "${client:--}" "${moved:-0}"
  dnsf_heal "$s" "$c"
}

dnsf_table() { # cases stacks load_before
  local c s rec cli moved runs
  echo
  echo "DNS failover, fault to change (ms, median of $DNSF_RUNS run(s)); TTL ${DNSLAB_TTL}s; Tandem adverts" \
       "${DNSF_ADVERT} ms; seed 004 polls every ${DNSF_INTERVAL}s; ${DNSF_DELAY} ms each way between the regions"
  {
    printf 'case\tstack\trecord at the server\tfirst answer from lb2\tmoved (runs)\n'
    for c in ${1//,/ }; do
      for s in ${2//,/ }; do
        rec=$(results_median "$DNSF_TSV" stack "$s" case "$c" record_ms)
        cli=$(results_median "$DNSF_TSV" stack "$s" case "$c" client_ms)
        moved=$(results_sum "$DNSF_TSV" stack "$s" case "$c" moved)
        runs=$(results_column "$DNSF_TSV" stack "$s" case "$c" moved | wc -l)
        printf '%s\t%s\t%s\t%s\t%s\n' "$(dnsf_label "$c")" "$s" "$rec" "$cli" "$moved of $runs"
      done
    done
  } | table_print ll
  echo
  echo "seed 004 polling every ${DNSF_INTERVAL}s: a fault waits for the next poll, on average half the interval" \
       "($(calc "$DNSF_INTERVAL * 500") ms) and at most all of it, before its checks and the update."
  echo "load average before: $3; after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
