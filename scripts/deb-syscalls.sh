#!/bin/sh
# Checks that every system call fremdrift makes is allowed by the
# SystemCallFilter= of the unit that runs it (packaging/systemd/), so the
# hardening cannot kill the service with SIGSYS or fail a call with EPERM
# (docs/packaging.md, "Hardening"). Run by `make deb-test`.
#
#   scripts/deb-syscalls.sh [BIN|DEB]   default build/fremdrift; of a .deb,
#                                       the /usr/bin/fremdrift it holds
#
# In a private cluster (scripts/pg.sh, a temporary folder), under strace:
# migrate and measure refresh (their units' filter), serve answering
# /health, the dashboard API and records over HTTP and stopping on
# SIGTERM, and ingest of a file (fremdrift.service's filter). The allowed
# set is what this machine's systemd-analyze expands the filter to.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/fremdrift}
units=$here/packaging/systemd
for tool in strace systemd-analyze curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "deb-syscalls.sh: no $tool here: system calls not checked" >&2
		exit 0
	fi
done
tmp=$(mktemp -d /tmp/fremdrift-syscalls.XXXXXX)
chmod 755 "$tmp" # the cluster's folder must be reachable by postgres
tracer=""
case "$bin" in
*.deb)
	dpkg-deb -x "$bin" "$tmp/deb"
	bin=$tmp/deb/usr/bin/fremdrift
	;;
*) bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;;
esac

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$tracer" ]; then
		kill "$(pgrep -P "$tracer")" 2>/dev/null || true
	fi
	sh "$here/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A group's system calls, groups within it expanded.
expand() {
	systemd-analyze syscall-filter "$1" 2>/dev/null | sed '1d' |
		awk '$1 !~ /^#/ && NF { print $1 }' | while read -r c; do
		case "$c" in
		@*) expand "$c" ;;
		*) echo "$c" ;;
		esac
	done
}

# UNIT: what its SystemCallFilter= lines allow (an allow list, then the
# groups a ~ line takes away), one name a line, sorted.
allowed() {
	sed -n 's/^SystemCallFilter=//p' "$units/$1" >"$tmp/filter"
	grep -v '^~' "$tmp/filter" | tr ' ' '\n' | while read -r g; do
		expand "$g"
	done | sort -u >"$tmp/allow"
	sed -n 's/^~//p' "$tmp/filter" | tr ' ' '\n' | while read -r g; do
		expand "$g"
	done | sort -u >"$tmp/deny"
	comm -23 "$tmp/allow" "$tmp/deny"
}

# NAME UNIT: the calls strace counted in NAME.strace that UNIT forbids.
judge() {
	awk 'NR > 2 && $NF ~ /^[a-z_0-9]+$/ && $NF != "total" { print $NF }' \
		"$tmp/$1.strace" | sort -u >"$tmp/used"
	allowed "$2" >"$tmp/ok"
	bad=$(comm -23 "$tmp/used" "$tmp/ok" | tr '\n' ' ')
	echo "system calls of $1: $(wc -l <"$tmp/used"), forbidden by $2: ${bad:-none}"
	[ -z "$bad" ]
}

trace() {
	name=$1
	shift
	strace -f -qq -c -o "$tmp/$name.strace" "$@"
}

port=58100
while awk -v p="$(printf '%04X' "$port")" '$4 == "0A" &&
	substr($2, index($2, ":") + 1) == p { f = 1 } END { exit !f }' \
	/proc/net/tcp /proc/net/tcp6 2>/dev/null; do
	port=$((port + 1))
done
sh "$here/scripts/pg.sh" init "$tmp/pg" --fast
sh "$here/scripts/pg.sh" start "$tmp/pg"
export DATABASE_URL="host=$tmp/pg user=fremdrift dbname=fremdrift"
export FREMDRIFT_KEY_FILE="$tmp/fremdrift.key" FREMDRIFT_HTTP="127.0.0.1:$port"
url=http://127.0.0.1:$port

trace migrate "$bin" migrate >/dev/null 2>&1
"$bin" keygen --out "$FREMDRIFT_KEY_FILE" >/dev/null 2>&1
"$bin" synth --citizens 20 --seed 4 >"$tmp/a.ndjson"
"$bin" synth --citizens 5 --seed 5 >"$tmp/b.ndjson"
trace ingest "$bin" ingest --source synth "$tmp/a.ndjson" >/dev/null 2>&1
trace refresh "$bin" measure refresh >/dev/null 2>&1
ingest_token=$("$bin" token create --source synth --role ingest 2>/dev/null)
dash_token=$("$bin" token create --source deb --role dashboard 2>/dev/null)

strace -f -qq -c -o "$tmp/serve.strace" "$bin" serve >"$tmp/serve.log" 2>&1 &
tracer=$!
i=0
until curl -fs "$url/health" >/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 30 ] || { cat "$tmp/serve.log" >&2; exit 1; }
	sleep 1
done
curl -fs -H "Authorization: Bearer $dash_token" "$url/api/v1/dashboard/overview" >/dev/null
curl -fs -H "Authorization: Bearer $ingest_token" -H 'Content-Type: application/x-ndjson' \
	--data-binary @"$tmp/b.ndjson" "$url/api/v1/records" >/dev/null
# SIGTERM to the server (strace's child), as systemctl stop sends it.
kill -TERM "$(pgrep -P "$tracer")"
wait "$tracer"
tracer=""

rc=0
judge migrate fremdrift-migrate.service || rc=1
judge refresh fremdrift-refresh.service || rc=1
judge ingest fremdrift.service || rc=1
judge serve fremdrift.service || rc=1
exit "$rc"
