#!/bin/sh
# `make fuzz`: builds every tests/fuzz/fuzz_*.c with clang's libFuzzer (plus
# ASan and UBSan) against the pure modules, and runs each for FUZZ_SECONDS
# (default 60). Seeds live in tests/fuzz/corpus/<target>/; new inputs go to
# a scratch corpus so the repository only changes when you merge on purpose.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
out="$here/build-fuzz"
cc=$(command -v clang-14 || command -v clang)
mkdir -p "$out"
cflags="-std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$here/include $(pkg-config --cflags libpq jansson)"
libs="$(pkg-config --libs libcrypto jansson) -lcsv -lhttp_parser -lm"
cflags="$cflags -I$here/tests/fuzz"
# The pure files, as the Makefile lists them: every target links them alone.
pure=$(make -s -C "$here" --no-print-directory print-pure | sed "s|[^ ]*|$here/&|g")
sh "$here/scripts/embed-json.sh" "$here"/instruments/*.json > "$out/instruments.c"
status=0
for src in "$here"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	extra="$out/instruments.c"
	echo "== $name: building"
	# shellcheck disable=SC2086
	$cc $cflags -o "$out/$name" "$src" $pure $extra $libs
	scratch=$(mktemp -d)
	mkdir -p "$here/tests/fuzz/corpus/$name"
	echo "== $name: fuzzing for ${seconds}s"
	if ! "$out/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/$name-" "$scratch" "$here/tests/fuzz/corpus/$name" \
		>"$out/$name.log" 2>&1; then
		echo "!! $name found a problem; see $out/$name.log and $out/$name-*"
		tail -n 30 "$out/$name.log"
		status=1
	else
		grep -E '^#[0-9]+.*DONE|Done [0-9]+ runs' "$out/$name.log" | tail -n 1
	fi
	rm -rf "$scratch"
done
exit $status
