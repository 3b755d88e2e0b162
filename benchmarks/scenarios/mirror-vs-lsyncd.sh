#!/usr/bin/env bash
# summary: the mirror beside lsyncd (root): edit-to-peer p50/p99/max, a certbot renewal, an emptied root
# Tandem's mirror and lsyncd (Debian's) on the same source directories, in the same run. Two network namespaces
# on one bridge: A holds the source (www/ and le/, a certbot-style letsencrypt directory); B holds a copy per
# tool: Tandem's (B's own Tandem node) and one per lsyncd delay, fed by one lsyncd on A. lsyncd is set up as
# seed 000 sets it up: default.rsyncssh (rsync over ssh, moves and deletions as ssh commands) to a private
# sshd in B (a throwaway host key and client key, made here), with the seed's rsync options (archive, compress,
# temp_dir on the target, update, links, times, protect_args) and `delay = 3`. Every change on A is thus seen
# by every copy at once, and each copy is polled on B's disk (not over HTTP), so the tools are measured alike.
#
#   edit     N edits of www/index.html the way an editor saves it (a temporary file renamed over it); time
#            until each peer copy holds the new content; p50, p99, max. The next edit waits for every copy.
#   certbot  a renewal: archive/example.com/{cert,privkey,chain,fullchain}2.pem written, then the four
#            live/example.com/*.pem links switched to them (a temporary link renamed over each, as certbot
#            does); time until a peer has all four links pointing at the new files and cert.pem and
#            privkey.pem read through them give the new content.
#   empty    every file of A's www/ (FILES of them plus index.html) deleted at once, as an unmounted disk or a
#            failed restore would: files the peer still holds 10 s and 25 s later. Tandem holds such a
#            deletion (max_deletions); lsyncd passes it on.
#
# Usage: benchmarks/run.sh mirror-vs-lsyncd    (root; needs lsyncd, rsync, openssh-server, openssh-client;
#                                               builds the distribution when missing, or TANDEM_DIST)
#   N=30 (edits, 1..200) FILES=20 KEEP=1 (keep the work directory)
#   LSYNCD_DELAYS="3" (one lsyncd sync per directory and delay, e.g. "3 15 1"; 15 is lsyncd's default)
#   LSYNCD_TRANSPORT=ssh (seed 000's default.rsyncssh through sshd) or daemon (default.rsync to an rsync daemon)
#   LSYNCD_SSH_PORT=2222 (the private sshd's port, on B's address)
# benchmarks/run.sh mirror runs this first (its `lsyncd` part) with the same variables.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-30}
FILES=${FILES:-20}
LSYNCD_DELAYS=${LSYNCD_DELAYS:-3}
LSYNCD_TRANSPORT=${LSYNCD_TRANSPORT:-ssh}
LSYNCD_SSH_PORT=${LSYNCD_SSH_PORT:-2222}
[ "$N" -ge 1 ] && [ "$N" -le 200 ] || { echo "mirror-vs-lsyncd.sh: N must be 1..200" >&2; exit 2; }
[ -n "${LSYNCD_DELAYS// /}" ] || { echo "mirror-vs-lsyncd.sh: LSYNCD_DELAYS is empty" >&2; exit 2; }
for d in $LSYNCD_DELAYS; do
  [[ $d =~ ^[0-9]+$ ]] && [ "$d" -le 60 ] || { echo "mirror-vs-lsyncd.sh: LSYNCD_DELAYS: whole seconds, 0..60" >&2; exit 2; }
done
[[ $LSYNCD_SSH_PORT =~ ^[0-9]+$ ]] && [ "$LSYNCD_SSH_PORT" -ge 1024 ] && [ "$LSYNCD_SSH_PORT" -le 65535 ] \
  || { echo "mirror-vs-lsyncd.sh: LSYNCD_SSH_PORT: 1024..65535" >&2; exit 2; }
case $LSYNCD_TRANSPORT in ssh|daemon) ;; *) echo "mirror-vs-lsyncd.sh: LSYNCD_TRANSPORT is ssh or daemon" >&2; exit 2;; esac

if [ "$(id -u)" != 0 ]; then echo "mirror-vs-lsyncd.sh: needs root (network namespaces)" >&2; exit 2; fi
tools="ip python3 java curl lsyncd rsync"
[ "$LSYNCD_TRANSPORT" = ssh ] && tools="$tools ssh ssh-keygen /usr/sbin/sshd unshare mount"
for tool in $tools; do
  command -v "$tool" >/dev/null || { echo "mirror-vs-lsyncd.sh: $tool is missing (apt-get install lsyncd rsync openssh-server openssh-client iproute2 python3 curl)" >&2; exit 2; }
done

dist="${TANDEM_DIST:-$top/packaging/target/tandem}"
if [ ! -f "$dist/bin/tandem" ]; then
  echo "mirror-vs-lsyncd.sh: building the distribution (mvn package)..." >&2
  (cd "$top" && mvn -B -q -DskipTests -pl packaging -am package) >&2
fi

id=$(printf '%04x' $(( (RANDOM << 1 ^ $$) & 0xffff )))
P="ml$id"
NS_SW="$P-sw"; NS_A="$P-a"; NS_B="$P-b"
NET=10.203.0
work=$(mktemp -d /tmp/tandem-mirror-lsyncd.XXXXXX)
pid_a=""; pid_b=""; pid_rsyncd=""; pid_sshd=""; pid_lsyncd=""; pid_driver=""

cleanup() {
  set +e
  for p in $pid_driver $pid_lsyncd $pid_rsyncd $pid_sshd $pid_a $pid_b; do kill -TERM "$p" 2>/dev/null; done
  for p in $pid_driver $pid_lsyncd $pid_rsyncd $pid_sshd $pid_a $pid_b; do wait "$p" 2>/dev/null; done
  # rsync and ssh children of lsyncd, of the daemon and of sshd live in the namespaces: their pids, from the
  # namespaces only. sshd's /run is a tmpfs of its own mount namespace, gone with its last process.
  for ns in "$NS_A" "$NS_B"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  done
  for ns in "$NS_A" "$NS_B" "$NS_SW"; do ip netns del "$ns" 2>/dev/null; done
  if [ -n "${KEEP:-}" ]; then echo "mirror-vs-lsyncd.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

setup_lab() {
  for ns in "$NS_SW" "$NS_A" "$NS_B"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n "$NS_SW" link add br0 type bridge
  ip -n "$NS_SW" link set br0 up
  local i=1 n
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
    mkdir -p "$work/$n/www" "$work/$n/le"
    cp "$work/cluster.key" "$work/$n/cluster.key"
    config > "$work/$n/tandem.yaml"
  done
  # A's source: www/ with FILES files and index.html; le/ with a certificate issued once (K = 1).
  python3 - "$work/a" "$FILES" <<'PY'
import os, sys
root, files = sys.argv[1], int(sys.argv[2])
for i in range(files):
    with open(os.path.join(root, "www", "page%03d.html" % i), "w") as f:
        f.write("<p>page %d</p>\n" % i)
with open(os.path.join(root, "www", "index.html"), "w") as f:
    f.write("edit 0\n")
arch = os.path.join(root, "le", "archive", "example.com")
live = os.path.join(root, "le", "live", "example.com")
os.makedirs(arch); os.makedirs(live)
for name in ("cert", "privkey", "chain", "fullchain"):
    with open(os.path.join(arch, "%s1.pem" % name), "w") as f:
        f.write("%s 1\n" % name)
    os.symlink("../../archive/example.com/%s1.pem" % name, os.path.join(live, "%s.pem" % name))
PY
  local d r
  for d in $LSYNCD_DELAYS; do for r in www le; do mkdir -p "$work/b/lsyncd$d/$r"; done; mkdir -p "$work/b/lsyncd$d-temp"; done
  if [ "$LSYNCD_TRANSPORT" = ssh ]; then lsyncd_ssh_setup; else lsyncd_daemon_setup; fi
}

# Seed 000's setup: default.rsyncssh to B's sshd, a key of A's authorized there, the seed's rsync options and
# delay. The keys, known_hosts and sshd's config are this run's own, in the work directory: neither /etc/ssh
# nor root's ~/.ssh is read for them or written.
lsyncd_ssh_setup() {
  local s=$work/ssh d r
  mkdir -m 700 "$s"
  ssh-keygen -q -t ed25519 -N '' -C tandem-bench-host -f "$s/host_key"
  ssh-keygen -q -t ed25519 -N '' -C tandem-bench-client -f "$s/client_key"
  cp "$s/client_key.pub" "$s/authorized_keys"
  echo "[$NET.2]:$LSYNCD_SSH_PORT $(cat "$s/host_key.pub")" > "$s/known_hosts"
  cat > "$s/sshd_config" <<SSHD
Port $LSYNCD_SSH_PORT
ListenAddress $NET.2
HostKey $s/host_key
PidFile $s/sshd.pid
AuthorizedKeysFile $s/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UseDNS no
SSHD
  {
    echo "settings { logfile = \"$work/lsyncd.log\", statusFile = \"$work/lsyncd.status\", nodaemon = true, insist = true }"
    for d in $LSYNCD_DELAYS; do for r in www le; do
      echo "sync { default.rsyncssh, source = \"$work/a/$r\", host = \"$NET.2\", targetdir = \"$work/b/lsyncd$d/$r\","
      echo "  rsync = { archive = true, compress = true, temp_dir = \"$work/b/lsyncd$d-temp\", update = true, links = true,"
      echo "            times = true, protect_args = true },"
      echo "  delay = $d,"
      echo "  ssh = { port = $LSYNCD_SSH_PORT, identityFile = \"$s/client_key\","
      echo "          options = { UserKnownHostsFile = \"$s/known_hosts\", GlobalKnownHostsFile = \"/dev/null\","
      echo "                      StrictHostKeyChecking = \"yes\", BatchMode = \"yes\", IdentitiesOnly = \"yes\" } } }"
    done; done
  } > "$work/lsyncd.conf"
}

# Without sshd: default.rsync to an rsync daemon on B, a module per directory and per delay.
lsyncd_daemon_setup() {
  local d r
  {
    echo "pid file = $work/rsyncd.pid"
    echo "log file = $work/rsyncd.log"
    echo "address = $NET.2"
    echo "port = 873"
    echo "uid = root"
    echo "gid = root"
    echo "use chroot = yes"
    echo "munge symlinks = no"
    echo "read only = no"
    for d in $LSYNCD_DELAYS; do for r in www le; do
      printf '[d%s-%s]\n  path = %s\n' "$d" "$r" "$work/b/lsyncd$d/$r"
    done; done
  } > "$work/rsyncd.conf"
  {
    echo "settings { logfile = \"$work/lsyncd.log\", statusFile = \"$work/lsyncd.status\", nodaemon = true, insist = true }"
    for d in $LSYNCD_DELAYS; do for r in www le; do
      echo "sync { default.rsync, source = \"$work/a/$r\", target = \"$NET.2::d$d-$r\", delay = $d }"
    done; done
  } > "$work/lsyncd.conf"
}

config() {
  cat <<EOF
listeners:
  - {name: http, bind: "127.0.0.1:80"}
sites:
  - {hosts: ["*"], upstream: web}
upstreams:
  web:
    servers: [{address: "127.0.0.1:8001"}]
cluster:
  nodes: {a: $NET.1, b: $NET.2}
  secret_file: cluster.key
  state_dir: cluster-state
  mirror:
    paths: [www, le]
    state_dir: state
admin:
  bind: 127.0.0.1:9090
EOF
}

ns_of() { if [ "$1" = a ]; then echo "$NS_A"; else echo "$NS_B"; fi; }

start_node() {
  ip netns exec "$(ns_of "$1")" sh "$dist/bin/tandem" run --config "$work/$1/tandem.yaml" --node "$1" \
    >>"$work/tandem-$1.log" 2>&1 &
  if [ "$1" = a ]; then pid_a=$!; else pid_b=$!; fi
}

first_sync() {
  ip netns exec "$(ns_of "$1")" curl -s -m 2 http://127.0.0.1:9090/status 2>/dev/null | python3 -c "
import json, sys
try:
    print((json.load(sys.stdin).get('mirror') or {}).get('first_sync') or '')
except Exception:
    print('')
" 2>/dev/null
}

wait_first_sync() {
  local t=0
  while [ -z "$(first_sync "$1")" ]; do
    sleep 0.2; t=$((t + 1))
    if [ $t -gt 900 ]; then echo "mirror-vs-lsyncd.sh: node $1: no first sync after 180 s" >&2; tail -20 "$work/tandem-$1.log" >&2; exit 1; fi
  done
}

# Until every peer copy holds A's index.html and page files (Tandem's first sync, lsyncd's start-up rsync).
wait_copies() {
  local t=0 c
  for c in "$work/b" $(for d in $LSYNCD_DELAYS; do echo "$work/b/lsyncd$d"; done); do
    until [ "$(find "$c/www" -type f | wc -l)" -eq $((FILES + 1)) ] && [ -L "$c/le/live/example.com/cert.pem" ]; do
      sleep 0.2; t=$((t + 1))
      if [ $t -gt 900 ]; then echo "mirror-vs-lsyncd.sh: $c never got the source tree" >&2; tail -20 "$work/lsyncd.log" >&2; exit 1; fi
    done
  done
}

# B's sshd, in a mount namespace of its own whose /run is a fresh tmpfs: sshd needs /run/sshd (its
# privilege separation directory), which this machine's /run need not have and this run does not create there.
start_sshd() {
  ip netns exec "$NS_B" unshare --mount --propagation private sh -c \
    'mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd && exec /usr/sbin/sshd -D -e -f "$1"' \
    sshd "$work/ssh/sshd_config" >>"$work/sshd.log" 2>&1 &
  pid_sshd=$!
  local t=0
  until grep -q "Server listening on" "$work/sshd.log"; do
    sleep 0.1; t=$((t + 1))
    if [ $t -gt 100 ] || ! kill -0 "$pid_sshd" 2>/dev/null; then
      echo "mirror-vs-lsyncd.sh: B's sshd did not start" >&2; cat "$work/sshd.log" >&2; exit 1
    fi
  done
  # The key and the host key work before lsyncd relies on them (it would retry without end, insist = true).
  ip netns exec "$NS_A" timeout 10 ssh -p "$LSYNCD_SSH_PORT" -i "$work/ssh/client_key" \
    -o UserKnownHostsFile="$work/ssh/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes "$NET.2" true \
    || { echo "mirror-vs-lsyncd.sh: ssh from A to B's sshd failed" >&2; cat "$work/sshd.log" >&2; exit 1; }
}

setup_lab
if [ "$LSYNCD_TRANSPORT" = ssh ]; then
  start_sshd
else
  ip netns exec "$NS_B" rsync --daemon --no-detach --config="$work/rsyncd.conf" >>"$work/rsyncd.out" 2>&1 &
  pid_rsyncd=$!
fi
start_node a
start_node b
wait_first_sync a
wait_first_sync b
ip netns exec "$NS_A" lsyncd "$work/lsyncd.conf" >>"$work/lsyncd.out" 2>&1 &
pid_lsyncd=$!
wait_copies

# One driver for the three measurements: it changes A's tree and polls every copy on B's disk. It runs
# in the background and is waited for, so that an interrupt ends the run at once (a foreground child would
# hold the trap until it finished).
# shellcheck disable=SC2086 # one argument per delay
python3 - "$work" "$N" "$FILES" $LSYNCD_DELAYS <<'PY' &
import os, sys, time
work, n, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
src = os.path.join(work, "a")
peers = [("Tandem", os.path.join(work, "b"))] + \
        [("lsyncd delay=%s" % d, os.path.join(work, "b", "lsyncd%s" % d)) for d in sys.argv[4:]]
LIMIT = 60.0   # per change and per peer: a copy that has not followed by then is "never"

def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None

def until_all(check):
    """Seconds until check(peer root) holds, per peer; None for a peer that never got there (LIMIT)."""
    t0 = time.monotonic()
    done = {}
    while len(done) < len(peers) and time.monotonic() - t0 < LIMIT:
        for name, root in peers:
            if name not in done and check(root):
                done[name] = time.monotonic() - t0
        time.sleep(0.005)
    return t0, {name: done.get(name) for name, _ in peers}

rows = {name: {} for name, _ in peers}

# edit
samples = {name: [] for name, _ in peers}
never = {name: 0 for name, _ in peers}
index = os.path.join(src, "www", "index.html")
for i in range(1, n + 1):
    text = "edit %d %s\n" % (i, os.urandom(4).hex())
    tmp = os.path.join(src, "www", ".index.html.swp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, index)
    _, got = until_all(lambda root: read(os.path.join(root, "www", "index.html")) == text)
    for name, s in got.items():
        if s is None:
            never[name] += 1
        else:
            samples[name].append(s * 1000)
    time.sleep(0.3)  # one edit at a time: the next is not folded into this one
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1)]
for name, _ in peers:
    xs = samples[name]
    if xs:
        rows[name]["edit"] = "%6.0f %6.0f %6.0f" % (pct(xs, 50), pct(xs, 99), max(xs))
    else:
        rows[name]["edit"] = "%6s %6s %6s" % ("-", "-", "-")
    rows[name]["never"] = never[name]

# certbot: renewal K = 2
arch = os.path.join(src, "le", "archive", "example.com")
live = os.path.join(src, "le", "live", "example.com")
names = ("cert", "privkey", "chain", "fullchain")
new = {}
for name in names:
    new[name] = "%s 2 %s\n" % (name, os.urandom(4).hex())
for name in names:
    with open(os.path.join(arch, "%s2.pem" % name), "w") as f:
        f.write(new[name])
for name in names:
    tmp = os.path.join(live, ".%s.pem.new" % name)
    os.symlink("../../archive/example.com/%s2.pem" % name, tmp)
    os.rename(tmp, os.path.join(live, "%s.pem" % name))
def renewed(root):
    d = os.path.join(root, "le", "live", "example.com")
    try:
        if any(os.readlink(os.path.join(d, "%s.pem" % m)) != "../../archive/example.com/%s2.pem" % m for m in names):
            return False
    except OSError:
        return False
    return all(read(os.path.join(d, "%s.pem" % m)) == new[m] for m in ("cert", "privkey"))
_, got = until_all(renewed)
for name, s in got.items():
    rows[name]["certbot"] = "%8.0f" % (s * 1000) if s is not None else "   never"

# empty: every file of www/ deleted at once
www = os.path.join(src, "www")
for f in os.listdir(www):
    os.remove(os.path.join(www, f))
t0 = time.monotonic()
def count(root):
    return sum(len(fs) for _, _, fs in os.walk(os.path.join(root, "www")))
for at in (10, 25):
    time.sleep(max(0, t0 + at - time.monotonic()))
    for name, root in peers:
        rows[name]["empty%d" % at] = count(root)

print("%-16s %6s %6s %6s %6s %9s %14s %14s" % ("", "edit", "p99", "max", "never", "certbot", "left after 10s", "left after 25s"))
print("%-16s %6s %6s %6s %6s %9s %14s %14s" % ("", "p50 ms", "ms", "ms", "", "ms", "(of %d)" % (files + 1), "(of %d)" % (files + 1)))
for name, _ in peers:
    r = rows[name]
    print("%-16s %s %6d %9s %14d %14d" % (name, r["edit"], r["never"], r["certbot"], r["empty10"], r["empty25"]))
# Issue 12's targets for Tandem: every edit on the peer within a second (p99), and an emptied root that leaves
# every file on the peer.
xs = samples["Tandem"]
p99 = pct(xs, 99) if xs else None
kept = rows["Tandem"]["empty25"]
print("targets: Tandem p99 <= 1000 ms: %s; emptied root, every file left on Tandem's peer: %s (%d of %d after 25 s)" % (
    "met (%.0f ms)" % p99 if p99 is not None and p99 <= 1000 and not never["Tandem"] else "NOT met",
    "met" if kept == files + 1 else "NOT met", kept, files + 1))
PY
pid_driver=$!
wait "$pid_driver"
pid_driver=""

echo "edits: $N (each waits for every copy; a copy not there within 60 s counts as never)"
if [ "$LSYNCD_TRANSPORT" = ssh ]; then
  echo "lsyncd $(lsyncd --version 2>&1 | awk '/Version/ {print $2}'): seed 000's default.rsyncssh to B's sshd ($NET.2:$LSYNCD_SSH_PORT), rsync archive, compress, temp_dir, update, links, times, protect_args; one sync per directory and delay"
else
  echo "lsyncd $(lsyncd --version 2>&1 | awk '/Version/ {print $2}'): default.rsync to an rsync daemon module on B, one sync per directory and delay"
fi
if grep -q "deleted at once here: held" "$work/tandem-a.log"; then
  echo "Tandem on A: $(grep -o 'mirror: [0-9]* of the [0-9]* file(s) of [^:]*deleted at once here: held' "$work/tandem-a.log" | tail -1)"
fi
echo "load average: before $load_before  after $(cut -d' ' -f1-3 /proc/loadavg)"
