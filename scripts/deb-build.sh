#!/bin/sh
# `make deb`: builds the Debian package with Debian's own tools
# (dpkg-buildpackage, debhelper) and checks it with lintian.
#
#   scripts/deb-build.sh [OUT]      OUT default build/deb
#
# The version is debian/changelog's (the one place it is kept). The build
# runs in a copy of the source, OUT/src/fremdrift-VERSION, because
# dpkg-buildpackage writes its results next to the source folder; the copy
# holds the files git knows (tracked, or new and not ignored), so var/
# (keys, tokens, the embedded database), build*/ and node_modules/ never
# reach it. Results in OUT: fremdrift_VERSION_ARCH.deb, its -dbgsym .ddeb,
# .buildinfo and .changes, build.log and lintian.txt.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
src=$out/src/fremdrift-$version
deb=$out/fremdrift_${version}_$arch.deb

# The source files, as git sees them, less anything secret by its name.
source_files() {
	if git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$here" ls-files -z --cached --others --exclude-standard |
			tr '\0' '\n' |
			grep -Ev '^(var|build[^/]*|node_modules|docker/secrets)/|\.(key|token)$'
	else
		echo "deb-build.sh: $here is not a git checkout" >&2
		exit 1
	fi
}

rm -rf "$out/src"
mkdir -p "$src"
source_files | (cd "$here" && tar --ignore-failed-read --verbatim-files-from \
	-T - -cf -) | tar -xf - -C "$src"

echo "building $deb (log in $out/build.log)"
start=$(date +%s)
(cd "$src" && dpkg-buildpackage -b -uc -us -jauto) >"$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2
	echo "deb-build.sh: dpkg-buildpackage failed (log in $out/build.log)" >&2
	exit 1
}
rm -f "$out"/fremdrift_*.deb "$out"/fremdrift-dbgsym_*.ddeb \
	"$out"/fremdrift_*.buildinfo "$out"/fremdrift_*.changes
mv "$out"/src/fremdrift_"$version"* "$out"/src/fremdrift-dbgsym_"$version"* "$out"/
rm -rf "$out/src"
echo "built $deb in $(($(date +%s) - start)) s"

# lintian: errors and warnings fail the build; what is left (info, pedantic)
# is listed, and docs/packaging.md explains each override. (As root it
# also says that root is not recommended: left out.)
rc=0
lintian --info --display-info --pedantic --fail-on error,warning \
	"$out/fremdrift_${version}_$arch.changes" >"$out/lintian.raw" 2>&1 || rc=$?
grep -v 'running with root privileges' "$out/lintian.raw" >"$out/lintian.txt" || true
rm -f "$out/lintian.raw"
if [ "$rc" -ne 0 ]; then
	cat "$out/lintian.txt" >&2
	echo "deb-build.sh: lintian found errors or warnings (exit $rc)" >&2
	exit 1
fi
if [ -s "$out/lintian.txt" ]; then
	echo "lintian (no errors, no warnings):"
	sed 's/^/  /' "$out/lintian.txt"
else
	echo "lintian --pedantic: clean"
fi
