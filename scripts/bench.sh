#!/bin/sh
# `make bench`: the figures in docs/benchmarks.md. Never run by `make test`
# (speed is not asserted; machines differ).
#   scripts/bench.sh BUILD [pseudonym|all]
set -eu
build=$(cd "${1:?usage: bench.sh BUILD}" && pwd)
what=${2:-all}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/fremdrift-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bin="$build/fremdrift"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m); $(date -u +%Y-%m-%d)"

if [ "$what" = all ] || [ "$what" = pseudonym ]; then
	echo
	echo "## pseudonyms"
	"$build/tests/bench/bench_pseudonym" 5000000
	# A million replacement-style numbers (day + 60): never a real person.
	awk 'BEGIN { for (i = 0; i < 1000000; i++)
		printf "%02d%02d%02d-%04d\n", 61 + i % 28, 1 + int(i / 28) % 12,
			58 + int(i / 336) % 40, i % 10000 }' >"$work/cpr.txt"
	"$bin" keygen --out "$work/bench.key" >/dev/null 2>&1
	t0=$(now)
	rc=0
	"$bin" pseudonym --key "$work/bench.key" <"$work/cpr.txt" >"$work/pseud.txt" || rc=$?
	[ "$rc" -eq 0 ] || echo "(fremdrift pseudonym exited $rc: $(grep -c "^error" "$work/pseud.txt") error lines)"
	t1=$(now)
	lines=$(wc -l <"$work/pseud.txt")
	echo "fremdrift pseudonym: $lines lines in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s = $(rate "$lines" "$t0" "$t1") lines/s (stdin to stdout, one core)"
fi
