#!/bin/sh
# Checks the package's systemd units with this machine's systemd-analyze:
# `verify` (syntax, dependencies, that ExecStart exists) and `security
# --offline` (the exposure score of each service's hardening). Run by
# `make deb` after the build.
#
#   scripts/deb-units-check.sh DEB
#
# The units are checked inside a copy of the package's files, with this
# machine's own units beside them (for the targets they name), so nothing
# is installed here.
set -eu
deb=${1:?usage: deb-units-check.sh DEB}
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze not found (Debian's systemd): units not checked" >&2
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
units=$(cd "$tmp" && ls lib/systemd/system/fremdrift*)
mkdir -p "$tmp/lib/systemd/system"
cp -an /lib/systemd/system/. "$tmp/lib/systemd/system/"

cd "$tmp"
# Any message at all fails the check: an unknown key is only a warning.
# shellcheck disable=SC2086 # the unit paths have no spaces
if ! systemd-analyze verify --root="$tmp" --man=no $units >verify.out 2>&1 ||
	[ -s verify.out ]; then
	cat verify.out >&2
	echo "deb-units-check.sh: systemd-analyze verify failed" >&2
	exit 1
fi
echo "systemd-analyze verify: $(echo "$units" | sed 's|lib/systemd/system/||' | tr '\n' ' ' | sed 's/ $//'): ok"
for u in $units; do
	case "$u" in *.service) ;; *) continue ;; esac
	systemd-analyze security --offline=true --root="$tmp" --no-pager "$u" 2>&1 |
		sed -n 's/^→ Overall exposure level for /systemd-analyze security: /p'
done
