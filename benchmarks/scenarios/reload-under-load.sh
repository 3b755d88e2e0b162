#!/usr/bin/env bash
# Reload under load (issue 6): the same wrk keep-alive load against nginx and against Tandem, each in front
# of the same backend, while the proxy reloads its config RELOADS times; failed requests counted for each.
#
#   benchmarks/scenarios/reload-under-load.sh [--duration 14] [--reloads 20] [--interval 0.5] [--connections 32]
#
# Self-contained: needs nginx (nginx-light), wrk, taskset, curl, Java 17 and Maven. Builds Tandem's
# distribution with `mvn -B -q -DskipTests -pl packaging -am package` unless TANDEM_DIST points at one.
# Everything listens on 127.0.0.1 only. The proxy under test runs on core 0, wrk and the backend on core 1.
#
# A failed request is one wrk counts as a socket error (connect, read, write, timeout) or a non-2xx/3xx
# response. nginx reloads with `nginx -s reload` (new workers; the old ones close their idle keep-alive
# connections); Tandem with `kill -HUP` (the config is swapped in the same process).
set -euo pipefail

DURATION=${BENCH_DURATION:-14}
RELOADS=${BENCH_RELOADS:-20}
INTERVAL=${BENCH_INTERVAL:-0.5}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
CPU_SUT=${BENCH_CPU_SUT:-0}
CPU_LOAD=${BENCH_CPU_LOAD:-1}
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --reloads) RELOADS=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done

top=$(cd "$(dirname "$0")/../.." && pwd)
for tool in nginx wrk taskset curl java; do
  command -v "$tool" >/dev/null || { echo "reload-under-load: $tool is missing" >&2; exit 2; }
done

work=$(mktemp -d /tmp/tandem-reload-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/backend/nginx.pid" ] && kill "$(cat "$work/backend/nginx.pid")" 2>/dev/null || true
  [ -f "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_http() { # url
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "reload-under-load: $1 never answered" >&2
  return 1
}

# ---- the backend: one nginx answering 200 with a small body, keep-alive without a request limit
BACKEND_PORT=$(free_port)
mkdir -p "$work/backend/logs"
cat > "$work/backend/nginx.conf" <<CONF
worker_processes 1;
pid $work/backend/nginx.pid;
error_log $work/backend/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$BACKEND_PORT;
    location / { return 200 "backend ok"; }
  }
}
CONF
taskset -c "$CPU_LOAD" nginx -p "$work/backend" -c "$work/backend/nginx.conf"
wait_http "http://127.0.0.1:$BACKEND_PORT/"

# ---- nginx as the proxy under test
NGINX_PORT=$(free_port)
mkdir -p "$work/nginx/logs"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF

# ---- Tandem as the proxy under test
if [ -z "${TANDEM_DIST:-}" ]; then
  (cd "$top" && mvn -B -q -DskipTests -pl packaging -am package) >&2
  TANDEM_DIST="$top/packaging/target/tandem"
fi
TANDEM_PORT=$(free_port)
TANDEM_ADMIN=$(free_port)
cat > "$work/tandem.yaml" <<CONF
workers: 1
listeners:
  - name: http
    bind: 127.0.0.1:$TANDEM_PORT
sites:
  - hosts: ["*"]
    upstream: backend
upstreams:
  backend:
    servers: [{ address: "127.0.0.1:$BACKEND_PORT" }]
    keepalive: 64
admin:
  bind: 127.0.0.1:$TANDEM_ADMIN
CONF

# run_one NAME URL RELOAD_COMMAND...: wrk for DURATION seconds; RELOADS reloads, INTERVAL apart, from second 2.
run_one() {
  local name=$1 url=$2; shift 2
  # Warm up (the JVM compiles the request path; nginx gets the same), then measure.
  taskset -c "$CPU_LOAD" wrk -t1 -c"$CONNECTIONS" -d5s "$url" >/dev/null
  taskset -c "$CPU_LOAD" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" > "$work/$name.wrk" &
  local wrk_pid=$!
  sleep 2
  local done_reloads=0
  for _ in $(seq 1 "$RELOADS"); do
    "$@" >/dev/null 2>&1
    done_reloads=$((done_reloads + 1))
    sleep "$INTERVAL"
  done
  wait "$wrk_pid"
  local requests non2xx socket
  requests=$(awk '/requests in/ {print $1}' "$work/$name.wrk")
  non2xx=$(awk -F': ' '/Non-2xx or 3xx responses/ {print $2}' "$work/$name.wrk")
  socket=$(awk '/Socket errors/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$work/$name.wrk")
  non2xx=${non2xx:-0}; socket=${socket:-0}
  printf '%-8s %8s %10s %9s %14s %7s\n' "$name" "$done_reloads" "$requests" "$non2xx" "$socket" $((non2xx + socket))
  grep -E "Socket errors|Non-2xx|Requests/sec|99%" "$work/$name.wrk" | sed "s/^/           $name: /" >> "$work/details"
}

printf '%-8s %8s %10s %9s %14s %7s\n' proxy reloads requests non-2xx socket-errors failed

taskset -c "$CPU_SUT" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
wait_http "http://127.0.0.1:$NGINX_PORT/"
run_one nginx "http://127.0.0.1:$NGINX_PORT/" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -s reload
kill "$(cat "$work/nginx/nginx.pid")"

taskset -c "$CPU_SUT" sh "$TANDEM_DIST/bin/tandem" run --config "$work/tandem.yaml" > "$work/tandem.log" 2>&1 &
tandem_pid=$!
pids+=("$tandem_pid")
wait_http "http://127.0.0.1:$TANDEM_PORT/"
# The launcher execs java, so the shell's pid is the JVM's.
run_one tandem "http://127.0.0.1:$TANDEM_PORT/" kill -HUP "$tandem_pid"
applied=$(grep -c "reload (SIGHUP): config version" "$work/tandem.log" || true)
kill -TERM "$tandem_pid"
wait "$tandem_pid" || true

echo
cat "$work/details"
echo "           tandem: $applied of $RELOADS SIGHUP reloads applied (config versions 2..$((applied + 1)))"
