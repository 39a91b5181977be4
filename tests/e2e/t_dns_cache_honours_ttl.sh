#!/bin/bash
# Answers are cached for their TTL: with a TTL of 3 s, a second request for
# the name right after the first sends no query to the nameserver (the
# test's own, which counts them); once the TTL has passed, the next request
# asks again. A name with TTL 0 is never cached.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
setup_daemon; add_user alice secret
start_nameserver 5 1 short.portcullis-e2e.test=10.202.0.2/3 zero.portcullis-e2e.test=10.202.0.2/0 || exit 1
start_daemon || exit 1

assert_eq 200 "$(status_of -U alice:secret http://short.portcullis-e2e.test/1k)" "first request"
assert_eq 1 "$(queries_for short.portcullis-e2e.test 1)" "the first request asked the nameserver"
t0=$(date +%s%N)
for i in 1 2 3; do
	assert_eq 200 "$(status_of -U alice:secret http://short.portcullis-e2e.test/1k)" "request $((i + 1))"
done
elapsed=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$elapsed" -lt 2500 ]; then
	assert_eq 1 "$(queries_for short.portcullis-e2e.test 1)" "within the TTL, no new query"
else
	fail "three requests took ${elapsed} ms: the TTL check cannot be made"
fi
# the TTL (3 s) runs out: the next request asks again
ttl_passed() { [ $(( ($(date +%s%N) - t0) / 1000000 )) -ge 3200 ]; }
wait_until 6 ttl_passed
assert_eq 200 "$(status_of -U alice:secret http://short.portcullis-e2e.test/1k)" "after the TTL"
assert_eq 2 "$(queries_for short.portcullis-e2e.test 1)" "after the TTL, one new query"

assert_eq 200 "$(status_of -U alice:secret http://zero.portcullis-e2e.test/1k)" "TTL 0, first"
assert_eq 200 "$(status_of -U alice:secret http://zero.portcullis-e2e.test/1k)" "TTL 0, second"
assert_eq 2 "$(queries_for zero.portcullis-e2e.test 1)" "TTL 0: every request asks"
