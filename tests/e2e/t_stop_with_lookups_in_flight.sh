#!/bin/bash
# SIGTERM while name lookups are in flight: the nameserver never answers
# them, the clients get their 504s and the drain ends while the lookups
# still run. The daemon must then stop every lookup before it frees the
# event loops the lookups complete on: it exits 0, logs no write to a
# closed descriptor, and memcheck (plain build) or AddressSanitizer (the
# build-asan run) reports no error and no leak.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
setup_daemon; add_user alice secret
start_nameserver 8 1 || exit 1

start_daemon_memcheck
assert_contains "$(cat "$DLOG")" "portcullisd started" "daemon started"

# the password check is cached after this, so the lookups start at once
# even under memcheck
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "a first request"
# every lookup has reached the nameserver (and stays unanswered)
stall_lookups 4 pcurl -U alice:secret && ok || fail "four lookups in flight"
kill -TERM "$DPID"
wait $STALLED
for i in 1 2 3 4; do
	assert_eq 504 "$(stalled_status $i)" "stalled lookup $i answered 504 while draining"
done
if ! wait_until 30 gone "$DPID"; then
	fail "daemon still running 30 s after SIGTERM"
else
	wait "$DPID"; rc=$?
	assert_eq 0 "$rc" "exit status (99: memcheck found errors or leaks)"
fi
DPID=""
assert_not_contains "$(cat "$DLOG")" "Bad file descriptor" "no write to a closed descriptor"
assert_contains "$(cat "$DLOG")" "portcullisd stopped" "stop logged"
assert_memcheck_clean
