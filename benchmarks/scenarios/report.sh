# summary: issue 13's targets in one run, as one table of Tandem's ratios to nginx and HAProxy (about 15 minutes; --quick about 5)
#
# Runs the scenarios that measure each target (proxy, tail, proxy on two cores, idle, https, static,
# dead-upstream, burst), each as a run of its own with its results in a directory of this run, then reads their
# results into one table: target | metric | Tandem | nginx | HAProxy | Tandem/nginx | Tandem/HAProxy | target |
# met?. The load average is printed at the start and at the end. --jvm-matrix then runs targets 1-4 and 8 for
# Tandem alone under each collector (G1, ZGC, Parallel, Serial) and prints one row per collector.

report_usage() {
  cat <<EOF
usage: benchmarks/run.sh report [options]

  --quick           shorter runs, one repeat, 2,000 idle connections and a burst of 2,000 (about 5 minutes)
                                                        (BENCH_QUICK)
  --repeats N       measured runs per figure; the table has their medians (BENCH_REPEATS, default 3; 1 with
                    --quick). idle and burst are one long measurement each and run once.
  --targets LIST    which targets, comma-separated      (BENCH_TARGETS, default 1,2,3,4,5,6,7,8)
  --jvm-matrix      then targets 1-4 and 8 for Tandem under G1, ZGC, Parallel and Serial, one row per
                    collector (BENCH_JVM_MATRIX; adds about 13 minutes, 4 with --quick)
  --collectors LIST the collectors of --jvm-matrix      (BENCH_COLLECTORS, default G1,Z,Parallel,Serial)

$(bench_usage_env)
BENCH_SCENARIO_LIMIT: seconds after which a scenario still running is stopped (default 600; 300 with --quick).
The table also goes to benchmarks/results/report-TIME.txt.
EOF
}

scenario_main() {
  bench_options report_usage "$@"
  REPORT_QUICK=${BENCH_QUICK:-0}
  REPORT_REPEATS=${BENCH_REPEATS:-$(((REPORT_QUICK)) && echo 1 || echo 3)}
  local targets=${BENCH_TARGETS:-1,2,3,4,5,6,7,8} matrix=${BENCH_JVM_MATRIX:-0}
  local collectors=${BENCH_COLLECTORS:-G1,Z,Parallel,Serial}
  # The scenarios below read their options from these too: they must not leak from this run into them.
  unset BENCH_REPEATS BENCH_QUICK BENCH_TARGETS BENCH_JVM_MATRIX BENCH_COLLECTORS
  need nginx haproxy wrk h2load taskset curl ss awk java javac jcmd openssl python3
  bench_init report
  tandem_build
  export TANDEM_DIST
  # The longest any one scenario may run before it is stopped.
  REPORT_LIMIT=${BENCH_SCENARIO_LIMIT:-$(((REPORT_QUICK)) && echo 300 || echo 600)}
  REPORT_LOAD_START=$(cat /proc/loadavg)
  REPORT_STARTED=$SECONDS
  REPORT_ROWS=$BENCH_RESULTS/rows.tsv
  REPORT_NOTES=$BENCH_RESULTS/notes.txt
  : >"$REPORT_NOTES"
  log "load average at the start: $REPORT_LOAD_START; $(nproc) cores; repeats $REPORT_REPEATS; quick $REPORT_QUICK"

  report_settings
  local t
  for t in ${targets//,/ }; do
    "report_target_$t" main nginx,haproxy,tandem || log "target $t failed: see its output under $BENCH_RESULTS"
  done
  # Outside the pipe below: processes started in a pipe's subshell would escape the cleanup of this run.
  ((matrix)) && report_jvm_matrix_run "$collectors"
  local out_dir=$BENCH_HOME/results out
  mkdir -p "$out_dir"
  out=$out_dir/report-$(date +%Y%m%d-%H%M%S).txt
  {
    report_table
    if ((matrix)); then
      report_jvm_matrix_table "$collectors"
    fi
    echo
    echo "load average at the start: $REPORT_LOAD_START"
    echo "load average at the end:   $(cat /proc/loadavg)"
    echo "$(nproc) cores, $(uname -r), $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(haproxy -v | head -1 | awk '{print "HAProxy " $3}')," \
         "java $(java -version 2>&1 | head -1 | cut -d'"' -f2), TANDEM_JAVA_OPTS='${TANDEM_JAVA_OPTS:-}';" \
         "$(((SECONDS - REPORT_STARTED) / 60)) min; every scenario's output under $BENCH_RESULTS"
  } | tee "$out"
  log "the table is also in $out"
}

# The options each scenario gets, by mode.
report_settings() {
  if ((REPORT_QUICK)); then
    REPORT_PROXY=(--warmup 5 --duration 3)
    REPORT_TAIL=(--warmup 5 --duration 4)
    REPORT_IDLE=(--connections 2000 --settle 2 --warmup 2)
    REPORT_HTTPS=(--warmup 5 --duration 3)
    REPORT_STATIC=(--warmup 3 --duration 3)
    REPORT_DEAD=(--warmup 3 --duration 3)
    REPORT_BURST=(--requests 2000)
  else
    REPORT_PROXY=(--warmup 8 --duration 5)
    REPORT_TAIL=(--warmup 10 --duration 5)
    REPORT_IDLE=(--connections 10000 --settle 3 --warmup 3)
    REPORT_HTTPS=(--warmup 10 --duration 5)
    REPORT_STATIC=(--warmup 3 --duration 5)
    REPORT_DEAD=(--warmup 5 --duration 3)
    REPORT_BURST=(--requests 10000)
  fi
}

# report_child DIR SCENARIO ARG...: runs benchmarks/run.sh SCENARIO ARG... with its results in $BENCH_RESULTS/DIR,
# its output shown indented and kept in DIR.out. Environment assignments may precede it (env VAR=...).
report_child() {
  local dir=$1
  shift
  local pid status=0 deadline=$((SECONDS + REPORT_LIMIT))
  log "running: benchmarks/run.sh $* (results: $BENCH_RESULTS/$dir)"
  # shellcheck disable=SC2016  # $0 and $@ are those of bash -c
  BENCH_RESULTS=$BENCH_RESULTS/$dir bash -c 'set -o pipefail; bash "$@" 2>&1 | tee "$0" | sed -u "s/^/    /" >&2' \
      "$BENCH_RESULTS/$dir.out" "$BENCH_HOME/run.sh" "$@" &
  pid=$!
  track "$dir" "$pid"
  # Every scenario is bounded in time: one that hangs (a load generator waiting for an answer that never comes)
  # is stopped with everything it started, and the report goes on without it.
  while [[ -d /proc/$pid ]] && [[ $(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null) != Z ]]; do
    if ((SECONDS >= deadline)); then
      log "$dir: still running after $REPORT_LIMIT s: stopping it"
      stop_tree "$pid" "$dir"
      break
    fi
    sleep 1
  done
  wait "$pid" || status=$?
  untrack "$pid"
  return "$status"
}

# ---- the targets: report_target_N PREFIX PROXIES runs the scenario of target N into PREFIX-... ----

report_target_1() {
  report_child "$1-proxy" proxy --proxies "$2" --repeats "$REPORT_REPEATS" "${REPORT_PROXY[@]}"
}

# The fixed rate: 80% of nginx's req/s under wrk in target 1 (the tail scenario measures it itself when
# target 1 did not run).
report_target_2() {
  local rate=()
  report_rate
  [[ -n $REPORT_RATE ]] && rate=(--rate "$REPORT_RATE")
  report_child "$1-tail" tail --proxies "$2" --repeats "$REPORT_REPEATS" "${rate[@]}" "${REPORT_TAIL[@]}"
}

# report_rate: sets REPORT_RATE to 80% of nginx's median req/s in target 1, or to nothing when that did not run.
report_rate() {
  local n
  n=$(report_median main-proxy proxy nginx rps)
  REPORT_RATE=
  [[ $n == - ]] || REPORT_RATE=$(awk -v r="$n" 'BEGIN { printf "%d", r * 0.8 }')
}

# Two cores for the proxy. On a machine with more, the load (wrk, backends) gets the others; with two, it shares them.
report_target_3() {
  local load
  if (($(nproc) >= 3)); then load=2-$(($(nproc) - 1)); else load=0,1; fi
  REPORT_TWO_CORES="proxy on cores 0,1 (2 workers / threads / event loops); wrk (2 threads) and backends on cores $load"
  (($(nproc) >= 3)) || REPORT_TWO_CORES+=" too: this machine has 2 cores, so the load shares the proxy's"
  BENCH_PROXY_WORKERS=2 BENCH_WRK_THREADS=2 BENCH_CPU_SUT=0,1 BENCH_CPU_LOAD=$load report_child "$1-two-cores" proxy --proxies "$2" \
      --repeats "$REPORT_REPEATS" --max-noise 1000 "${REPORT_PROXY[@]}"
}

report_target_4() {
  report_child "$1-idle" idle --proxies "${2/haproxy,/}" "${REPORT_IDLE[@]}"
}

report_target_5() {
  # https compares Tandem with nginx only (one certificate, HTTP/2 and HTTP/1.1 over TLS).
  [[ $2 == *nginx* ]] || { log "target 5 (https) needs nginx beside Tandem: skipped"; return 0; }
  BENCH_REPEATS=$REPORT_REPEATS report_child "$1-https" https "${REPORT_HTTPS[@]}"
}

report_target_6() {
  [[ $2 == *nginx* ]] || { log "target 6 (static) needs nginx beside Tandem: skipped"; return 0; }
  report_child "$1-static" static --repeats "$REPORT_REPEATS" "${REPORT_STATIC[@]}"
}

report_target_7() {
  report_child "$1-dead" dead-upstream --proxies "$2" --repeats "$REPORT_REPEATS" "${REPORT_DEAD[@]}"
}

report_target_8() {
  report_child "$1-burst" burst --proxies "${2/haproxy,/}" "${REPORT_BURST[@]}"
}

# ---- reading the scenarios' results ----

# report_median DIR [KEY_COLUMN KEY]... VALUE_COLUMN: the median from DIR/runs.tsv, "-" when there is none.
report_median() {
  local f=$BENCH_RESULTS/$1/runs.tsv
  shift
  [[ -f $f ]] || { echo -; return; }
  results_median "$f" "$@"
}

report_sum() {
  local f=$BENCH_RESULTS/$1/runs.tsv
  shift
  [[ -f $f ]] || { echo -; return; }
  results_sum "$f" "$@"
}

# report_https LABEL_PREFIX FIELD: from https's printed table (label, nginx req/s, tandem req/s, nginx us/req,
# tandem us/req, ratio), the field counted from the end (5: nginx req/s ... 2: tandem us/req).
report_https() {
  local f=$BENCH_RESULTS/main-https.out
  [[ -f $f ]] || { echo -; return; }
  awk -v p="$1" -v k="$2" 'index($0, p) == 1 && NF >= 6 { v = $(NF - k + 1) } END { print (v == "" ? "-" : v) }' "$f"
}

# report_row TARGET METRIC TANDEM NGINX HAPROXY GOAL CHECK: one row. CHECK is an awk condition on t (Tandem's
# value), rn (Tandem/nginx) and rh (Tandem/HAProxy); empty when the row has no goal.
report_row() {
  local rn rh met=-
  rn=$(ratio "$3" "$4")
  rh=$(ratio "$3" "$5")
  if [[ -n $7 && $3 != - ]]; then
    met=$(awk -v t="$3" -v rn="$rn" -v rh="$rh" "BEGIN { if ((rn == \"-\" && \"$7\" ~ /rn/) || (rh == \"-\" && \"$7\" ~ /rh/)) print \"-\"; else print (($7) ? \"yes\" : \"NO\") }")
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$rn" "$rh" "${6:--}" "$met"
}

# The table of every target that ran.
report_table() {
  local p=main h2 h1 r
  echo
  echo "Issue 13's targets, medians of $REPORT_REPEATS run(s) unless said otherwise (Tandem/X: Tandem's figure over X's):"
  {
    printf 'target\tmetric\tTandem\tnginx\tHAProxy\tTandem/nginx\tTandem/HAProxy\ttarget\tmet?\n'
    if [[ -f $BENCH_RESULTS/$p-proxy/runs.tsv ]]; then
      report_row "1 one core, 64 conns" "req/s" "$(report_median $p-proxy proxy tandem rps)" \
          "$(report_median $p-proxy proxy nginx rps)" "$(report_median $p-proxy proxy haproxy rps)" ">= 1.1x nginx" "rn >= 1.1"
      report_row "1 one core, 64 conns" "CPU us/req" "$(report_median $p-proxy proxy tandem cpu_us_per_req)" \
          "$(report_median $p-proxy proxy nginx cpu_us_per_req)" "$(report_median $p-proxy proxy haproxy cpu_us_per_req)" \
          "<= 0.8x nginx" "rn <= 0.8"
      report_row "1 one core, 64 conns" "p99 ms (wrk, closed)" "$(report_median $p-proxy proxy tandem p99_ms)" \
          "$(report_median $p-proxy proxy nginx p99_ms)" "$(report_median $p-proxy proxy haproxy p99_ms)" "" ""
    fi
    if [[ -f $BENCH_RESULTS/$p-tail/runs.tsv ]]; then
      r=$(report_median $p-tail rate)
      local m label goal check
      for m in p50_ms p99_ms p999_ms max_ms; do
        label=${m%_ms}; label=${label/p999/p99.9}
        goal=""; check=""
        [[ $m == p99_ms ]] && { goal="<= 1.2x nginx"; check="rn <= 1.2"; }
        [[ $m == p999_ms ]] && { goal="<= 2x nginx"; check="rn <= 2"; }
        report_row "2 tail at $r req/s" "$label ms" "$(report_median $p-tail proxy tandem "$m")" \
            "$(report_median $p-tail proxy nginx "$m")" "$(report_median $p-tail proxy haproxy "$m")" "$goal" "$check"
      done
      report_row "2 tail at $r req/s" "achieved req/s" "$(report_median $p-tail proxy tandem achieved_rps)" \
          "$(report_median $p-tail proxy nginx achieved_rps)" "$(report_median $p-tail proxy haproxy achieved_rps)" "" ""
      echo "2 tail: the client alone against a backend at $r req/s: p99 $(report_median $p-tail proxy client p99_ms) ms, p99.9 $(report_median $p-tail proxy client p999_ms) ms, sent late p99 $(report_median $p-tail proxy client send_lag_p99_ms) ms" >>"$REPORT_NOTES"
    fi
    if [[ -f $BENCH_RESULTS/$p-two-cores/runs.tsv ]]; then
      report_row "3 two cores" "req/s" "$(report_median $p-two-cores proxy tandem rps)" \
          "$(report_median $p-two-cores proxy nginx rps)" "$(report_median $p-two-cores proxy haproxy rps)" "" ""
      report_row "3 two cores" "CPU us/req" "$(report_median $p-two-cores proxy tandem cpu_us_per_req)" \
          "$(report_median $p-two-cores proxy nginx cpu_us_per_req)" "$(report_median $p-two-cores proxy haproxy cpu_us_per_req)" "" ""
      echo "3 two cores: ${REPORT_TWO_CORES:-}" >>"$REPORT_NOTES"
    fi
    if [[ -f $BENCH_RESULTS/$p-idle/runs.tsv ]]; then
      report_row "4 idle conns" "RSS B/conn ($(report_median $p-idle open) conns)" \
          "$(report_median $p-idle proxy tandem bytes_per_conn)" "$(report_median $p-idle proxy nginx bytes_per_conn)" - \
          "<= 1536 B" "t <= 1536"
      report_row "4 idle conns" "50,000 with -Xmx512m" "not run" - - "no errors" ""
      echo "4 idle: 50,000 connections need 100,000 open files here (client and proxy); ulimit -Hn is $(ulimit -Hn)" >>"$REPORT_NOTES"
    fi
    if [[ -f $BENCH_RESULTS/$p-https.out ]]; then
      for r in "HTTP/2" "HTTP/1.1 TLS"; do
        report_row "5 HTTPS" "$r req/s" "$(report_https "$r" 4)" "$(report_https "$r" 5)" - ">= 1.0x nginx" "rn >= 1.0"
        report_row "5 HTTPS" "$r CPU us/req" "$(report_https "$r" 2)" "$(report_https "$r" 3)" - "<= 1.0x nginx" "rn <= 1.0"
      done
    fi
    if [[ -f $BENCH_RESULTS/$p-static/runs.tsv ]]; then
      local f
      for f in 1m.bin 1k.bin; do
        report_row "6 static $f" "req/s" "$(report_median $p-static server tandem file $f rps)" \
            "$(report_median $p-static server nginx file $f rps)" - ">= 1.0x nginx" "rn >= 1.0"
        report_row "6 static $f" "CPU us/req" "$(report_median $p-static server tandem file $f cpu_us_per_req)" \
            "$(report_median $p-static server nginx file $f cpu_us_per_req)" - \
            "$([[ $f == 1m.bin ]] && echo '<= 1.0x nginx')" "$([[ $f == 1m.bin ]] && echo 'rn <= 1.0')"
      done
    fi
    if [[ -f $BENCH_RESULTS/$p-dead/runs.tsv ]]; then
      local k dl=() secs
      for k in tandem nginx haproxy; do
        dl+=("$(ratio "$(report_median $p-dead proxy $k upstream dead cpu_us_per_req)" \
            "$(report_median $p-dead proxy $k upstream live cpu_us_per_req)")")
      done
      report_row "7 dead upstream" "CPU/req dead over live" "${dl[0]}" "${dl[1]}" "${dl[2]}" "Tandem <= 1.0" "t <= 1.0"
      secs=$(report_sum $p-dead proxy tandem upstream dead seconds)
      report_row "7 dead upstream" "log lines in ${secs} s dead" "$(report_sum $p-dead proxy tandem upstream dead log_lines)" \
          "$(report_sum $p-dead proxy nginx upstream dead log_lines)" "$(report_sum $p-dead proxy haproxy upstream dead log_lines)" "" ""
      # Per run (each shorter than 10 s): the lines of the most frequent message, numbers set aside.
      local most=()
      for k in tandem nginx haproxy; do
        most+=("$(results_column "$BENCH_RESULTS/$p-dead/runs.tsv" proxy $k upstream dead most_of_one_reason | sort -n | tail -1)")
      done
      report_row "7 dead upstream" "most lines of one reason in a run" "${most[0]:--}" "${most[1]:--}" "${most[2]:--}" \
          "<= 1 per 10 s" "t <= 1"
    fi
    if [[ -f $BENCH_RESULTS/$p-burst/runs.tsv ]]; then
      local n
      n=$(awk -F'\t' 'NR == 2 { print $3 + $4 + $5 }' "$BENCH_RESULTS/$p-burst/runs.tsv")
      report_row "8 burst of $n" "answered 2xx" "$(report_median $p-burst proxy tandem ok_2xx)" \
          "$(report_median $p-burst proxy nginx ok_2xx)" - "all $n" "t >= $n"
      report_row "8 burst of $n" "5xx / no answer" \
          "$(report_median $p-burst proxy tandem status_5xx) / $(report_median $p-burst proxy tandem no_answer)" \
          "$(report_median $p-burst proxy nginx status_5xx) / $(report_median $p-burst proxy nginx no_answer)" - "" ""
      report_row "8 burst of $n" "seconds" "$(report_median $p-burst proxy tandem seconds)" \
          "$(report_median $p-burst proxy nginx seconds)" - "" ""
      report_row "8 burst of $n" "log lines" "$(report_median $p-burst proxy tandem log_lines)" \
          "$(report_median $p-burst proxy nginx log_lines)" - "" ""
    fi
  } | tee "$REPORT_ROWS" | table_print llrrrrrll
  [[ -s $REPORT_NOTES ]] && { echo; sed 's/^/note: /' "$REPORT_NOTES"; }
  return 0
}

# --jvm-matrix: targets 1-4 and 8 for Tandem alone under each collector.
report_jvm_matrix_run() {
  local gc base=${TANDEM_JAVA_OPTS:-} saved_rate
  report_rate
  saved_rate=$REPORT_RATE
  for gc in ${1//,/ }; do
    export TANDEM_JAVA_OPTS="$base -XX:+Use${gc}GC"
    log "JVM matrix: TANDEM_JAVA_OPTS='$TANDEM_JAVA_OPTS'"
    # The fixed rate of the main run (nginx's), not one measured on Tandem.
    report_target_1 "jvm-$gc" tandem >&2 || log "jvm $gc: target 1 failed"
    if [[ -n $saved_rate ]]; then
      BENCH_RATE=$saved_rate report_child "jvm-$gc-tail" tail --proxies tandem --repeats "$REPORT_REPEATS" "${REPORT_TAIL[@]}" >&2 \
          || log "jvm $gc: target 2 failed"
    else
      log "jvm $gc: target 2 needs nginx's rate from target 1 of the main run: skipped"
    fi
    report_target_3 "jvm-$gc" tandem >&2 || log "jvm $gc: target 3 failed"
    report_target_4 "jvm-$gc" tandem >&2 || log "jvm $gc: target 4 failed"
    report_target_8 "jvm-$gc" tandem >&2 || log "jvm $gc: target 8 failed"
  done
  export TANDEM_JAVA_OPTS=$base
}

# One row per collector.
report_jvm_matrix_table() {
  local gc base=${TANDEM_JAVA_OPTS:-}
  echo
  echo "Tandem under each collector (targets 1-4 and 8; TANDEM_JAVA_OPTS='$base' plus the collector):"
  {
    printf 'collector\t1 req/s\t1 CPU us/req\t2 p99 ms\t2 p99.9 ms\t3 two-core req/s\t3 two-core CPU us/req\t4 idle B/conn\t8 burst 2xx\t8 burst s\n'
    for gc in ${1//,/ }; do
      local d=jvm-$gc
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${gc}GC" \
          "$(report_median $d-proxy proxy tandem rps)" "$(report_median $d-proxy proxy tandem cpu_us_per_req)" \
          "$(report_median $d-tail proxy tandem p99_ms)" "$(report_median $d-tail proxy tandem p999_ms)" \
          "$(report_median $d-two-cores proxy tandem rps)" "$(report_median $d-two-cores proxy tandem cpu_us_per_req)" \
          "$(report_median $d-idle proxy tandem bytes_per_conn)" "$(report_median $d-burst proxy tandem ok_2xx)" \
          "$(report_median $d-burst proxy tandem seconds)"
    done
  } | table_print
}
