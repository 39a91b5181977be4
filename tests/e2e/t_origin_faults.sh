#!/bin/bash
# Origins that reset, close, half-close, stall or answer garbage, and a
# name that does not resolve: each gets a clear 502 or 504 (or, once the
# response has started, a closed connection), within the timeouts, and no
# connection is left behind in the daemon.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
PROXY_EXTRA="upstream_timeout = 2s"
# names resolve through a nameserver of the test's own (an origin address
# with nothing on port 53), never the host's
gateway_resolv_conf 1 1
setup_daemon; add_user alice secret; start_daemon || exit 1
start_bad_origin 8091 || fail "the bad origin did not start"
# sockets only: worker threads open their database connections lazily
sockets() { ls -l /proc/"$DPID"/fd | grep -c 'socket:'; }
fds_before=$(sockets)
B=http://10.202.0.2:8091

answer() { # path -> "status seconds"
	pcurl -U alice:secret -o "$DIR/body" -w '%{http_code} %{time_total}' "$B$1" 2>/dev/null
}
for p in /reset /close /half-close /garbage /two-lengths; do
	out=$(answer $p)
	assert_eq 502 "${out%% *}" "502 for an origin that does $p"
	assert_contains "$(cat "$DIR/body")" "Bad gateway" "the 502 for $p says why"
done
for p in /stall /stall-head; do
	out=$(answer $p)
	assert_eq 504 "${out%% *}" "504 for an origin that does $p"
	secs=${out#* }
	[ "${secs%%.*}" -le 4 ] && ok || fail "$p answered after ${secs}s, upstream_timeout is 2s"
done
out=$(pcurl -U alice:secret -o /dev/null -w '%{http_code}' "$B/truncated" 2>&1; echo " rc=$?")
assert_contains "$out" "200" "a truncated body: the head was passed on"
assert_contains "$out" "rc=18" "and the client sees the transfer cut short"
body=$(pcurl -U alice:secret http://no-such-host.portcullis-e2e.test/ 2>/dev/null)
assert_contains "$body" "cannot resolve no-such-host.portcullis-e2e.test" "502 for a name that does not resolve"
assert_eq 502 "$(status_of -U alice:secret http://no-such-host.portcullis-e2e.test/)" "DNS failure status"

# nothing stuck: the daemon holds no more descriptors than before
sockets_back() { [ "$(sockets)" -le "$fds_before" ]; }
wait_until 10 sockets_back
assert_eq "$fds_before" "$(sockets)" "sockets held after the faults"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "the daemon still serves"
