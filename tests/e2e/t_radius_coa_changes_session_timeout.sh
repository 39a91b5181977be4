#!/bin/bash
# A CoA-Request (RFC 5176) from the RADIUS server, sent with FreeRADIUS's
# radclient, changes a live portal session's limits: the session the
# Access-Accept gave an hour is given 6 s from now, answered CoA-ACK, and
# ends as expired about then (the client is back at the portal). A CoA for
# a user without a session (or another Acct-Session-Id) gets CoA-NAK with
# Error-Cause 503, and one that changes nothing CoA-NAK with 402. The
# session is named by the Acct-Session-Id its accounting Start carried.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
gina	Cleartext-Password := "gina-pw"
	Session-Timeout = 3600
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
{ radius_conf; radius_dae_conf; } >> "$DIR/portcullis.conf"
start_daemon || exit 1

assert_eq 303 "$(portal_login gina gina-pw)" "portal login accepted by RADIUS"
assert_contains "$(cat "$DLOG")" 'user="gina" lifetime=3600s' "the session has the Access-Accept's hour"

out=$(printf 'User-Name = "nobody"\nSession-Timeout = 6\n' | radius_dae coa)
assert_contains "$out" "CoA-NAK" "a CoA for a user without a session is refused"
assert_contains "$out" "Error-Cause = Session-Context-Not-Found" "with Error-Cause 503"
out=$(printf 'User-Name = "gina"\n' | radius_dae coa)
assert_contains "$out" "CoA-NAK" "a CoA that changes nothing is refused"
assert_contains "$out" "Error-Cause = Missing-Attribute" "with Error-Cause 402"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "the session still passes traffic"

# named by the Acct-Session-Id the accounting gave the session
has_start() { [ -n "$(radius_detail_values 1 Acct-Session-Id | head -n 1)" ]; }
wait_until 10 has_start || fail "the session's accounting Start reached the server"
sid=$(radius_detail_values 1 Acct-Session-Id | head -n 1)
out=$(printf 'Acct-Session-Id = "%s-not"\nSession-Timeout = 6\n' "$sid" | radius_dae coa)
assert_contains "$out" "Error-Cause = Session-Context-Not-Found" "another Acct-Session-Id names no session"
start=$(date +%s)
out=$(printf 'Acct-Session-Id = "%s"\nFramed-IP-Address = 10.201.0.2\nSession-Timeout = 6\nIdle-Timeout = 600\n' \
	"$sid" | radius_dae coa)
assert_contains "$out" "CoA-ACK" "the CoA for gina's session is acknowledged"
assert_contains "$(cat "$DLOG")" 'session limits changed: client=10.201.0.2 user="gina" lifetime=6s idle=600s' \
	"the session takes the new limits"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "it passes traffic until then"
row_has_new_idle() { "$CLI" -d "$DB" session list | grep 10.201.0.2 | grep -q ' 600s'; }
wait_until 5 row_has_new_idle && ok || fail "the database row has the new idle limit"
ended() { log_has 'session ended: client=10.201.0.2 user="gina" reason=expired'; }
wait_until 20 ended || fail "the session ended as expired"
took=$(( $(date +%s) - start ))
[ "$took" -ge 5 ] && [ "$took" -le 10 ] && ok || fail "the session ended after ${took}s, not about 6 s"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "after the new Session-Timeout the client is sent to the portal"
out=$(printf 'User-Name = "gina"\nSession-Timeout = 60\n' | radius_dae coa)
assert_contains "$out" "CoA-NAK" "no session left to change"
finish
