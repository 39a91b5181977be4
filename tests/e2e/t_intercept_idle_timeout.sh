#!/bin/bash
# Intercept mode: a session ends after session_idle_timeout without
# traffic (kernel element expired, daemon saw nothing), and not before
# while the client keeps using it; the next request is challenged and the
# session is gone from the store.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf "session_idle_timeout = 6s"
setup_daemon
add_user carol 'pw'
start_daemon || exit 1
assert_eq 303 "$(portal_login carol pw)" "login"
# active for 9 s (longer than the idle timeout): the session stays
for _ in 1 2 3; do
	sleep 3
	assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "active session kept past the idle timeout"
done
# then idle: it ends. Waiting past the idle timeout (6 s) is what is
# tested, and a request to see whether it ended would be traffic
sleep 9
st=$(ccurl -o /dev/null -w '%{http_code}' "http://10.202.0.2/1k")
assert_eq 302 "$st" "idle session ended: challenged again"
assert_not_contains "$("$CLI" -d "$DB" session list)" "10.201.0.2" "idle session removed from the store"
assert_contains "$(cat "$DLOG")" "reason=idle" "idle expiry logged"
