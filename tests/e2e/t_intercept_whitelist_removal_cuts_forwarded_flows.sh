#!/bin/bash
# Intercept mode: the kernel forwards a whitelisted client's traffic past
# the daemon, and removing its whitelist entry ends that too, within a
# maintenance round: an open forwarded connection is cut (conntrack), as a
# kick cuts a session's. An entry removed while another entry still covers
# the client leaves its connections alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
"$CLI" -d "$DB" whitelist add 10.201.0.0/28 "lab" >/dev/null
start_daemon || exit 1
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "the whitelisted client is forwarded"

# 1. the only entry that covers the client goes
hold_connections removed 2.5 forwarded || fail "forwarded connection opened"
"$CLI" -d "$DB" whitelist del 10.201.0.0/28 >/dev/null
touch "$DIR/removed"
wait "$HELD"
assert_eq forwarded:closed "$(cat "$DIR/result" 2>/dev/null)" "open forwarded connection cut once the entry is removed"
assert_eq 000 "$(direct_status --max-time 3 http://10.202.0.2:8080/1k)" "no new forwarded connection"
assert_contains "$(cat "$DLOG")" "whitelist: 1 entry removed: connections_cut=" "the cut is logged"

# 2. another entry still covers the client: nothing is cut
"$CLI" -d "$DB" whitelist add 10.201.0.0/28 "lab" >/dev/null
"$CLI" -d "$DB" whitelist add 10.201.0.2 "this host" >/dev/null
wait_for '[ "$(direct_status --max-time 2 http://10.202.0.2:8080/1k)" = 200 ]' 50 \
	&& ok || fail "forwarded again once whitelisted"
hold_connections narrowed 2.5 forwarded || fail "forwarded connection opened"
"$CLI" -d "$DB" whitelist del 10.201.0.0/28 >/dev/null
touch "$DIR/narrowed"
wait "$HELD"
assert_eq forwarded:open "$(cat "$DIR/result" 2>/dev/null)" "a client still whitelisted keeps its connection"
