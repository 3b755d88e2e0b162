# Load generation with wrk, pinned to the load core, and parsing of its results.

BENCH_WRK_THREADS=${BENCH_WRK_THREADS:-1}

# wrk_run OUTFILE DURATION_S CONNECTIONS URL [extra wrk arguments...]
# Runs wrk with --latency and the reporting script, saves its whole output in OUTFILE, then parses it
# (see wrk_parse). Fails when wrk fails or prints no result.
wrk_run() {
  local out=$1 duration=$2 connections=$3 url=$4
  shift 4
  # In the background and waited for, so that a signal to the run is handled at once (the cleanup trap
  # stops wrk too) rather than after the measurement.
  local status=0
  run_tracked wrk taskset -c "$BENCH_CPU_LOAD" wrk -t"$BENCH_WRK_THREADS" -c"$connections" -d"${duration}s" \
      --latency --timeout 10s -s "$BENCH_HOME/lib/wrk-report.lua" "$@" "$url" >"$out" 2>&1 || status=$?
  ((status == 0)) || { log "wrk failed (status $status): $(tail -3 "$out")"; return 1; }
  wrk_parse "$out"
}

# wrk_parse FILE: sets from the WRK_RESULT line that lib/wrk-report.lua prints
#   WRK_REQUESTS  completed requests (any status)
#   WRK_ERRORS    WRK_SOCKET_ERRORS (connect, read, write, timeout) + WRK_STATUS_ERRORS (responses with a
#                 status >= 400, wrk's "Non-2xx or 3xx responses")
#   WRK_RPS       requests per second over the measured duration
#   WRK_P50_MS WRK_P99_MS WRK_P999_MS  latency percentiles in milliseconds
#   WRK_BYTES_PER_S  response bytes per second
wrk_parse() {
  local line
  line=$(grep '^WRK_RESULT ' "$1" | tail -1)
  [[ -n $line ]] || { log "no wrk result in $1"; return 1; }
  local -A r=()
  local kv
  for kv in ${line#WRK_RESULT }; do
    r[${kv%%=*}]=${kv#*=}
  done
  WRK_REQUESTS=${r[requests]}
  WRK_SOCKET_ERRORS=$((r[connect] + r[read] + r[write] + r[timeout]))
  WRK_STATUS_ERRORS=${r[status]}
  WRK_ERRORS=$((WRK_SOCKET_ERRORS + WRK_STATUS_ERRORS))
  WRK_RPS=$(awk -v n="${r[requests]}" -v d="${r[duration_us]}" 'BEGIN { printf "%.0f", n * 1e6 / d }')
  WRK_BYTES_PER_S=$(awk -v n="${r[bytes]}" -v d="${r[duration_us]}" 'BEGIN { printf "%.0f", n * 1e6 / d }')
  WRK_P50_MS=$(awk -v u="${r[p50_us]}" 'BEGIN { printf "%.2f", u / 1000 }')
  WRK_P99_MS=$(awk -v u="${r[p99_us]}" 'BEGIN { printf "%.2f", u / 1000 }')
  WRK_P999_MS=$(awk -v u="${r[p999_us]}" 'BEGIN { printf "%.2f", u / 1000 }')
}
