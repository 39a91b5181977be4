#!/bin/bash
# Intercept mode, point 4: a portal session is kept in SQLite, shows in
# `portcullis session list`, survives a daemon restart (back in memory and
# in the kernel set), and `portcullis session kick ADDRESS` ends it: the
# client's open connections are cut and its next request is challenged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user bob 'secret'
start_daemon || exit 1
assert_eq 303 "$(portal_login bob secret)" "login"
list=$("$CLI" -d "$DB" session list)
assert_contains "$list" "10.201.0.2" "session listed by the CLI"
assert_contains "$list" "bob" "session listed with its user"
mac=$(in_client cat /sys/class/net/"$E2E_NS"-cg/address)
assert_contains "$list" "$mac" "session keyed by the client's MAC"
set=$(in_gw nft list set inet portcullis sess4)
assert_contains "$set" "10.201.0.2 . $mac" "session element in the kernel set"

# restart: the session comes back
stop_daemon
table_closed && ok || fail "SIGTERM leaves the closed table"
start_daemon || exit 1
set=$(in_gw nft list set inet portcullis sess4)
assert_contains "$set" "10.201.0.2 . $mac" "session element restored into the kernel after restart"
assert_contains "$(cat "$DLOG")" "1 sessions restored" "restore logged"
body=$(ccurl "http://10.202.0.2/1k")
assert_eq "$(cat "$E2E_WWW/1k")" "$body" "HTTP passes after restart without a new login"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding passes after restart"

# open connections: one forwarded (port 8080), one TLS spliced by the daemon
hold_connections kicked 1.5 forwarded tls || fail "connections opened"
out=$("$CLI" -d "$DB" session kick 10.201.0.2)
assert_contains "$out" "ended" "kick accepted"
touch "$DIR/kicked"
wait "$HELD"
res=$(cat "$DIR/result" 2>/dev/null)
assert_contains "$res" "forwarded:closed" "forwarded connection cut by the kick (conntrack)"
assert_contains "$res" "tls:closed" "spliced TLS connection cut by the kick"
wait_for "! in_gw nft list set inet portcullis sess4 | grep -q 10.201.0.2" 30 \
	&& ok || fail "kernel element removed after kick"
st=$(ccurl -o /dev/null -w '%{http_code}' "http://10.202.0.2/1k")
assert_eq 302 "$st" "next request after kick meets the challenge"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding refused after kick"
assert_contains "$(cat "$DLOG")" "reason=kicked" "kick logged by the daemon"
