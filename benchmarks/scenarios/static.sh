# summary: static files: nginx (sendfile, open_file_cache) vs Tandem serving the same 1 KiB and 1 MiB files (issue 4)
#
# Each server runs alone on the server core (nginx: one process, master_process off; Tandem: workers: 1,
# the JVM pinned so it sees one CPU), wrk on the load core. For every repeat, each server in turn (the order
# alternates) is started fresh, warmed up with the same wrk load, then measured on each file; its CPU time
# is read from /proc before and after each measured run.

static_usage() {
  cat <<EOF
usage: benchmarks/run.sh static [options]

  --duration S      measured seconds per run              (BENCH_DURATION, default 10)
  --warmup S        warm-up seconds per file, per start   (BENCH_WARMUP, default 8)
  --connections N   wrk connections                       (BENCH_CONNECTIONS, default 32)
  --repeats N       runs per server and file, interleaved (BENCH_REPEATS, default 3)
  --inline-max SIZE Tandem's open_file_cache.inline_max  (BENCH_INLINE_MAX, default: Tandem's default, 16k;
                    0 sends every file with sendfile, as nginx does)
  --jfr             record Tandem's runs with JFR (BENCH_JFR=1; the recordings go to the results dir)

$(bench_usage_env)
BENCH_WRK_THREADS: wrk's threads (default 1). TANDEM_TRANSPORT: io_uring, epoll or nio (default: what
Tandem detects).
EOF
}

STATIC_FILES=(1k.bin 1m.bin)

scenario_main() {
  bench_options static_usage "$@"
  local duration=${BENCH_DURATION:-10} warmup=${BENCH_WARMUP:-8} repeats=${BENCH_REPEATS:-3}
  local connections=${BENCH_CONNECTIONS:-32}
  BENCH_JFR=${BENCH_JFR:-0}
  need nginx wrk taskset curl ss java
  bench_init static
  tandem_build

  STATIC_ROOT=$BENCH_WORK/www
  mkdir -p "$STATIC_ROOT"
  head -c 1024 /dev/urandom >"$STATIC_ROOT/1k.bin"
  head -c 1048576 /dev/urandom >"$STATIC_ROOT/1m.bin"

  log "$(nproc) cores, $(uname -r), $(nginx -v 2>&1), java $(java -version 2>&1 | head -1 | cut -d'"' -f2)"
  log "load average before: $(cut -d' ' -f1-3 /proc/loadavg); server core $BENCH_CPU_SUT, wrk core $BENCH_CPU_LOAD," \
      "$connections connections, $duration s runs, $warmup s warm-up, $repeats repeats," \
      "Tandem transport ${TANDEM_TRANSPORT:-detected}, inline_max ${BENCH_INLINE_MAX:-default}"

  local runs=$BENCH_RESULTS/runs.tsv rep server order
  results_add "$runs" server file repeat rps cpu_us_per_req errors other_on_sut_core_pct
  for ((rep = 1; rep <= repeats; rep++)); do
    if ((rep % 2)); then order="nginx tandem"; else order="tandem nginx"; fi
    for server in $order; do
      static_measure "$server" "$rep" "$warmup" "$duration" "$connections" "$runs"
    done
  done
  static_report "$runs"
}

# static_measure SERVER REPEAT WARMUP DURATION CONNECTIONS RUNS_FILE: one fresh start of SERVER, warmed up
# on every file, then measured on each.
static_measure() {
  local server=$1 rep=$2 warmup=$3 duration=$4 connections=$5 runs=$6
  local name=$server-r$rep port pid file cpu_us
  free_port port
  static_start "$server" "$name" "$port"
  pid=${SERVER_PID[$name]}
  wait_http "http://127.0.0.1:$port/1k.bin" 20 "$pid" || die "$name does not serve 1k.bin"
  for file in "${STATIC_FILES[@]}"; do
    wrk_run "$BENCH_RESULTS/$name-$file-warmup.txt" "$warmup" "$connections" "http://127.0.0.1:$port/$file" \
        >/dev/null || die "$name: warm-up failed"
  done
  for file in "${STATIC_FILES[@]}"; do
    cpu_mark_start "$pid"
    wrk_run "$BENCH_RESULTS/$name-$file.txt" "$duration" "$connections" "http://127.0.0.1:$port/$file" \
        || die "$name: measured run failed"
    cpu_mark_end "$pid"
    cpu_us=$(cpu_us_per_request "$CPU_SUT_TICKS" "$WRK_REQUESTS" 2)
    results_add "$runs" "$server" "$file" "$rep" "$WRK_RPS" "$cpu_us" "$WRK_ERRORS" "$CPU_OTHER_PCT"
    log "repeat $rep: $server $file: $WRK_RPS req/s, $cpu_us us CPU/request, $WRK_ERRORS errors," \
        "other load on its core $CPU_OTHER_PCT%"
  done
  server_stop "$name"
}

# static_start SERVER NAME PORT: writes the config of SERVER (nginx or tandem) serving STATIC_ROOT on PORT and
# starts it on the server core.
static_start() {
  local server=$1 name=$2 port=$3 conf dir opts=${TANDEM_JAVA_OPTS:-}
  case $server in
    nginx)
      conf=$(nginx_conf "$name" 1 off <<EOF
    sendfile on;
    open_file_cache max=10000 inactive=20s;
    open_file_cache_valid 2s;
    server {
        listen 127.0.0.1:$port;
        root $STATIC_ROOT;
        default_type application/octet-stream;
    }
EOF
      )
      nginx_start "$name" "$BENCH_CPU_SUT" "$conf" "$port"
      ;;
    tandem)
      dir=$(server_dir "$name")
      {
        tandem_conf_head "$port"
        cat <<EOF
    static:
      root: $STATIC_ROOT
      fallback: false
      open_file_cache: { max_entries: 10000, valid: 2s${BENCH_INLINE_MAX:+, inline_max: $BENCH_INLINE_MAX} }
access_log: off
EOF
      } >"$dir/tandem.yaml"
      if [[ -n ${TANDEM_TRANSPORT:-} ]]; then
        opts+=" -Dtandem.transport=$TANDEM_TRANSPORT"
      fi
      if ((BENCH_JFR)); then
        opts+=" -XX:StartFlightRecording=filename=$BENCH_RESULTS/$name.jfr,settings=profile"
      fi
      TANDEM_JAVA_OPTS=$opts tandem_start "$name" "$BENCH_CPU_SUT" "$dir/tandem.yaml" "$port"
      ;;
  esac
}

# static_report RUNS_FILE: medians per file and server, and Tandem's ratio to nginx.
static_report() {
  local runs=$1 f size n_rps t_rps n_cpu t_cpu
  echo
  {
    printf 'file\tmetric\tnginx\ttandem\ttandem/nginx\n'
    for f in "${STATIC_FILES[@]}"; do
      size=$(stat -c %s "$STATIC_ROOT/$f")
      n_rps=$(results_median "$runs" server nginx file "$f" rps)
      t_rps=$(results_median "$runs" server tandem file "$f" rps)
      n_cpu=$(results_median "$runs" server nginx file "$f" cpu_us_per_req)
      t_cpu=$(results_median "$runs" server tandem file "$f" cpu_us_per_req)
      printf '%s\t%s\t%.0f\t%.0f\t%s\n' "$f" "req/s (median)" "$n_rps" "$t_rps" "$(ratio "$t_rps" "$n_rps")"
      printf '%s\t%s\t%.1f\t%.1f\t%s\n' "$f" "body MiB/s (median)" "$(calc "$n_rps * $size / 1048576")" \
          "$(calc "$t_rps * $size / 1048576")" "$(ratio "$t_rps" "$n_rps")"
      printf '%s\t%s\t%.2f\t%.2f\t%s\n' "$f" "CPU us/request (median)" "$n_cpu" "$t_cpu" "$(ratio "$t_cpu" "$n_cpu")"
    done
  } | table_print ll
  printf '\nerrors (socket errors + non-2xx) over all runs: %s\n' "$(results_sum "$runs" errors)"
  printf 'other load on the server core, per run (%%): %s\n' "$(results_column "$runs" other_on_sut_core_pct | paste -sd' ')"
  log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
