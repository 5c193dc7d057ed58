#!/bin/sh
# Makes sure the Debian packages a make target needs are installed.
#   scripts/deps.sh build|run|test|bench|fuzz
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
case "$what" in
build|run) ;;
# pmccabe: scripts/complexity.sh, the complexity check of `make test`.
# python3-pandas: test_extract runs the Python loader every extract ships
# (R's, r-base-core, is run when present but not installed: it is large).
test) pkgs="$pkgs pmccabe python3-pandas" ;;
bench) pkgs="$pkgs wrk curl time" ;;
fuzz) pkgs="$pkgs clang-14 libclang-rt-14-dev" ;;
*) echo "usage: $0 build|run|test|bench|fuzz" >&2; exit 2 ;;
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
