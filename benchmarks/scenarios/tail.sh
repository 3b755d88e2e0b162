# summary: latency under an open-model load at a fixed rate, timed from each request's due time (no coordinated omission): nginx vs HAProxy vs Tandem (issue 13, target 2)
#
# The backends and proxies of `proxy` (lib/proxies.sh). A fixed-rate client (src/.../FixedRateClient.java, run
# from source on the load core) sends GETs over 64 keep-alive connections at --rate requests per second in
# total and times each from the moment it was due, as wrk2 does. h2load --rps is not used: it times a request
# from when it is submitted, and a request that falls due while its connection still waits for an answer is
# submitted late, so a stall shows as one slow request instead of all the ones it delayed. First the client
# alone against a backend at the same rate (the client row: what the load side adds), then each proxy in turn
# on the server core, started fresh, warmed up with wrk, then measured --repeats times.

tail_usage() {
  cat <<EOF
usage: benchmarks/run.sh tail [options]

  --rate N          requests per second in total (BENCH_RATE; default: 80% of nginx's req/s under wrk,
                    measured here first)
  --duration S      measured seconds per run                      (BENCH_DURATION, default 8)
  --warmup S        wrk warm-up seconds after each start          (BENCH_WARMUP, default 12)
  --connections N   the client's keep-alive connections           (BENCH_CONNECTIONS, default 64)
  --repeats N       measured runs per proxy, on the same process  (BENCH_REPEATS, default 3)
  --proxies LIST    which proxies, comma-separated                (BENCH_PROXIES, default nginx,haproxy,tandem)

$(bench_usage_env)
EOF
}

scenario_main() {
  bench_options tail_usage "$@"
  local duration=${BENCH_DURATION:-8} warmup=${BENCH_WARMUP:-12} connections=${BENCH_CONNECTIONS:-64}
  local repeats=${BENCH_REPEATS:-3} proxies=${BENCH_PROXIES:-nginx,haproxy,tandem} rate=${BENCH_RATE:-}
  local -a kinds
  IFS=, read -r -a kinds <<<"$proxies"
  need nginx haproxy wrk taskset curl ss awk javac java
  bench_init tail
  [[ " ${kinds[*]} " == *" tandem "* ]] && tandem_build
  TAIL_CLASSES=$BENCH_WORK/classes
  javac -d "$TAIL_CLASSES" "$BENCH_HOME/src/main/java/dev/tandem/benchmarks/FixedRateClient.java" \
      || die "FixedRateClient does not compile"

  local port_a port_b
  free_port port_a
  free_port port_b
  backends_start "$BENCH_CPU_LOAD" "$port_a" "$port_b"

  local runs=$BENCH_RESULTS/runs.tsv
  results_add "$runs" proxy repeat rate achieved_rps p50_ms p99_ms p999_ms max_ms errors uncorrected_p99_ms \
      send_lag_p99_ms sut_cpu_pct load_core_pct
  if [[ -z $rate ]]; then
    tail_start nginx tail-probe
    wrk_run "$BENCH_RESULTS/nginx-max.txt" "$duration" "$connections" "$TAIL_URL" >/dev/null || die "nginx: wrk failed"
    rate=$(awk -v r="$WRK_RPS" 'BEGIN { printf "%d", r * 0.8 }')
    log "nginx's maximum rate here: $WRK_RPS req/s; the fixed rate: $rate"
    server_stop tail-probe
  fi
  log "setup: server core $BENCH_CPU_SUT, load core $BENCH_CPU_LOAD; $rate req/s over $connections connections," \
      "${duration}s per run, $repeats run(s) each of: client alone (against a backend), ${kinds[*]}"

  # The client alone: what the load side adds at this rate.
  local r
  for ((r = 1; r <= repeats; r++)); do
    tail_measure client "$r" "$rate" "$duration" "$connections" 127.0.0.1 "$port_a" "${SERVER_PID[backends]}" "$runs"
  done
  local kind
  for kind in "${kinds[@]}"; do
    tail_start "$kind" "$kind-tail"
    wrk_run "$BENCH_RESULTS/$kind-warmup.txt" "$warmup" "$connections" "$TAIL_URL" >/dev/null \
        || die "$kind: warm-up failed"
    for ((r = 1; r <= repeats; r++)); do
      tail_measure "$kind" "$r" "$rate" "$duration" "$connections" 127.0.0.1 "$TAIL_PORT" "${SERVER_PID[$kind-tail]}" "$runs"
    done
    server_alive "$kind-tail" || die "$kind died during the run"
    server_stop "$kind-tail"
  done
  tail_report "$runs" "$rate" "$repeats" client "${kinds[@]}" | tee "$BENCH_RESULTS/summary.txt"
}

# tail_start KIND NAME: the proxy KIND on the server core in front of the backends; sets TAIL_PORT and TAIL_URL.
tail_start() {
  free_port TAIL_PORT
  TAIL_URL=http://127.0.0.1:$TAIL_PORT/
  proxy_start "$1" "$2" "$BENCH_CPU_SUT" "$TAIL_PORT"
  wait_http "$TAIL_URL" 30 "${SERVER_PID[$2]}" || die "$2 does not answer 200 on $TAIL_URL"
  proxy_check_spread "$TAIL_URL" || die "$2 does not reach both backends"
}

# tail_measure KIND REPEAT RATE DURATION CONNECTIONS HOST PORT PID RUNS_FILE: one run of the fixed-rate client
# (after 2 s of the same load, unrecorded, so that the client's own code is compiled); PID is the server's (the
# backends' for the client alone).
tail_measure() {
  local kind=$1 r=$2 rate=$3 duration=$4 connections=$5 host=$6 port=$7 pid=$8 runs=$9 out line sut_pct=-
  out=$BENCH_RESULTS/$kind-r$r.txt
  cpu_mark_start "$pid"
  run_tracked fixed-rate-client taskset -c "$BENCH_CPU_LOAD" java -XX:+UseSerialGC -Xmx256m -cp "$TAIL_CLASSES" \
      dev.tandem.benchmarks.FixedRateClient "$host" "$port" "$rate" "$connections" "$duration" / 2 >"$out" 2>&1 \
      || die "$kind: the fixed-rate client failed: $(tail -3 "$out")"
  cpu_mark_end "$pid"
  [[ $kind == client ]] || sut_pct=$CPU_SUT_PCT
  line=$(grep '^RATE_RESULT ' "$out" | tail -1)
  [[ -n $line ]] || die "$kind: no result from the fixed-rate client in $out"
  local -A v=()
  local kv
  for kv in ${line#RATE_RESULT }; do v[${kv%%=*}]=${kv#*=}; done
  ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
  results_add "$runs" "$kind" "$r" "$rate" "${v[achieved_rps]}" "$(ms "${v[p50_us]}")" "$(ms "${v[p99_us]}")" \
      "$(ms "${v[p999_us]}")" "$(ms "${v[max_us]}")" "${v[errors]}" "$(ms "${v[uncorrected_p99_us]}")" \
      "$(ms "${v[send_lag_p99_us]}")" "$sut_pct" "$CPU_LOAD_PCT"
  log "$(printf '%-8s run %d: %s of %s req/s  p50 %s  p99 %s  p99.9 %s  max %s ms  errors %s  (timed from the send: p99 %s ms; client late p99 %s ms)  load core %s%%' \
      "$kind" "$r" "${v[achieved_rps]}" "$rate" "$(ms "${v[p50_us]}")" "$(ms "${v[p99_us]}")" "$(ms "${v[p999_us]}")" \
      "$(ms "${v[max_us]}")" "${v[errors]}" "$(ms "${v[uncorrected_p99_us]}")" "$(ms "${v[send_lag_p99_us]}")" "$CPU_LOAD_PCT")"
}

# tail_report RUNS_FILE RATE REPEATS KIND...: medians, and p99 / p99.9 against nginx's.
tail_report() {
  local runs=$1 rate=$2 repeats=$3 k
  shift 3
  local n99 n999
  n99=$(results_median "$runs" proxy nginx p99_ms)
  n999=$(results_median "$runs" proxy nginx p999_ms)
  echo
  echo "Latency at a fixed $rate req/s, timed from each request's due time, medians of $repeats run(s):"
  {
    printf 'proxy\tachieved req/s\tp50 ms\tp99 ms\tp99.9 ms\tmax ms\tp99 vs nginx\tp99.9 vs nginx\terrors\tp99 timed from the send\tclient late p99 ms\tload core%%\n'
    for k in "$@"; do
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$k" \
          "$(results_median "$runs" proxy "$k" achieved_rps)" "$(results_median "$runs" proxy "$k" p50_ms)" \
          "$(results_median "$runs" proxy "$k" p99_ms)" "$(results_median "$runs" proxy "$k" p999_ms)" \
          "$(results_median "$runs" proxy "$k" max_ms)" \
          "$(ratio "$(results_median "$runs" proxy "$k" p99_ms)" "$n99")" \
          "$(ratio "$(results_median "$runs" proxy "$k" p999_ms)" "$n999")" \
          "$(results_sum "$runs" proxy "$k" errors)" "$(results_median "$runs" proxy "$k" uncorrected_p99_ms)" \
          "$(results_median "$runs" proxy "$k" send_lag_p99_ms)" "$(results_median "$runs" proxy "$k" load_core_pct)"
    done
  } | table_print
  for k in "$@"; do
    awk -v a="$(results_median "$runs" proxy "$k" achieved_rps)" -v r="$rate" 'BEGIN { exit !(a < 0.95 * r) }' \
        && echo "$k fell behind the rate: requests waited for their connection, and their latency counts that wait"
  done
  echo "client: the client alone against a backend at the same rate (what the load side adds);"
  echo "client late: how long after its due time the client sent (large against the backend: the client is the limit)"
  echo "every run: $runs"
}
