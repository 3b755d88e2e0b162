#!/usr/bin/env bash
# summary: the VIP fault matrix (root): outage and failed requests of Tandem and keepalived through link down/flaps, SIGKILL (of the VRRP process, and of the whole stack), SIGSTOP, a partition, 30% loss, 20 planned moves (about 15 minutes)
# Sourced by run.sh. The lab is lib/lab.sh (a client and two nodes on a bridge, in network namespaces); the
# keep-alive client and the failover probe are lib/vip_client.py. See benchmarks/README.md, "faults".

FAULTS_ALL=linkdown,flap1,flap5,flap5-nopreempt,kill,killall,stop,partition,loss,planned
FAULTS_SETTLE=6.5     # seconds after start-up: both stacks' second gratuitous ARP round (5 s) is over
# Seconds the clients go on after a fault that ends with n1 back (flap, SIGCONT, heal, loss): the backup that
# took the VIP steps down, and Tandem's drain (10 s today) must be over before its address leaves and the
# clients' ARP entries have to move, which is when the VIP can go dark.
FAULTS_BACK_OBSERVE=15
# Seconds between the start of n1 and of n2. On a busy host n2 can take the VIP at start before it hears n1 (then
# steps aside): its takeover at the fault is then not its JVM's first. FAULTS_START_GAP=3 makes every one a first.
FAULTS_START_GAP=${FAULTS_START_GAP:-0.3}

faults_usage() {
  cat <<EOF
usage: benchmarks/run.sh faults [options]      (root; about 15 minutes with the defaults)
  --runs N  runs of every fault and stack; the table shows medians (default 1)
  --faults LIST  the rows, comma-separated (default $FAULTS_ALL)
  --stacks LIST  tandem,keepalived (default both)
  --handovers N  planned moves of the planned row, each away and back (default 20)
  --observe SECONDS  how long the clients go on after a fault is over (default per row: 5 to 20, see the README)
  --mirror  Tandem with a mirror between the nodes (a TCP connection: a killed master is seen gone at once)
  --capture  record the wire on the lab's bridge and print where each takeover's time went (lib/vip_timeline.py)
EOF
  echo "FAULTS_START_GAP: seconds between n1's start and n2's (default 0.3; 3: n2 never holds the VIP before the fault)"
  bench_usage_env
}

faults_label() {
  case $1 in
    linkdown) echo "link down of the master" ;;
    flap1) echo "link flap 1 s, preempt" ;;
    flap5) echo "link flap 5 s, preempt" ;;
    flap5-nopreempt) echo "link flap 5 s, no preempt" ;;
    kill) echo "SIGKILL of the master" ;;
    killall) echo "SIGKILL of the master's whole stack" ;;
    stop) echo "SIGSTOP 3 s, SIGCONT" ;;
    partition) echo "partition 3 s, heal" ;;
    loss) echo "30% cluster loss 5 s" ;;
    planned) echo "$FAULTS_HANDOVERS planned moves" ;;
    *) return 1 ;;
  esac
}

scenario_main() {
  bench_options faults_usage "$@"
  FAULTS_RUNS=${BENCH_RUNS:-1}
  FAULTS_HANDOVERS=${BENCH_HANDOVERS:-20}
  FAULTS_OBSERVE=${BENCH_OBSERVE:-}
  FAULTS_CAPTURE=${BENCH_CAPTURE:-0}
  LAB_MIRROR=${BENCH_MIRROR:-0}
  local faults=${BENCH_FAULTS:-$FAULTS_ALL} stacks=${BENCH_STACKS:-tandem,keepalived} f s run
  [[ $(id -u) == 0 ]] || die "faults needs root (network namespaces)"
  need ip nft python3 java keepalived curl
  for f in ${faults//,/ }; do faults_label "$f" >/dev/null || die "unknown fault '$f' (known: $FAULTS_ALL)"; done
  bench_init faults
  TANDEM_DIST=${TANDEM_DIST:-$BENCH_REPO/packaging/target/tandem}
  FAULTS_POLLER_CP=$BENCH_REPO/testkit/target/classes
  if [[ ! -f $TANDEM_DIST/bin/tandem || ! -f $FAULTS_POLLER_CP/dev/tandem/testkit/HttpPoller.class ]]; then
    mvn_package packaging
  fi
  FAULTS_CLIENT=$BENCH_HOME/lib/vip_client.py
  faults_keepalive_client
  lab_init "fa$(printf '%04x' $(((RANDOM << 1 ^ $$) & 0xffff)))" 10.203.0
  FAULTS_TSV=$BENCH_RESULTS/runs.tsv
  results_add "$FAULTS_TSV" fault stack run client outage_ms failed requests recovered holder
  FAULTS_TIMELINES=$BENCH_RESULTS/timelines.txt
  local load_before; load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  log "lab $LAB_PREFIX: client, n1, n2 on a bridge; VIP $LAB_VIP; adverts every $LAB_ADVERT_MS ms;" \
      "$FAULTS_RUNS run(s); clients poll every 10 ms; Tandem's mirror $( ((LAB_MIRROR)) && echo on || echo off);" \
      "load average before: $load_before"
  for ((run = 1; run <= FAULTS_RUNS; run++)); do
    for f in ${faults//,/ }; do
      for s in ${stacks//,/ }; do
        faults_case "$f" "$s" "$run"
      done
    done
  done
  lab_nodes_stop
  faults_table "$faults" "$load_before" | tee "$BENCH_RESULTS/summary.txt"
}

# The keep-alive client: HttpPoller's own when it has one, else lib/vip_client.py; both print a line per
# request in the same form. Sets FAULTS_KEEPALIVE_CMD (started with `ip netns exec`, so that $! is the client).
faults_keepalive_client() {
  if grep -qs -- '--keepalive' "$BENCH_REPO/testkit/src/main/java/dev/tandem/testkit/HttpPoller.java"; then
    FAULTS_KEEPALIVE_CMD=(java -cp "$FAULTS_POLLER_CP" dev.tandem.testkit.HttpPoller --keepalive)
  else
    FAULTS_KEEPALIVE_CMD=(python3 "$FAULTS_CLIENT" keepalive)
  fi
}

# One fault against one stack: fresh nodes (n1 the master, n2 its backup), the two clients polling, the
# fault, the clients stopped after the observation time, their lines counted.
faults_case() {
  local fault=$1 stack=$2 run=$3 url out_new out_ka pid_new pid_ka client
  url=$(lab_url "$stack")
  lab_nodes_stop
  LAB_PREEMPT=1
  [[ $fault == *nopreempt ]] && LAB_PREEMPT=0
  lab_node_start "$stack" 1
  sleep "$FAULTS_START_GAP"
  lab_node_start "$stack" 2
  if ! lab_wait_holder "$stack" n1 60; then
    log "$fault $stack run $run: n1 never served the VIP; skipped (logs: $LAB_DIR/node-n*.log)"
    tail -n 5 "$LAB_DIR"/node-n*.log >&2
    return 0
  fi
  sleep "$FAULTS_SETTLE"
  faults_capture_start "$fault-$stack-$run"
  out_new=$BENCH_RESULTS/poll-$fault-$stack-$run-new.out
  out_ka=$BENCH_RESULTS/poll-$fault-$stack-$run-keepalive.out
  # Bounded: every poller stops by itself after 10 minutes, and is stopped when the fault is over.
  ip netns exec "$LAB_NS_C" java -cp "$FAULTS_POLLER_CP" dev.tandem.testkit.HttpPoller "$url" 10 600000 100 300 >"$out_new" &
  pid_new=$!
  track poller "$pid_new"
  ip netns exec "$LAB_NS_C" "${FAULTS_KEEPALIVE_CMD[@]}" "$url" 10 600000 100 300 >"$out_ka" &
  pid_ka=$!
  track poller-keepalive "$pid_ka"
  if ! faults_wait_answers "$out_new" 50 || ! faults_wait_answers "$out_ka" 50; then
    log "$fault $stack run $run: a client had not 50 answers after 15 s; going on"
  fi
  sleep 1
  echo "$(date +%H:%M:%S.%3N) fault $fault" | tee -a "$LAB_DIR"/node-n1.log >>"$LAB_DIR"/node-n2.log
  # the fault's moment: now, or later when the row marks it again just before its action (faults_mark)
  faults_mark
  "faults_do_${fault//-/_}" "$stack" "$run"
  faults_capture_report "$fault" "$stack" "$run"
  for client in "$pid_new" "$pid_ka"; do
    kill -TERM "$client" 2>/dev/null || true
    wait "$client" 2>/dev/null || true
    untrack "$client"
  done
  faults_record "$fault" "$stack" "$run" new "$out_new"
  faults_record "$fault" "$stack" "$run" keepalive "$out_ka"
}

# --capture: lib/vip_timeline.py on the bridge for the fault, its timeline in ms from the fault's moment
# (FAULTS_AT, set by faults_mark just before the fault is made).
faults_capture_start() { # name
  ((FAULTS_CAPTURE)) || return 0
  FAULTS_CAPTURE_OUT=$BENCH_RESULTS/wire-$1.txt
  ip netns exec "$LAB_NS_SW" python3 "$BENCH_HOME/lib/vip_timeline.py" capture "$LAB_VIP" "$LAB_CLUSTER_PORT" \
      "$FAULTS_CAPTURE_OUT" &
  FAULTS_CAPTURE_PID=$!
  track capture "$FAULTS_CAPTURE_PID"
  # its sockets are open once it has written its (empty) file
  local deadline=$((SECONDS + 10))
  until [[ -e $FAULTS_CAPTURE_OUT ]] || ((SECONDS >= deadline)); do sleep 0.05; done
}

faults_capture_report() { # fault stack run
  ((FAULTS_CAPTURE)) || return 0
  kill -TERM "$FAULTS_CAPTURE_PID" 2>/dev/null || true
  wait "$FAULTS_CAPTURE_PID" 2>/dev/null || true
  untrack "$FAULTS_CAPTURE_PID"
  [[ -n $FAULTS_AT ]] || return 0
  local line
  line=$(python3 "$BENCH_HOME/lib/vip_timeline.py" report "$FAULTS_CAPTURE_OUT" "$FAULTS_AT")
  echo "$1 $2 run $3: $line" >>"$FAULTS_TIMELINES"
  log "  $2 timeline (ms from the fault): $line"
}

# The moment of the fault, in ns of the wall clock (as the capture's timestamps), with no process started.
faults_mark() { local t=${EPOCHREALTIME/[.,]/}; FAULTS_AT=${t}000; }

faults_wait_answers() { # file count: until the client has that many answers (at most 15 s)
  local deadline=$((SECONDS + 15)) answers
  while :; do
    answers=$(grep -c ' ok ' "$1" 2>/dev/null || true)
    ((${answers:-0} >= $2)) && return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# Outage: the longest time between two answered requests from the fault on (the gap that spans the fault counts,
# from the last answer before it), or, when the client was still failing when it was stopped, from its last
# answer to the end (then recovered=0). Failed: requests not answered 2xx that ended after the fault. What came
# before the fault is left out: a client's own start (a cold JVM on a busy host) once made the longest gap of a
# run, 0.7 to 0.8 s, before anything had happened to the VIP, for either stack.
faults_analyse() { # poll_file fault_epoch_ms (empty: the whole run): prints outage_ms failed requests recovered holder
  awk -v at="${2:-}" '
    /^t0_epoch_ms=/ { split($0, t, "="); if (at != "") cut = at - t[2]; next }
    $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && ($3 == "ok" || $3 == "fail") {
      if (cut != "" && $2 < cut) {
        if ($3 == "ok") { last = $2; have = 1; holder = $5 }
        next
      }
      n++; end = $2
      if ($3 == "ok") {
        if (have) { g = $2 - last; if (g > max) max = g }
        last = $2; have = 1; holder = $5; failing = 0
      } else { failed++; failing = 1 }
    }
    END {
      rec = 1
      if (failing) { rec = 0; g = end - (have ? last : 0); if (g > max) max = g }
      print max + 0, failed + 0, n + 0, rec, (holder == "" ? "-" : holder)
    }' "$1"
}

faults_record() { # fault stack run client file
  local outage failed requests recovered holder
  local at=""
  [[ -n $FAULTS_AT ]] && at=$((FAULTS_AT / 1000000))
  read -r outage failed requests recovered holder < <(faults_analyse "$5" "$at")
  results_add "$FAULTS_TSV" "$1" "$2" "$3" "$4" "$outage" "$failed" "$requests" "$recovered" "$holder"
  log "  $1 $2 run $3, $4 connections: outage $outage ms$( ((recovered)) || echo ' (still failing at the end)')," \
      "$failed failed of $requests, last answer from $holder"
}

faults_observe() { sleep "${FAULTS_OBSERVE:-${1:-6}}"; }

faults_nft() { # node ruleset...: a table of this benchmark in the node's namespace
  ip netns exec "$(lab_ns "$1")" nft -f - <<<"table inet bench_faults {
$2
}"
}

faults_nft_clear() { ip netns exec "$(lab_ns "$1")" nft delete table inet bench_faults 2>/dev/null || true; }

# The rows. Node 1 is the master when each starts.

# Link down, and the unplanned failover time: from the `ip link set down` to the first answer of n2 over a
# new connection (lib/vip_client.py first, in the client's namespace).
faults_do_linkdown() {
  local stack=$1 run=$2 ms
  ms=$(ip netns exec "$LAB_NS_C" python3 "$FAULTS_CLIENT" first "$(lab_url "$stack")" n2 10000 \
      ip -n "$(lab_ns 1)" link set eth0 down)
  [[ $ms =~ ^[0-9]+$ ]] || ms=-
  results_add "$FAULTS_TSV" failover "$stack" "$run" new "$ms" - - 1 n2
  log "  failover $stack run $run: first answer of n2 $ms ms after the link went down"
  faults_observe 5
}

faults_flap() { # seconds
  faults_mark
  ip -n "$(lab_ns 1)" link set eth0 down
  sleep "$1"
  ip -n "$(lab_ns 1)" link set eth0 up
  faults_observe "$FAULTS_BACK_OBSERVE"
}
faults_do_flap1() { faults_flap 1; }
faults_do_flap5() { faults_flap 5; }
faults_do_flap5_nopreempt() { faults_flap 5; }

# Tandem: SIGKILL of its JVM. keepalived: SIGKILL of its VRRP process (its parent starts a new one). Both
# leave the VIP on the killed node's interface.
faults_do_kill() {
  local pid
  if [[ $1 == tandem ]]; then pid=${LAB_NODE_PID[1]}; else pid=$(lab_keepalived_vrrp_pid 1); fi
  faults_mark
  kill -KILL "$pid" || log "  no process to kill on n1"
  faults_observe 8
}

# The whole front door of n1 dies at once, as when a box's services are OOM-killed together: Tandem's JVM
# and the backend behind it; keepalived's parent, its VRRP child and the backend it fronts (which stands where
# nginx would). The `kill` row kills only keepalived's VRRP child, so its backend goes on answering on n1;
# this row compares the two stacks through the same loss. n1's backend is started again afterwards.
faults_do_killall() {
  local pids
  mapfile -t pids < <(lab_node_pids 1 | sort -u)
  # All of it at once: every process stopped first, then killed. (Killed one by one, keepalived's VRRP child
  # outlived its parent by an instant, long enough for the SIGTERM its parent's death sends it to make it give
  # the VIP up with a priority-0 advert, as a clean stop does: that is no crash.)
  faults_mark
  kill -STOP "${pids[@]}" "${LAB_BACKEND_PID[1]}" 2>/dev/null || true
  kill -KILL "${pids[@]}" "${LAB_BACKEND_PID[1]}" 2>/dev/null || true
  lab_backend_kill 1
  faults_observe 8
  lab_backend_restart 1
}

# Every process of the node frozen (Tandem's JVM; keepalived's parent and VRRP child), then thawed.
faults_do_stop() {
  local pids
  mapfile -t pids < <(lab_node_pids 1 | sort -u)
  kill -STOP "${pids[@]}"
  sleep 3
  kill -CONT "${pids[@]}"
  faults_observe "$FAULTS_BACK_OBSERVE"
}

# All IP between n1 and n2 dropped in n1's namespace (adverts, cluster traffic, anything else), the client
# still reaching both; then the heal.
faults_do_partition() {
  local peer; peer=$(lab_peer 1)
  faults_nft 1 "chain in { type filter hook input priority -10; ip saddr $peer drop; }
    chain out { type filter hook output priority -10; ip daddr $peer drop; }"
  sleep 3
  faults_nft_clear 1
  faults_observe "$FAULTS_BACK_OBSERVE"
}

# 30% of the cluster's packets dropped both ways in n1's namespace: keepalived's VRRP (IP protocol 112),
# Tandem's cluster UDP port.
faults_do_loss() {
  local peer match
  peer=$(lab_peer 1)
  if [[ $1 == tandem ]]; then match="udp dport $LAB_CLUSTER_PORT"; else match="ip protocol 112"; fi
  faults_nft 1 "chain in { type filter hook input priority -10; ip saddr $peer $match numgen random mod 100 < 30 drop; }
    chain out { type filter hook output priority -10; ip daddr $peer $match numgen random mod 100 < 30 drop; }"
  sleep 5
  faults_nft_clear 1
  faults_observe "$FAULTS_BACK_OBSERVE"
}

# Planned moves, away from n1 and back, FAULTS_HANDOVERS times. Tandem: `tandem handover` on n1 (returns
# when n1 holds no VIP), then `tandem resume` (n1 takes the VIP back, preempt). keepalived has no handover
# command: the nearest an operator does is a reload (SIGHUP) with n1's priority lowered below n2's (150 <
# 200), then one with it restored (250).
faults_do_planned() {
  local stack=$1 i
  for ((i = 1; i <= FAULTS_HANDOVERS; i++)); do
    faults_move "$stack" away n2
    faults_move "$stack" back n1
  done
}

faults_move() { # stack away|back holder
  local stack=$1 tandem=$TANDEM_DIST/bin/tandem
  if [[ $stack == tandem ]]; then
    local cmd=resume
    [[ $2 == away ]] && cmd=handover
    if [[ $cmd == handover ]]; then
      run_tracked tandem-cli ip netns exec "$(lab_ns 1)" sh "$tandem" handover --timeout 30 >>"$LAB_DIR/cli.log" 2>&1 \
          || log "  tandem handover failed (see $LAB_DIR/cli.log)"
    else
      run_tracked tandem-cli ip netns exec "$(lab_ns 1)" sh "$tandem" resume >>"$LAB_DIR/cli.log" 2>&1 \
          || log "  tandem resume failed (see $LAB_DIR/cli.log)"
    fi
  else
    if [[ $2 == away ]]; then LAB_PRIORITY[1]=150; else LAB_PRIORITY[1]=250; fi
    lab_keepalived_config 1
    kill -HUP "${LAB_NODE_PID[1]}"
  fi
  lab_wait_holder "$stack" "$3" 15 || log "  $stack: $3 did not take the VIP within 15 s of the $2 move"
  # an operator's pace: the next move once this one has settled
  sleep 1
  LAB_PRIORITY[1]=250
}

faults_table() { # faults load_before
  local f label tsv=$FAULTS_TSV client name t_out t_fail k_out k_fail
  echo
  echo "VIP fault matrix: medians of $FAULTS_RUNS run(s); outage = longest gap between two answered requests of a"
  echo "client polling the VIP every 10 ms (+: still failing when the run ended); failed = requests not answered 2xx"
  echo
  {
    printf 'fault\tTandem outage ms\tTandem failed\tkeepalived outage ms\tkeepalived failed\tlast answer T/k\n'
    for f in ${1//,/ }; do
      label=$(faults_label "$f")
      for client in new keepalive; do
        if [[ $client == new ]]; then name="$label, new conns"; else name="$label, keep-alive"; fi
        t_out=$(faults_median_outage "$tsv" "$f" tandem "$client")
        t_fail=$(results_median "$tsv" fault "$f" stack tandem client "$client" failed)
        k_out=$(faults_median_outage "$tsv" "$f" keepalived "$client")
        k_fail=$(results_median "$tsv" fault "$f" stack keepalived client "$client" failed)
        printf '%s\t%s\t%s\t%s\t%s\t%s/%s\n' "$name" "$t_out" "$t_fail" "$k_out" "$k_fail" \
            "$(faults_last_holder "$tsv" "$f" tandem "$client")" "$(faults_last_holder "$tsv" "$f" keepalived "$client")"
      done
      if [[ $f == linkdown ]]; then
        printf '%s\t%s\t-\t%s\t-\t-\n' "unplanned failover ms (link down to n2's first answer)" \
            "$(results_median "$tsv" fault failover stack tandem outage_ms)" \
            "$(results_median "$tsv" fault failover stack keepalived outage_ms)"
      fi
    done
  } | table_print lrrrrr
  echo
  echo "runs: $FAULTS_RUNS; adverts every $LAB_ADVERT_MS ms; load average before: $2, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "per run: $FAULTS_TSV; each client's lines: $BENCH_RESULTS/poll-FAULT-STACK-RUN-{new,keepalive}.out"
}

faults_median_outage() { # tsv fault stack client: the median outage, + when a run ended still failing
  local m
  m=$(results_median "$1" fault "$2" stack "$3" client "$4" outage_ms)
  if [[ $m != - ]] && results_column "$1" fault "$2" stack "$3" client "$4" recovered | grep -qx 0; then m+="+"; fi
  echo "$m"
}

faults_last_holder() { # tsv fault stack client: who answered last, in the last run
  local h
  h=$(results_column "$1" fault "$2" stack "$3" client "$4" holder | tail -n 1)
  echo "${h:--}"
}
