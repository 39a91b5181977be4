#!/bin/bash
# Intercept mode with [auth] sources = ldap: a directory user logs in on the
# portal (its password checked by slapd over LDAPS) and browses; the session
# outlives the maintenance rounds that end the sessions of accounts the
# local database no longer holds (a directory user was never in it), and
# a restart (restored from the database as a directory user's); a wrong
# password gets the portal's refusal and no session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/ldap.sh"
ldap_up 1 || exit 1
intercept_conf
AUTH_EXTRA="sources = ldap"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

assert_eq 302 "$(direct_status "http://10.202.0.2/1k")" "before the login: sent to the portal"
assert_eq 401 "$(portal_login bob wrong-pw)" "a wrong password refused"
assert_eq 302 "$(direct_status "http://10.202.0.2/1k")" "no session after a wrong password"
assert_eq 303 "$(portal_login bob bob-pw)" "the directory's password logs in"
assert_eq 200 "$(direct_status "http://10.202.0.2/1k")" "browsing after the login"
assert_contains "$("$CLI" -d "$DB" session list)" "bob" "the session is bob's"
# longer than a maintenance round: the wait is what is tested
sleep 3
assert_eq 200 "$(direct_status "http://10.202.0.2/1k")" "the session outlives the maintenance rounds"
assert_not_contains "$(cat "$DLOG")" "deleted" "the session was not ended as a deleted account's"

# a restart restores it: the database says a directory checked the login
stop_daemon
start_daemon || exit 1
wait_for table_running 30 || fail "the table runs again after the restart"
assert_eq 200 "$(direct_status "http://10.202.0.2/1k")" "the session survives a restart"
assert_not_contains "$(cat "$DLOG")" "not restored" "the session was restored"
