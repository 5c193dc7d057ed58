#!/bin/sh
# The mounts of a chroot made by scripts/deb-test.sh and
# scripts/minimal-debian-check.sh:
#   chroot-mounts.sh list ROOT     every mount point at or below ROOT,
#                                  deepest first
#   chroot-mounts.sh release ROOT  stops every process whose root is ROOT
#                                  (a PostgreSQL left by a failed test would
#                                  keep the mounts busy), then unmounts them
set -u
what=${1:?usage: chroot-mounts.sh list|release ROOT}
root=${2:?usage: chroot-mounts.sh list|release ROOT}

list() {
	awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts |
		sort -r
}

case "$what" in
list) list ;;
release)
	for p in /proc/[0-9]*; do
		if [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ]; then
			kill "${p#/proc/}" 2>/dev/null || true
		fi
	done
	sleep 1
	for m in $(list); do
		umount "$m" 2>/dev/null || umount -l "$m" || true
	done
	;;
*) echo "usage: chroot-mounts.sh list|release ROOT" >&2; exit 2 ;;
esac
