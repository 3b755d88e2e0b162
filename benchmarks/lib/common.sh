# Shared by every scenario: logging, the work and results directories, process tracking with cleanup on
# any exit, free ports, CPU pinning and small numeric helpers. Sourced by run.sh (bash 4+).

BENCH_CPU_SUT=${BENCH_CPU_SUT:-0}     # the core the server under test runs on
BENCH_CPU_LOAD=${BENCH_CPU_LOAD:-1}   # the core for the load generator and the backends

# Every process this run started, in start order: "name pid". Stopped in reverse order on exit.
declare -a BENCH_TRACKED=()
# name -> pid of each running server started through server_* functions.
declare -A SERVER_PID=()
# Commands to run on exit after the processes are stopped (e.g. deleting a network namespace), newest first.
declare -a BENCH_ON_EXIT=()
# Ports handed out by free_port during this run, so two calls never return the same one.
declare -A BENCH_PORTS_TAKEN=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "'$c' is missing (Debian: apt-get install -y $(bench_package_of "$c"))"
  done
}

bench_package_of() {
  case $1 in
    nginx) echo nginx-light ;;
    h2load) echo nghttp2-client ;;
    taskset) echo util-linux ;;
    curl) echo curl ;;
    *) echo "$1" ;;
  esac
}

# bench_options USAGE_FUNCTION ARG...: reads a scenario's options. USAGE_FUNCTION prints its usage with a
# line per option, "  --name VALUE  what it is" (VALUE in capitals) or "  --name  what it is" for a flag.
# Each option sets its environment variable BENCH_NAME (--max-noise 5: BENCH_MAX_NOISE=5; a flag: 1), so
# that an option and its variable are one setting. --help prints the usage and ends the run; an unknown
# option ends it with status 64.
bench_options() {
  local usage=$1 spec kind
  shift
  spec=$("$usage" | awk '$1 ~ /^--[a-z]/ { print $1, ($2 ~ /^[A-Z]+$/ ? "value" : "flag") }')
  while (($#)); do
    [[ $1 == -h || $1 == --help ]] && { "$usage"; exit 0; }
    kind=$(awk -v o="$1" '$1 == o { print $2 }' <<<"$spec")
    [[ -n $kind ]] || { echo "unknown option '$1'" >&2; "$usage" >&2; exit 64; }
    if [[ $kind == flag ]]; then
      bench_option_set "$1" 1
      shift
    else
      (($# >= 2)) || die "$1 needs a value"
      bench_option_set "$1" "$2"
      shift 2
    fi
  done
}

bench_option_set() {
  local name=${1#--}
  name=${name//-/_}
  printf -v "BENCH_${name^^}" '%s' "$2"
}

# The variables every scenario reads, for the end of its usage text.
bench_usage_env() {
  cat <<EOF
Environment: BENCH_CPU_SUT (the server core, default 0), BENCH_CPU_LOAD (the load core, default 1),
TANDEM_DIST (an unpacked distribution to use instead of building one), TANDEM_JAVA_OPTS (passed to
Tandem's JVM), BENCH_KEEP=1 (keep the work dir), BENCH_RESULTS (where the results go).
EOF
}

# Creates BENCH_WORK (a temp dir for configs, pid files and logs of this run; removed on exit unless
# BENCH_KEEP=1) and BENCH_RESULTS (kept: per-run raw output, the server configs and logs, the table).
bench_init() {
  local scenario=$1
  BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-bench-$scenario.XXXXXX")
  BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_TARGET/results/$scenario-$(date +%Y%m%d-%H%M%S)}
  mkdir -p "$BENCH_RESULTS"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  log "work dir $BENCH_WORK, results in $BENCH_RESULTS"
}

# Runs on every exit (normal, error, Ctrl-C): stops every process this run started, newest first, saves
# the generated configs and server logs next to the results, and removes the work dir.
bench_cleanup() {
  local status=$? i entry
  trap - EXIT INT TERM HUP ERR
  # Cleanup runs to its end whatever fails on the way.
  set +e
  for ((i = ${#BENCH_TRACKED[@]} - 1; i >= 0; i--)); do
    entry=${BENCH_TRACKED[i]}
    stop_tree "${entry#* }" "${entry%% *}"
  done
  BENCH_TRACKED=()
  for ((i = ${#BENCH_ON_EXIT[@]} - 1; i >= 0; i--)); do
    eval "${BENCH_ON_EXIT[i]}" || log "cleanup step failed: ${BENCH_ON_EXIT[i]}"
  done
  BENCH_ON_EXIT=()
  if [[ -n ${BENCH_WORK:-} && -d $BENCH_WORK ]]; then
    if [[ -d $BENCH_RESULTS ]]; then
      mkdir -p "$BENCH_RESULTS/servers"
      (cd "$BENCH_WORK" && find . \( -name '*.conf' -o -name '*.cfg' -o -name '*.yaml' -o -name '*.log' \) -type f \
          -exec cp --parents {} "$BENCH_RESULTS/servers/" \; ) 2>/dev/null || true
    fi
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
      log "kept work dir $BENCH_WORK"
    else
      rm -rf "$BENCH_WORK"
    fi
  fi
  exit "$status"
}

# on_exit COMMAND: runs COMMAND (a shell string) on exit, after every tracked process has stopped.
on_exit() { BENCH_ON_EXIT+=("$1"); }

# Records a started process so that it is stopped on exit.
track() { BENCH_TRACKED+=("$1 $2"); }

untrack() {
  local pid=$1 i
  for i in "${!BENCH_TRACKED[@]}"; do
    [[ ${BENCH_TRACKED[i]#* } == "$pid" ]] && unset 'BENCH_TRACKED[i]'
  done
  BENCH_TRACKED=("${BENCH_TRACKED[@]}")
}

# run_tracked NAME COMMAND...: runs COMMAND in the background and waits for it, so that a signal to the
# run is handled at once and the cleanup stops COMMAND too. Returns COMMAND's status.
run_tracked() {
  local name=$1 pid status=0
  shift
  "$@" &
  pid=$!
  track "$name" "$pid"
  wait "$pid" || status=$?
  untrack "$pid"
  return "$status"
}

# mvn_package MODULE: builds MODULE and the modules it needs from this checkout (package, never install).
mvn_package() {
  log "building $1 (mvn -B -q -DskipTests -pl $1 -am package)"
  # shellcheck disable=SC2016  # $1 and $2 are those of bash -c
  run_tracked mvn bash -c 'cd "$1" && exec mvn -B -q -DskipTests -pl "$2" -am package' build "$BENCH_REPO" "$1" >&2 \
      || die "the build failed"
}

# The pid and every descendant of it (children of nginx's master, for instance).
proc_tree() {
  local pid=$1 child
  [[ -d /proc/$pid ]] || return 0
  echo "$pid"
  # shellcheck disable=SC2013  # the children files hold pids separated by spaces
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    proc_tree "$child"
  done
}

# Stops a process and its descendants: SIGTERM, up to 10 s to go, then SIGKILL. Only the given pid tree.
stop_tree() {
  local pid=$1 name=${2:-process} pids p waited=0
  mapfile -t pids < <(proc_tree "$pid")
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  # a stopped process (SIGSTOP) gets the SIGTERM only once it runs again
  kill -CONT "${pids[@]}" 2>/dev/null || true
  while ((waited < 100)); do
    local alive=0
    for p in "${pids[@]}"; do
      [[ -d /proc/$p ]] && [[ $(awk '{print $3}' /proc/"$p"/stat 2>/dev/null) != Z ]] && alive=1
    done
    ((alive)) || break
    sleep 0.1
    waited=$((waited + 1))
  done
  if ((waited >= 100)); then
    log "$name ($pid) did not stop within 10 s: killing it"
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# free_port VAR: sets VAR to a TCP port nobody listens on, below the ephemeral range (so that a test
# elsewhere binding port 0 cannot take it between now and our bind), never one handed out before in this
# run. Not to be called in a subshell: it records what it hands out.
free_port() {
  local lo=20000 hi=32000 p tries=0
  while ((tries++ < 200)); do
    p=$((lo + RANDOM % (hi - lo)))
    [[ -n ${BENCH_PORTS_TAKEN[$p]:-} ]] && continue
    if [[ -z $(ss -Htln "sport = :$p" 2>/dev/null) ]]; then
      BENCH_PORTS_TAKEN[$p]=1
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  die "no free port found"
}

# Waits until GET url answers 200, the process pid (when given) staying alive; fails after timeout seconds.
wait_http() {
  local url=$1 timeout=${2:-30} pid=${3:-}
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if [[ -n $pid && ! -d /proc/$pid ]]; then
      return 1
    fi
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null) == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

# Waits until something listens on the TCP port.
wait_port() {
  local port=$1 timeout=${2:-10} pid=${3:-}
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    [[ -n $pid && ! -d /proc/$pid ]] && return 1
    [[ -n $(ss -Htln "sport = :$port" 2>/dev/null) ]] && return 0
    sleep 0.05
  done
  return 1
}

# Runs a command pinned to a core, in the foreground: pinned CPU COMMAND... (to start a server in the
# background, use `taskset -c CPU SERVER ... &` so that $! is the server's pid).
pinned() {
  local cpu=$1
  shift
  taskset -c "$cpu" "$@"
}

# Median of numbers given as arguments (mean of the middle two for an even count); "-" when none.
median() {
  (($#)) || { echo -; return; }
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# a / b with the given decimals, "-" when either is missing or b is 0.
ratio() {
  awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {
    if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) { print "-"; exit }
    printf "%.*f\n", d, a / b }'
}

# Arithmetic with awk: calc 'expression' (e.g. calc "3 / 7 * 100").
calc() { awk "BEGIN { printf \"%.6g\n\", $1 }"; }
