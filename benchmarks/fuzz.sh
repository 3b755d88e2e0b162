#!/usr/bin/env bash
# Runs the fuzz tests for longer than the 30 s each gets in every `mvn verify`.
#
#   benchmarks/fuzz.sh [SECONDS] [config|proxy|all]     e.g.  benchmarks/fuzz.sh 1800 proxy
#
# config: ConfigFuzzTest (conf): any bytes give a config or FILE:LINE:COL errors.
# proxy:  ProxyForwardingFuzzTest (proxy): what reaches a backend is what the client framed; nothing escapes
#         or leaks.
# The corpus grows in each module's .cifuzz-corpus/ (kept between runs, ignored by git). A finding stops the
# run with its input written to the test's inputs directory under src/test/resources (a crash-* file): fix the
# bug, keep the file (every later test run replays it), commit both.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
which=${2:-all}
case $which in
  config) modules=conf; tests=ConfigFuzzTest ;;
  proxy) modules=proxy; tests=ProxyForwardingFuzzTest ;;
  all) modules=conf,proxy; tests='ConfigFuzzTest,ProxyForwardingFuzzTest' ;;
  *) echo "usage: benchmarks/fuzz.sh [SECONDS] [config|proxy|all]" >&2; exit 64 ;;
esac

# Through the reactor (-am) and never installed; the unit tier is skipped (-Dfuzz.only), the fuzz execution
# runs the tests named (-Dfuzz.test) in fuzzing mode, each after replaying its inputs.
start=$(date +%s)
status=0
mvn -B -pl "$modules" -am test -Dfuzz.only -Dfuzz.test="$tests" -Dfuzz.seconds="$seconds" || status=$?
echo "fuzzed $which for ${seconds}s each; wall time $(($(date +%s) - start))s; status $status"
for m in ${modules//,/ }; do
  for f in "$m"/target/surefire-reports/*FuzzTest-output.txt; do
    [[ -f $f ]] || continue
    # libFuzzer's closing lines: runs done, coverage, corpus size
    grep -a -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs)' "$f" | sed "s|^|$(basename "$f" -output.txt): |" || true
  done
  git status --short -- "$m/src/test/resources" | grep crash- && echo "findings above: see their inputs directories" || true
done
exit $status
