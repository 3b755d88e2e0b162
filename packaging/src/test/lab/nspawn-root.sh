#!/bin/sh
# A Debian 12 root that boots under systemd-nspawn, with what the .deb depends on and recommends and what the
# systemd lab drives it with; made once with debootstrap and kept in a cache, keyed by a hash of how it is made
# (suite, mirror, variant, packages and the steps below), so a changed recipe makes a new root beside the old.
#   nspawn-root.sh [CACHE]     prints the root's path (CACHE: $TANDEM_LAB_CACHE, else /var/cache/tandem-lab)
# The lab never writes to it (each run boots an overlay on it). It is built in a temporary directory in CACHE,
# in a mount namespace of its own (whatever debootstrap mounts there goes with it, even if it is killed),
# and renamed into place once complete, so a killed build never leaves a half root under the final name; a
# lock keeps two builds from racing, and the next build removes what a killed one left. A root of another
# recipe unused for a week is removed. Needs root and debootstrap; the mirror is deb.debian.org
# ($TANDEM_LAB_MIRROR overrides it).
set -eu

suite=bookworm
mirror=${TANDEM_LAB_MIRROR:-http://deb.debian.org/debian}
# systemd as PID 1; the .deb's Depends (a Java 17 runtime, adduser) and Recommends (ip, arping, ping, nft, python3);
# curl as the client and python3 as the slow backend of the lab.
packages=systemd,systemd-sysv,default-jre-headless,adduser,iproute2,iputils-arping,iputils-ping,nftables,python3,curl,procps
# Bump the leading number when the steps after debootstrap change.
recipe="1 $suite $mirror minbase $packages"
key=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)
cache=${1:-${TANDEM_LAB_CACHE:-/var/cache/tandem-lab}}
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
	echo "nspawn-root: cannot write $cache; the cache is ${TMPDIR:-/var/tmp}/tandem-lab instead" >&2
	cache=${TMPDIR:-/var/tmp}/tandem-lab
	mkdir -p "$cache"
fi
root=$cache/$suite-$key

exec 9>"$cache/.lock"
# Another run may be building this very root: wait for it (a build takes minutes, more on a busy machine).
flock -w 1800 9 || { echo "nspawn-root: $cache/.lock still held after 30 min" >&2; exit 1; }
# Roots of other recipes (an older checkout's) that no run has used for a week go; one in use is touched below
# at every use, and a run that booted it a minute ago keeps it.
prune() {
	find "$cache" -mindepth 1 -maxdepth 1 -type d -name "$suite-*" ! -path "$root" -mtime +7 -print |
		while read -r old; do
			echo "nspawn-root: removing $old (unused for a week)" >&2
			rm -rf --one-file-system "$old"
		done
}
if [ -d "$root" ]; then
	touch "$root"
	prune
	echo "$root"
	exit 0
fi

# What killed builds left: never mounted outside their namespace, so no crossing into another file system.
for old in "$cache"/.build-*; do
	[ -e "$old" ] && rm -rf --one-file-system "$old"
done
tmp=$(mktemp -d "$cache/.build-XXXXXX")
started=$(date +%s)
echo "nspawn-root: debootstrap $suite from $mirror into $tmp (once; later runs reuse $root)" >&2
if ! unshare --mount --propagation private \
		debootstrap --variant=minbase --include="$packages" "$suite" "$tmp" "$mirror" >"$cache/.build.log" 2>&1; then
	tail -n 40 "$cache/.build.log" >&2
	rm -rf --one-file-system "$tmp"
	echo "nspawn-root: debootstrap failed (whole log: $cache/.build.log)" >&2
	exit 1
fi

# A quiet, quick boot: no timers that would run apt or fsck work during a test, no login prompt on the console.
echo tandem-lab >"$tmp/etc/hostname"
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service \
		systemd-tmpfiles-clean.timer console-getty.service getty@.service; do
	ln -sf /dev/null "$tmp/etc/systemd/system/$unit"
done
# The downloaded packages are not needed any more (a third of the size).
rm -f "$tmp"/var/cache/apt/archives/*.deb
chmod 755 "$tmp"

mv -T "$tmp" "$root"
prune
echo "nspawn-root: $root made in $(( $(date +%s) - started )) s" >&2
echo "$root"
