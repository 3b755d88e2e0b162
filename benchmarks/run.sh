#!/usr/bin/env bash
# Side-by-side benchmarks of Tandem and the programs it replaces. See benchmarks/README.md.
#
#   benchmarks/run.sh SCENARIO [options]     e.g.  benchmarks/run.sh proxy --repeats 5
#   benchmarks/run.sh SCENARIO --help
#   benchmarks/run.sh                         lists the scenarios
set -eEuo pipefail

BENCH_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_REPO=$(cd "$BENCH_HOME/.." && pwd)
BENCH_TARGET=$BENCH_HOME/target

for lib in common cpu wrk perf servers proxies table lab dnslab; do
  # shellcheck source=/dev/null
  source "$BENCH_HOME/lib/$lib.sh"
done

scenarios() {
  local f
  for f in "$BENCH_HOME"/scenarios/*.sh; do
    printf '  %-18s %s\n' "$(basename "$f" .sh)" "$(sed -n 's/^# summary: //p' "$f")"
  done
}

if (($# == 0)) || [[ $1 == -h || $1 == --help || $1 == help ]]; then
  echo "usage: benchmarks/run.sh SCENARIO [options]   (SCENARIO --help for its options)"
  echo
  echo "scenarios:"
  scenarios
  exit $(($# == 0 ? 64 : 0))
fi

# Under set -e a failing command ends the run: say which one, not just stop.
trap 'log "failed (status $?): $BASH_COMMAND (${BASH_SOURCE[0]##*/}:$LINENO)"' ERR

scenario=$1
shift
[[ -f $BENCH_HOME/scenarios/$scenario.sh ]] || { echo "unknown scenario '$scenario'; known:" >&2; scenarios >&2; exit 64; }
# A scenario written as a script of its own (no scenario_main) runs as one; its help is its opening comment
# (not every such script knows --help).
file=$BENCH_HOME/scenarios/$scenario.sh
if ! grep -q '^scenario_main()' "$file"; then
  [[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$file"; exit 0; }
  exec bash "$file" "$@"
fi
# shellcheck source=/dev/null
source "$file"
scenario_main "$@"
