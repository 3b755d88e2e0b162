#!/usr/bin/env bash
# summary: HTTPS req/s and CPU per request, Tandem vs nginx on one certificate (h2load HTTP/2, wrk HTTP/1.1 over TLS)
# HTTPS throughput (issue 5): Tandem and nginx terminating TLS with the same certificate in front of the same
# backend, in the same run: HTTP/2 with h2load and HTTP/1.1 over TLS with wrk. For each: requests per second
# and CPU time of the proxy per request, and Tandem's ratio to nginx.
#
#   benchmarks/scenarios/https.sh [--duration 10] [--repeats 3] [--warmup 60] [--connections 32] [--streams 10]
#                                 [--keepalive 320]
#
# Self-contained: needs nginx (nginx-light), h2load (nghttp2-client), wrk, openssl, taskset, curl, Java 17
# and Maven. Builds Tandem's distribution with `mvn -B -q -DskipTests -pl packaging -am package` unless
# TANDEM_DIST points at one. Everything listens on 127.0.0.1 only. The proxy under test runs alone on core 0
# (one nginx worker, one Tandem event loop); the load generator and the backend share core 1.
#
# The certificate is an ECDSA P-256 one made here by openssl; both proxies get the same file. HTTP/2:
# `h2load -c CONNECTIONS -m STREAMS` (streams in flight per connection); HTTP/1.1: `wrk -c CONNECTIONS`
# (keep-alive, one request at a time per connection). A warm-up run precedes each measured run: WARMUP
# seconds, because the JVM compiles its request path on the same single core as it serves, which takes 40 to
# 50 seconds of this load on a busy 2-core machine (the compiler's CPU time counts as the proxy's). Then
# REPEATS measured runs; the table has the median of each column. CPU per request is the proxy's
# user+system time over a measured run (from /proc/PID/stat) divided by the requests completed.
set -euo pipefail

DURATION=${BENCH_DURATION:-10}
REPEATS=${BENCH_REPEATS:-3}
WARMUP=${BENCH_WARMUP:-60}
# Idle keep-alive connections each proxy keeps to the backend. h2load's 32 x 10 streams keep up to 320
# requests in flight: with fewer idle connections kept, both proxies open and close backend connections
# all the time, which measures connection churn more than HTTPS.
KEEPALIVE=${BENCH_KEEPALIVE:-320}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
STREAMS=${BENCH_STREAMS:-10}
CPU_SUT=${BENCH_CPU_SUT:-0}
CPU_LOAD=${BENCH_CPU_LOAD:-1}
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --keepalive) KEEPALIVE=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --streams) STREAMS=$2; shift 2 ;;
    -h|--help) sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for tool in nginx h2load wrk openssl taskset curl java; do
  command -v "$tool" >/dev/null || { echo "https: $tool is missing" >&2; exit 2; }
done

work=$(mktemp -d /tmp/tandem-https-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -f "$work/backend/nginx.pid" ]; then kill "$(cat "$work/backend/nginx.pid")" 2>/dev/null || true; fi
  if [ -f "$work/nginx/nginx.pid" ]; then kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_url() { # url
  for _ in $(seq 1 150); do
    curl -kfsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "https: $1 never answered" >&2
  return 1
}

# ---- one certificate for both
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

# ---- the backend: plain nginx answering 200 with a small body
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
wait_url "http://127.0.0.1:$BACKEND_PORT/"

# ---- nginx as the proxy under test: TLS 1.2/1.3, HTTP/2, session tickets, keep-alive upstream
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
  http2_max_concurrent_streams 128;
  upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive $KEEPALIVE; }
  server {
    listen 127.0.0.1:$NGINX_PORT ssl http2;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
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
  - name: https
    bind: 127.0.0.1:$TANDEM_PORT
    tls:
      certificates:
        - { cert: $work/cert.pem, key: $work/key.pem }
limits: { max_concurrent_streams: 128 }
sites:
  - hosts: ["*"]
    upstream: backend
upstreams:
  backend:
    servers: [{ address: "127.0.0.1:$BACKEND_PORT" }]
    keepalive: $KEEPALIVE
admin:
  bind: 127.0.0.1:$TANDEM_ADMIN
CONF

cpu_ticks() { # pid: utime + stime of the process and its threads, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

TICKS=$(getconf CLK_TCK)
declare -A RPS CPU

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)) }'; }

# measure NAME PID KIND URL: a warm-up, then REPEATS measured runs; fills RPS[NAME-KIND] and CPU[NAME-KIND]
# (microseconds per request) with the medians.
measure() {
  local name=$1 pid=$2 kind=$3 url=$4 out="$work/$1-$3.out" before after requests rps i rpss="" cpus=""
  if [ "$kind" = h2 ]; then
    # At the end of -D, h2load (1.52) ends the connections that have an HTTP/2 session, answered or not. One whose
    # TLS handshake ends later (a cold JVM on a loaded machine, a short -D) is never ended: it sends requests for
    # ever, the server answering all of them. No h2load option stops it (-T never arms in timing mode, -N sees
    # traffic), hence the timeout; a run it cuts is a client artefact, not streams the proxy left unanswered.
    timeout "$((WARMUP + 30))" taskset -c "$CPU_LOAD" h2load -c"$CONNECTIONS" -m"$STREAMS" -D "$WARMUP" "$url" >/dev/null 2>&1 \
      || echo "https: $name h2 warm-up: h2load failed or was still running after $((WARMUP + 30)) s" >&2
  else
    taskset -c "$CPU_LOAD" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null 2>&1
  fi
  for i in $(seq 1 "$REPEATS"); do
    before=$(cpu_ticks "$pid")
    if [ "$kind" = h2 ]; then
      timeout "$((DURATION + 30))" taskset -c "$CPU_LOAD" h2load -c"$CONNECTIONS" -m"$STREAMS" -D "$DURATION" "$url" > "$out" 2>&1 \
        || echo "https: $name h2 run $i: h2load failed or was still running after $((DURATION + 30)) s: counted as 0" >&2
      requests=$(awk '/^requests:/ {print $8}' "$out")
      rps=$(awk '/^finished in/ {gsub(/,/, ""); print $4}' "$out")
      requests=${requests:-0}
      rps=${rps:-0}
      grep -qi "Application protocol: h2" "$out" || { echo "https: $name did not speak h2" >&2; cat "$out" >&2; }
    else
      taskset -c "$CPU_LOAD" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$url" > "$out" 2>&1
      requests=$(awk '/requests in/ {print $1}' "$out")
      rps=$(awk '/Requests\/sec/ {print $2}' "$out")
    fi
    after=$(cpu_ticks "$pid")
    rpss+="${rps%.*}"$'\n'
    cpus+="$(( (after - before) * 1000000 / TICKS / (requests > 0 ? requests : 1) ))"$'\n'
    echo "  $name $kind run $i: ${rps%.*} req/s, $(printf '%s' "$cpus" | tail -1) us/req (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  done
  RPS[$name-$kind]=$(printf '%s' "$rpss" | median)
  CPU[$name-$kind]=$(printf '%s' "$cpus" | median)
}

taskset -c "$CPU_SUT" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
wait_url "https://127.0.0.1:$NGINX_PORT/"
nginx_pid=$(pgrep -P "$(cat "$work/nginx/nginx.pid")" | head -1)
measure nginx "$nginx_pid" h2 "https://127.0.0.1:$NGINX_PORT/"
measure nginx "$nginx_pid" h1 "https://127.0.0.1:$NGINX_PORT/"
kill "$(cat "$work/nginx/nginx.pid")"

taskset -c "$CPU_SUT" sh "$TANDEM_DIST/bin/tandem" run --config "$work/tandem.yaml" > "$work/tandem.log" 2>&1 &
tandem_pid=$!
pids+=("$tandem_pid")
wait_url "https://127.0.0.1:$TANDEM_PORT/"
# The launcher execs java, so the shell's pid is the JVM's.
measure tandem "$tandem_pid" h2 "https://127.0.0.1:$TANDEM_PORT/"
measure tandem "$tandem_pid" h1 "https://127.0.0.1:$TANDEM_PORT/"
grep -m1 "TLS:" "$work/tandem.log" | sed 's/^.* - /tandem: /' || true
kill -TERM "$tandem_pid"
wait "$tandem_pid" || true

printf '\n%-22s %12s %12s %14s %14s %8s\n' protocol nginx-req/s tandem-req/s nginx-us/req tandem-us/req ratio
for kind in h2 h1; do
  label=$([ "$kind" = h2 ] && echo "HTTP/2 (h2load -m$STREAMS)" || echo "HTTP/1.1 TLS (wrk)")
  ratio=$(awk -v t="${RPS[tandem-$kind]}" -v n="${RPS[nginx-$kind]}" 'BEGIN { printf "%.2f", (n > 0 ? t / n : 0) }')
  printf '%-22s %12s %12s %14s %14s %8s\n' "$label" "${RPS[nginx-$kind]}" "${RPS[tandem-$kind]}" \
    "${CPU[nginx-$kind]}" "${CPU[tandem-$kind]}" "$ratio"
done
echo "(medians of $REPEATS runs; $CONNECTIONS connections, ${WARMUP}s warm-up then ${DURATION}s each; proxy on core $CPU_SUT, load and backend on core $CPU_LOAD;"
echo " load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
