#!/bin/sh
# Run every cmocka unit-test binary given; print one summary line.
# Tests run from the repository root (some read etc/ and tests/ files).
passed=0
failed=0
failed_names=""
for t in "$@"; do
	echo "== $t"
	if "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names="$failed_names $t"
	fi
done
[ -n "$failed_names" ] && echo "unit failed:$failed_names"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
