# summary: proxy latency p50/p99 with and without a flood of forged, replayed, truncated and random cluster packets (root)
# Sourced by run.sh. Does the data plane notice a flood at the cluster port? The lab is lib/lab.sh's: a client
# and two Tandem nodes (n1 master, n2 backup of the VIP, mirror on) on a bridge, in network namespaces. The
# client runs wrk against the VIP (proxied to n1's local backend, lib/tiny_backend.py) in phases: quiet, then with
# lib/packet_flood.py running in n2's namespace against n1 (n1's adverts replayed, cut short and bit-flipped,
# advert-shaped packets with a random MAC, random bytes, and connections to the mirror port), then quiet
# again. Prints p50/p99 per phase (medians over the runs), and what n1 counted as rejected.

packets_usage() {
  cat <<EOF
usage: benchmarks/run.sh packets [options]      (root)
  --runs N  rounds of quiet/flood/after (default 3)
  --seconds N  length of each phase (default 15)
  --rate N  adverts a second during the flood (default 2000)
  --mirror-rate N  mirror connections a second during the flood (default 200)
  --connections N  wrk's connections (default 8)
EOF
  bench_usage_env
}

# The lab's config, proxying to lib/tiny_backend.py (port 8001) instead of python's http.server (whose 40 ms of
# Nagle and delayed ACKs would hide what the proxy does), plus a mirrored directory (the same name on both
# nodes) so that the mirror listens.
packets_tandem_config() {
  local n=$1
  lab_tandem_config_base "$n"
  sed -i 's/127.0.0.1:8000/127.0.0.1:8001/' "$LAB_DIR/tandem-n$n.yaml"
  mkdir -p "$LAB_DIR/mirror-n$n/shared"
  cat >>"$LAB_DIR/tandem-n$n.yaml" <<YAML
  mirror:
    paths: [$LAB_DIR/mirror-n$n/shared]
YAML
}

packets_rejected() { # node: tandem_cluster_adverts_total{direction="rejected"} and tandem_mirror_rejected_total, summed
  ip netns exec "$(lab_ns "$1")" curl -s -m 2 http://127.0.0.1:9090/metrics 2>/dev/null | awk '
    /^tandem_cluster_adverts_total\{.*direction="rejected"/ { a += $NF }
    /^tandem_mirror_rejected_total\{/ { m += $NF }
    END { printf "%d %d\n", a, m }'
}

packets_phase() { # run phase
  local run=$1 phase=$2 out=$BENCH_RESULTS/wrk-$1-$2.txt flood_pid="" before after adverts mirror
  before=$(packets_rejected 1)
  if [[ $phase == flood ]]; then
    ip netns exec "$(lab_ns 2)" taskset -c "$BENCH_CPU_LOAD" python3 "$BENCH_HOME/lib/packet_flood.py" \
        "$(lab_addr 1)" "$LAB_CLUSTER_PORT" "$PACKETS_RATE" "$PACKETS_MIRROR_RATE" "$((PACKETS_SECONDS + 2))" \
        >"$BENCH_RESULTS/flood-$run.txt" 2>&1 &
    flood_pid=$!
    track flood "$flood_pid"
    sleep 1   # the flood starts once it has captured a few of n1's adverts (one every 100 ms)
  fi
  ip netns exec "$LAB_NS_C" taskset -c "$BENCH_CPU_LOAD" wrk -t1 -c"$PACKETS_CONNECTIONS" -d"${PACKETS_SECONDS}s" \
      --latency --timeout 10s -s "$BENCH_HOME/lib/wrk-report.lua" "$(lab_url tandem)" >"$out" 2>&1 \
      || die "wrk failed: $(tail -3 "$out")"
  if [[ -n $flood_pid ]]; then
    wait "$flood_pid" || true
    untrack "$flood_pid"
  fi
  after=$(packets_rejected 1)
  adverts=$((${after% *} - ${before% *}))
  mirror=$((${after#* } - ${before#* }))
  wrk_parse "$out"
  results_add "$PACKETS_TSV" "$run" "$phase" "$WRK_REQUESTS" "$WRK_ERRORS" "$WRK_RPS" "$WRK_P50_MS" "$WRK_P99_MS" \
      "$adverts" "$mirror"
  log "run $run $phase: $WRK_RPS req/s, p50 $WRK_P50_MS ms, p99 $WRK_P99_MS ms, errors $WRK_ERRORS;" \
      "n1 rejected $adverts adverts, $mirror mirror connections $([[ $phase == flood ]] && cat "$BENCH_RESULTS/flood-$run.txt")"
}

scenario_main() {
  bench_options packets_usage "$@"
  PACKETS_RUNS=${BENCH_RUNS:-3}
  PACKETS_SECONDS=${BENCH_SECONDS:-15}
  PACKETS_RATE=${BENCH_RATE:-2000}
  PACKETS_MIRROR_RATE=${BENCH_MIRROR_RATE:-200}
  PACKETS_CONNECTIONS=${BENCH_CONNECTIONS:-8}
  [[ $(id -u) == 0 ]] || die "packets needs root (network namespaces)"
  need ip python3 java wrk curl taskset
  bench_init packets
  TANDEM_DIST=${TANDEM_DIST:-$BENCH_REPO/packaging/target/tandem}
  [[ -f $TANDEM_DIST/bin/tandem ]] || mvn_package packaging
  eval "$(declare -f lab_tandem_config | sed '1s/lab_tandem_config/lab_tandem_config_base/')"
  lab_tandem_config() { packets_tandem_config "$@"; }
  lab_init "pk$(printf '%04x' $(((RANDOM << 1 ^ $$) & 0xffff)))" 10.204.0
  local n
  for n in 1 2; do
    ip netns exec "$(lab_ns "$n")" taskset -c "$BENCH_CPU_LOAD" python3 "$BENCH_HOME/lib/tiny_backend.py" 8001 "n$n" \
        >/dev/null 2>&1 &
    track "tiny-backend-n$n" $!
  done
  lab_node_start tandem 1
  lab_wait_holder tandem n1 60 || die "n1 never answered on the VIP (see $LAB_DIR/node-n1.log)"
  lab_node_start tandem 2
  # n2 up (its admin answers, so its mirror listens) and a backup: the VIP stays on n1
  local deadline=$((SECONDS + 60))
  until ip netns exec "$(lab_ns 2)" curl -s -m 1 http://127.0.0.1:9090/metrics >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "n2 never started (see $LAB_DIR/node-n2.log)"
    sleep 0.2
  done
  lab_wait_holder tandem n1 10 || die "the VIP left n1 when n2 started"
  PACKETS_TSV=$BENCH_RESULTS/runs.tsv
  results_add "$PACKETS_TSV" run phase requests errors rps p50_ms p99_ms adverts_rejected mirror_rejected
  local load_before run phase
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  log "lab $LAB_PREFIX: VIP $LAB_VIP on n1; wrk -c$PACKETS_CONNECTIONS for ${PACKETS_SECONDS}s per phase; flood" \
      "$PACKETS_RATE adverts/s + $PACKETS_MIRROR_RATE mirror connections/s from n2's namespace at n1; load average: $load_before"
  for ((run = 1; run <= PACKETS_RUNS; run++)); do
    for phase in quiet flood after; do
      packets_phase "$run" "$phase"
    done
  done
  local holder
  holder=$(lab_holder tandem)
  {
    echo "proxy latency through the VIP, medians of $PACKETS_RUNS run(s) (load average before: $load_before)"
    printf '%-8s %10s %10s %10s %8s %18s %16s\n' phase req/s p50_ms p99_ms errors adverts_rejected mirror_rejected
    for phase in quiet flood after; do
      printf '%-8s %10s %10s %10s %8s %18s %16s\n' "$phase" \
        "$(median $(results_column "$PACKETS_TSV" phase "$phase" rps))" \
        "$(median $(results_column "$PACKETS_TSV" phase "$phase" p50_ms))" \
        "$(median $(results_column "$PACKETS_TSV" phase "$phase" p99_ms))" \
        "$(median $(results_column "$PACKETS_TSV" phase "$phase" errors))" \
        "$(median $(results_column "$PACKETS_TSV" phase "$phase" adverts_rejected))" \
        "$(median $(results_column "$PACKETS_TSV" phase "$phase" mirror_rejected))"
    done
    echo "VIP holder at the end: ${holder:-none} (n1 expected)"
  } | tee "$BENCH_RESULTS/summary.txt"
  lab_nodes_stop
}
