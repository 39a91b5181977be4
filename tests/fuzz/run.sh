#!/bin/sh
# `make fuzz`: build every libFuzzer target (tests/fuzz/fuzz_*.c) with
# Debian's clang and run each for the given number of seconds on its seed
# corpus (tests/fuzz/corpus/NAME/); new inputs go to build/fuzz/corpus/NAME.
# The daemon's modules (all but main.c) are compiled once with the fuzzer's
# coverage and sanitizers and linked into every target, so a target can call
# any pure function without a list of sources to keep up to date.
# FUZZ_ONLY=NAME (e.g. chunked) builds and runs that one target.
set -eu
seconds=${1:-60}
out=build/fuzz
# the libraries the daemon links (the Makefile passes its PKGS)
pkgs=${PKGS:-"sqlite3 openssl libmicrohttpd jansson libnftnl libmnl libsystemd libcares ldap"}
mkdir -p "$out/obj"
cflags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Idaemon -I$out $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lpthread"
objs=""
sh db/embed.sh $(ls db/migrations/*.sql | sort) > "$out/migrations.c"
for src in $(ls daemon/*.c | grep -v '^daemon/main\.c$') "$out/migrations.c"; do
	obj="$out/obj/$(basename "$src" .c).o"
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find daemon -name '*.h' -newer "$obj")" ]; then
		# shellcheck disable=SC2086
		clang $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
done
status=0
passed=0
failed=0
for src in tests/fuzz/fuzz_${FUZZ_ONLY:-*}.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	echo "== $name: building"
	# shellcheck disable=SC2086
	clang $cflags -fsanitize=fuzzer "$src" $objs $libs -o "$out/$name"
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
