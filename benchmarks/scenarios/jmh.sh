# summary: JMH micro-benchmarks of the request path's pure logic (balancer, router, headers, decoding)

jmh_usage() {
  cat <<EOF2
usage: benchmarks/run.sh jmh [JMH options...] [benchmark regexp...]

Builds the benchmarks module (mvn package, never install) and runs its JMH benchmarks pinned to the
server core ($BENCH_CPU_SUT), with short settings unless JMH options say otherwise:
  -f 1 -wi 3 -w 1s -i 5 -r 1s
Any argument is passed to JMH, e.g.  benchmarks/run.sh jmh Router   or   benchmarks/run.sh jmh -prof gc Balancer
(JMH's own help: benchmarks/run.sh jmh -h). Results also go to target/results/jmh-TIME/jmh.txt.
EOF2
}

scenario_main() {
  [[ ${1:-} == --help ]] && { jmh_usage; return 0; }
  need java mvn taskset
  bench_init jmh
  mvn_package benchmarks
  local cp
  cp="$BENCH_TARGET/classes:$(cat "$BENCH_TARGET/classpath.txt")"
  # JMH's defaults are minutes per benchmark; these settings give a first answer in a few minutes.
  # JMH refuses an option given twice, so a default applies only when the arguments do not set it.
  local defaults=(-f 1 -wi 3 -w 1s -i 5 -r 1s) args=() i
  for ((i = 0; i < ${#defaults[@]}; i += 2)); do
    [[ " $* " == *" ${defaults[i]} "* ]] || args+=("${defaults[i]}" "${defaults[i + 1]}")
  done
  pinned "$BENCH_CPU_SUT" java -cp "$cp" org.openjdk.jmh.Main "${args[@]}" "$@" 2>&1 | tee "$BENCH_RESULTS/jmh.txt"
}
