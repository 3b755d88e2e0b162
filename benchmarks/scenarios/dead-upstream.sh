# summary: the failure path: CPU per request and log lines when the only upstream server is down, against a live one (issue 13, target 7)
#
# The proxies of `proxy` (lib/proxies.sh), each in turn on the server core, in front of one server: first a live
# backend, then a port nobody listens on (every connection refused, every answer a 502 or 503). Each start is
# warmed up with wrk, then measured --repeats times on the same process; the lines its log grew by during the
# measured runs of the dead upstream are counted.

dead_upstream_usage() {
  cat <<EOF
usage: benchmarks/run.sh dead-upstream [options]

  --duration S      measured seconds per run                      (BENCH_DURATION, default 5)
  --warmup S        wrk warm-up seconds after each start          (BENCH_WARMUP, default 5)
  --connections N   wrk connections                               (BENCH_CONNECTIONS, default 64)
  --repeats N       measured runs per proxy and upstream          (BENCH_REPEATS, default 3)
  --proxies LIST    which proxies, comma-separated                (BENCH_PROXIES, default nginx,haproxy,tandem)

$(bench_usage_env)
EOF
}

scenario_main() {
  bench_options dead_upstream_usage "$@"
  local duration=${BENCH_DURATION:-5} warmup=${BENCH_WARMUP:-5} connections=${BENCH_CONNECTIONS:-64}
  local repeats=${BENCH_REPEATS:-3} proxies=${BENCH_PROXIES:-nginx,haproxy,tandem}
  local -a kinds
  IFS=, read -r -a kinds <<<"$proxies"
  need nginx haproxy wrk taskset curl ss awk
  bench_init dead-upstream
  [[ " ${kinds[*]} " == *" tandem "* ]] && tandem_build

  local live dead
  free_port live
  free_port dead
  backends_start "$BENCH_CPU_LOAD" "$live"
  log "setup: server core $BENCH_CPU_SUT, load core $BENCH_CPU_LOAD; wrk -c$connections, warm-up ${warmup}s," \
      "$repeats x ${duration}s per proxy and upstream: live 127.0.0.1:$live, dead 127.0.0.1:$dead (nothing listens)"
  local runs=$BENCH_RESULTS/runs.tsv kind upstream
  results_add "$runs" proxy upstream repeat rps cpu_us_per_req requests non_2xx log_lines seconds most_of_one_reason
  for kind in "${kinds[@]}"; do
    for upstream in live dead; do
      if [[ $upstream == live ]]; then BACKEND_PORTS=("$live"); else BACKEND_PORTS=("$dead"); fi
      dead_upstream_measure "$kind" "$upstream" "$warmup" "$duration" "$connections" "$repeats" "$runs"
    done
  done
  dead_upstream_report "$runs" "$repeats" "${kinds[@]}" | tee "$BENCH_RESULTS/summary.txt"
}

# dead_upstream_log NAME KIND: the file the proxy logs to.
dead_upstream_log() {
  case $2 in
    nginx) echo "$(server_dir "$1")/error.log" ;;
    haproxy) echo "$(server_dir "$1")/haproxy.log" ;;
    *) echo "$(server_dir "$1")/tandem.log" ;;
  esac
}

dead_upstream_lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }

# dead_upstream_most_of_one_reason FILE FROM TO: of lines FROM+1..TO of the log, the count of the most frequent
# message once its time, numbers and the "(N like it since the last such line)" that Tandem adds are set aside.
# A proxy that logs each server and reason at most once per 10 s has at most 1 in a run shorter than 10 s.
dead_upstream_most_of_one_reason() {
  [[ -f $1 ]] || { echo 0; return; }
  sed -n "$(($2 + 1)),${3}p" "$1" | sed -E -e 's/ \([0-9]+ like it[^)]*\)//' -e 's/[0-9]+/N/g' \
      | sort | uniq -c | sort -rn | awk 'NR == 1 { m = $1 } END { print m + 0 }'
}

# dead_upstream_measure KIND UPSTREAM WARMUP DURATION CONNECTIONS REPEATS RUNS_FILE
dead_upstream_measure() {
  local kind=$1 upstream=$2 warmup=$3 duration=$4 connections=$5 repeats=$6 runs=$7
  local name=$kind-$upstream port url pid logf l0 l1 r cpu
  free_port port
  url=http://127.0.0.1:$port/
  proxy_start "$kind" "$name" "$BENCH_CPU_SUT" "$port"
  pid=${SERVER_PID[$name]}
  logf=$(dead_upstream_log "$name" "$kind")
  wrk_run "$BENCH_RESULTS/$name-warmup.txt" "$warmup" "$connections" "$url" >/dev/null || die "$name: warm-up failed"
  for ((r = 1; r <= repeats; r++)); do
    l0=$(dead_upstream_lines "$logf")
    cpu_mark_start "$pid"
    wrk_run "$BENCH_RESULTS/$name-r$r.txt" "$duration" "$connections" "$url" || die "$name: measured run failed"
    cpu_mark_end "$pid"
    l1=$(dead_upstream_lines "$logf")
    cpu=$(cpu_us_per_request "$CPU_SUT_TICKS" "$WRK_REQUESTS")
    results_add "$runs" "$kind" "$upstream" "$r" "$WRK_RPS" "$cpu" "$WRK_REQUESTS" "$WRK_STATUS_ERRORS" \
        $((l1 - l0)) "$duration" "$(dead_upstream_most_of_one_reason "$logf" "$l0" "$l1")"
    log "$(printf '%-8s %-4s run %d: %7s req/s  %6s us cpu/req  %s non-2xx of %s  %s log lines' \
        "$kind" "$upstream" "$r" "$WRK_RPS" "$cpu" "$WRK_STATUS_ERRORS" "$WRK_REQUESTS" $((l1 - l0)))"
  done
  server_alive "$name" || die "$name died during the run"
  server_stop "$name"
}

dead_upstream_report() {
  local runs=$1 repeats=$2 k live dead
  shift 2
  echo
  echo "A dead upstream against a live one, medians of $repeats run(s):"
  {
    printf 'proxy\tlive req/s\tlive cpu_us/req\tdead req/s\tdead cpu_us/req\tdead/live cpu\tdead non-2xx\tlog lines while dead\tlog lines per 10 s\tmost of one reason in a run\n'
    for k in "$@"; do
      live=$(results_median "$runs" proxy "$k" upstream live cpu_us_per_req)
      dead=$(results_median "$runs" proxy "$k" upstream dead cpu_us_per_req)
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$k" "$(results_median "$runs" proxy "$k" upstream live rps)" \
          "$live" "$(results_median "$runs" proxy "$k" upstream dead rps)" "$dead" "$(ratio "$dead" "$live")" \
          "$(results_sum "$runs" proxy "$k" upstream dead non_2xx)" "$(results_sum "$runs" proxy "$k" upstream dead log_lines)" \
          "$(ratio "$(results_sum "$runs" proxy "$k" upstream dead log_lines)" \
              "$(calc "$(results_sum "$runs" proxy "$k" upstream dead seconds) / 10")" 1)" \
          "$(results_column "$runs" proxy "$k" upstream dead most_of_one_reason | sort -n | tail -1)"
    done
  } | table_print
  echo "(HAProxy here has no log configured: its column counts only what it prints on its own)"
  echo "every run: $runs"
}
