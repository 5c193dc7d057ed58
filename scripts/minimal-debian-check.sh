#!/bin/sh
# Checks that a fresh clone passes the tests on a minimal Debian 12, the
# kind container base images are (debootstrap --variant=minbase: no
# compiler, no make, no C headers), by running .ci/run in a chroot.
#
#   sudo scripts/minimal-debian-check.sh [TARGET] [MIRROR]
#
#   TARGET  working folder, default /var/tmp/minbase. It holds
#             base/      the pristine minbase system, made once and reused
#             root/      a copy of base/, made afresh on every run (so each
#                        run starts minimal), with the clone in root/src
#             last-run.log
#   MIRROR  Debian mirror for debootstrap and for apt inside the chroot,
#           default: the first Debian URI in this machine's apt sources,
#           else http://deb.debian.org/debian.
#
# Root only (debootstrap, mount, chroot); installs debootstrap if missing.
# The clone is of the committed HEAD of the repository holding this script:
# uncommitted changes are not checked. Inside the chroot it runs `.ci/run`,
# as CI does on a bare machine (it installs what `make test` needs, then
# runs `make test`), and then `make run` until it serves. /proc, /dev, /dev/pts, /dev/shm and /sys are mounted
# into root/ and unmounted on exit, whatever happens; processes left inside
# the chroot are stopped first. Like Debian's container images, the chroot
# has a policy-rc.d that keeps package scripts from starting services (the
# postgresql package would otherwise start a cluster in this machine's
# network namespace). Takes several minutes (packages, build, tests), so it
# is not part of `make test`. Rerunning is safe.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-/var/tmp/minbase}
mirror=${2:-}
if [ -z "$mirror" ]; then
	mirror=$(sh "$here/scripts/debian-mirror.sh")
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "minimal-debian-check: run as root (debootstrap, mount, chroot)" >&2
	exit 1
fi
case "$target" in
/*) ;;
*) target=$(pwd)/$target ;;
esac
base=$target/base
root=$target/root
log=$target/last-run.log
mkdir -p "$target"

# Every mount point at or below root/, deepest first.
mounts_under_root() {
	sh "$here/scripts/chroot-mounts.sh" list "$root"
}

# Processes still running inside the chroot (a PostgreSQL left by a failed
# test, say) would keep the mounts busy: stopped by pid, then unmounted.
cleanup() {
	sh "$here/scripts/chroot-mounts.sh" release "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup # from an earlier run that was killed too hard to clean up

if ! command -v debootstrap >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

if [ ! -f "$base/.fremdrift-minbase" ]; then
	echo "== debootstrap --variant=minbase bookworm $base $mirror"
	rm -rf "$base"
	debootstrap --variant=minbase bookworm "$base" "$mirror" >"$target/debootstrap.log" 2>&1 || {
		tail -n 20 "$target/debootstrap.log" >&2
		exit 1
	}
	touch "$base/.fremdrift-minbase"
fi

echo "== fresh copy of the minimal system in $root"
if [ -n "$(mounts_under_root)" ]; then
	echo "minimal-debian-check: still mounted under $root, not removing it:" >&2
	mounts_under_root >&2
	exit 1
fi
rm -rf --one-file-system "$root"
cp -a "$base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

commit=$(git -C "$here" rev-parse HEAD)
if [ -n "$(git -C "$here" status --porcelain --untracked-files=no)" ]; then
	echo "note: uncommitted changes in $here are not part of the check" >&2
fi
echo "== clone of $here at $commit in /src"
git clone -q --no-checkout "$here" "$root/src"
git -C "$root/src" checkout -q "$commit"

mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
if mountpoint -q /dev/shm; then
	mount --bind /dev/shm "$root/dev/shm"
fi
mount --bind /sys "$root/sys"

echo "== chroot: cd /src && .ci/run (log in $log)"
start=$(date +%s)
set +e
chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM=dumb LANG=C.UTF-8 \
	/bin/sh -c 'cd /src && .ci/run' >"$log" 2>&1
rc=$?
set -e
end=$(date +%s)
tail -n 5 "$log"
echo "== minimal Debian 12 check: .ci/run exited $rc after $((end - start)) s (commit $commit)"
[ "$rc" -eq 0 ] || exit "$rc"

# `make run` as a newcomer would (deps already there): it must get as far
# as serving, then stop the embedded database on Ctrl-C (SIGINT here).
echo "== chroot: make run until it serves, then Ctrl-C (log in $target/run.log)"
set +e
# shellcheck disable=SC2016 # expanded by the shell inside the chroot
chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM=dumb LANG=C.UTF-8 FREMDRIFT_HTTP=127.0.0.1:18379 \
	/bin/sh -c '
	cd /src
	setsid make run >/tmp/run.log 2>&1 &
	pid=$!
	i=0
	until grep -q "listening on" /tmp/run.log; do
		i=$((i + 1))
		if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
			cat /tmp/run.log
			echo "make run did not get to serving"
			kill -INT "-$pid" 2>/dev/null
			exit 1
		fi
		sleep 1
	done
	kill -INT "-$pid" # its process group, as Ctrl-C does (dash: no --)
	(sleep 60 && kill -KILL "-$pid" && echo "make run ignored Ctrl-C for 60 s") &
	watchdog=$!
	wait "$pid"
	kill "$watchdog" 2>/dev/null
	cat /tmp/run.log
	if sh scripts/pg.sh status var/pg; then
		echo "make run left the embedded database running"
		exit 1
	fi
	echo "make run served, and stopped cleanly"' >"$target/run.log" 2>&1
rc=$?
set -e
tail -n 3 "$target/run.log"
echo "== minimal Debian 12 check: make run exited $rc"
exit "$rc"
