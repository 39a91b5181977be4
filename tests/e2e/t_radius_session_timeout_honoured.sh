#!/bin/bash
# The Session-Timeout and Idle-Timeout of FreeRADIUS's Access-Accept are
# the portal session's lifetime and idle limit (RFC 2865 §5.27, §5.28):
# the session of a user given 12 s ends after 12 s, not after the
# configured 12 h, and it passes traffic until then.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
gina	Cleartext-Password := "gina-pw"
	Session-Timeout = 12,
	Idle-Timeout = 40
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
radius_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

start=$(date +%s)
assert_eq 303 "$(portal_login gina gina-pw)" "portal login accepted by RADIUS"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the session passes traffic"
assert_contains "$(cat "$DLOG")" "user=\"gina\" lifetime=12s idle=40s" "the session takes the server's limits"
ended() { grep -q 'session ended: client=10.201.0.2 user="gina" reason=expired' "$DLOG"; }
wait_until 30 ended || fail "the session ended as expired"
took=$(( $(date +%s) - start ))
[ "$took" -ge 11 ] && [ "$took" -le 20 ] && ok || fail "the session ended after ${took}s, not about 12 s"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "after the Session-Timeout the client is sent to the portal"
finish
