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
  --proxies LIST    which proxies, comma-separated      (BENCH_PROXIES, default nginx,haproxy,tandem)
  --jfr             record Tandem's measured runs with JFR and print its hot spots (costs a little CPU)

Environment: BENCH_CPU_SUT (default 0), BENCH_CPU_LOAD (default 1), BENCH_WRK_THREADS (default 1),
TANDEM_DIST (use this distribution instead of building one), TANDEM_JAVA_OPTS (passed to Tandem's JVM),
BENCH_KEEP=1 (keep the work dir), BENCH_RESULTS (where the results go).
EOF
}

scenario_main() {
  local duration=${BENCH_DURATION:-10} warmup=${BENCH_WARMUP:-12} connections=${BENCH_CONNECTIONS:-64}
  local repeats=${BENCH_REPEATS:-3} proxies=${BENCH_PROXIES:-nginx,haproxy,tandem} jfr=${BENCH_JFR:-0}
  while (($#)); do
    case $1 in
      --duration) duration=$2; shift 2 ;;
      --warmup) warmup=$2; shift 2 ;;
      --connections) connections=$2; shift 2 ;;
      --repeats) repeats=$2; shift 2 ;;
      --proxies) proxies=$2; shift 2 ;;
      --jfr) jfr=1; shift ;;
      -h | --help) proxy_usage; exit 0 ;;
      *) proxy_usage >&2; exit 64 ;;
    esac
  done
  local -a kinds
  IFS=, read -r -a kinds <<<"$proxies"
  local k
  for k in "${kinds[@]}"; do
    [[ $k == nginx || $k == haproxy || $k == tandem ]] || die "unknown proxy '$k' (expected: nginx, haproxy, tandem)"
  done

  need nginx haproxy wrk taskset curl ss awk
  bench_init proxy
  [[ " ${kinds[*]} " == *" tandem "* ]] && tandem_build

  log "setup: server core $BENCH_CPU_SUT, load core $BENCH_CPU_LOAD; wrk -t$BENCH_WRK_THREADS -c$connections," \
      "warm-up ${warmup}s, measured ${duration}s, $repeats repeat(s) of: ${kinds[*]}"
  local port_a port_b
  free_port port_a
  free_port port_b
  backends_start "$BENCH_CPU_LOAD" "$port_a" "$port_b"

  local runs=$BENCH_RESULTS/runs.tsv
  results_add "$runs" proxy repeat rps p50_ms p99_ms p999_ms cpu_us_per_req requests errors \
      sut_cpu_pct other_on_sut_core_pct load_core_pct backend_conns
  local r i n=${#kinds[@]}
  for ((r = 1; r <= repeats; r++)); do
    for ((i = 0; i < n; i++)); do
      proxy_measure_one "${kinds[(i + r - 1) % n]}" "$r" "$warmup" "$duration" "$connections" "$jfr" "$runs"
    done
  done

  proxy_report "$runs" "$repeats" "${kinds[@]}" | tee "$BENCH_RESULTS/summary.txt"
  if ((jfr)); then
    local f
    for f in "$BENCH_RESULTS"/tandem-r*.jfr; do
      [[ -f $f ]] || continue
      echo
      echo "Tandem hot spots, $(basename "$f") (JFR execution samples of the measured run):"
      java "$BENCH_HOME/src/main/java/dev/tandem/benchmarks/JfrHotSpots.java" "$f" | tee "${f%.jfr}-hotspots.txt"
    done
  fi
}

# proxy_measure_one KIND REPEAT WARMUP DURATION CONNECTIONS JFR RUNS_FILE
proxy_measure_one() {
  local kind=$1 r=$2 warmup=$3 duration=$4 connections=$5 jfr=$6 runs=$7
  local name=$kind-r$r port url pid acc0 acc1 cpu_per_req saved_opts=${TANDEM_JAVA_OPTS:-}
  free_port port
  url=http://127.0.0.1:$port/
  if [[ $kind == tandem && $jfr == 1 ]]; then
    export TANDEM_JAVA_OPTS="$saved_opts -XX:StartFlightRecording=delay=${warmup}s,dumponexit=true,settings=profile,filename=$BENCH_RESULTS/tandem-r$r.jfr"
  fi
  proxy_start "$kind" "$name" "$BENCH_CPU_SUT" "$port"
  export TANDEM_JAVA_OPTS=$saved_opts
  pid=${SERVER_PID[$name]}
  wait_http "$url" 30 "$pid" || die "$name does not answer 200 on $url"
  proxy_check_spread "$url" || die "$name does not reach both backends"

  wrk_run "$BENCH_RESULTS/$name-warmup.txt" "$warmup" "$connections" "$url" >/dev/null \
      || die "$name: warm-up failed"
  acc0=$(backends_accepted)
  cpu_mark_start "$pid"
  wrk_run "$BENCH_RESULTS/$name.txt" "$duration" "$connections" "$url" || die "$name: measured run failed"
  cpu_mark_end "$pid"
  acc1=$(backends_accepted)
  server_alive "$name" || die "$name died during the run (see its log under $BENCH_RESULTS/servers)"
  server_stop "$name"

  cpu_per_req=$(cpu_us_per_request "$CPU_SUT_TICKS" "$WRK_REQUESTS")
  results_add "$runs" "$kind" "$r" "$WRK_RPS" "$WRK_P50_MS" "$WRK_P99_MS" "$WRK_P999_MS" "$cpu_per_req" \
      "$WRK_REQUESTS" "$WRK_ERRORS" "$CPU_SUT_PCT" "$CPU_OTHER_PCT" "$CPU_LOAD_PCT" $((acc1 - acc0))
  log "$(printf '%-8s run %d: %7s req/s  p99 %6s ms  %6s us cpu/req  errors %s  proxy cpu %s%%  other load on its core %s%%  load core %s%%  new backend conns %s' \
      "$kind" "$r" "$WRK_RPS" "$WRK_P99_MS" "$cpu_per_req" "$WRK_ERRORS" "$CPU_SUT_PCT" "$CPU_OTHER_PCT" \
      "$CPU_LOAD_PCT" $((acc1 - acc0)))"
}

# proxy_report RUNS_FILE REPEATS KIND...: the table of medians, ratios against nginx, and the verdict.
proxy_report() {
  local runs=$1 repeats=$2
  shift 2
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
          "$(results_column "$runs" proxy "$k" errors | awk '{ s += $1 } END { print s + 0 }')" \
          "$(results_median "$runs" proxy "$k" sut_cpu_pct)" \
          "$(results_median "$runs" proxy "$k" other_on_sut_core_pct)" \
          "$(results_median "$runs" proxy "$k" load_core_pct)" \
          "$(results_median "$runs" proxy "$k" backend_conns)"
    done
  } | table_print
  if [[ " $* " == *" tandem "* && " $* " == *" nginx "* ]]; then
    local t_rps t_cpu
    t_rps=$(results_median "$runs" proxy tandem rps)
    t_cpu=$(results_median "$runs" proxy tandem cpu_us_per_req)
    echo
    echo "target: Tandem req/s >= nginx's: $(awk -v a="$t_rps" -v b="$base_rps" 'BEGIN { print (a >= b) ? "met" : "NOT met" }')" \
         "($(ratio "$t_rps" "$base_rps")x); Tandem cpu/req <= nginx's:" \
         "$(awk -v a="$t_cpu" -v b="$base_cpu" 'BEGIN { print (a <= b) ? "met" : "NOT met" }') ($(ratio "$t_cpu" "$base_cpu")x)"
  fi
  echo "every run: $runs"
}
