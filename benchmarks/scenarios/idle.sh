# summary: memory per idle keep-alive connection: RSS growth of nginx and Tandem over N idle connections (issue 13, target 4)
#
# One backend (nginx, 1 worker) on the load core; each proxy in turn alone on the server core (nginx: 1
# worker; Tandem: workers: 1). A client (lib/idle_clients.py, on the load core) opens N keep-alive connections
# to the proxy, sends one GET on each and reads its answer, then leaves them all open and idle. The proxy's
# RSS (VmRSS of its process tree) is read before and once the connections have sat idle for a few seconds;
# the table gives the growth per connection. Before the measured round, a warm-up round of N connections is
# opened and closed, so that what the first connections cost once (classes loaded, code compiled) is not
# counted per connection. For Tandem two more steps keep the JVM's heap from blurring the figure: a few
# seconds of wrk load first, so that the young generation has been filled and collected (every page of it is
# then resident before the baseline is read; otherwise the garbage of the N exchanges would count as the
# connections' memory), and a full collection (jcmd GC.run) before each reading, so that what the idle
# connections keep alive is moved into the old generation and counted once, and nothing else is.

idle_usage() {
  cat <<EOF
usage: benchmarks/run.sh idle [options]

  --connections N   idle connections                     (BENCH_CONNECTIONS, default 10000; at most 50000)
  --settle S        seconds they sit idle before the RSS is read   (BENCH_SETTLE, default 5)
  --warmup S        seconds of wrk load before the rounds (BENCH_WARMUP, default 5)
  --repeats N       rounds per proxy                     (BENCH_REPEATS, default 1)
  --proxies LIST    which proxies, comma-separated       (BENCH_PROXIES, default nginx,tandem)

$(bench_usage_env)
For Tandem on another transport: TANDEM_JAVA_OPTS=-Dtandem.transport=epoll (or nio).
EOF
}

# idle_proxy_start KIND NAME CPU PORT: the proxy as proxy_start configures it, but with room for every idle
# connection and time to hold them all: nginx with worker_connections (and its open-file limit) raised to this
# machine's hard limit (beyond worker_connections it closes its oldest idle connections to make room), and
# both with keep-alive and first-request timeouts of an hour (otherwise, on a loaded machine on which the
# client takes minutes to open them, the first connections time out before the last are open).
idle_proxy_start() {
  local kind=$1 name=$2 cpu=$3 port=$4 conf limit
  conf=$("proxy_conf_$kind" "$name" "$port")
  limit=$(ulimit -Hn)
  case $kind in
    nginx)
      sed -i -e "s/worker_connections [0-9]*;/worker_connections $((limit - 1000));/" \
          -e "s/worker_rlimit_nofile [0-9]*;/worker_rlimit_nofile $((limit - 500));/" \
          -e 's/^    keepalive_timeout 75s;/    keepalive_timeout 1h;/' "$conf" ;;
    tandem)
      printf 'limits: { keepalive_timeout: 1h, client_timeout: 1h }\n' >>"$conf" ;;
  esac
  "${kind}_start" "$name" "$cpu" "$conf" "$port"
}

# idle_open PORT: the established connections the proxy listening on PORT holds with its clients.
idle_open() {
  ss -Htn state established "( sport = :$1 )" | wc -l
}

# idle_rss_kib PID: the resident memory of PID and its descendants, in KiB.
idle_rss_kib() {
  local p sum=0 kib
  for p in $(proc_tree "$1"); do
    kib=$(awk '/^VmRSS:/ { print $2 }' /proc/"$p"/status 2>/dev/null || echo 0)
    sum=$((sum + ${kib:-0}))
  done
  echo "$sum"
}

# idle_round URL_HOST PORT N: opens N idle connections with the client, runs the rest of the command line
# (a measurement) once they are all open, then lets them go. Prints the client's "ready" line on stderr.
idle_round() {
  local port=$1 n=$2 ready
  shift 2
  coproc IDLE_CLIENT { exec taskset -c "$BENCH_CPU_LOAD" python3 "$BENCH_HOME/lib/idle_clients.py" 127.0.0.1 "$port" "$n"; }
  local client_pid=$IDLE_CLIENT_PID
  track idle-client "$client_pid"
  if ! read -r -t 600 ready <&"${IDLE_CLIENT[0]}"; then
    die "the idle client did not get its connections open"
  fi
  log "client: $ready"
  "$@"
  echo >&"${IDLE_CLIENT[1]}"
  wait "$client_pid" 2>/dev/null || true
  untrack "$client_pid"
}

# idle_live_bytes KIND PID FILE: for Tandem, the bytes of the live objects in its heap (a class histogram, which
# collects first, kept in FILE); for nginx, 0. Unlike the RSS, it does not depend on which heap pages were
# touched before.
idle_live_bytes() {
  [[ $1 == tandem ]] || { echo 0; return 0; }
  jcmd "$2" GC.class_histogram >"$3" 2>/dev/null
  awk '$1 == "Total" { print $3 }' "$3"
}

# idle_histogram_diff BEFORE AFTER N: the classes whose live bytes grew most between two histograms, per
# connection: bytes, instances, class.
idle_histogram_diff() {
  awk -v n="$3" '
    FNR == 1 { f++ }
    $1 ~ /^[0-9]+:$/ { if (f == 1) { b[$4] = $3; c[$4] = $2 } else { a[$4] = $3; d[$4] = $2 } }
    END {
      for (k in a) { g = (a[k] - b[k]) / n; if (g >= 4) printf "%8.1f B %6.2f  %s\n", g, (d[k] - c[k]) / n, k }
    }' "$1" "$2" | sort -rn | head -40
}

# idle_collect KIND PID: a full garbage collection in Tandem's JVM (nothing for nginx).
idle_collect() {
  [[ $1 == tandem ]] || return 0
  jcmd "$2" GC.run >/dev/null 2>&1 || log "jcmd GC.run failed on $2"
  sleep 1
}

scenario_main() {
  bench_options idle_usage "$@"
  local n=${BENCH_CONNECTIONS:-10000} settle=${BENCH_SETTLE:-5} repeats=${BENCH_REPEATS:-1}
  local proxies=${BENCH_PROXIES:-nginx,tandem} warm=${BENCH_WARMUP:-5}
  ((n <= 50000)) || die "--connections at most 50000"
  local hard
  hard=$(ulimit -Hn)
  ((n + 1000 <= hard)) || die "--connections $n: this machine's hard limit of open files is $hard (ulimit -Hn)," \
      "and the client and the proxy each hold one per connection: at most $((hard - 1000)) here"
  ulimit -n "$hard"
  local -a kinds
  IFS=, read -r -a kinds <<<"$proxies"
  local k
  for k in "${kinds[@]}"; do
    [[ $k == nginx || $k == tandem ]] || die "unknown proxy '$k' (expected: nginx, tandem)"
  done
  need nginx python3 wrk taskset curl ss awk
  [[ " ${kinds[*]} " == *" tandem "* ]] && need jcmd
  bench_init idle
  [[ " ${kinds[*]} " == *" tandem "* ]] && tandem_build

  log "setup: server core $BENCH_CPU_SUT, load core $BENCH_CPU_LOAD; $n idle connections, read after ${settle}s;" \
      "$repeats round(s) of: ${kinds[*]}; TANDEM_JAVA_OPTS='${TANDEM_JAVA_OPTS:-}'"
  local port_a
  free_port port_a
  backends_start "$BENCH_CPU_LOAD" "$port_a"

  local runs=$BENCH_RESULTS/runs.tsv
  results_add "$runs" proxy repeat open rss_before_kib rss_after_kib bytes_per_conn live_heap_per_conn
  local r kind name port conf pid before after per open live_before live_after live
  for ((r = 1; r <= repeats; r++)); do
    for kind in "${kinds[@]}"; do
      name=$kind-idle
      free_port port
      idle_proxy_start "$kind" "$name" "$BENCH_CPU_SUT" "$port"
      pid=${SERVER_PID[$name]}
      wait_http "http://127.0.0.1:$port/" 30 || die "$name does not answer"
      log "$kind: warm-up: ${warm}s of wrk, then a round of $n connections"
      pinned "$BENCH_CPU_LOAD" wrk -t1 -c64 -d"${warm}s" "http://127.0.0.1:$port/" >/dev/null
      idle_round "$port" "$n" true
      sleep "$settle"
      idle_collect "$kind" "$pid"
      before=$(idle_rss_kib "$pid")
      live_before=$(idle_live_bytes "$kind" "$pid" "$BENCH_RESULTS/$kind-$r-before.histogram")
      # shellcheck disable=SC2016
      idle_round "$port" "$n" eval 'sleep "$settle"; idle_collect "$kind" "$pid"; after=$(idle_rss_kib "$pid"); live_after=$(idle_live_bytes "$kind" "$pid" "$BENCH_RESULTS/$kind-$r-after.histogram"); open=$(idle_open "$port")'
      # Per connection the proxy held when its RSS was read (all of them, unless it closed some).
      ((open == n)) || log "WARNING: $kind held $open of the $n connections when its RSS was read"
      ((open > 0)) || die "$kind held none of the connections"
      per=$(calc "($after - $before) * 1024 / $open")
      per=$(printf '%.0f' "$per")
      live=$(printf '%.0f' "$(calc "(${live_after:-0} - ${live_before:-0}) / $open")")
      results_add "$runs" "$kind" "$r" "$open" "$before" "$after" "$per" "$live"
      log "$kind round $r: RSS $before KiB -> $after KiB with $open idle connections: $per B each" \
          "(live heap objects: $live B each)"
      if [[ $kind == tandem ]]; then
        idle_histogram_diff "$BENCH_RESULTS/$kind-$r-before.histogram" "$BENCH_RESULTS/$kind-$r-after.histogram" "$open" \
            >"$BENCH_RESULTS/$kind-$r-per-connection.txt"
        log "tandem's live objects per connection, by class: $BENCH_RESULTS/$kind-$r-per-connection.txt"
      fi
      server_stop "$name"
    done
  done

  echo
  echo "RSS growth per idle keep-alive connection, $n connections (medians of $repeats)"
  {
    printf 'proxy\tbytes per connection\tx nginx\tlive heap per connection\n'
    local ng
    ng=$(results_median "$runs" proxy nginx bytes_per_conn)
    for kind in "${kinds[@]}"; do
      per=$(results_median "$runs" proxy "$kind" bytes_per_conn)
      live=$(results_median "$runs" proxy "$kind" live_heap_per_conn)
      [[ $kind == tandem ]] || live=-
      printf '%s\t%s\t%s\t%s\n' "$kind" "$per" "$(ratio "$per" "$ng")" "$live"
    done
  } | table_print lrrr
}
