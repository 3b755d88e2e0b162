# Optional kernel-side counts for a measured run, with `perf stat` (Debian: linux-perf): system calls,
# io_uring submissions and context switches of the server's processes, to divide by the requests served.
# Counting tracepoints costs the server a little CPU, so runs with it are not the ones to quote.

BENCH_PERF_EVENTS=raw_syscalls:sys_enter,io_uring:io_uring_submit_req,context-switches

# perf_count_start OUT PID: starts counting for the process tree of PID (every thread) until perf_count_end.
perf_count_start() {
  local out=$1 pids
  pids=$(proc_tree "$2" | paste -sd,)
  taskset -c "$BENCH_CPU_LOAD" perf stat -x, -o "$out" -e "$BENCH_PERF_EVENTS" -p "$pids" >/dev/null 2>&1 &
  _perf_pid=$!
  track perf "$_perf_pid"
  sleep 0.2
}

# perf_count_end OUT REQUESTS: stops counting and sets PERF_SYSCALLS_PER_REQ, PERF_URING_PER_REQ and
# PERF_CSW_PER_REQ ("-" when perf could not count).
perf_count_end() {
  local out=$1 requests=$2
  kill -INT "$_perf_pid" 2>/dev/null || true
  wait "$_perf_pid" 2>/dev/null || true
  untrack "$_perf_pid"
  PERF_SYSCALLS_PER_REQ=$(perf_per_request "$out" raw_syscalls:sys_enter "$requests")
  PERF_URING_PER_REQ=$(perf_per_request "$out" io_uring:io_uring_submit_req "$requests")
  PERF_CSW_PER_REQ=$(perf_per_request "$out" context-switches "$requests")
}

perf_per_request() {
  awk -F, -v e="$2" -v n="$3" '$3 == e && $1 ~ /^[0-9]+$/ { printf "%.2f\n", $1 / n; found = 1 }
    END { if (!found) print "-" }' "$1" 2>/dev/null || echo -
}
