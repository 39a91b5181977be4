#!/bin/bash
# Intercept mode: traffic the kernel forwards by itself (a port the daemon
# does not intercept) keeps a session alive past session_idle_timeout
# although the daemon sees none of it: the daemon must find the client's
# element in the kernel's set (matched by address and MAC) before it calls
# the session idle.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf "session_idle_timeout = 6s"
setup_daemon
add_user dave 'pw'
start_daemon || exit 1
assert_eq 303 "$(portal_login dave pw)" "login"
# 12 s of port-8080 traffic only: forwarded, never seen by the daemon
for _ in 1 2 3 4; do
	sleep 3
	assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "forwarded traffic passes"
done
assert_not_contains "$(cat "$DLOG")" "reason=idle" "no idle expiry while the kernel forwards"
assert_contains "$("$CLI" -d "$DB" session list)" "10.201.0.2" "session still in the store"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "intercepted request still logged in"
