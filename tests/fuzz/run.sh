#!/bin/sh
# `make fuzz`: build every libFuzzer target (tests/fuzz/fuzz_*.c) with
# Debian's clang and run each for the given number of seconds on its seed
# corpus (tests/fuzz/corpus/NAME/); new inputs go to build/fuzz/corpus/NAME.
set -eu
seconds=${1:-60}
out=build/fuzz
mkdir -p "$out"
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Idaemon"
libs="$(pkg-config --cflags --libs openssl)"
lib_src="daemon/http.c daemon/auth.c daemon/cidr.c daemon/config.c daemon/log.c daemon/clienthello.c daemon/form.c"
status=0
passed=0
failed=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	echo "== $name: building"
	# shellcheck disable=SC2086
	clang $cflags "$src" $lib_src $libs -o "$out/$name"
	mkdir -p "$out/corpus/$short"
	echo "== $name: running ${seconds}s"
	if ! "$out/$name" -max_total_time="$seconds" -print_final_stats=1 \
		"$out/corpus/$short" "tests/fuzz/corpus/$short" > "$out/$name.log" 2>&1; then
		echo "$name: FAILED (see $out/$name.log)"
		tail -n 40 "$out/$name.log"
		status=1
		failed=$((failed + 1))
	else
		grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$out/$name.log" | sed "s/^/$name: /"
		passed=$((passed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
exit $status
