#!/bin/sh
# Boots a throwaway copy of a root made by nspawn-root.sh under systemd-nspawn, as SystemdNspawnLabIT runs it:
#   unshare --mount --propagation private sh nspawn-boot.sh ROOT WORKDIR MACHINE
# The copy is an overlay whose writable layer is a tmpfs mounted on WORKDIR, inside this mount namespace only:
# the cached root is never written, and when systemd-nspawn ends, however it ends, the namespace and with it
# every mount here goes away. systemd-nspawn replaces this shell, so the caller's process is systemd-nspawn
# itself (SIGTERM to it powers the container off) and the container's init is its child.
# --register=no and --keep-unit: no machined nor host systemd needed; --private-network: only a loopback.
set -eu
lower=$1
work=$2
machine=$3

mount -t tmpfs -o mode=0755 "tandem-nspawn-$machine" "$work"
mkdir "$work/upper" "$work/work" "$work/root"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$work/upper,workdir=$work/work" "$work/root"
exec systemd-nspawn --quiet -D "$work/root" -M "$machine" -b --register=no --keep-unit --private-network \
	--console=read-only
