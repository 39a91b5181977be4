#!/bin/bash
# Intercept mode: a portal session lives no longer than its user's account
# (a change to a user takes effect on that user's next request).
# `portcullis user disable`, `user del`, and an expiry time that passes
# each end the user's session within a couple of seconds the way a kick
# does: the next request meets the challenge, forwarding stops, an open
# forwarded connection is cut, and `session list` no longer shows it. A
# user disabled while the daemon is down does not come back logged in.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user gina 'pw-g'
add_user hank 'pw-h'
add_user ivy 'pw-i'
add_user jo 'pw-j'
start_daemon || exit 1

challenged() { [ "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" = 302 ]; }
listed() { "$CLI" -d "$DB" session list | grep -q 10.201.0.2; }

# 1. disabled: an open forwarded connection goes with the session
assert_eq 303 "$(portal_login gina pw-g)" "gina logs in"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "gina's HTTP passes"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "gina's other ports are forwarded"
hold_connections disabled 2.5 forwarded || fail "forwarded connection opened"
"$CLI" -d "$DB" user disable gina >/dev/null
touch "$DIR/disabled"
wait_for challenged 30 && ok || fail "disabled user's client challenged again within 3 s"
wait_for "! listed" 20 && ok || fail "session of a disabled user still listed"
assert_not_contains "$(in_gw nft list set inet portcullis sess4)" "10.201.0.2" "kernel element of a disabled user removed"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding refused after disable"
wait "$HELD"
assert_eq forwarded:closed "$(cat "$DIR/result" 2>/dev/null)" "open forwarded connection cut (conntrack)"
assert_contains "$(cat "$DLOG")" "user=\"gina\" reason=user_disabled" "end logged with the reason"
st=$(portal_login gina pw-g)
[ "$st" != 303 ] && ok || fail "disabled user cannot log in again (got $st)"
challenged && ok || fail "still challenged after the refused login"

# 2. deleted
assert_eq 303 "$(portal_login hank pw-h)" "hank logs in"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "hank's HTTP passes"
listed && ok || fail "hank's session listed"
"$CLI" -d "$DB" user del hank >/dev/null
wait_for challenged 30 && ok || fail "deleted user's client challenged again within 3 s"
wait_for "! listed" 20 && ok || fail "session of a deleted user still listed"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding refused after delete"
assert_contains "$(cat "$DLOG")" "user=\"hank\" reason=user_deleted" "delete logged with the reason"
# a second end that does not happen proves itself by its absence: wait
# past the daemon's rounds over the sessions (every half second)
sleep 1
assert_eq 1 "$(grep -c 'session ended: client=10.201.0.2 user="hank"' "$DLOG")" "the session ends once (its deleted row does not bring it back)"

# 3. an expiry time set while logged in: the session runs until then, and
# ends when it passes, although nothing changes in the database at that moment
assert_eq 303 "$(portal_login ivy pw-i)" "ivy logs in"
"$CLI" -d "$DB" user expiry ivy 4s >/dev/null
# the session not ending at the change proves itself by its absence: wait
# past the daemon's rounds (every half second), well before the expiry
sleep 1
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "session lasts until the user's expiry"
wait_for challenged 70 && ok || fail "client challenged once the user expired"
wait_for "! listed" 20 && ok || fail "session of an expired user still listed"
wait_for "! in_gw nft list set inet portcullis sess4 | grep -q 10.201.0.2" 20 \
	&& ok || fail "kernel element of an expired user removed"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding refused after expiry"
assert_contains "$(cat "$DLOG")" "user=\"ivy\" reason=user_expired" "expiry logged with the reason"

# 4. disabled while the daemon was stopped: not restored at the next start
assert_eq 303 "$(portal_login jo pw-j)" "jo logs in"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "jo's HTTP passes"
stop_daemon
"$CLI" -d "$DB" user disable jo >/dev/null
start_daemon || exit 1
challenged && ok || fail "session of a user disabled while the daemon was down restored"
listed && fail "session of a user disabled while the daemon was down still listed" || ok
assert_not_contains "$(in_gw nft list set inet portcullis sess4)" "10.201.0.2" "no kernel element restored for it"
assert_contains "$(cat "$DLOG")" 'not restored: user "jo" disabled' "the skipped restore logged"
