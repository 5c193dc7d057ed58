#!/bin/sh
# `make run`: the embedded database (unless DATABASE_URL is set), migrations,
# a key file, then `fremdrift serve` until Ctrl-C, which stops both.
set -eu
bin=${1:?usage: run.sh BIN}
here=$(cd "$(dirname "$0")/.." && pwd)

var=${FREMDRIFT_VAR:-$here/var}
mkdir -p "$var"
var=$(cd "$var" && pwd)
export FREMDRIFT_VAR="$var"

cleanup() {
	if [ -z "${DATABASE_URL:-}" ]; then
		echo "stopping the embedded database" >&2
		sh "$here/scripts/pg.sh" stop "$var/pg" || true
	fi
}

if [ -z "${DATABASE_URL:-}" ]; then
	echo "embedded database in $var/pg (set DATABASE_URL to use another)" >&2
	sh "$here/scripts/pg.sh" init "$var/pg"
	sh "$here/scripts/pg.sh" start "$var/pg"
	trap cleanup EXIT
	trap 'exit 0' INT TERM
fi

"$bin" migrate
key=${FREMDRIFT_KEY_FILE:-$var/fremdrift.key}
if [ ! -f "$key" ]; then
	"$bin" keygen --out "$key" >/dev/null
fi
export FREMDRIFT_KEY_FILE="$key"
"$bin" serve
