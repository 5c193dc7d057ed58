#!/bin/sh
# `make test`: every unit test, then every integration test against a
# throwaway PostgreSQL cluster in a temporary folder (Unix socket only),
# then the browser tests (tests/browser: Chromium on the pages of a real
# `fremdrift serve`, against the same cluster).
# Prints each cmocka summary (the browser tests' TAP) and a final
# "N passed, N failed" line; exits non-zero if anything failed.
#   scripts/test.sh BUILD [unit|integration|browser|all]
# FREMDRIFT_TEST_ONLY=PATTERN runs only the suites whose file name matches
# the shell pattern (for example 'test_extract*' or 'axe*'), while working
# on one.
set -u
build=${1:?usage: test.sh BUILD [unit|integration|browser|all]}
what=${2:-all}
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)

passed=0
failed=0
log=$(mktemp)

run_suite() {
	suite=$1
	case "$(basename "$suite")" in
	${FREMDRIFT_TEST_ONLY:-*}) ;;
	*) return 0 ;;
	esac
	echo "== $(basename "$suite")"
	"$suite" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -o '\[  PASSED  \] [0-9]* test' "$log" | grep -o '[0-9][0-9]*' | tail -n 1)
	f=$(grep -o '\[  FAILED  \] [0-9]* test' "$log" | grep -o '[0-9][0-9]*' | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# Crashed or refused to run: count the suite itself as a failure.
		echo "!! $(basename "$suite") exited with $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	# No function grows past the complexity cutoff (scripts/complexity.sh).
	echo "== complexity"
	if sh "$here/scripts/complexity.sh"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	for t in "$build"/tests/unit/test_*; do
		[ -x "$t" ] && run_suite "$t"
	done
	# Every fuzz target over its seed corpus (the fuzzing itself is
	# `make fuzz`): each target that runs all its seeds counts as a test.
	for t in "$build"/tests/fuzz/*-replay; do
		[ -x "$t" ] || continue
		name=$(basename "$t" -replay)
		echo "== $name (seed corpus)"
		if "$t" "$here"/tests/fuzz/corpus/"$name"/*; then
			passed=$((passed + 1))
		else
			echo "!! $name crashed on its seed corpus"
			failed=$((failed + 1))
		fi
	done
fi

# One browser test file (node:test, TAP out): its "# pass N" and
# "# fail N" lines are the counts.
run_browser() {
	file=$1
	case "$(basename "$file")" in
	${FREMDRIFT_TEST_ONLY:-*}) ;;
	*) return 0 ;;
	esac
	echo "== browser/$(basename "$file" .test.mjs)"
	node --test --test-reporter=tap "$file" >"$log" 2>&1
	rc=$?
	# The TAP without its YAML noise on success; all of it on failure.
	if [ "$rc" -eq 0 ]; then
		grep -E '^(ok|not ok|# (pass|fail))' "$log"
	else
		cat "$log"
	fi
	p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! browser/$(basename "$file") exited with $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

if [ "$what" = all ] || [ "$what" = integration ] || [ "$what" = browser ]; then
	pgdir=$(mktemp -d /tmp/fremdrift-pg.XXXXXX)
	scratch=$(mktemp -d /tmp/fremdrift-test.XXXXXX)
	cleanup() {
		sh "$here/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
		rm -rf "$pgdir" "$scratch"
	}
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if sh "$here/scripts/pg.sh" init "$pgdir" --fast &&
		sh "$here/scripts/pg.sh" start "$pgdir"; then
		export FREMDRIFT_TEST_PGDIR="$pgdir"
		export FREMDRIFT_BIN="$build/fremdrift"
		export FREMDRIFT_SCRIPTS="$here/scripts"
		export FREMDRIFT_TEST_TMP="$scratch"
		export DATABASE_URL="host=$pgdir user=fremdrift dbname=fremdrift"
		if [ "$what" != browser ]; then
			for t in "$build"/tests/integration/test_*; do
				[ -x "$t" ] && case "$t" in *.o|*.d) continue ;; esac && run_suite "$t"
			done
		fi
		if [ "$what" != integration ]; then
			for t in "$here"/tests/browser/*.test.mjs; do
				run_browser "$t"
			done
		fi
	else
		echo "!! could not start the test PostgreSQL cluster"
		failed=$((failed + 1))
	fi
fi

rm -f "$log"
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
