#!/usr/bin/env bash
# summary: the mirror (root): beside lsyncd (edits, a certbot renewal, an emptied root); edit-to-serving p50/p99; a 1 GiB tree
# The mirror between two Tandem nodes (the packaged distribution, each in a network namespace of its own on one
# bridge, each with its own directory: the same config text, its own copy of the files).
#
#   lsyncd       Tandem beside lsyncd set up as seed 000 sets it up (default.rsyncssh: rsync over ssh to a
#                private sshd on the peer, delay 3), on the same N edits: edit-to-peer p50, p99, max; a certbot
#                renewal; files left on the peer 10 s and 25 s after the source root is emptied. This is
#                scenarios/mirror-vs-lsyncd.sh (its own lab, run before this one's), with N (default 30),
#                LSYNCD_FILES (FILES there, default 20), LSYNCD_DELAYS (default "3"), LSYNCD_TRANSPORT
#                (ssh or daemon) and LSYNCD_SSH_PORT; see its opening comment.
#   propagation  time from an edit of the config on node A (an editor's save: a temporary file renamed over
#                it) to node B serving the new config (B's listener answering from the new upstream), over
#                EDITS edits; p50, p99, max. (lsyncd's default batching delay alone is 15 s.)
#   tree         a tree of FILES files of SIZE bytes under a mirrored directory on A, B starting empty: time of
#                B's first sync and bytes received; then B restarted: time of the next sync and bytes
#                received (nothing should move). B runs with TANDEM_JAVA_OPTS (default -Xmx256m) and its peak
#                resident memory is shown: the sync streams, whatever the size of the tree.
#
# Usage: benchmarks/run.sh mirror             (root; builds the distribution when missing, or TANDEM_DIST;
#                                               `lsyncd` needs lsyncd, rsync, openssh-server, openssh-client)
#   EDITS=50 FILES=10000 SIZE=102400 (1 GiB in all) SCENARIOS="lsyncd propagation tree" KEEP=1 (keep the work
#   directory)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
EDITS=${EDITS:-50}
FILES=${FILES:-10000}
SIZE=${SIZE:-102400}
SCENARIOS=${SCENARIOS:-"lsyncd propagation tree"}
B_JAVA_OPTS=${B_JAVA_OPTS:-"-Xmx256m"}

if [ "$(id -u)" != 0 ]; then echo "mirror.sh: needs root (network namespaces)" >&2; exit 2; fi
for tool in ip python3 java curl; do
  command -v "$tool" >/dev/null || { echo "mirror.sh: $tool is missing (apt-get install iproute2 python3 curl)" >&2; exit 2; }
done

dist="${TANDEM_DIST:-$top/packaging/target/tandem}"
if [ ! -f "$dist/bin/tandem" ]; then
  echo "mirror.sh: building the distribution (mvn package)..." >&2
  (cd "$top" && mvn -B -q -DskipTests -pl packaging -am package) >&2
fi

# `lsyncd` has a lab of its own: it runs first, alone, and is gone before this script's lab is built.
if [[ " $SCENARIOS " == *" lsyncd "* ]]; then
  echo "== lsyncd: Tandem beside lsyncd (seed 000: default.rsyncssh, delay ${LSYNCD_DELAYS:-3}), ${N:-30} edits"
  N=${N:-30} FILES=${LSYNCD_FILES:-20} TANDEM_DIST=$dist bash "$top/benchmarks/scenarios/mirror-vs-lsyncd.sh"
  SCENARIOS=$(echo " $SCENARIOS " | sed 's/ lsyncd / /')
  [ -n "${SCENARIOS// /}" ] || exit 0
fi

id=$(printf '%04x' $(( (RANDOM << 1 ^ $$) & 0xffff )))
P="mi$id"
NS_SW="$P-sw"; NS_A="$P-a"; NS_B="$P-b"
NET=10.202.0
work=$(mktemp -d /tmp/tandem-mirror.XXXXXX)
declare -a pids=()
pid_a=""; pid_b=""

cleanup() {
  set +e
  for p in $pid_a $pid_b; do kill -TERM "$p" 2>/dev/null; done
  for p in $pid_a $pid_b; do wait "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for ns in "$NS_A" "$NS_B" "$NS_SW"; do ip netns del "$ns" 2>/dev/null; done
  if [ -n "${KEEP:-}" ]; then echo "mirror.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns_of() { if [ "$1" = a ]; then echo "$NS_A"; else echo "$NS_B"; fi; }

setup_lab() {
  for ns in "$NS_SW" "$NS_A" "$NS_B"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n "$NS_SW" link add br0 type bridge
  ip -n "$NS_SW" link set br0 up
  local i=1
  for n in a b; do
    ip link add eth0 netns "$P-$n" type veth peer name "p$n" netns "$NS_SW"
    ip -n "$NS_SW" link set "p$n" master br0
    ip -n "$NS_SW" link set "p$n" up
    ip -n "$P-$n" link set eth0 up
    ip -n "$P-$n" addr add $NET.$i/24 dev eth0
    i=$((i + 1))
  done
  head -c 32 /dev/urandom > "$work/cluster.key"
  for n in a b; do
    mkdir -p "$work/$n/www"
    cp "$work/cluster.key" "$work/$n/cluster.key"
    for port in 8001 8002; do
      mkdir -p "$work/backend-$n-$port"
      echo "$port" > "$work/backend-$n-$port/index.html"
      ip netns exec "$(ns_of $n)" python3 -m http.server $port --bind 127.0.0.1 \
        --directory "$work/backend-$n-$port" >/dev/null 2>&1 &
      pids+=($!)
    done
    config 8001 > "$work/$n/tandem.yaml"
  done
}

config() {
  cat <<EOF
listeners:
  - {name: http, bind: "0.0.0.0:80"}
sites:
  - {hosts: ["*"], upstream: web}
upstreams:
  web:
    servers: [{address: "127.0.0.1:$1"}]
cluster:
  nodes: {a: $NET.1, b: $NET.2}
  secret_file: cluster.key
  mirror:
    paths: [tandem.yaml, www]
    state_dir: state
admin:
  bind: 127.0.0.1:9090
EOF
}

start_node() {
  local n=$1 opts=""
  [ "$n" = b ] && opts=$B_JAVA_OPTS
  TANDEM_JAVA_OPTS="$opts" ip netns exec "$(ns_of "$n")" sh "$dist/bin/tandem" run --config "$work/$n/tandem.yaml" \
    --node "$n" >>"$work/tandem-$n.log" 2>&1 &
  if [ "$n" = a ]; then pid_a=$!; else pid_b=$!; fi
}

stop_node() {
  local n=$1 pid
  if [ "$n" = a ]; then pid=$pid_a; else pid=$pid_b; fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# The mirror section of a node's /status, one field (python expression over `m`).
mirror_field() {
  ip netns exec "$(ns_of "$1")" curl -s -m 2 http://127.0.0.1:9090/status 2>/dev/null | python3 -c "
import json, sys
try:
    m = json.load(sys.stdin).get('mirror') or {}
    print($2)
except Exception:
    print('')
" 2>/dev/null
}

metric() {
  ip netns exec "$(ns_of "$1")" curl -s -m 2 http://127.0.0.1:9090/metrics | awk -v name="$2" -v labels="$3" '
    index($0, name) == 1 && index($0, labels) { v = $NF } END { printf "%d\n", v + 0 }'
}

wait_first_sync() {
  local n=$1 limit=${2:-600} t=0
  while [ -z "$(mirror_field "$n" "m.get('first_sync') or ''")" ]; do
    sleep 0.1; t=$((t + 1))
    if [ $t -gt $((limit * 10)) ]; then echo "mirror.sh: node $n: no first sync after ${limit}s" >&2; tail -20 "$work/tandem-$n.log" >&2; exit 1; fi
  done
}

# `ip netns exec` and bin/tandem both exec: the pid started is the JVM's.
# Until node $1 holds the whole tree and says it holds what A holds (the first sync may end, at sync_wait, before).
wait_tree() {
  local n=$1 limit=$2 t=0
  until [ "$(mirror_field "$n" "'%s %s' % ([p for p in m.get('paths', []) if p['id'] == 'www'][0]['files'], all(p['in_sync'] for p in m.get('peers', [])))")" = "$FILES True" ]; do
    sleep 0.1; t=$((t + 1))
    if [ $t -gt $((limit * 10)) ]; then echo "mirror.sh: node $n: not in sync after ${limit}s" >&2; tail -20 "$work/tandem-$n.log" >&2; exit 1; fi
  done
}

peak_rss_mb() {
  awk '/VmHWM/ { printf "%d\n", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

propagation() {
  echo "== propagation: edit (rename) of the config on A -> B serving it, $EDITS edits"
  ip netns exec "$NS_B" python3 - "$work/a/tandem.yaml" "$EDITS" <<'PY'
import os, socket, sys, time
path, edits = sys.argv[1], int(sys.argv[2])
text = open(path).read()
def get():
    try:
        s = socket.create_connection(("127.0.0.1", 80), timeout=0.5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return data.split(b"\r\n\r\n", 1)[-1].strip().decode()
    except OSError:
        return ""
current = "8001" if "127.0.0.1:8001" in text else "8002"
samples = []
for i in range(edits):
    nxt = "8002" if current == "8001" else "8001"
    text = text.replace("127.0.0.1:" + current, "127.0.0.1:" + nxt)
    tmp = os.path.join(os.path.dirname(path), ".tandem.yaml.swp")
    with open(tmp, "w") as f:
        f.write(text)
    t0 = time.monotonic()
    os.rename(tmp, path)
    while get() != nxt:
        if time.monotonic() - t0 > 30:
            print("edit %d: B never served it" % i, file=sys.stderr)
            sys.exit(1)
        time.sleep(0.002)
    samples.append((time.monotonic() - t0) * 1000)
    current = nxt
    time.sleep(0.3)  # one edit at a time: the next is not folded into this one
samples.sort()
def pct(p):
    return samples[min(len(samples) - 1, int(round(p / 100.0 * len(samples) + 0.5)) - 1)]
print("edits %d  p50 %.0f ms  p99 %.0f ms  max %.0f ms  min %.0f ms" % (len(samples), pct(50), pct(99), samples[-1], samples[0]))
PY
}

tree() {
  local mb=$(( FILES * SIZE / 1024 / 1024 ))
  echo "== tree: $FILES files of $SIZE bytes ($mb MiB) on A; B starts empty (B: $B_JAVA_OPTS)"
  stop_node b
  rm -rf "$work/b/www" "$work/b/state"; mkdir -p "$work/b/www"
  python3 - "$work/a/www" "$FILES" "$SIZE" <<'PY'
import os, sys
root, files, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
block = os.urandom(size)
for i in range(files):
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        f.write(block[i % 64:] + block[:i % 64])  # distinct contents
PY
  local t=0
  until [ "$(mirror_field a "[p for p in m.get('paths', []) if p['id'] == 'www'][0]['files']")" = "$FILES" ]; do
    sleep 0.2; t=$((t + 1)); [ $t -lt 3000 ] || { echo "mirror.sh: A never listed the tree" >&2; exit 1; }
  done
  local t0 t1 bytes files
  t0=$(date +%s%N)
  start_node b
  wait_tree b 1800
  t1=$(date +%s%N)
  bytes=$(metric b tandem_mirror_bytes_total 'direction="received"')
  files=$(metric b tandem_mirror_files_total 'direction="received"')
  echo "first sync:  $(( (t1 - t0) / 1000000 )) ms from B's start (JVM start included)  received $files files, $bytes bytes  B peak RSS $(peak_rss_mb "$pid_b") MiB"
  { grep -o "sync from a complete: .*" "$work/tandem-b.log" || true; } | tail -1 | sed 's/^/             B says: /' 
  stop_node b
  t0=$(date +%s%N)
  start_node b
  wait_first_sync b 600
  t1=$(date +%s%N)
  bytes=$(metric b tandem_mirror_bytes_total 'direction="received"')
  files=$(metric b tandem_mirror_files_total 'direction="received"')
  echo "second sync: $(( (t1 - t0) / 1000000 )) ms from B's start (JVM start included)  received $files files, $bytes bytes"
}

setup_lab
start_node a
start_node b
wait_first_sync a 120
wait_first_sync b 120
for s in $SCENARIOS; do "$s"; done
