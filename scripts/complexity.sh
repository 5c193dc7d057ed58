#!/bin/sh
# The complexity check of `make test`: no function may grow past a cutoff of
# modified cyclomatic complexity (pmccabe's first column, where a whole
# switch counts as one decision), as curl's scripts/top-complexity does.
#
#   scripts/complexity.sh            every .c file of the repository outside
#                                    tests/, build*/ and var/
#   scripts/complexity.sh FILE...    only these files
#
# Prints each function over the cutoff as
#   FILE:LINE FUNCTION complexity N (cutoff 25)
# then one summary line; exits 1 if any function not exempted is over the
# cutoff, 2 if pmccabe is missing or fails, else 0.
# Exemptions live in scripts/complexity-exempt, one `FILE FUNCTION REASON`
# a line; keep that list short and give a reason a reviewer can judge.
# FREMDRIFT_COMPLEXITY_CUTOFF overrides the cutoff (to see what is close).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cutoff=${FREMDRIFT_COMPLEXITY_CUTOFF:-25}
exempt=$here/scripts/complexity-exempt

if ! command -v pmccabe >/dev/null 2>&1; then
	echo "complexity: pmccabe is not installed (sh scripts/deps.sh test, or apt-get install pmccabe)" >&2
	exit 2
fi

list=$(mktemp)
out=$(mktemp)
trap 'rm -f "$list" "$out"' EXIT
if [ "$#" -gt 0 ]; then
	printf '%s\n' "$@" >"$list"
else
	cd "$here"
	find . \( -path ./tests -o -path './build*' -o -path ./var -o -path ./.git \
		-o -name node_modules \) -prune -o -type f -name '*.c' -print |
		sed 's|^\./||' | sort >"$list"
fi
if [ ! -s "$list" ]; then
	echo "complexity: no .c files to check" >&2
	exit 2
fi

# pmccabe prints: modified, traditional, statements, first line, lines,
# "FILE(LINE): FUNCTION", tab-separated.
if ! tr '\n' '\0' <"$list" | xargs -0 pmccabe >"$out"; then
	echo "complexity: pmccabe failed" >&2
	exit 2
fi

files=$(wc -l <"$list")
awk -v cutoff="$cutoff" -v files="$files" -v exempt="$exempt" '
BEGIN {
	FS = "\t"
	while ((getline line < exempt) > 0) {
		if (line ~ /^[ \t]*(#|$)/)
			continue
		n = split(line, f, /[ \t]+/)
		if (n < 2)
			continue
		sub(/^\.\//, "", f[1])
		ex[f[1] " " f[2]] = 1
	}
}
{
	where = $6
	fn = where
	sub(/^.*\): /, "", fn)
	file = where
	sub(/\([0-9]+\): .*$/, "", file)
	sub(/^\.\//, "", file)
	line = where
	sub(/^.*\(/, "", line)
	sub(/\).*$/, "", line)
	funcs++
	if ($1 + 0 <= cutoff)
		next
	if ((file " " fn) in ex) {
		exempted++
		printf "%s:%s %s complexity %d (cutoff %d, exempt)\n", file, line, fn, $1, cutoff
		next
	}
	over++
	printf "%s:%s %s complexity %d (cutoff %d)\n", file, line, fn, $1, cutoff
}
END {
	printf "complexity: %d functions in %d files, %d over %d, %d exempt\n",
	    funcs, files, over, cutoff, exempted
	exit over > 0
}' "$out"
