# summary: a burst of simultaneous one-per-connection requests against backends that take 4,096 connections each: nginx vs Tandem (issue 13, target 8)
#
# Two backends (each one nginx, 1 worker, worker_connections 4096: a connection beyond what it can hold is
# closed at once, as an overloaded server does) share the load core with the load generator; each proxy in
# turn runs alone on the server core (nginx: 1 worker; Tandem: workers: 1, its default max_connections and
# queue). h2load opens every connection of the burst at once, each sending one request; the table counts
# the answers by status, the requests that got none, how long the whole burst took, and the lines the proxy
# logged during it.

burst_usage() {
  cat <<EOF
usage: benchmarks/run.sh burst [options]

  --requests N      simultaneous connections, one request each   (BENCH_REQUESTS, default 10000)
  --backend-connections N   worker_connections of each backend   (BENCH_BACKEND_CONNECTIONS, default 4096)
  --repeats N       bursts per proxy, interleaved                (BENCH_REPEATS, default 1)
  --proxies LIST    which proxies, comma-separated               (BENCH_PROXIES, default nginx,tandem)
  --timeout S       give up on the burst after S seconds          (BENCH_TIMEOUT, default 120)

$(bench_usage_env)
EOF
}

# burst_proxy_conf_nginx NAME PORT: nginx as the proxy, with room for every client and a backend connection
# for each (worker_connections counts both), within this machine's hard limit of open files.
burst_proxy_conf_nginx() {
  local conf
  conf=$(proxy_conf_nginx "$@")
  sed -i -e 's/worker_connections [0-9]*;/worker_connections 19000;/' \
      -e 's/worker_rlimit_nofile [0-9]*;/worker_rlimit_nofile 19500;/' "$conf"
  echo "$conf"
}

# burst_backend_start N PORT CONNECTIONS: backend N, one nginx worker holding at most CONNECTIONS.
burst_backend_start() {
  local n=$1 port=$2 connections=$3 conf
  conf=$(printf '    server {\n        listen 127.0.0.1:%s backlog=4096;\n        location / { return 200 "backend %s\\n"; }\n    }\n' \
      "$port" "$n" | nginx_conf "backend$n" 1)
  sed -i "s/worker_connections [0-9]*;/worker_connections $connections;/" "$conf"
  nginx_start "backend$n" "$BENCH_CPU_LOAD" "$conf" "$port"
}

# burst_field OUTPUT LINE_PREFIX N: the Nth word (commas dropped) of h2load's line starting with LINE_PREFIX.
burst_field() {
  awk -v p="$2" -v n="$3" 'index($0, p) == 1 { gsub(",", ""); print $n }' <<<"$1"
}

scenario_main() {
  bench_options burst_usage "$@"
  local requests=${BENCH_REQUESTS:-10000} backend_conns=${BENCH_BACKEND_CONNECTIONS:-4096}
  local repeats=${BENCH_REPEATS:-1} proxies=${BENCH_PROXIES:-nginx,tandem} timeout=${BENCH_TIMEOUT:-120}
  local -a kinds
  IFS=, read -r -a kinds <<<"$proxies"
  local k
  for k in "${kinds[@]}"; do
    [[ $k == nginx || $k == tandem ]] || die "unknown proxy '$k' (expected: nginx, tandem)"
  done
  (($(ulimit -n) > requests + 100)) \
      || log "warning: ulimit -n is $(ulimit -n), below the $requests connections of the burst"

  need nginx h2load taskset curl ss awk
  bench_init burst
  [[ " ${kinds[*]} " == *" tandem "* ]] && tandem_build

  log "setup: server core $BENCH_CPU_SUT, load core $BENCH_CPU_LOAD; $requests simultaneous connections, one" \
      "request each; two backends of $backend_conns connections each; $repeats burst(s) of: ${kinds[*]}"
  local port_a port_b
  free_port port_a
  free_port port_b
  BACKEND_PORTS=("$port_a" "$port_b")
  burst_backend_start 1 "$port_a" "$backend_conns"
  burst_backend_start 2 "$port_b" "$backend_conns"

  local runs=$BENCH_RESULTS/runs.tsv
  results_add "$runs" proxy repeat ok_2xx status_5xx no_answer seconds log_lines
  local r port kind name conf url out log_file lines_before lines_after start elapsed ok fivexx
  for ((r = 1; r <= repeats; r++)); do
    for kind in "${kinds[@]}"; do
      name=$kind-proxy
      free_port port
      if [[ $kind == nginx ]]; then
        conf=$(burst_proxy_conf_nginx "$name" "$port")
        nginx_start "$name" "$BENCH_CPU_SUT" "$conf" "$port"
        log_file=$(server_dir "$name")/error.log
      else
        conf=$(proxy_conf_tandem "$name" "$port")
        tandem_start "$name" "$BENCH_CPU_SUT" "$conf" "$port"
        log_file=$(server_dir "$name")/tandem.log
      fi
      url=http://127.0.0.1:$port/
      wait_http "$url" 30 || die "$name does not answer on $url"
      proxy_check_spread "$url" || die "$name does not reach both backends"
      lines_before=$(wc -l <"$log_file" 2>/dev/null || echo 0)
      start=$(date +%s.%N)
      out=$(pinned "$BENCH_CPU_LOAD" timeout "$((timeout + 10))" h2load --h1 -t1 -n "$requests" -c "$requests" \
          -T "$timeout" -N "$timeout" "$url" 2>&1) || true
      elapsed=$(calc "$(date +%s.%N) - $start")
      echo "$out" >"$BENCH_RESULTS/h2load-$kind-$r.txt"
      lines_after=$(wc -l <"$log_file" 2>/dev/null || echo 0)
      # "status codes: A 2xx, B 3xx, C 4xx, D 5xx"
      ok=$(burst_field "$out" "status codes:" 3)
      fivexx=$(burst_field "$out" "status codes:" 9)
      ok=${ok:-0}
      fivexx=${fivexx:-0}
      results_add "$runs" "$kind" "$r" "$ok" "$fivexx" "$((requests - ok - fivexx))" \
          "$(printf '%.1f' "$elapsed")" "$((lines_after - lines_before))"
      log "$kind burst $r: $ok 2xx, $fivexx 5xx of $requests in ${elapsed}s, $((lines_after - lines_before)) log lines"
      server_stop "$name"
    done
  done

  echo
  echo "Burst of $requests one-request connections; backends of $backend_conns connections each (medians of $repeats)"
  {
    printf 'proxy\t2xx\t5xx\tno answer\tseconds\tlog lines\n'
    for kind in "${kinds[@]}"; do
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" \
          "$(results_median "$runs" proxy "$kind" ok_2xx)" "$(results_median "$runs" proxy "$kind" status_5xx)" \
          "$(results_median "$runs" proxy "$kind" no_answer)" "$(results_median "$runs" proxy "$kind" seconds)" \
          "$(results_median "$runs" proxy "$kind" log_lines)"
    done
  } | table_print lrrrrr
}
