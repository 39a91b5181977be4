#!/bin/bash
# Intercept mode: a new password for a user (`portcullis user passwd`, or
# the admin API's password reset) ends that user's portal sessions, as an
# admin resetting a compromised account expects, the way a kick does: the
# next request meets the challenge, forwarding stops, an open forwarded
# connection is cut, `session list` no longer shows it. The same password
# set again is a reset too (a new hash). Other changes to the user (a
# comment, the expiry), and another user's new password, leave the session
# alone; so does the new password for a session started with it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
add_user pia 'pw-1'
add_user quinn 'pw-q'
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
challenged() { [ "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" = 302 ]; }
listed() { "$CLI" -d "$DB" session list | grep -q "10.201.0.2 .* pia"; }
# the client's IPv4 address (its IPv6 address, when the gateway has seen
# it, is part of the same device and ends with it)
ended_count() { grep -c 'client=10.201.0.2 user="pia" reason=password_changed' "$DLOG"; }

# 1. changes that are no password change of this user
assert_eq 303 "$(portal_login pia pw-1)" "pia logs in"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "forwarded"
log_mark
printf 'pw-q2\n' | "$CLI" -d "$DB" user passwd quinn >/dev/null
"$CLI" -d "$DB" user comment pia "front desk" >/dev/null
"$CLI" -d "$DB" user expiry pia never >/dev/null
wait_until 5 logged_since_mark 'users changed' || fail "the daemon took the changes in"
# a session end that does not happen proves itself by its absence: wait
# past the daemon's rounds over the sessions (every half second)
sleep 1
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "another user's password, a comment, the expiry: still logged in"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "and still forwarded"
listed && ok || fail "and still listed"

# 2. portcullis user passwd, with a forwarded connection open
hold_connections changed 2.5 forwarded || fail "forwarded connection opened"
printf 'pw-2\n' | "$CLI" -d "$DB" user passwd pia >/dev/null
touch "$DIR/changed"
wait_for challenged 30 && ok || fail "challenged again within 3 s of the new password"
wait_for "! listed" 20 && ok || fail "session no longer listed"
assert_not_contains "$(in_gw nft list set $TABLE sess4)" "10.201.0.2" "kernel element removed"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding refused"
wait "$HELD"
assert_eq forwarded:closed "$(cat "$DIR/result" 2>/dev/null)" "open forwarded connection cut (conntrack)"
assert_eq 1 "$(ended_count)" "the end logged with the reason"
assert_eq 401 "$(portal_login pia pw-1)" "the old password no longer signs in"
assert_eq 303 "$(portal_login pia pw-2)" "the new one does"
# a session end that does not happen proves itself by its absence: wait
# past the daemon's rounds over the sessions (every half second)
sleep 2
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "a session started with the new password stays"
assert_eq 1 "$(ended_count)" "and is not ended"

# 3. the admin API's password reset, to the same password
admin_api_login root admin-pw
assert_eq 200 "$(admin_api_post /api/users/update '{"name":"pia","password":"pw-2"}')" \
	"password reset through the admin API"
wait_for challenged 30 && ok || fail "challenged again after the reset"
wait_for "! listed" 20 && ok || fail "session no longer listed after the reset"
assert_eq 2 "$(ended_count)" "the end logged"
assert_eq 303 "$(portal_login pia pw-2)" "the password set signs in"
# a session end that does not happen proves itself by its absence: wait
# past the daemon's rounds over the sessions (every half second)
sleep 2
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "and its session stays"
