#!/usr/bin/env bash
# summary: static files: nginx (sendfile, open_file_cache) vs Tandem serving the same 1 KiB and 1 MiB files (issue 4)
#
# Self-contained: runs on its own (bash benchmarks/scenarios/static.sh [options]) and also defines
# scenario_main for benchmarks/run.sh. Each server runs alone on the server core (nginx: one process,
# master_process off; Tandem: workers: 1, the JVM pinned so it sees one CPU), wrk on the load core. For
# every repeat, each server in turn (the order alternates) is started fresh, warmed up with the same wrk
# load, then measured on each file; its CPU time is read from /proc before and after each measured run.

static_usage() {
  cat <<EOF
usage: benchmarks/scenarios/static.sh [options]     (or: benchmarks/run.sh static [options])

  --duration S      measured seconds per run              (BENCH_DURATION, default 10)
  --warmup S        warm-up seconds per file, per start   (BENCH_WARMUP, default 8)
  --connections N   wrk connections                       (BENCH_CONNECTIONS, default 32)
  --repeats N       runs per server and file, interleaved (BENCH_REPEATS, default 3)
  --inline-max SIZE Tandem's open_file_cache.inline_max  (BENCH_INLINE_MAX, default: Tandem's default, 16k;
                    0 sends every file with sendfile, as nginx does)
  --jfr             record Tandem's measured runs with JFR (files kept in the work dir)

Environment: BENCH_CPU_SUT (default 0), BENCH_CPU_LOAD (default 1), TANDEM_DIST (an unpacked
distribution to use instead of building one), TANDEM_JAVA_OPTS (passed to Tandem's JVM), BENCH_KEEP=1
(keep the work dir), TANDEM_TRANSPORT (io_uring, epoll or nio; default: what Tandem detects).
EOF
}

static_log() {
  printf '%s static: %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

static_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# utime + stime of one process (every thread), in clock ticks.
static_cpu_ticks() {
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# Busy ticks of one core since boot (everything but idle and iowait).
static_core_busy() {
  awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

static_wait_http() {
  local url=$1 i
  for ((i = 0; i < 200; i++)); do
    if curl -sf -o /dev/null "$url"; then
      return 0
    fi
    sleep 0.1
  done
  static_log "no answer from $url"
  return 1
}

static_median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan" } else if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}

static_build_tandem() {
  if [[ -n ${TANDEM_DIST:-} ]]; then
    STATIC_TANDEM="$TANDEM_DIST/bin/tandem"
  else
    static_log "building Tandem's distribution (mvn -B -q -DskipTests -pl packaging -am package)"
    (cd "$STATIC_REPO" && mvn -B -q -DskipTests -pl packaging -am package)
    STATIC_TANDEM="$STATIC_REPO/packaging/target/tandem/bin/tandem"
  fi
}

static_write_configs() {
  local work=$1
  mkdir -p "$work/www" "$work/nginx"
  head -c 1024 /dev/urandom >"$work/www/1k.bin"
  head -c 1048576 /dev/urandom >"$work/www/1m.bin"
  # nginx's worker may run as another user: the files must be readable by it.
  chmod 755 "$work" "$work/www"
  chmod 644 "$work/www/"*.bin

  cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
master_process off;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  open_file_cache max=10000 inactive=20s;
  open_file_cache_valid 2s;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$STATIC_NGINX_PORT;
    root $work/www;
  }
}
EOF

  cat >"$work/tandem.yaml" <<EOF
workers: 1
listeners:
  - name: http
    bind: 127.0.0.1:$STATIC_TANDEM_PORT
sites:
  - hosts: ["*"]
    static:
      root: $work/www
      fallback: false
      open_file_cache: { max_entries: 10000, valid: 2s${STATIC_INLINE_MAX:+, inline_max: $STATIC_INLINE_MAX} }
access_log: off
admin:
  bind: 127.0.0.1:$STATIC_ADMIN_PORT
EOF
}

# Starts server $1 (nginx | tandem) pinned to the server core; sets STATIC_PID and STATIC_PORT.
static_start() {
  local server=$1 work=$2 opts=${TANDEM_JAVA_OPTS:-}
  case $server in
    nginx)
      taskset -c "$STATIC_CPU_SUT" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" \
        >"$work/nginx/out.log" 2>&1 &
      STATIC_PID=$!
      STATIC_PORT=$STATIC_NGINX_PORT
      ;;
    tandem)
      if [[ -n ${TANDEM_TRANSPORT:-} ]]; then
        opts="$opts -Dtandem.transport=$TANDEM_TRANSPORT"
      fi
      if ((STATIC_JFR)); then
        opts="$opts -XX:StartFlightRecording=filename=$work/tandem-$STATIC_RUN.jfr,settings=profile"
      fi
      TANDEM_JAVA_OPTS="$opts" taskset -c "$STATIC_CPU_SUT" sh "$STATIC_TANDEM" run --config "$work/tandem.yaml" \
        >"$work/tandem-$STATIC_RUN.log" 2>&1 &
      STATIC_PID=$!
      STATIC_PORT=$STATIC_TANDEM_PORT
      ;;
  esac
  static_wait_http "http://127.0.0.1:$STATIC_PORT/1k.bin"
}

static_stop() {
  if [[ -n ${STATIC_PID:-} ]] && kill -0 "$STATIC_PID" 2>/dev/null; then
    kill "$STATIC_PID" 2>/dev/null || true
    wait "$STATIC_PID" 2>/dev/null || true
  fi
  STATIC_PID=
}

# One wrk run against file $1 for $2 seconds; prints "requests seconds errors".
static_wrk() {
  local file=$1 seconds=$2 out
  out=$(taskset -c "$STATIC_CPU_LOAD" wrk -t1 -c"$STATIC_CONNECTIONS" -d"${seconds}s" \
    "http://127.0.0.1:$STATIC_PORT/$file")
  echo "$out" >>"$STATIC_WORK/wrk.log"
  awk '
    / requests in / { n = $1; t = $4; sub(/s,?$/, "", t) }
    /Socket errors/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { v = $i; sub(/,/, "", v); e += v } }
    /Non-2xx/ { e += $NF }
    END { printf "%d %s %d\n", n, t, e }' <<<"$out"
}

scenario_main() {
  local duration=${BENCH_DURATION:-10} warmup=${BENCH_WARMUP:-8} repeats=${BENCH_REPEATS:-3}
  STATIC_CONNECTIONS=${BENCH_CONNECTIONS:-32}
  STATIC_JFR=${BENCH_JFR:-0}
  STATIC_INLINE_MAX=${BENCH_INLINE_MAX:-}
  while (($#)); do
    case $1 in
      --duration) duration=$2; shift 2 ;;
      --warmup) warmup=$2; shift 2 ;;
      --connections) STATIC_CONNECTIONS=$2; shift 2 ;;
      --repeats) repeats=$2; shift 2 ;;
      --inline-max) STATIC_INLINE_MAX=$2; shift 2 ;;
      --jfr) STATIC_JFR=1; shift ;;
      -h | --help) static_usage; return 0 ;;
      *) static_usage >&2; return 64 ;;
    esac
  done
  local tool
  for tool in nginx wrk taskset curl python3 java; do
    command -v "$tool" >/dev/null || { static_log "needs $tool"; return 69; }
  done
  STATIC_CPU_SUT=${BENCH_CPU_SUT:-0}
  STATIC_CPU_LOAD=${BENCH_CPU_LOAD:-1}
  STATIC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  STATIC_WORK=$(mktemp -d /tmp/tandem-bench-static.XXXXXX)
  STATIC_RUN=0
  trap 'static_stop; if [[ ${BENCH_KEEP:-0} != 1 && ${STATIC_JFR:-0} != 1 ]]; then rm -rf "$STATIC_WORK"; else static_log "kept $STATIC_WORK"; fi' EXIT
  STATIC_NGINX_PORT=$(static_free_port)
  STATIC_TANDEM_PORT=$(static_free_port)
  STATIC_ADMIN_PORT=$(static_free_port)
  static_build_tandem
  static_write_configs "$STATIC_WORK"

  local hz results=$STATIC_WORK/results
  hz=$(getconf CLK_TCK)
  : >"$results"
  static_log "$(nproc) cores, $(uname -r), $(nginx -v 2>&1), java $(java -version 2>&1 | head -1 | cut -d'"' -f2)"
  static_log "load average before: $(cut -d' ' -f1-3 /proc/loadavg); server core $STATIC_CPU_SUT, wrk core $STATIC_CPU_LOAD," \
    "$STATIC_CONNECTIONS connections, $duration s runs, $warmup s warm-up, $repeats repeats," \
    "Tandem transport ${TANDEM_TRANSPORT:-detected}, inline_max ${STATIC_INLINE_MAX:-default}"

  local rep server file order requests seconds errors t0 t1 c0 c1 o0 o1 cpu_us rps other
  for ((rep = 1; rep <= repeats; rep++)); do
    if ((rep % 2)); then order="nginx tandem"; else order="tandem nginx"; fi
    for server in $order; do
      STATIC_RUN=$((STATIC_RUN + 1))
      static_start "$server" "$STATIC_WORK"
      for file in 1k.bin 1m.bin; do
        static_wrk "$file" "$warmup" >/dev/null
      done
      for file in 1k.bin 1m.bin; do
        c0=$(static_cpu_ticks "$STATIC_PID")
        o0=$(static_core_busy "$STATIC_CPU_SUT")
        read -r requests seconds errors < <(static_wrk "$file" "$duration")
        c1=$(static_cpu_ticks "$STATIC_PID")
        o1=$(static_core_busy "$STATIC_CPU_SUT")
        rps=$(awk -v n="$requests" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')
        cpu_us=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.2f", c / hz * 1e6 / n }')
        # Busy time on the server core that was not the server's: other processes competing with it.
        other=$(awk -v a=$((o1 - o0)) -v b=$((c1 - c0)) -v hz="$hz" -v s="$seconds" \
          'BEGIN { o = (a - b) / hz / s * 100; if (o < 0) o = 0; printf "%.0f", o }')
        echo "$server $file $rps $cpu_us $errors $other" >>"$results"
        static_log "repeat $rep: $server $file: $rps req/s, $cpu_us us CPU/request, $errors errors, other load on its core ${other}%"
      done
      static_stop
    done
  done

  static_report "$results"
}

static_report() {
  local results=$1 f m
  median_of() { awk -v s="$1" -v f="$2" -v c="$3" '$1 == s && $2 == f { print $c }' "$results" | static_median; }
  printf '\n%-7s %-24s %14s %14s %9s\n' file metric nginx tandem "tandem/nginx"
  for f in 1k.bin 1m.bin; do
    local n_rps t_rps n_cpu t_cpu size
    n_rps=$(median_of nginx $f 3)
    t_rps=$(median_of tandem $f 3)
    n_cpu=$(median_of nginx $f 4)
    t_cpu=$(median_of tandem $f 4)
    size=$([[ $f == 1k.bin ]] && echo 1024 || echo 1048576)
    printf '%-7s %-24s %14.0f %14.0f %9.2f\n' "$f" "req/s (median)" "$n_rps" "$t_rps" "$(awk -v a="$t_rps" -v b="$n_rps" 'BEGIN { print a / b }')"
    printf '%-7s %-24s %14.1f %14.1f %9.2f\n' "$f" "body MiB/s (median)" \
      "$(awk -v r="$n_rps" -v s="$size" 'BEGIN { print r * s / 1048576 }')" \
      "$(awk -v r="$t_rps" -v s="$size" 'BEGIN { print r * s / 1048576 }')" \
      "$(awk -v a="$t_rps" -v b="$n_rps" 'BEGIN { print a / b }')"
    printf '%-7s %-24s %14.2f %14.2f %9.2f\n' "$f" "CPU us/request (median)" "$n_cpu" "$t_cpu" "$(awk -v a="$t_cpu" -v b="$n_cpu" 'BEGIN { print a / b }')"
  done
  m=$(awk '{ e += $5 } END { print e + 0 }' "$results")
  printf '\nerrors (socket errors + non-2xx) over all runs: %s\n' "$m"
  printf 'other load on the server core, per run (%%): %s\n' "$(awk '{ printf "%s ", $6 }' "$results")"
  static_log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Run directly (not sourced by benchmarks/run.sh).
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  scenario_main "$@"
fi
