#!/bin/sh
# The pure files (CPR, pseudonyms, scoring, statistics, the JSON scanner,
# record validation, ...) must not reach libuv or libpq: fails the build if
# any of the given objects needs a symbol of either.
#   scripts/check-purity.sh OBJ...
set -eu
bad=$(nm -u "$@" 2>/dev/null | grep -E ' (uv_|PQ|lo_|pg_)[A-Za-z_]' || true)
if [ -n "$bad" ]; then
	echo "check-purity: a pure file uses libuv or libpq:" >&2
	nm -A -u "$@" | grep -E ' (uv_|PQ|lo_|pg_)[A-Za-z_]' >&2
	exit 1
fi
