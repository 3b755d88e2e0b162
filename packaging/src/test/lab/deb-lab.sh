#!/bin/sh
# The Debian package installed with dpkg into a throwaway copy of this machine's root, and the service run
# there as its unit says (user, capabilities, no new privileges, read-only /usr and /etc but /etc/tandem),
# in a network namespace of its own. Nothing reaches the real root: run by DebInstallLabIT as
#   unshare --mount --net --pid --fork --kill-child sh deb-lab.sh DEB WORKDIR
# the copy is an overlay whose writable layer is a tmpfs mounted on WORKDIR inside this mount namespace.
# Prints "ok: ..." per step; exits 1 with "FAIL: ..." at the first step that fails.
set -eu
deb=$1
work=$2

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
# Polls a condition every 0.1 s, at most $1 seconds.
within() {
	limit=$(( $1 * 10 )); shift
	n=0
	until "$@" >/dev/null 2>&1; do
		n=$((n + 1))
		[ "$n" -lt "$limit" ] || return 1
		sleep 0.1
	done
}

# The throwaway root.
mount --make-rprivate /
mount -t tmpfs tandem-deb-lab "$work"
mkdir "$work/upper" "$work/work" "$work/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$work/root"
root=$work/root
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/tmp"
mount -t tmpfs tmpfs "$root/run"
ip link set lo up
in_root() { chroot "$root" "$@"; }
cp "$deb" "$root/tmp/tandem.deb"

# Install.
in_root dpkg -i /tmp/tandem.deb >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log" >&2; fail "dpkg -i"; }
ok "dpkg -i"
in_root dpkg -i /tmp/tandem.deb >"$work/dpkg-i2.log" 2>&1 || { cat "$work/dpkg-i2.log" >&2; fail "dpkg -i again (upgrade path)"; }
ok "dpkg -i again"
entry=$(in_root getent passwd tandem) || fail "no user tandem"
uid=$(echo "$entry" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "tandem is not a system user: $entry"
[ "$(echo "$entry" | cut -d: -f6)" = /var/lib/tandem ] || fail "home of tandem: $entry"
case $(echo "$entry" | cut -d: -f7) in */nologin|*/false) ;; *) fail "tandem can log in: $entry" ;; esac
ok "system user tandem ($uid)"
for want in "/etc/tandem tandem:tandem 750" "/var/lib/tandem tandem:tandem 750" "/var/log/tandem tandem:adm 750"; do
	set -- $want
	got=$(in_root stat -c '%U:%G %a' "$1")
	[ "$got" = "$2 $3" ] || fail "$1 is $got, expected $2 $3"
done
ok "directories owned by tandem"
[ "$(in_root readlink -f /usr/bin/tandem)" = /usr/share/tandem/bin/tandem ] || fail "/usr/bin/tandem does not lead to the launcher"
ok "/usr/bin/tandem"

# What the unit says.
unit=$root/lib/systemd/system/tandem.service
val() { sed -n "s/^$1=//p" "$unit"; }
user=$(val User)
caps=$(val AmbientCapabilities | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
[ "$(val CapabilityBoundingSet | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')" = "$caps" ] || fail "bounding set is not the ambient set"
[ "$(val NoNewPrivileges)" = yes ] || fail "NoNewPrivileges"
start_pre=$(val ExecStartPre)
start=$(val ExecStart)
# ProtectSystem=full and ReadWritePaths=/etc/tandem, as systemd makes them: bind mounts.
protect() {
	for d in /usr /boot /etc; do
		[ -d "$root$d" ] || continue
		mount --bind "$root$d" "$root$d"
		mount -o remount,bind,ro "$root$d"
	done
	mount --bind "$root/etc/tandem" "$root/etc/tandem"
	mount -o remount,bind,rw "$root/etc/tandem"
}
unprotect() {
	umount "$root/etc/tandem"
	for d in /etc /boot /usr; do
		mountpoint -q "$root$d" && umount "$root$d"
	done
	true
}
# Runs a command as the service: its user, capabilities and environment (systemd's PATH, /etc/default/tandem).
# Replaces the calling (sub)shell, so that $! of "as_service ... &" is the service's process.
as_service() {
	exec chroot "$root" setpriv --reuid="$user" --regid="$user" --init-groups \
		--inh-caps="$caps" --ambient-caps="$caps" --bounding-set=-all,"$caps" --no-new-privs \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		sh -c 'set -a; [ -r /etc/default/tandem ] && . /etc/default/tandem; set +a; exec "$@"' sh "$@"
}
# SIGKILL to a process and every process under it; each is stopped first, so that it starts no child meanwhile.
# Its children are looked up in this PID namespace's /proc (the root's), where $! numbers them.
kill_tree() {
	kill -STOP "$1" 2>/dev/null || true
	for child in $(chroot "$root" pgrep -P "$1"); do
		kill_tree "$child"
	done
	kill -KILL "$1" 2>/dev/null || true
}
# Stops the service as systemd does (SIGTERM) and expects exit 0 within TimeoutStopSec.
stop_service() {
	kill -TERM "$1"
	timeout=$(val TimeoutStopSec | tr -d s)
	within "$timeout" sh -c "! kill -0 $1" || fail "no exit within TimeoutStopSec after SIGTERM"
	status=0
	wait "$1" || status=$?
	[ "$status" = 0 ] || { cat "$2" >&2; fail "exit status $status after SIGTERM"; }
}

# An application server for the starter config's upstream (127.0.0.1:8000).
mkdir -p "$root/tmp/site"
echo "hello from the application" >"$root/tmp/site/index.html"
in_root python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp/site >/dev/null 2>&1 &
within 10 in_root curl -fsS -o /dev/null http://127.0.0.1:8000/ || fail "backend did not start"

# The shipped config, as the unit runs it.
protect
log=$work/tandem.log
(as_service $start_pre) >"$log" 2>&1 || { cat "$log" >&2; fail "ExecStartPre: $start_pre"; }
ok "ExecStartPre accepts the shipped config"
as_service $start >"$log" 2>&1 &
pid=$!
within 30 in_root curl -fsS -o /dev/null http://127.0.0.1:80/ || { cat "$log" >&2; fail "nothing on port 80"; }
body=$(in_root curl -fsS http://127.0.0.1:80/)
[ "$body" = "hello from the application" ] || fail "port 80 answered: $body"
ok "port 80 proxied to 127.0.0.1:8000 by user $user"
status=$root/proc/$pid/status
[ "$(awk '/^Uid:/ {print $2}' "$status")" = "$uid" ] || fail "not running as tandem: $(grep Uid: "$status")"
# CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12), CAP_NET_RAW (13), and nothing else.
[ "$(awk '/^CapEff:/ {print $2}' "$status")" = 0000000000003400 ] || fail "capabilities: $(grep Cap "$status")"
[ "$(awk '/^NoNewPrivs:/ {print $2}' "$status")" = 1 ] || fail "NoNewPrivs: $(grep NoNewPrivs "$status")"
ok "uid $uid, CapEff 3400, NoNewPrivs"
within 5 grep -q '"GET / HTTP/1.1" 200' "$root/var/log/tandem/access.log" || fail "no access log line"
[ "$(in_root stat -c %U /var/log/tandem/access.log)" = tandem ] || fail "access log not written by tandem"
ok "access log"
(as_service $(val ExecReload | head -1)) >>"$log" 2>&1 || fail "first ExecReload (the check)"
kill -HUP "$pid"
# The text is the one in force: the SIGHUP is handled and applies nothing twice.
within 10 grep -q "reload (SIGHUP): unchanged, config version 1 stays in force" "$log" || { cat "$log" >&2; fail "no reload on SIGHUP"; }
ok "reload on SIGHUP"
stop_service "$pid" "$log"
ok "SIGTERM: exit 0"

# A VIP: the service's capabilities suffice for ip addr, the sysctls and gratuitous ARP.
unprotect
ip link add v0 type veth peer name v1
ip link set v0 up
ip link set v1 up
ip addr add 198.51.100.1/24 dev v0
head -c 32 /dev/urandom >"$root/etc/tandem/cluster.key"
in_root chown tandem: /etc/tandem/cluster.key
chmod 0400 "$root/etc/tandem/cluster.key"
cat >"$root/etc/tandem/vip.yaml" <<'YAML'
listeners:
  - { name: http, bind: "192.0.2.10:80" }
sites:
  - { hosts: ["*"], upstream: app }
upstreams:
  app: { servers: [{ address: 127.0.0.1:8000 }] }
admin: { bind: 127.0.0.1:9090 }
cluster:
  nodes: { lb1: 198.51.100.1 }
  secret_file: /etc/tandem/cluster.key
  advert_interval: 100ms
  vips:
    - { address: 192.0.2.10/24, interface: v0, prefer: [lb1] }
YAML
protect
(as_service /usr/bin/tandem check /etc/tandem/vip.yaml) >"$log" 2>&1 || { cat "$log" >&2; fail "check vip.yaml"; }
as_service $(echo "$start" | sed 's|/etc/tandem/tandem.yaml|/etc/tandem/vip.yaml|') >"$log" 2>&1 &
pid=$!
within 30 sh -c 'ip -o addr show dev v0 | grep -q "inet 192.0.2.10/24"' || { cat "$log" >&2; fail "the VIP was not added"; }
ok "VIP added by user $user"
[ "$(cat "$root/proc/sys/net/ipv4/conf/v0/arp_announce")" = 2 ] || fail "arp_announce not set on v0"
ok "arp_announce=2 on v0"
body=$(in_root curl -fsS http://192.0.2.10:80/)
[ "$body" = "hello from the application" ] || fail "the VIP answered: $body"
ok "served on the VIP"
within 10 sh -c "chroot '$root' curl -fsS http://127.0.0.1:9090/metrics | grep -q '^tandem_vip_state.* 2.0$'" || fail "VIP not master in /metrics"
failures=$(in_root curl -fsS http://127.0.0.1:9090/metrics | awk '/^tandem_vip_driver_failures_total/ {s += $2} END {print s + 0}')
[ "$failures" = 0 ] || { in_root curl -fsS http://127.0.0.1:9090/metrics | grep vip_driver >&2; cat "$log" >&2; fail "VIP driver failures: $failures"; }
ok "no VIP driver failure (ip, arping)"
stop_service "$pid" "$log"
ip -o addr show dev v0 | grep -q "192.0.2.10" && fail "the VIP stayed after the stop"
ok "SIGTERM: VIP released, exit 0"
(as_service $(val ExecStopPost | sed 's|/etc/tandem/tandem.yaml|/etc/tandem/vip.yaml|')) >"$log" 2>&1 \
	|| { cat "$log" >&2; fail "ExecStopPost after a clean stop"; }
ok "ExecStopPost after a clean stop: nothing to remove, exit 0"

# Killed: the address and the record stay, and ExecStopPost, as the service's user, removes both.
as_service $(echo "$start" | sed 's|/etc/tandem/tandem.yaml|/etc/tandem/vip.yaml|') >"$log" 2>&1 &
pid=$!
within 30 sh -c 'ip -o addr show dev v0 | grep -q "inet 192.0.2.10/24"' || { cat "$log" >&2; fail "the VIP was not added again"; }
# The address is written down right after it is added (the write must not hold up the takeover's first gratuitous
# ARP): a kill in between leaves it to the cleanup's pass over the config's VIPs, not to the record this case
# checks. So the kill comes once the record lists it.
within 10 grep -q "address 192.0.2.10/24 v0" "$root/var/lib/tandem/cluster-lb1.held" \
	|| { cat "$log" >&2; fail "no record of the address in /var/lib/tandem"; }
# As systemd's KillMode=mixed does to the unit's cgroup once its main process is gone: nothing of the service
# (an arping of the announcement under way) outlives it, and ExecStopPost runs after.
kill_tree "$pid"
wait "$pid" || true
ip -o addr show dev v0 | grep -q "inet 192.0.2.10/24" || fail "a killed node took its address with it (the test proves nothing)"
grep -q "address 192.0.2.10/24 v0" "$root/var/lib/tandem/cluster-lb1.held" || fail "the kill took the record with it"
(as_service $(val ExecStopPost | sed 's|/etc/tandem/tandem.yaml|/etc/tandem/vip.yaml|')) >"$log" 2>&1 \
	|| { cat "$log" >&2; fail "ExecStopPost after a kill"; }
ip -o addr show dev v0 | grep -q "192.0.2.10" && { cat "$log" >&2; fail "the VIP stayed after ExecStopPost"; }
[ ! -e "$root/var/lib/tandem/cluster-lb1.held" ] || fail "the record stayed after ExecStopPost"
ok "SIGKILL, then ExecStopPost as user $user: VIP and record removed"
unprotect

# Remove, then purge.
in_root dpkg -r tandem >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log" >&2; fail "dpkg -r"; }
[ ! -e "$root/usr/share/tandem" ] && [ ! -L "$root/usr/bin/tandem" ] || fail "files left after remove"
[ -f "$root/etc/tandem/tandem.yaml" ] || fail "remove took the config"
ok "dpkg -r keeps the config"
in_root dpkg -P tandem >"$work/dpkg-p.log" 2>&1 || { cat "$work/dpkg-p.log" >&2; fail "dpkg -P"; }
[ ! -e "$root/etc/tandem/tandem.yaml" ] && [ ! -e "$root/var/lib/tandem" ] && [ ! -e "$root/var/log/tandem" ] \
	|| fail "files left after purge"
[ -f "$root/etc/tandem/cluster.key" ] || fail "purge took the administrator's cluster key"
ok "dpkg -P"
echo "deb lab passed"
