#!/usr/bin/env bash
# Failover by active health checks: Tandem beside HAProxy in the same setup.
#
# Two backends (single-process nginx, so that kill -9 really closes their ports) behind the proxy under
# test, which checks them with GET /health every INTERVAL and takes a server out after FALL failures.
# A paced load of GETs runs through the proxy; after a warm-up, the load generator kills backend 2 with
# SIGKILL and goes on. Retries and passive failure accounting are off in both proxies, so every request
# the proxy routes to the dead backend comes back as an error (502/503): the time from the kill to the
# send time of the last such request is "kill -> last request routed to it"; their number is how many
# requests the outage cost without retries.
#
# Usage: benchmarks/scenarios/health-failover.sh            (RUNS=5 per setting, medians printed)
#   RUNS=N        runs per proxy and setting
#   RATE=N        requests per second (default 500), spread over 4 client threads
#   SETTINGS="1s:2 100ms:2"   interval:fall pairs
#   LOG=FILE      also append every run's raw result there
#   KEEP=1        keep the configs and logs of the last run
# Needs: haproxy, nginx (nginx-light), java 17, taskset; builds Tandem's distribution when stale.
# Pins the proxy to CPU 0 and the backends and the load generator to CPU 1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-5}
RATE=${RATE:-500}
SETTINGS=${SETTINGS:-"1s:2 100ms:2"}
WORK=$(mktemp -d /tmp/tandem-health-failover.XXXXXX)
LOG=${LOG:-/dev/null}
PIDS=()
STARTED=
RESULT=

cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  if [ -n "${KEEP:-}" ]; then
    echo "health-failover: configs and logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "health-failover: $*" >&2; exit 1; }

for tool in haproxy nginx java javac taskset ss; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install -y haproxy nginx-light openjdk-17-jdk-headless util-linux iproute2)"
done

# A TCP port nobody listens on now.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    if ! ss -Hltn "sport = :$p" | grep -q .; then
      echo "$p"
      return
    fi
  done
}

# wait_port PORT SECONDS PID: until PORT listens, or PID died, or time is up.
wait_port() {
  local port=$1 deadline=$((SECONDS + $2)) pid=$3
  while ((SECONDS < deadline)); do
    ss -Hltn "sport = :$port" | grep -q . && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# Seconds as a number for HAProxy/Tandem durations: 1s -> 1000 (ms), 100ms -> 100.
millis() {
  case $1 in
    *ms) echo "${1%ms}" ;;
    *s) echo $((${1%s} * 1000)) ;;
    *) die "bad duration $1" ;;
  esac
}

# ---- the load generator: paced GETs, kills the backend, reports what reached it ----

cat >"$WORK/FailoverLoad.java" <<'EOF'
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/** args: URL VICTIM_PID WARMUP_MS AFTER_MS RATE THREADS. Prints: last_ms errors first_ms before_kill_errors requests */
public class FailoverLoad {
    public static void main(String[] a) throws Exception {
        URI uri = URI.create(a[0]);
        long victim = Long.parseLong(a[1]);
        long warmup = Long.parseLong(a[2]) * 1_000_000L;
        long after = Long.parseLong(a[3]) * 1_000_000L;
        int rate = Integer.parseInt(a[4]);
        int threads = Integer.parseInt(a[5]);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        long start = System.nanoTime();
        long end = start + warmup + after;
        long period = threads * 1_000_000_000L / rate;
        List<Long> errors = new CopyOnWriteArrayList<>();
        java.util.Map<String, AtomicInteger> kinds = new ConcurrentHashMap<>();
        Set<String> answered = ConcurrentHashMap.newKeySet();
        AtomicInteger requests = new AtomicInteger();
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            long offset = i * period / threads;
            ts[i] = new Thread(() -> {
                long next = start + offset;
                while (next < end) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    long sent = System.nanoTime();
                    requests.incrementAndGet();
                    try {
                        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            answered.add(r.body().trim());
                        } else {
                            errors.add(sent);
                            kinds.computeIfAbsent("status " + r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.add(sent);
                        kinds.computeIfAbsent(e.toString(), k -> new AtomicInteger()).incrementAndGet();
                    }
                    next += period;
                    if (next < System.nanoTime() - period) {
                        next = System.nanoTime();  // fell behind: no burst to catch up
                    }
                }
            });
            ts[i].start();
        }
        LockSupport.parkNanos(start + warmup - System.nanoTime());
        if (!answered.containsAll(Set.of("backend 1", "backend 2"))) {
            System.err.println("warm-up: not both backends answered: " + answered);
            System.exit(2);
        }
        long killedAt = System.nanoTime();
        ProcessHandle.of(victim).orElseThrow(() -> new IllegalStateException("no process " + victim)).destroyForcibly();
        for (Thread t : ts) {
            t.join();
        }
        long last = -1, first = -1;
        int afterKill = 0, beforeKill = 0;
        for (long t : errors) {
            if (t < killedAt) {
                beforeKill++;
                continue;
            }
            afterKill++;
            last = Math.max(last, t - killedAt);
            first = first < 0 ? t - killedAt : Math.min(first, t - killedAt);
        }
        System.out.printf("%.1f %d %.1f %d %d%n", last / 1e6, afterKill, first / 1e6, beforeKill, requests.get());
        System.err.println("errors by kind: " + kinds);
    }
}
EOF
javac -d "$WORK" "$WORK/FailoverLoad.java"

# ---- backends ----

# backend_start N PORT: a single-process nginx answering "backend N" on / and "ok" on /health; sets STARTED.
backend_start() {
  local n=$1 port=$2 dir=$WORK/backend$1
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    default_type text/plain;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$port;
        location = /health { return 200 "ok\n"; }
        location / { return 200 "backend $n\n"; }
    }
}
EOF
  taskset -c 1 nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_port "$port" 10 "$pid" || die "backend $n did not listen on $port: $(cat "$dir/error.log")"
  STARTED=$pid
}

# ---- proxies ----

# haproxy_start PORT INTERVAL FALL B1 B2: sets STARTED.
haproxy_start() {
  local port=$1 inter=$2 fall=$3 b1=$4 b2=$5 dir=$WORK/haproxy
  mkdir -p "$dir"
  cat >"$dir/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4096

defaults
    mode http
    option http-keep-alive
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 30s
    # No retry and no redispatch: a request routed to the dead server is an error the client sees.
    retries 0

frontend proxy
    bind 127.0.0.1:$port
    default_backend backends

backend backends
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    default-server check inter $(millis "$inter") fall $fall rise 2
    server b1 127.0.0.1:$b1
    server b2 127.0.0.1:$b2
EOF
  haproxy -q -c -f "$dir/haproxy.cfg" >/dev/null || die "haproxy rejects its config"
  taskset -c 0 haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_port "$port" 10 "$pid" || die "haproxy did not listen: $(tail -5 "$dir/haproxy.log")"
  STARTED=$pid
}

# tandem_start PORT INTERVAL FALL B1 B2: sets STARTED.
tandem_start() {
  local port=$1 inter=$2 fall=$3 b1=$4 b2=$5 dir=$WORK/tandem admin
  mkdir -p "$dir"
  admin=$(free_port)
  cat >"$dir/tandem.yaml" <<EOF
workers: 1
listeners:
  - name: http
    bind: 127.0.0.1:$port
sites:
  - hosts: ["*"]
    upstream: web
upstreams:
  web:
    balance: weighted-round-robin
    servers:
      - { address: "127.0.0.1:$b1" }
      - { address: "127.0.0.1:$b2" }
    # No retry and no passive accounting: a request routed to the dead server is an error the client sees.
    retries: 0
    passive: { max_fails: 0 }
    health:
      http: { path: /health, expect_status: 200 }
      interval: $inter
      fall: $fall
      rise: 2
admin:
  bind: 127.0.0.1:$admin
EOF
  TANDEM_JAVA_OPTS="-Xmx256m" taskset -c 0 "$ROOT/tandem" run --config "$dir/tandem.yaml" >"$dir/tandem.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_port "$port" 30 "$pid" || die "tandem did not listen: $(tail -5 "$dir/tandem.log")"
  STARTED=$pid
}

stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# run_once PROXY INTERVAL FALL: sets RESULT to "last_ms errors first_ms before_kill_errors requests".
run_once() {
  local proxy=$1 inter=$2 fall=$3 b1 b2 port p1 p2 pp ms warmup after out
  b1=$(free_port); b2=$(free_port); port=$(free_port)
  backend_start 1 "$b1"; p1=$STARTED
  backend_start 2 "$b2"; p2=$STARTED
  "${proxy}_start" "$port" "$inter" "$fall" "$b1" "$b2"; pp=$STARTED
  ms=$(millis "$inter")
  # Long enough for the JVMs to warm up and every server to pass its checks; then for fall checks to fail.
  warmup=$((ms * 3 + 5000))
  after=$((ms * (fall + 3) + 2000))
  out=$(taskset -c 1 java -cp "$WORK" FailoverLoad "http://127.0.0.1:$port/" "$p2" "$warmup" "$after" "$RATE" 4 \
      2>>"$LOG") || die "$proxy: load generator failed"
  stop "$pp"; stop "$p1"; stop "$p2"
  # A load generator that fell behind leaves gaps in which nothing can be routed anywhere: say so.
  local expected=$((RATE * (warmup + after) / 1000)) sent=${out##* }
  if ((sent * 10 < expected * 9)); then
    echo "  warning: $proxy inter=$inter: only $sent of $expected requests sent (busy machine?)" >&2
  fi
  RESULT=$out
}

median() {
  sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Build Tandem's distribution now, unpinned, rather than under taskset in the first run.
"$ROOT/tandem" check "$ROOT/packaging/src/main/resources/dev/tandem/packaging/demo.yaml" >/dev/null 2>&1 || true

echo "health-failover: kill -9 of 1 of 2 backends under $RATE GET/s, retries and passive accounting off; $RUNS runs each"
echo "  (haproxy $(haproxy -v | awk 'NR == 1 { print $3 }'), Tandem from $ROOT)"
printf '%-8s %-16s %9s %8s %8s %7s   %s\n' proxy setting median_ms min_ms max_ms errors "runs: kill->last routed ms (requests routed to the dead server)"
for setting in $SETTINGS; do
  inter=${setting%%:*}
  fall=${setting##*:}
  for proxy in haproxy tandem; do
    results=()
    for ((r = 1; r <= RUNS; r++)); do
      run_once "$proxy" "$inter" "$fall"
      results+=("$RESULT")
      echo "  $proxy inter=$inter fall=$fall run $r: $RESULT" >>"$LOG"
    done
    lasts=$(printf '%s\n' "${results[@]}" | awk '{ print $1 }')
    errs=$(printf '%s\n' "${results[@]}" | awk '{ print $2 }')
    detail=$(printf '%s\n' "${results[@]}" | awk '{ printf "%s(%s) ", $1, $2 }')
    bad=$(printf '%s\n' "${results[@]}" | awk '$4 > 0 { n++ } END { print n + 0 }')
    printf '%-8s %-16s %9s %8s %8s %7s   %s\n' "$proxy" "inter=$inter fall=$fall" \
        "$(echo "$lasts" | median)" "$(echo "$lasts" | sort -n | head -1)" "$(echo "$lasts" | sort -n | tail -1)" \
        "$(echo "$errs" | median)" "$detail"
    if ((bad > 0)); then
      echo "  warning: $bad run(s) of $proxy saw errors before the kill" >&2
    fi
  done
done
