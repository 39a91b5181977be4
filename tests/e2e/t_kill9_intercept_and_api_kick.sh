#!/bin/bash
# Intercept mode through a crash and the admin panel's kick:
# - kill -9 while a logged-in client's traffic flows: the table the crash
#   left is replaced at the next start (one table, its sets rebuilt), the
#   session the daemon wrote after the portal login is restored into memory
#   and the kernel, and the client passes again without logging in;
# - the kick through the JSON API (with the CSRF token) removes the kernel
#   element and cuts the client: its next request meets the challenge, and
#   the admin log names the admin who did it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
intercept_conf
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon; add_user bob secret
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
assert_eq 303 "$(portal_login bob secret)" "portal login"
mac=$(in_client cat /sys/class/net/"$E2E_NS"-cg/address)
assert_eq "$(cat "$E2E_WWW/1k")" "$(ccurl http://10.202.0.2/1k)" "HTTP passes after the login"

# traffic in flight while the daemon is killed
in_client timeout 30 bash -c 'for i in $(seq 1 200); do curl -s -o /dev/null --max-time 2 http://10.202.0.2/1k; done' &
TRAFFIC=$!
# in flight once the daemon has logged one of its requests
wait_until 10 lines_at_least $(( $(grep -c . "$ACCESS") + 1 )) . "$ACCESS"
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
table_present && ok || fail "the crash left the daemon's table behind (as a crash does)"
wait "$TRAFFIC"
start_daemon || exit 1
wait_for "in_gw nft list set $TABLE sess4 2>/dev/null | grep -q '10.201.0.2 . $mac'" 50 \
	&& ok || fail "session restored into the kernel set after kill -9"
assert_eq 1 "$(in_gw nft list tables | grep -c "table $TABLE\$")" "the table left by the crash was replaced, not doubled"
assert_contains "$("$CLI" -d "$DB" session list)" "bob" "session still in the store"
assert_eq "$(cat "$E2E_WWW/1k")" "$(ccurl http://10.202.0.2/1k)" "HTTP passes after the restart without a new login"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "kernel forwarding passes after the restart"

# the kick from the admin panel's API
admin_api_login root admin-pw
assert_contains "$(acurl -b "$ADMIN_JAR" $A/api/sessions)" '"addr":"10.201.0.2"' "the API lists the session"
assert_eq 200 "$(admin_api_post /api/sessions/kick '{"addr":"10.201.0.2"}')" "kick through the API"
wait_for "! in_gw nft list set $TABLE sess4 | grep -q 10.201.0.2" 30 \
	&& ok || fail "kernel element removed after the API kick"
assert_eq 302 "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" "next request after the kick meets the challenge"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding refused after the kick"
assert_contains "$(acurl -b "$ADMIN_JAR" "$A/api/actions?limit=10")" '"session.kick"' "the kick is in the admin log"
assert_contains "$(acurl -b "$ADMIN_JAR" "$A/api/actions?limit=10")" '"admin":"root"' "with the admin who did it"
