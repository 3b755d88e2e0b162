# summary: reload under load: failed requests while nginx and Tandem reload their config under wrk (issue 6)
#
# The same wrk keep-alive load against nginx and against Tandem, each set up as in the proxy scenario
# (lib/proxies.sh) in front of one backend, while the proxy reloads its config RELOADS times, INTERVAL
# apart, from 2 s into the measured run. nginx reloads with `nginx -s reload` (new workers; the old ones
# close their idle keep-alive connections); Tandem with `kill -HUP` (the config is swapped in the same
# process). A failed request is one wrk counts as a socket error (connect, read, write, timeout) or a
# response with a status >= 400.

reload_usage() {
  cat <<EOF
usage: benchmarks/run.sh reload-under-load [options]

  --duration S      measured seconds per proxy                (BENCH_DURATION, default 14)
  --warmup S        warm-up seconds before the measured run   (BENCH_WARMUP, default 5)
  --reloads N       reloads during the measured run           (BENCH_RELOADS, default 20)
  --interval S      seconds between two reloads               (BENCH_INTERVAL, default 0.5)
  --connections N   wrk connections                           (BENCH_CONNECTIONS, default 32)

$(bench_usage_env)
EOF
}

scenario_main() {
  bench_options reload_usage "$@"
  local duration=${BENCH_DURATION:-14} warmup=${BENCH_WARMUP:-5} reloads=${BENCH_RELOADS:-20}
  local interval=${BENCH_INTERVAL:-0.5} connections=${BENCH_CONNECTIONS:-32}
  need nginx wrk taskset curl ss java
  bench_init reload-under-load
  tandem_build

  local backend runs=$BENCH_RESULTS/runs.tsv kind
  free_port backend
  backends_start "$BENCH_CPU_LOAD" "$backend"
  results_add "$runs" proxy reloads requests non-2xx socket-errors failed
  for kind in nginx tandem; do
    reload_measure "$kind" "$warmup" "$duration" "$connections" "$reloads" "$interval" "$runs"
  done

  table_print <"$runs"
  echo
  for kind in nginx tandem; do
    grep -E "Socket errors|Non-2xx|Requests/sec|99%" "$BENCH_RESULTS/$kind.txt" | sed "s/^/           $kind: /" || true
  done
  echo "           tandem: $RELOAD_APPLIED of $reloads SIGHUP reloads applied (config versions 2..$((RELOAD_APPLIED + 1)))"
}

# reload_measure KIND WARMUP DURATION CONNECTIONS RELOADS INTERVAL RUNS_FILE: starts the proxy, warms it up,
# then reloads it during the measured run. For Tandem, sets RELOAD_APPLIED from its log.
reload_measure() {
  local kind=$1 warmup=$2 duration=$3 connections=$4 reloads=$5 interval=$6 runs=$7
  local port url load done_reloads=0 out=$BENCH_RESULTS/$kind.txt
  free_port port
  url=http://127.0.0.1:$port/
  proxy_start "$kind" "$kind" "$BENCH_CPU_SUT" "$port"
  wait_http "$url" 30 "${SERVER_PID[$kind]}" || die "$kind does not answer 200 on $url"
  # Both get the same warm-up: the JVM compiles its request path.
  wrk_run "$BENCH_RESULTS/$kind-warmup.txt" "$warmup" "$connections" "$url" >/dev/null || die "$kind: warm-up failed"

  # A request that a reload stalls for 2 s counts as failed (wrk's own default timeout).
  wrk_run "$out" "$duration" "$connections" "$url" --timeout 2s &
  load=$!
  track wrk "$load"
  sleep 2
  while ((done_reloads < reloads)); do
    reload_send "$kind" >/dev/null 2>&1
    done_reloads=$((done_reloads + 1))
    sleep "$interval"
  done
  wait "$load" || die "$kind: measured run failed"
  untrack "$load"
  wrk_parse "$out"
  results_add "$runs" "$kind" "$done_reloads" "$WRK_REQUESTS" "$WRK_STATUS_ERRORS" "$WRK_SOCKET_ERRORS" "$WRK_ERRORS"
  if [[ $kind == tandem ]]; then
    # Applied by the SIGHUP or, when its file watcher saw the edit first, by the watcher: once either way.
    RELOAD_APPLIED=$(grep -cE "reload \((SIGHUP|file)\): config version" "$(server_dir tandem)/tandem.log" || true)
  fi
  server_stop "$kind"
}

# reload_send KIND: asks the running proxy to reload its config.
reload_send() {
  local dir
  dir=$(server_dir "$1")
  case $1 in
    nginx) nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -s reload ;;
    # Tandem applies a text once: each reload carries an edit (a comment), as an operator's would.
    tandem)
      echo "# reload $(date +%s%N)" >>"$dir/tandem.yaml"
      kill -HUP "${SERVER_PID[tandem]}"
      ;;
  esac
}
