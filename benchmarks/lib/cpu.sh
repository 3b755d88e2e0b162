# CPU accounting from /proc. A server's CPU time is utime + stime of its process and of every live
# descendant (nginx's workers under its master), in clock ticks; every thread of a process is included
# (for Tandem: the event loop, the JIT compilers and the garbage collector).

BENCH_CLK_TCK=$(getconf CLK_TCK)

# Sum of utime + stime, in ticks, over the process tree rooted at pid.
cpu_ticks_tree() {
  local pid=$1 total=0 p t
  for p in $(proc_tree "$pid"); do
    # Fields after the ")" that ends the command name: state is $1, utime is $12, stime is $13.
    t=$(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{ print $12 + $13 }')
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

# Busy ticks since boot (everything but idle and iowait) of a core, or of the cores of a taskset list such as
# 0,1 or 2-3, from /proc/stat.
cpu_core_busy() {
  awk -v list="$1" '
    BEGIN { n = split(list, part, ","); for (i = 1; i <= n; i++) { m = split(part[i], r, "-");
      for (c = r[1]; c <= (m > 1 ? r[2] : r[1]); c++) want["cpu" c] = 1 } }
    $1 in want { s += $2 + $3 + $4 + $7 + $8 + $9 } END { print s + 0 }' /proc/stat
}

# Ticks since boot in the same unit as the above (uptime), for utilisation percentages.
cpu_now_ticks() {
  awk -v hz="$BENCH_CLK_TCK" '{ printf "%d\n", $1 * hz }' /proc/uptime
}

# Snapshot before a measured interval: cpu_mark_start PID. Then cpu_mark_end PID sets
#   CPU_SUT_TICKS   ticks used by the server's process tree
#   CPU_ELAPSED     ticks of wall time
#   CPU_SUT_PCT     the server's utilisation of one core, percent (over 100 on several cores)
#   CPU_OTHER_PCT   busy time on the server's core not used by the server (other load: noise), percent
#   CPU_LOAD_PCT    busy time on the load generator's core, percent (100 = the load side may be the limit)
cpu_mark_start() {
  _cpu_sut0=$(cpu_ticks_tree "$1")
  _cpu_core0=$(cpu_core_busy "$BENCH_CPU_SUT")
  _cpu_load0=$(cpu_core_busy "$BENCH_CPU_LOAD")
  _cpu_t0=$(cpu_now_ticks)
}

cpu_mark_end() {
  local sut core load t
  sut=$(cpu_ticks_tree "$1")
  core=$(cpu_core_busy "$BENCH_CPU_SUT")
  load=$(cpu_core_busy "$BENCH_CPU_LOAD")
  t=$(cpu_now_ticks)
  CPU_SUT_TICKS=$((sut - _cpu_sut0))
  CPU_ELAPSED=$((t - _cpu_t0))
  ((CPU_ELAPSED > 0)) || CPU_ELAPSED=1
  CPU_SUT_PCT=$(awk -v a="$CPU_SUT_TICKS" -v e="$CPU_ELAPSED" 'BEGIN { printf "%.0f", 100 * a / e }')
  CPU_OTHER_PCT=$(awk -v c=$((core - _cpu_core0)) -v a="$CPU_SUT_TICKS" -v e="$CPU_ELAPSED" \
      'BEGIN { o = c - a; if (o < 0) o = 0; printf "%.0f", 100 * o / e }')
  CPU_LOAD_PCT=$(awk -v c=$((load - _cpu_load0)) -v e="$CPU_ELAPSED" 'BEGIN { printf "%.0f", 100 * c / e }')
}

# Microseconds of CPU per request: cpu_us_per_request TICKS REQUESTS [DECIMALS (default 1)].
cpu_us_per_request() {
  awk -v t="$1" -v n="$2" -v d="${3:-1}" -v hz="$BENCH_CLK_TCK" \
      'BEGIN { if (n > 0) printf "%.*f", d, t * 1e6 / hz / n; else print "-" }'
}

# wait_quiet_core CPU MAX_PCT TIMEOUT_S: waits (in steps of a second) until the core was busy for at most
# MAX_PCT percent of the last second, for at most TIMEOUT_S seconds. Call it while the server under test
# is idle, so that what it sees is other load. Sets QUIET_WAITED (seconds) and returns 1 on a timeout.
wait_quiet_core() {
  local cpu=$1 max=$2 timeout=$3 b0 t0 b1 t1 pct
  QUIET_WAITED=0
  while :; do
    b0=$(cpu_core_busy "$cpu")
    t0=$(cpu_now_ticks)
    sleep 1
    b1=$(cpu_core_busy "$cpu")
    t1=$(cpu_now_ticks)
    pct=$(( (b1 - b0) * 100 / ( t1 > t0 ? t1 - t0 : 1 ) ))
    ((pct <= max)) && return 0
    QUIET_WAITED=$((QUIET_WAITED + 1))
    ((QUIET_WAITED < timeout)) || return 1
  done
}
