#!/bin/sh
# Makes sure the Debian packages a make target needs are installed.
#   scripts/deps.sh build|run|test|bench|fuzz|container|deb|deb-test
# As root it installs what is missing; otherwise it prints the exact
# apt-get line and stops.
set -eu
what=${1:-build}
# Named one by one, because packages are installed without recommends and a
# minimal Debian 12 (debootstrap --variant=minbase, container base images)
# has none of them: gcc only recommends libc6-dev (the C headers: without it
# the first compile stops at stdio.h); binutils gives ar and nm (the build
# and scripts/check-purity.sh); util-linux gives runuser (scripts/pg.sh, as
# root). initdb's --locale=C.UTF-8 is built into Debian's libc, so no
# locales package is needed.
pkgs="gcc libc6-dev binutils make pkg-config util-linux libuv1-dev libpq-dev
libssl-dev libjansson-dev libhttp-parser-dev libcsv-dev libcmocka-dev
postgresql-15 postgresql-client-15 openssl"
browser="chromium fonts-dejavu-core"
# Node and npm run the browser tests. Debian's nodejs (18) and npm when
# there are none: a machine with Node from elsewhere (nodesource's nodejs
# carries its own npm, which Debian's npm package would conflict with)
# keeps its own.
command -v node >/dev/null 2>&1 || browser="$browser nodejs"
command -v npm >/dev/null 2>&1 || browser="$browser npm"
case "$what" in
build|run) ;;
# pmccabe: scripts/complexity.sh, the complexity check of `make test`.
# python3-pandas: test_extract runs the Python loader every extract ships
# (R's, r-base-core, is run when present but not installed: it is large).
# chromium, fonts-dejavu-core: the browser tests (tests/browser) drive
# Debian's Chromium; minbase has no font at all, and without one Chromium
# draws no text (fontconfig-config would pick this one too). The npm
# packages (package.json) are installed by `make` with `npm ci`.
test) pkgs="$pkgs pmccabe python3-pandas $browser" ;;
# The page weight, slow-3G load time and screenshots run the same browser.
bench) pkgs="$pkgs wrk curl time python3-aiohttp python3-asyncpg $browser" ;;
fuzz) pkgs="$pkgs clang-14 libclang-rt-14-dev" ;;
# make container-test (scripts/container-test.sh): Debian's podman, as
# root, with runc (crun fails on these machines; podman takes either and
# would pick crun), netavark and aardvark-dns (the compose network and its
# names; iptables for its rules), podman-compose, debootstrap for the
# Debian 12 base image (no image registry is reachable), uidmap (podman's
# recommends, for rootless use), curl for the requests through nginx.
container) pkgs="$pkgs podman podman-compose runc netavark aardvark-dns iptables
uidmap debootstrap curl" ;;
# `make deb`: the service's build dependencies (debian/control, without
# cmocka and PostgreSQL's server, which only the tests use), Debian's
# packaging tools and lintian, which checks the result.
deb | deb-test)
	pkgs="gcc libc6-dev binutils make pkg-config libuv1-dev libpq-dev
libssl-dev libjansson-dev libhttp-parser-dev libcsv-dev dpkg-dev debhelper
lintian"
	# `make deb-test` makes a minimal Debian 12 chroot to install it in,
	# and first traces the packaged binary's system calls against the
	# units' filters in a private cluster (scripts/deb-syscalls.sh).
	[ "$what" = deb ] || pkgs="$pkgs debootstrap strace curl postgresql-15 systemd"
	;;
*) echo "usage: $0 build|run|test|bench|fuzz|container|deb|deb-test" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "fremdrift needs these Debian packages:$missing" >&2
	echo "Install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
