#!/bin/bash
# A nameserver that never answers the name (the test's own, dns.sh, which
# stays silent for names starting with "stall"): a request for a name gets a 504 that says the
# name could not be resolved, at the connect timeout (3 s here), while
# requests to addresses are served all along; nothing is left behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
setup_daemon; add_user alice secret
start_nameserver 5 1 || exit 1
start_daemon || exit 1
sockets() { ls -l /proc/"$DPID"/fd | grep -c 'socket:'; }
before=$(sockets)

pcurl -U alice:secret -o "$DIR/body" -w '%{http_code} %{time_total}' http://stalled-name.portcullis-e2e.test/ \
	> "$DIR/stalled.out" 2>/dev/null &
STALLED=$!
wait_until 10 stalled_at_least 1
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "an address is served during the stalled lookup"
wait "$STALLED"
out=$(cat "$DIR/stalled.out")
assert_eq 504 "${out%% *}" "504 for a name whose lookup stalls"
secs=${out#* }
[ "${secs%%.*}" -ge 2 ] && [ "${secs%%.*}" -le 5 ] && ok || fail "answered after ${secs}s, connect_timeout is 3 s"
assert_contains "$(cat "$DIR/body")" "could not be resolved in time" "the 504 says why"
sockets_back() { [ "$(sockets)" -le "$before" ]; }
wait_until 10 sockets_back
assert_eq "$before" "$(sockets)" "sockets held afterwards"
