#!/bin/bash
# One client cannot hold the resolver: with max_lookups_per_client = 4, a
# client with four stalled lookups in flight gets a 503 at once for a
# fifth name (saying why), while a second client on the LAN resolves a
# name at once and starts stalled lookups of its own. The bound is per
# address and ends with the lookups: once they are over, the first client
# resolves again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
PROXY_EXTRA="max_lookups_per_client = 4"
setup_daemon; add_user alice secret; add_user bob secret
start_nameserver 4 1 good.portcullis-e2e.test=10.202.0.2 other.portcullis-e2e.test=10.202.0.2 || exit 1
# the second client: another address of the client namespace
in_client ip addr add 10.201.0.3/24 dev "$E2E_NS-cg"
on_finish 'in_client ip addr del 10.201.0.3/24 dev "$E2E_NS-cg" 2>/dev/null'
start_daemon || exit 1
# the password checks are cached after these: the timings below are the lookups'
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "the first client's first request"
assert_eq 200 "$(status_of --interface 10.201.0.3 -U bob:secret http://$ORIGIN/1k)" "the second client's first request"

stall_lookups 4 pcurl -U alice:secret
assert_eq 4 "$(stalled_queries)" "four stalled lookups of the first client in flight"

out=$(pcurl -U alice:secret -o "$DIR/refused" -w '%{http_code} %{time_total}' \
	http://stall5.portcullis-e2e.test/ 2>/dev/null)
assert_eq 503 "${out%% *}" "a fifth lookup from the same address is refused"
secs=${out#* }
[ "${secs%%.*}" -lt 1 ] && ok || fail "the refusal took ${secs}s"
assert_contains "$(cat "$DIR/refused")" "too many name lookups in progress from this address" "the 503 says why"
assert_eq 0 "$(queries_for stall5.portcullis-e2e.test 1)" "the refused name was not looked up"

out=$(pcurl --interface 10.201.0.3 -U bob:secret -o /dev/null -w '%{http_code} %{time_total}' \
	http://good.portcullis-e2e.test/1k 2>/dev/null)
assert_eq 200 "${out%% *}" "the second client resolves a name meanwhile"
secs=${out#* }
[ "${secs%%.*}" -lt 1 ] && ok || fail "the second client waited ${secs}s"
pcurl --interface 10.201.0.3 -U bob:secret -o /dev/null -w '%{http_code}' \
	http://stall-b.portcullis-e2e.test/ > "$DIR/stalled-b.out" 2>/dev/null &
STALLED_B=$!
stall_b_asked() { [ "$(queries_for stall-b.portcullis-e2e.test 1)" -ge 1 ]; }
wait_until 10 stall_b_asked
assert_eq 1 "$(queries_for stall-b.portcullis-e2e.test 1)" "the second client's own stalled lookup is started"

wait $STALLED $STALLED_B
for i in 1 2 3 4; do
	assert_eq 504 "$(stalled_status $i)" "stalled lookup $i: 504"
done
# the nameserver's timeout is 4 s: after it the first client's lookups are over
resolves_again() { st=$(status_of -U alice:secret http://other.portcullis-e2e.test/1k); [ "$st" = 200 ]; }
wait_until 12 resolves_again
assert_eq 200 "$st" "the first client resolves again once its lookups are over"
assert_contains "$(cat "$DLOG")" "too many name lookups in progress from this address" "the refusal is logged"
