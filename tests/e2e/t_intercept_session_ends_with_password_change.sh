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
ended_count() { grep -c 'user="pia" reason=password_changed' "$DLOG"; }

# 1. changes that are no password change of this user
assert_eq 303 "$(portal_login pia pw-1)" "pia logs in"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "forwarded"
printf 'pw-q2\n' | "$CLI" -d "$DB" user passwd quinn >/dev/null
"$CLI" -d "$DB" user comment pia "front desk" >/dev/null
"$CLI" -d "$DB" user expiry pia never >/dev/null
sleep 2
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "another user's password, a comment, the expiry: still logged in"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "and still forwarded"
listed && ok || fail "and still listed"

# 2. portcullis user passwd, with a forwarded connection open
in_client python3 - "$DIR" <<'PY' &
import socket, sys, time
d = sys.argv[1]
fw = socket.create_connection(("10.202.0.2", 8080), timeout=5)
fw.sendall(b"GET /1k HTTP/1.1\r\nHost: o\r\n\r\n"); fw.recv(4096)
open(d + "/open", "w").write("ok")
for _ in range(100):
    try:
        open(d + "/changed").close(); break
    except OSError: time.sleep(0.1)
time.sleep(2.5)
try:
    fw.sendall(b"GET /1k HTTP/1.1\r\nHost: o\r\n\r\n")
    res = "open" if fw.recv(4096) else "closed"
except OSError:
    res = "closed"
open(d + "/result", "w").write(res)
PY
helper=$!
wait_for "[ -f $DIR/open ]" 100 || fail "forwarded connection opened"
printf 'pw-2\n' | "$CLI" -d "$DB" user passwd pia >/dev/null
touch "$DIR/changed"
wait_for challenged 30 && ok || fail "challenged again within 3 s of the new password"
wait_for "! listed" 20 && ok || fail "session no longer listed"
assert_not_contains "$(in_gw nft list set $TABLE sess4)" "10.201.0.2" "kernel element removed"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding refused"
wait "$helper"
assert_eq closed "$(cat "$DIR/result" 2>/dev/null)" "open forwarded connection cut (conntrack)"
assert_eq 1 "$(ended_count)" "the end logged with the reason"
assert_eq 401 "$(portal_login pia pw-1)" "the old password no longer signs in"
assert_eq 303 "$(portal_login pia pw-2)" "the new one does"
sleep 2
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "a session started with the new password stays"
assert_eq 1 "$(ended_count)" "and is not ended"

# 3. the admin API's password reset, to the same password
A=http://127.0.0.1:8080
jar=$DIR/cookies
acurl() { in_gw timeout 10 curl -s "$@"; }
csrf=$(acurl -c "$jar" -H 'Content-Type: application/json' -d '{"username":"root","password":"admin-pw"}' \
	$A/api/login | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
assert_eq 200 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" -H "X-CSRF-Token: $csrf" \
	-H 'Content-Type: application/json' -d '{"name":"pia","password":"pw-2"}' $A/api/users/update)" \
	"password reset through the admin API"
wait_for challenged 30 && ok || fail "challenged again after the reset"
wait_for "! listed" 20 && ok || fail "session no longer listed after the reset"
assert_eq 2 "$(ended_count)" "the end logged"
assert_eq 303 "$(portal_login pia pw-2)" "the password set signs in"
sleep 2
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "and its session stays"
