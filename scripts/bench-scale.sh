#!/bin/sh
# How cost grows, and steadiness under mixed load (issue 19). Part of
# `make bench`; never run by `make test` (speed is not asserted).
#
#   scripts/bench-scale.sh BUILD growth   ingest, refresh, extract, dashboard
#                                         p95 and peak memory at each size of
#                                         FREMDRIFT_GROWTH_SIZES (courses;
#                                         default 30000 100000 300000 1000000),
#                                         each in a fresh cluster; writes
#                                         docs/growth.tsv and docs/img/growth.svg
#   scripts/bench-scale.sh BUILD mixed    300,000 courses, then a second
#                                         `measure refresh` while the records
#                                         API, the leadership page and the
#                                         citizen's pages are in use
#
# FREMDRIFT_MIXED_RATE=N paces the records API's load at about N records
# a second (default: as fast as it is answered).
# FREMDRIFT_MIXED_PAGE_RATE=N: each of the four kinds of page call
# (leadership page, dashboard API, question page, progress page) N times a
# second (default 5: 20 page calls a second, 72,000 an hour, pages in use
# by many more people than a provider has); 0: each as fast as it is
# answered, which with wrk fills both cores before the refresh starts.
# FREMDRIFT_MIXED_REWRITE=1 empties the course facts and progression
# before the measured refresh, so that it writes them all again (the worst
# case; by default it writes what changed: the records posted before it).
# FREMDRIFT_GROWTH_MIXED=1 runs the mixed load inside `growth` at the size
# of 300,000 (or FREMDRIFT_MIXED_AT; saves building that database twice). FREMDRIFT_GROWTH_OUT
# (default docs/) is where the table and the plot go.
set -eu
build=$(cd "${1:?usage: bench-scale.sh BUILD growth|mixed}" && pwd)
what=${2:-growth}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${FREMDRIFT_BENCH_TMP:-/var/tmp}/fremdrift-scale.XXXXXX")
chmod 755 "$work"
bin="$build/fremdrift"
pgdir=""
stop_all() {
	[ -n "$pgdir" ] && sh "$here/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null
	rm -rf "$work"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

"$bin" keygen --out "$work/bench.key" >/dev/null 2>&1
export FREMDRIFT_KEY_FILE="$work/bench.key"

# A fresh cluster for one size, migrated, as scripts/pg.sh makes it
# (fsync and synchronous commit on).
fresh_cluster() {
	pgdir="$work/pg-$1"
	sh "$here/scripts/pg.sh" init "$pgdir" >/dev/null
	sh "$here/scripts/pg.sh" start "$pgdir" >/dev/null
	export DATABASE_URL="host=$pgdir user=fremdrift dbname=fremdrift"
	"$bin" migrate >/dev/null 2>&1
}
drop_cluster() {
	sh "$here/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
	rm -rf "$pgdir"
	pgdir=""
}
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }

# The largest resident set of any one PostgreSQL process while a command
# runs (VmHWM of this cluster's postmaster and its children, sampled
# each half second: a backend's private memory plus
# the shared buffers it touched), in KB, written to $work/pgpeak.
pg_peak_start() {
	(
		peak=0
		while :; do
			pm=$(head -n 1 "$pgdir/data/postmaster.pid" 2>/dev/null || true)
			for p in $pm $(pgrep -P "${pm:-1}" 2>/dev/null); do
				v=$(awk '/^VmHWM/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
				[ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
			done
			echo "$peak" >"$work/pgpeak.tmp" && mv "$work/pgpeak.tmp" "$work/pgpeak"
			sleep 0.5
		done
	) &
	peakpid=$!
}
pg_peak_stop() {
	kill "$peakpid" 2>/dev/null || true
	wait "$peakpid" 2>/dev/null || true
	cat "$work/pgpeak" 2>/dev/null || echo 0
}

# Runs a fremdrift command under /usr/bin/time; sets t_secs, t_kb and
# t_pgkb (the largest PostgreSQL process meanwhile).
timed() {
	pg_peak_start
	t0=$(now)
	/usr/bin/time -f "%M" -o "$work/time.txt" "$@"
	t1=$(now)
	t_pgkb=$(pg_peak_stop)
	t_secs=$(secs "$t0" "$t1")
	t_kb=$(tail -n 1 "$work/time.txt")
}

serve_start() {
	port=$1
	# All the load comes from one address here (wrk's 64 connections and
	# the pages beside them): more than the per-client default of 64.
	FREMDRIFT_HTTP_MAX_PER_CLIENT=256 FREMDRIFT_HTTP=127.0.0.1:$port "$bin" serve >/dev/null 2>"$work/serve.log" &
	spid=$!
	for _ in $(seq 40); do
		curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	echo "serve did not become ready:" >&2
	cat "$work/serve.log" >&2
	return 1
}
serve_stop() {
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	spid=""
}

# Every dashboard view in three shapes (the whole release, one department
# and target group, one quarter), $1 calls each; prints the p95 over all
# of them in ms, and the calls not answered 200 on stderr.
dash_p95() {
	for view in overview progression subgoals company mix paid_hours belief exits followups; do
		for q in "" "?department=aarhus&target_group=sick_listed" "?period=2025-Q1"; do
			for _ in $(seq "$1"); do
				curl -s -o /dev/null -w '%{time_total} %{http_code}\n' \
					-H "Authorization: Bearer $dtoken" \
					"http://127.0.0.1:$port/api/v1/dashboard/$view$q"
			done
		done
	done | sort -n | awk '{ t[NR] = $1; if ($2 != 200) bad++ } END {
		if (bad) printf "dashboard: %d calls not answered 200\n", bad > "/dev/stderr"
		printf "%.1f", t[int(NR * 0.95 + 0.5)] * 1000 }'
}

# synth, ingest, VACUUM ANALYZE, refresh: a database of about $1 courses
# in a fresh cluster. 280,000 citizens made 300,548 courses (one in ten
# comes back), so citizens = courses x 0.9317.
build_db() {
	courses=$1
	citizens=$(awk -v c="$courses" 'BEGIN { printf "%d", c * 280000 / 300548 + 0.5 }')
	fresh_cluster "$courses"
	"$bin" synth --citizens "$citizens" --seed 21 >"$work/in.ndjson"
	records=$(wc -l <"$work/in.ndjson")
	timed "$bin" ingest "$work/in.ndjson" 2>"$work/ingest.log"
	rm -f "$work/in.ndjson"
	ingest_s=$t_secs ingest_kb=$t_kb ingest_pg=$t_pgkb
	psql_ -c "VACUUM ANALYZE" >/dev/null
	real=$(psql_ -At -c "SELECT count(DISTINCT course) FROM fremdrift.responses")
	timed "$bin" measure refresh 2>"$work/refresh.log"
	refresh_s=$t_secs refresh_kb=$t_kb refresh_pg=$t_pgkb
	echo "  $real courses, $records records: ingest $ingest_s s ($(mb "$ingest_kb") MB), refresh $refresh_s s ($(mb "$refresh_kb") MB)"
	sed 's/^/    /' "$work/refresh.log"
}

one_size() {
	echo
	echo "### about $1 courses"
	build_db "$1"
	psql_ -c "ANALYZE" >/dev/null
	timed "$bin" extract --project bench --out "$work/extract" >"$work/extract.log" 2>&1 ||
		sed 's/^/    extract: /' "$work/extract.log"
	extract_s=$t_secs extract_kb=$t_kb extract_pg=$t_pgkb
	extract_mb=$(du -sm "$work/extract" | awk '{ print $1 }')
	rm -rf "$work/extract"
	dtoken=$("$bin" token create --source bench --role dashboard 2>/dev/null)
	serve_start 18091
	p95=$(dash_p95 "${FREMDRIFT_BENCH_CALLS:-5}")
	serve_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$spid/status")
	serve_stop
	db_mb=$(psql_ -At -c "SELECT pg_database_size(current_database()) / 1048576")
	pgmax=$(printf '%s\n' "$ingest_pg" "$refresh_pg" "$extract_pg" | sort -n | tail -n 1)
	echo "  extract $extract_s s ($(mb "$extract_kb") MB, $extract_mb MB of files), dashboard p95 $p95 ms (serve $(mb "$serve_kb") MB), database $db_mb MB, largest PostgreSQL process $(mb "$pgmax") MB"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$real" "$records" \
		"$ingest_s" "$(mb "$ingest_kb")" "$refresh_s" "$(mb "$refresh_kb")" \
		"$extract_s" "$(mb "$extract_kb")" "$p95" "$(mb "$serve_kb")" \
		"$(mb "$pgmax")" "$db_mb" >>"$work/growth.tsv"
	if [ "$1" = "${FREMDRIFT_MIXED_AT:-300000}" ] && [ "${FREMDRIFT_GROWTH_MIXED:-0}" = 1 ]; then
		mixed_load
	fi
	drop_cluster
}

# A second refresh while the records API takes single-record POSTs (wrk,
# 64 connections, in 10 s slices so the refresh's own slices show), and
# the leadership page and a citizen's pages are read in a loop
# (tests/browser/mixedload.mjs, plain HTTP). Meanwhile pg_stat_activity
# is sampled for any of the server's sessions waiting on a lock.
mixed_load() {
	echo
	page_rate=${FREMDRIFT_MIXED_PAGE_RATE:-5}
	echo "### mixed load: measure refresh at $real courses with the pages in use ($([ "$page_rate" = 0 ] && echo "each kind of page call as fast as answered" || echo "$page_rate calls a second of each of the four kinds"))"
	itoken=$("$bin" token create --source bench --role ingest 2>/dev/null)
	dtoken=$("$bin" token create --source bench --role dashboard 2>/dev/null)
	link=$(FREMDRIFT_PUBLIC_URL=http://127.0.0.1:18092 "$bin" invite --course S21-K7 --respondent citizen 2>"$work/invite.log" | tail -n 1)
	case "$link" in
	http*) ;;
	*) echo "  (fremdrift invite: $(cat "$work/invite.log"))" ;;
	esac
	serve_start 18092
	# Lock waits of the server's sessions (the service role's login).
	(
		while :; do
			psql_ -At -F ' | ' -c "SELECT now()::time(1), left(regexp_replace(query, '\\s+', ' ', 'g'), 70) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND wait_event_type = 'Lock'" 2>/dev/null
			sleep 0.2
		done
	) >"$work/lockwaits.txt" &
	lwpid=$!
	FREMDRIFT_MIX_URL=http://127.0.0.1:18092 FREMDRIFT_MIX_TOKEN=$dtoken FREMDRIFT_MIX_LINK=$link \
		FREMDRIFT_MIX_PAGE_RATE=$page_rate node "$here/tests/browser/mixedload.mjs" >"$work/pages.txt" 2>&1 &
	mpid=$!
	# FREMDRIFT_MIXED_RATE (records/s): each of the 64 connections waits
	# 64,000 / rate ms between its requests, instead of wrk's closed loop
	# (as fast as answered).
	pause=""
	[ -n "${FREMDRIFT_MIXED_RATE:-}" ] && pause=$((64000 / FREMDRIFT_MIXED_RATE))
	slice() { # $1: label; the refresh's slices keep their latencies
		lat=""
		case "$1" in during*) lat="$work/lat-during.txt" ;; esac
		FREMDRIFT_BENCH_LATENCY_FILE=$lat FREMDRIFT_BENCH_DELAY_MS=$pause FREMDRIFT_BENCH_TOKEN=$itoken wrk -t2 -c64 -d10s --latency -s "$here/scripts/bench-post.lua" \
			"http://127.0.0.1:18092/api/v1/records" >"$work/wrk.txt" 2>&1 || true
		awk -v l="$1" '/Requests\/sec/ { r = $2 } / 50%/ { p50 = $2 } / 99%/ { p99 = $2 }
			/requests in/ { n = $1 } /Non-2xx/ { bad = $NF }
			END { printf "  %-18s %8.0f records/s  p50 %8s  p99 %8s  %d requests%s\n", l, r, p50, p99, n, bad ? ", non-2xx " bad : "" }' \
			"$work/wrk.txt" | tee -a "$work/slices.txt"
	}
	# The largest p99 of the slices whose label starts with $1, in ms.
	worst() {
		awk -v l="$1" 'index($0, "  " l) == 1 { for (i = 1; i < NF; i++) if ($i == "p99") u = $(i + 1)
			v = u + 0; if (u ~ /us$/) v /= 1000; else if (u !~ /ms$/) v *= 1000
			if (v > m) m = v } END { printf "%.1f ms", m }' "$work/slices.txt"
	}
	: >"$work/slices.txt"
	: >"$work/lat-during.txt"
	slice "before refresh"
	if [ "${FREMDRIFT_MIXED_REWRITE:-0}" = 1 ]; then
		# The worst case: every course's facts and progression written
		# again, as by the first refresh or after a catalogue change.
		psql_ -c "TRUNCATE fremdrift.progression, fremdrift.courses"
	fi
	wal0=$(psql_ -At -c "SELECT pg_current_wal_lsn()")
	tmp0=$(psql_ -At -c "SELECT sum(temp_bytes) FROM pg_stat_database")
	t0=$(now)
	"$bin" measure refresh 2>"$work/refresh2.log" &
	rpid=$!
	i=0
	while kill -0 "$rpid" 2>/dev/null; do
		i=$((i + 1))
		slice "during refresh $i"
	done
	wait "$rpid" || echo "  (measure refresh failed: $(tail -n 1 "$work/refresh2.log"))"
	t1=$(now)
	slice "after refresh"
	kill "$mpid" "$lwpid" 2>/dev/null || true
	wait "$mpid" 2>/dev/null || true
	wait "$lwpid" 2>/dev/null || true
	echo "  refresh under load: $(secs "$t0" "$t1") s; it wrote $(psql_ -At -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$wal0') / 1e6)") MB of write-ahead log and $(psql_ -At -c "SELECT round((sum(temp_bytes) - $tmp0) / 1e6) FROM pg_stat_database") MB of temporary files"
	sed 's/^/    /' "$work/refresh2.log"
	sed 's/^/  /' "$work/pages.txt"
	echo "  sessions seen waiting on a lock (5 samples a second; by statement): $(wc -l <"$work/lockwaits.txt")"
	cut -d '|' -f 2- "$work/lockwaits.txt" | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/    /'
	echo "  records API p99, worst 10 s slice: before $(worst before), during the refresh $(worst during), after $(worst after)"
	echo "  records API during the refresh, every slice's requests as one: $(awk -v lim=50000 -f "$here/scripts/latency-merge.awk" "$work/lat-during.txt")"
	stored=$(psql_ -At -c "SELECT count(*) FROM fremdrift.events WHERE source = 'bench'")
	echo "  stored by the records API: $stored of $(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^requests/) n += $(i - 1) } END { print n }' "$work/slices.txt") requests answered (non-2xx above)"
	serve_stop
}

rm -f "$work/growth.tsv"
case "$what" in
growth)
	out=${FREMDRIFT_GROWTH_OUT:-$here/docs}
	echo "## how cost grows (issue 19)"
	for n in ${FREMDRIFT_GROWTH_SIZES:-30000 100000 300000 1000000}; do
		one_size "$n"
	done
	{
		printf 'courses\trecords\tingest_s\tingest_mb\trefresh_s\trefresh_mb\textract_s\textract_mb\tdash_p95_ms\tserve_mb\tpg_peak_mb\tdb_mb\n'
		cat "$work/growth.tsv"
	} >"$out/growth.tsv"
	mkdir -p "$out/img"
	node "$here/scripts/plot-growth.mjs" "$out/growth.tsv" "$out/img/growth.svg"
	echo
	column -t "$out/growth.tsv" 2>/dev/null || cat "$out/growth.tsv"
	echo "table: $out/growth.tsv, plot: $out/img/growth.svg"
	;;
mixed)
	echo "## mixed load (issue 19)"
	build_db 300000
	mixed_load
	drop_cluster
	;;
*)
	echo "usage: bench-scale.sh BUILD growth|mixed" >&2
	exit 2
	;;
esac
