# summary: health checks: HAProxy vs Tandem, kill -9 of 1 of 2 backends under load, until no request goes to it (issue 3)
#
# Two backends (nginx as one process each, so that kill -9 really closes its port) behind the proxy under
# test, which checks them with GET /health every INTERVAL and takes a server out after FALL failures. A
# paced load of GETs (src/main/java/.../FailoverLoad.java) runs through the proxy; after a warm-up, it kills
# backend 2 with SIGKILL and goes on. Retries and passive failure accounting are off in both proxies, so
# every request the proxy routes to the dead backend comes back as an error (502/503): the time from the
# kill to the send time of the last such request is "kill -> last request routed to it"; their number is
# how many requests the outage cost without retries. The proxy runs on the server core, the backends and
# the load on the load core.

health_usage() {
  cat <<EOF
usage: benchmarks/run.sh health-failover [options]

  --repeats N       runs per proxy and setting               (BENCH_REPEATS, default 5)
  --rate N          requests per second, over 4 client threads (BENCH_RATE, default 500)
  --settings LIST   the health checks to try, interval:fall pairs (BENCH_SETTINGS, default "1s:2 100ms:2")

$(bench_usage_env)
EOF
}

scenario_main() {
  bench_options health_usage "$@"
  local repeats=${BENCH_REPEATS:-5} rate=${BENCH_RATE:-500} settings=${BENCH_SETTINGS:-"1s:2 100ms:2"}
  need haproxy nginx java javac taskset ss
  bench_init health-failover
  tandem_build
  javac -d "$BENCH_WORK/classes" "$BENCH_HOME/src/main/java/dev/tandem/benchmarks/FailoverLoad.java"

  local runs=$BENCH_RESULTS/runs.tsv setting proxy r
  results_add "$runs" proxy setting repeat last_ms errors first_ms errors_before_kill requests
  for setting in $settings; do
    for proxy in haproxy tandem; do
      for ((r = 1; r <= repeats; r++)); do
        health_run_once "$proxy" "${setting%%:*}" "${setting##*:}" "$rate" "$r" "$runs"
      done
    done
  done

  echo
  echo "health-failover: kill -9 of 1 of 2 backends under $rate GET/s, retries and passive accounting off; $repeats runs each"
  echo "  (haproxy $(haproxy -v | awk 'NR == 1 { print $3 }'), Tandem from $TANDEM_DIST)"
  health_report "$runs" "$settings"
}

# health_run_once PROXY INTERVAL FALL RATE REPEAT RUNS_FILE: fresh backends and proxy, the load, one line of
# results.
health_run_once() {
  local proxy=$1 inter=$2 fall=$3 rate=$4 r=$5 runs=$6 b1 b2 port ms warmup after out
  free_port b1
  free_port b2
  free_port port
  health_backend_start 1 "$b1"
  health_backend_start 2 "$b2"
  "health_${proxy}_start" "$port" "$inter" "$fall" "$b1" "$b2"
  ms=$(health_millis "$inter")
  # Long enough for the JVMs to warm up and every server to pass its checks; then for fall checks to fail.
  warmup=$((ms * 3 + 5000))
  after=$((ms * (fall + 3) + 2000))
  run_tracked load taskset -c "$BENCH_CPU_LOAD" java -cp "$BENCH_WORK/classes" dev.tandem.benchmarks.FailoverLoad \
      "http://127.0.0.1:$port/" "${SERVER_PID[backend2]}" "$warmup" "$after" "$rate" 4 \
      >"$BENCH_WORK/load.out" 2>>"$BENCH_RESULTS/load.log" || die "$proxy: the load generator failed (see load.log)"
  server_stop "$proxy"
  server_stop backend1
  server_stop backend2

  local last errors first before requests expected=$((rate * (warmup + after) / 1000))
  read -r last errors first before requests <"$BENCH_WORK/load.out"
  results_add "$runs" "$proxy" "inter=$inter fall=$fall" "$r" "$last" "$errors" "$first" "$before" "$requests"
  log "$proxy inter=$inter fall=$fall run $r: kill -> last routed ${last} ms, $errors errors after the kill"
  # A load generator that fell behind leaves gaps in which nothing can be routed anywhere: say so.
  if ((requests * 10 < expected * 9)); then
    log "warning: $proxy inter=$inter: only $requests of $expected requests sent (busy machine?)"
  fi
  if ((before > 0)); then
    log "warning: $proxy inter=$inter fall=$fall run $r saw $before errors before the kill"
  fi
}

# health_backend_start N PORT: answers "backend N" on / and "ok" on /health.
health_backend_start() {
  local conf
  conf=$(nginx_conf "backend$1" 1 off <<EOF
    server {
        listen 127.0.0.1:$2;
        location = /health { return 200 "ok\n"; }
        location / { return 200 "backend $1\n"; }
    }
EOF
  )
  nginx_start "backend$1" "$BENCH_CPU_LOAD" "$conf" "$2"
}

# health_haproxy_start PORT INTERVAL FALL BACKEND_PORT_1 BACKEND_PORT_2
health_haproxy_start() {
  local dir
  dir=$(server_dir haproxy)
  {
    haproxy_conf_head "$dir"
    cat <<EOF
    # No retry and no redispatch: a request routed to the dead server is an error the client sees.
    retries 0

frontend proxy
    bind 127.0.0.1:$1
    default_backend backends

backend backends
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    default-server check inter $(health_millis "$2") fall $3 rise 2
    server b1 127.0.0.1:$4
    server b2 127.0.0.1:$5
EOF
  } >"$dir/haproxy.cfg"
  haproxy_start haproxy "$BENCH_CPU_SUT" "$dir/haproxy.cfg" "$1"
}

# health_tandem_start PORT INTERVAL FALL BACKEND_PORT_1 BACKEND_PORT_2
health_tandem_start() {
  local dir
  dir=$(server_dir tandem)
  {
    tandem_conf_head "$1"
    cat <<EOF
    upstream: web
upstreams:
  web:
    balance: weighted-round-robin
    servers:
      - { address: "127.0.0.1:$4" }
      - { address: "127.0.0.1:$5" }
    # No retry and no passive accounting: a request routed to the dead server is an error the client sees.
    retries: 0
    passive: { max_fails: 0 }
    health:
      http: { path: /health, expect_status: 200 }
      interval: $2
      fall: $3
      rise: 2
EOF
  } >"$dir/tandem.yaml"
  TANDEM_JAVA_OPTS="-Xmx256m ${TANDEM_JAVA_OPTS:-}" tandem_start tandem "$BENCH_CPU_SUT" "$dir/tandem.yaml" "$1"
}

# A duration in milliseconds, for HAProxy and the load: 1s -> 1000, 100ms -> 100.
health_millis() {
  case $1 in
    *ms) echo "${1%ms}" ;;
    *s) echo $((${1%s} * 1000)) ;;
    *) die "bad duration $1" ;;
  esac
}

# health_report RUNS_FILE SETTINGS: per setting and proxy, the median, lowest and highest time from the kill
# to the last request routed to the dead backend, the median errors, and every run.
health_report() {
  local runs=$1 setting key proxy
  {
    printf 'proxy\tsetting\tmedian_ms\tmin_ms\tmax_ms\terrors\truns: kill->last routed ms (requests routed to the dead server)\n'
    for setting in $2; do
      key="inter=${setting%%:*} fall=${setting##*:}"
      for proxy in haproxy tandem; do
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$proxy" "$key" \
            "$(results_median "$runs" proxy "$proxy" setting "$key" last_ms)" \
            "$(results_column "$runs" proxy "$proxy" setting "$key" last_ms | sort -g | head -1)" \
            "$(results_column "$runs" proxy "$proxy" setting "$key" last_ms | sort -g | tail -1)" \
            "$(results_median "$runs" proxy "$proxy" setting "$key" errors)" \
            "$(paste <(results_column "$runs" proxy "$proxy" setting "$key" last_ms) \
                     <(results_column "$runs" proxy "$proxy" setting "$key" errors) | awk '{ printf "%s(%s) ", $1, $2 }')"
      done
    done
  } | table_print llrrrrl
}
