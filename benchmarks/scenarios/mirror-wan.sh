#!/usr/bin/env bash
# summary: the mirror across two NATed regions with 0 and 100 ms each way between them (root): an edit's and a batch's time to the peer, and what the round trip adds
# Sourced by run.sh. The lab is lib/dnslab.sh; the delay is testkit's delay_forward.py in each region's router (tc netem
# is not available). See benchmarks/README.md, "mirror-wan".

mirror_wan_usage() {
  cat <<EOF
usage: benchmarks/run.sh mirror-wan [options]      (root)
  --delays LIST  milliseconds added each way between the regions, comma-separated (default 0,100)
  --edits N  single edits timed per delay (default 5)
  --batches N  batches timed per delay (default 3)
  --batch-files N  files written at once in a batch (default 50)
EOF
  bench_usage_env
}

scenario_main() {
  bench_options mirror_wan_usage "$@"
  local delays=${BENCH_DELAYS:-0,100} edits=${BENCH_EDITS:-5} batches=${BENCH_BATCHES:-3} files=${BENCH_BATCH_FILES:-50} d i
  [[ $(id -u) == 0 ]] || die "mirror-wan needs root (network namespaces)"
  need ip nft python3 java dig nsupdate curl
  [[ -x /usr/sbin/knotd ]] || die "knotd is missing (Debian: apt-get install -y knot)"
  bench_init mirror-wan
  TANDEM_DIST=${TANDEM_DIST:-$BENCH_REPO/packaging/target/tandem}
  [[ -f $TANDEM_DIST/bin/tandem ]] || mvn_package packaging
  dnslab_init "mw$(printf '%04x' $(((RANDOM << 1 ^ $$) & 0xffff)))"
  MW_TSV=$BENCH_RESULTS/runs.tsv
  results_add "$MW_TSV" delay_ms kind run ms
  local load_before; load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  log "lb1 ${DNSLAB_PUBLIC[1]} and lb2 ${DNSLAB_PUBLIC[2]}, each behind NAT; load average before: $load_before"
  head -c 32 /dev/urandom >"$DNSLAB_DIR/cluster.key"
  for d in ${delays//,/ }; do
    dnslab_delay "$d"
    mw_start "$d"
    for ((i = 1; i <= edits; i++)); do
      results_add "$MW_TSV" "$d" edit "$i" "$(mw_edit "$d" "$i")"
    done
    for ((i = 1; i <= batches; i++)); do
      results_add "$MW_TSV" "$d" batch "$i" "$(mw_batch "$d" "$i" "$files")"
    done
    mw_stop
  done
  dnslab_delay 0
  {
    echo
    echo "The mirror from lb1 to lb2 through both NATs: write to on the peer's disk, ms (median); a batch is $files files written at once"
    {
      printf 'each way\tround trip\tone edit\ta batch\tedit: added\tbatch: added\n'
      local base_e base_b e b
      base_e=$(results_median "$MW_TSV" delay_ms "${delays%%,*}" kind edit ms)
      base_b=$(results_median "$MW_TSV" delay_ms "${delays%%,*}" kind batch ms)
      for d in ${delays//,/ }; do
        e=$(results_median "$MW_TSV" delay_ms "$d" kind edit ms)
        b=$(results_median "$MW_TSV" delay_ms "$d" kind batch ms)
        printf '%s ms\t%s ms\t%s\t%s\t%s\t%s\n' "$d" "$((2 * d))" "$e" "$b" "$(calc "$e - $base_e")" "$(calc "$b - $base_b")"
      done
    } | table_print l
    echo "load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  } | tee "$BENCH_RESULTS/summary.txt"
}

declare -A MW_PID=()

mw_start() { # delay
  local n s dir
  for n in 1 2; do
    s=$([[ $n == 1 ]] && echo a || echo b)
    dir=$DNSLAB_DIR/mirror-$1-lb$n
    mkdir -p "$dir/site"
    cp "$DNSLAB_DIR/cluster.key" "$dir/cluster.key"
    cat >"$dir/tandem.yaml" <<YAML
listeners:
  - {name: http, bind: "0.0.0.0:80"}
sites:
  - {hosts: ["*"], static: {root: "$dir/site", fallback: false}}
cluster:
  nodes:
    lb1: {address: ${DNSLAB_PUBLIC[1]}, bind: ${DNSLAB_PRIVATE[1]}}
    lb2: {address: ${DNSLAB_PUBLIC[2]}, bind: ${DNSLAB_PRIVATE[2]}}
  port: $DNSLAB_CLUSTER_PORT
  secret_file: cluster.key
  advert_interval: 250ms
  state_dir: state-cluster
  mirror:
    paths: [site]
    state_dir: state-mirror
YAML
    ip netns exec "$DNSLAB_P-$s" sh "$TANDEM_DIST/bin/tandem" run --config "$dir/tandem.yaml" --node "lb$n" \
        >>"$dir.log" 2>&1 &
    MW_PID[$n]=$!
    track "tandem-lb$n" "${MW_PID[$n]}"
  done
  local deadline=$((SECONDS + 120))
  until grep -qs "mirror: first sync" "$DNSLAB_DIR/mirror-$1-lb1.log" && grep -qs "mirror: first sync" "$DNSLAB_DIR/mirror-$1-lb2.log"; do
    ((SECONDS < deadline)) || die "the mirror's first sync did not happen (see $DNSLAB_DIR/mirror-$1-lb*.log)"
    sleep 0.2
  done
  MW_DIR=$DNSLAB_DIR/mirror-$1
}

mw_stop() {
  local n
  for n in 1 2; do
    stop_tree "${MW_PID[$n]}" "tandem-lb$n"
    untrack "${MW_PID[$n]}"
  done
}

mw_now() { date +%s%N; }

# One file written on lb1 (a temporary file renamed in, as editors do): ms until lb2 holds it.
mw_edit() { # delay i
  local text t0 there=$MW_DIR-lb2/site/edit.html deadline=$((SECONDS + 60))
  text="edit $2 at $(mw_now)"
  printf '%s\n' "$text" >"$MW_DIR-lb1/site/.edit.swp"
  t0=$(mw_now)
  mv "$MW_DIR-lb1/site/.edit.swp" "$MW_DIR-lb1/site/edit.html"
  until [[ -f $there && $(cat "$there" 2>/dev/null) == "$text" ]]; do
    ((SECONDS < deadline)) || die "an edit never reached lb2"
    sleep 0.005
  done
  echo $((($(mw_now) - t0) / 1000000))
  sleep 1
}

# FILES files written at once on lb1 in a new directory: ms until lb2 holds every one.
mw_batch() { # delay i files
  local dir=batch-$2 t0 k deadline=$((SECONDS + 120)) tmp
  tmp=$MW_DIR-lb1/.tmp-$2
  mkdir -p "$tmp"
  for ((k = 1; k <= $3; k++)); do head -c 2048 /dev/urandom >"$tmp/f$k.html"; done
  t0=$(mw_now)
  mv "$tmp" "$MW_DIR-lb1/site/$dir"
  until [[ $(find "$MW_DIR-lb2/site/$dir" -name 'f*.html' 2>/dev/null | wc -l) -ge $3 ]]; do
    ((SECONDS < deadline)) || die "a batch never reached lb2 whole"
    sleep 0.005
  done
  echo $((($(mw_now) - t0) / 1000000))
  sleep 1
}
