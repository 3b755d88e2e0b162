# summary: HTTP/1.1 reverse proxy: nginx vs HAProxy vs Tandem in front of the same two backends (issue 2)
#
# Each proxy runs alone on the server core (nginx: 1 worker, HAProxy: 1 thread, Tandem: workers: 1),
# the backends (one nginx, 1 worker, two ports) and wrk share the load core. For every repeat, each proxy
# in turn (the order rotates between repeats) is started fresh, warmed up with the same wrk load, then
# measured; its CPU time is read from /proc before and after the measured run.

proxy_usage() {
  cat <<EOF
usage: benchmarks/run.sh proxy [options]

  --duration S      measured seconds per run            (BENCH_DURATION, default 10)
  --warmup S        warm-up seconds before each run     (BENCH_WARMUP, default 12)
  --connections N   wrk connections                     (BENCH_CONNECTIONS, default 64)
  --repeats N       runs per proxy, interleaved         (BENCH_REPEATS, default 3)
  --proxies LIST    which proxies, comma-separated      (BENCH_PROXIES, default nginx,haproxy,tandem;
                    tandem_routes: tandem with 100 routes and 11 header rules on the route taken)
  --jfr             record Tandem's measured runs with JFR and print its hot spots (costs a little CPU)
  --perf            count system calls, io_uring submissions and context switches per request with
                    perf stat (BENCH_PERF=1; adds a little CPU to every proxy)
  --max-noise PCT   measure a run again when other processes took more than PCT% of the server core
                                                        (BENCH_MAX_NOISE, default 10)
  --noise-retries N at most N times per run            (BENCH_NOISE_RETRIES, default 1; 0 = never)
  --quiet-wait S    before each measurement, wait up to S seconds for the server core to be quiet
                    (at most --max-noise % busy over a second)   (BENCH_QUIET_WAIT, default 0 = off)

$(bench_usage_env)
BENCH_WRK_THREADS: wrk's threads (default 1).
EOF
}

scenario_main() {
  bench_options proxy_usage "$@"
  local duration=${BENCH_DURATION:-10} warmup=${BENCH_WARMUP:-12} connections=${BENCH_CONNECTIONS:-64}
  local repeats=${BENCH_REPEATS:-3} proxies=${BENCH_PROXIES:-nginx,haproxy,tandem} jfr=${BENCH_JFR:-0}
  local max_noise=${BENCH_MAX_NOISE:-10} noise_retries=${BENCH_NOISE_RETRIES:-1}
  BENCH_QUIET_WAIT=${BENCH_QUIET_WAIT:-0}
  BENCH_PERF=${BENCH_PERF:-0}
  local -a kinds
  IFS=, read -r -a kinds <<<"$proxies"
  local k
  for k in "${kinds[@]}"; do
    [[ $k == nginx || $k == haproxy || $k == tandem || $k == tandem_routes ]] \
        || die "unknown proxy '$k' (expected: nginx, haproxy, tandem, tandem_routes)"
  done

  need nginx haproxy wrk taskset curl ss awk
  ((BENCH_PERF)) && need perf
  bench_init proxy
  [[ " ${kinds[*]} " == *" tandem"* ]] && tandem_build

  log "setup: server core $BENCH_CPU_SUT, load core $BENCH_CPU_LOAD; wrk -t$BENCH_WRK_THREADS -c$connections," \
      "warm-up ${warmup}s, measured ${duration}s, $repeats repeat(s) of: ${kinds[*]}; a run is measured again" \
      "(at most $noise_retries times) when other load takes over $max_noise% of the server core"
  local port_a port_b
  free_port port_a
  free_port port_b
  backends_start "$BENCH_CPU_LOAD" "$port_a" "$port_b"

  local runs=$BENCH_RESULTS/runs.tsv
  results_add "$runs" proxy repeat rps p50_ms p99_ms p999_ms cpu_us_per_req requests errors \
      sut_cpu_pct other_on_sut_core_pct load_core_pct backend_conns syscalls_per_req uring_ops_per_req ctxsw_per_req
  local r i n=${#kinds[@]}
  for ((r = 1; r <= repeats; r++)); do
    for ((i = 0; i < n; i++)); do
      proxy_measure_one "${kinds[(i + r - 1) % n]}" "$r" "$warmup" "$duration" "$connections" "$jfr" "$runs" \
          "$max_noise" "$noise_retries"
    done
  done

  proxy_report "$runs" "$repeats" "$max_noise" "${kinds[@]}" | tee "$BENCH_RESULTS/summary.txt"
  if ((jfr)); then
    local f
    for f in "$BENCH_RESULTS"/tandem*-r*.jfr; do
      [[ -f $f ]] || continue
      echo
      echo "Tandem hot spots, $(basename "$f") (JFR execution samples of the measured run):"
      java "$BENCH_HOME/src/main/java/dev/tandem/benchmarks/JfrHotSpots.java" "$f" | tee "${f%.jfr}-hotspots.txt"
    done
  fi
}

# proxy_measure_one KIND REPEAT WARMUP DURATION CONNECTIONS JFR RUNS_FILE MAX_NOISE NOISE_RETRIES
proxy_measure_one() {
  local kind=$1 r=$2 warmup=$3 duration=$4 connections=$5 jfr=$6 runs=$7 max_noise=$8 noise_retries=$9
  local name=$kind-r$r port url pid acc0 acc1 cpu_per_req saved_opts=${TANDEM_JAVA_OPTS:-}
  free_port port
  url=http://127.0.0.1:$port/
  if [[ $kind == tandem* && $jfr == 1 ]]; then
    export TANDEM_JAVA_OPTS="$saved_opts -XX:StartFlightRecording=delay=${warmup}s,dumponexit=true,settings=profile,filename=$BENCH_RESULTS/$kind-r$r.jfr"
  fi
  proxy_start "$kind" "$name" "$BENCH_CPU_SUT" "$port"
  export TANDEM_JAVA_OPTS=$saved_opts
  pid=${SERVER_PID[$name]}
  wait_http "$url" 30 "$pid" || die "$name does not answer 200 on $url"
  proxy_check_spread "$url" || die "$name does not reach both backends"

  wrk_run "$BENCH_RESULTS/$name-warmup.txt" "$warmup" "$connections" "$url" >/dev/null \
      || die "$name: warm-up failed"
  # On a shared machine other work may land on the server core. A run during which it took more than
  # max_noise percent of that core is measured again on the same (warm) server, a bounded number of times;
  # the table shows how much other load the runs it kept still had.
  local attempt
  for ((attempt = 1; ; attempt++)); do
    if ((BENCH_QUIET_WAIT > 0)); then
      wait_quiet_core "$BENCH_CPU_SUT" "$max_noise" "$BENCH_QUIET_WAIT" \
          || log "$kind run $r: the server core stayed busy for ${BENCH_QUIET_WAIT}s: measuring anyway"
      ((QUIET_WAITED == 0)) || log "$kind run $r: waited ${QUIET_WAITED}s for the server core to be quiet"
    fi
    acc0=$(backends_accepted)
    ((BENCH_PERF)) && perf_count_start "$BENCH_RESULTS/$name-perf.csv" "$pid"
    cpu_mark_start "$pid"
    wrk_run "$BENCH_RESULTS/$name.txt" "$duration" "$connections" "$url" || die "$name: measured run failed"
    cpu_mark_end "$pid"
    PERF_SYSCALLS_PER_REQ=- PERF_URING_PER_REQ=- PERF_CSW_PER_REQ=-
    ((BENCH_PERF)) && perf_count_end "$BENCH_RESULTS/$name-perf.csv" "$WRK_REQUESTS"
    acc1=$(backends_accepted)
    ((CPU_OTHER_PCT > max_noise && attempt <= noise_retries)) || break
    mv "$BENCH_RESULTS/$name.txt" "$BENCH_RESULTS/$name-noisy$attempt.txt"
    log "$kind run $r: other load took $CPU_OTHER_PCT% of the server core (> $max_noise%): measuring again"
  done
  server_alive "$name" || die "$name died during the run (see its log under $BENCH_RESULTS/servers)"
  server_stop "$name"

  cpu_per_req=$(cpu_us_per_request "$CPU_SUT_TICKS" "$WRK_REQUESTS")
  results_add "$runs" "$kind" "$r" "$WRK_RPS" "$WRK_P50_MS" "$WRK_P99_MS" "$WRK_P999_MS" "$cpu_per_req" \
      "$WRK_REQUESTS" "$WRK_ERRORS" "$CPU_SUT_PCT" "$CPU_OTHER_PCT" "$CPU_LOAD_PCT" $((acc1 - acc0)) \
      "$PERF_SYSCALLS_PER_REQ" "$PERF_URING_PER_REQ" "$PERF_CSW_PER_REQ"
  log "$(printf '%-8s run %d: %7s req/s  p99 %6s ms  %6s us cpu/req  errors %s  proxy cpu %s%%  other load on its core %s%%  load core %s%%  new backend conns %s' \
      "$kind" "$r" "$WRK_RPS" "$WRK_P99_MS" "$cpu_per_req" "$WRK_ERRORS" "$CPU_SUT_PCT" "$CPU_OTHER_PCT" \
      "$CPU_LOAD_PCT" $((acc1 - acc0)))"
}

# proxy_report RUNS_FILE REPEATS MAX_NOISE KIND...: the table of medians, ratios against nginx, the verdict.
proxy_report() {
  local runs=$1 repeats=$2 max_noise=$3
  shift 3
  local k rps p99 cpu base_rps base_cpu
  base_rps=$(results_median "$runs" proxy nginx rps)
  base_cpu=$(results_median "$runs" proxy nginx cpu_us_per_req)
  echo
  echo "Reverse proxy, HTTP/1.1 keep-alive, medians of $repeats run(s) ($(date '+%F %T'), $(nproc) cores," \
       "server core $BENCH_CPU_SUT, load core $BENCH_CPU_LOAD):"
  {
    printf 'proxy\treq/s\tp99(ms)\tcpu_us/req\treq/s vs nginx\tcpu/req vs nginx\terrors\tproxy cpu%%\tother on its core%%\tload core%%\tnew backend conns\n'
    for k in "$@"; do
      rps=$(results_median "$runs" proxy "$k" rps)
      p99=$(results_median "$runs" proxy "$k" p99_ms)
      cpu=$(results_median "$runs" proxy "$k" cpu_us_per_req)
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$k" "$rps" "$p99" "$cpu" \
          "$(ratio "$rps" "$base_rps")" "$(ratio "$cpu" "$base_cpu")" \
          "$(results_sum "$runs" proxy "$k" errors)" \
          "$(results_median "$runs" proxy "$k" sut_cpu_pct)" \
          "$(results_median "$runs" proxy "$k" other_on_sut_core_pct)" \
          "$(results_median "$runs" proxy "$k" load_core_pct)" \
          "$(results_median "$runs" proxy "$k" backend_conns)"
    done
  } | table_print
  if ((BENCH_PERF)); then
    echo
    echo "Kernel-side counts per request (perf stat, medians):"
    {
      printf 'proxy\tsyscalls/req\tio_uring submissions/req\tcontext switches/req\n'
      for k in "$@"; do
        printf '%s\t%s\t%s\t%s\n' "$k" "$(results_median "$runs" proxy "$k" syscalls_per_req)" \
            "$(results_median "$runs" proxy "$k" uring_ops_per_req)" "$(results_median "$runs" proxy "$k" ctxsw_per_req)"
      done
    } | table_print
  fi
  if [[ " $* " == *" tandem "* && " $* " == *" nginx "* ]]; then
    local t_rps t_cpu
    t_rps=$(results_median "$runs" proxy tandem rps)
    t_cpu=$(results_median "$runs" proxy tandem cpu_us_per_req)
    echo
    echo "target: Tandem req/s >= nginx's: $(awk -v a="$t_rps" -v b="$base_rps" 'BEGIN { print (a >= b) ? "met" : "NOT met" }')" \
         "($(ratio "$t_rps" "$base_rps")x); Tandem cpu/req <= nginx's:" \
         "$(awk -v a="$t_cpu" -v b="$base_cpu" 'BEGIN { print (a <= b) ? "met" : "NOT met" }') ($(ratio "$t_cpu" "$base_cpu")x)"
  fi
  if [[ " $* " == *" tandem "* && " $* " == *" tandem_routes "* ]]; then
    local plain_rps routes_rps
    plain_rps=$(results_median "$runs" proxy tandem rps)
    routes_rps=$(results_median "$runs" proxy tandem_routes rps)
    echo
    echo "routes: 100 routes (20 regexes) and 11 header rules on the route taken, req/s vs plain tandem:" \
         "$(ratio "$routes_rps" "$plain_rps")x; target >= 0.95:" \
         "$(awk -v a="$routes_rps" -v b="$plain_rps" 'BEGIN { print (a >= 0.95 * b) ? "met" : "NOT met" }')"
  fi
  local noisy
  noisy=$(awk -F'\t' -v m="$max_noise" 'NR > 1 && $11 + 0 > m + 0 { n++ } END { print n + 0 }' "$runs")
  if ((noisy)); then
    echo
    echo "WARNING: in $noisy run(s) other processes took more than $max_noise% of the server core (column"
    echo "'other on its core%'): req/s and p99 of those runs say more about that load than about the proxies."
  fi
  echo "every run: $runs"
}
