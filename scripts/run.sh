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

embedded=0
[ -n "${DATABASE_URL:-}" ] || embedded=1
cleanup() {
	if [ "$embedded" = 1 ]; then
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

# Demo data, once: synthetic courses so the dashboards have something to
# show. FREMDRIFT_DEMO=0 skips it (do that for real data).
if [ "${FREMDRIFT_DEMO:-1}" != 0 ] && [ ! -f "$var/demo-loaded" ]; then
	echo "loading demo data (synthetic citizens; FREMDRIFT_DEMO=0 skips this)" >&2
	"$bin" synth --citizens "${FREMDRIFT_DEMO_CITIZENS:-2000}" --seed 1 >"$var/demo.ndjson"
	"$bin" ingest --source synth "$var/demo.ndjson" && touch "$var/demo-loaded"
	# One course that is still running, for the demo's links (issue 15):
	# the database holds course keys only as pseudonyms, so the key is
	# kept here.
	grep '"type":"course_started"' "$var/demo.ndjson" |
		sed 's/.*"course":"\([^"]*\)".*/\1/' | sort -u >"$var/started.tmp"
	grep '"type":"course_ended"' "$var/demo.ndjson" |
		sed 's/.*"course":"\([^"]*\)".*/\1/' | sort -u >"$var/ended.tmp"
	comm -23 "$var/started.tmp" "$var/ended.tmp" | head -n 1 >"$var/demo-course"
	rm -f "$var/demo.ndjson" "$var/started.tmp" "$var/ended.tmp"
fi
# Progression, reliability and course facts for the dashboards.
"$bin" measure refresh >/dev/null 2>&1 || echo "measure refresh failed" >&2

# A local ingest token to try the API with, made once, kept in var/.
if [ ! -f "$var/ingest.token" ]; then
	(umask 077 && "$bin" token create --source local --role ingest >"$var/ingest.token" 2>/dev/null) ||
		rm -f "$var/ingest.token"
fi
if [ ! -f "$var/dashboard.token" ]; then
	(umask 077 && "$bin" token create --source local --role dashboard >"$var/dashboard.token" 2>/dev/null) ||
		rm -f "$var/dashboard.token"
fi
if [ -f "$var/dashboard.token" ]; then
	echo "the leadership page: open http://${FREMDRIFT_HTTP:-127.0.0.1:8080}/dashboard and sign in with the token in $var/dashboard.token:"
	echo "  cat $var/dashboard.token"
	echo "the same figures as JSON:" >&2
	echo "  curl -H \"Authorization: Bearer \$(cat $var/dashboard.token)\" http://${FREMDRIFT_HTTP:-127.0.0.1:8080}/api/v1/dashboard/mix" >&2
fi
if [ -f "$var/ingest.token" ]; then
	echo "an ingest token for trying the API is in $var/ingest.token:" >&2
	echo "  curl -H \"Authorization: Bearer \$(cat $var/ingest.token)\" -H 'Content-Type: application/x-ndjson' --data-binary @records.ndjson http://${FREMDRIFT_HTTP:-127.0.0.1:8080}/api/v1/records" >&2
fi
# A citizen's and a consultant's link for a running demo course, as a
# case system would get them from POST /api/v1/invitations.
if [ -s "$var/demo-course" ]; then
	course=$(cat "$var/demo-course")
	citizen=$("$bin" invite --course "$course" --respondent citizen) || citizen=""
	consultant=$("$bin" invite --course "$course" --respondent consultant) || consultant=""
	if [ -n "$citizen" ] && [ -n "$consultant" ]; then
		echo "links for the running demo course $course (fremdrift invite):"
		echo "  citizen:    $citizen"
		echo "  consultant: $consultant"
		echo "  the rounds due: $bin invite --due"
	fi
fi
# The server connects as the service's own login, a member of
# fremdrift_service that can write records and read what it serves, not
# as the owner (docs/operations.md, "Database roles"). With a server of
# your own (DATABASE_URL), make that login as the docs say and point
# DATABASE_URL at it for serve.
if [ "$embedded" = 1 ]; then
	psql -X -q -v ON_ERROR_STOP=1 "host=$var/pg user=fremdrift dbname=fremdrift" -c "
		DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fremdrift_app')
		THEN CREATE ROLE fremdrift_app LOGIN; END IF; END \$\$;
		GRANT fremdrift_service TO fremdrift_app" &&
		export DATABASE_URL="host=$var/pg user=fremdrift_app dbname=fremdrift"
fi
"$bin" serve
