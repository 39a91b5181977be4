#!/bin/bash
# Intercept mode: the absolute session lifetime (session_lifetime) ends a
# session however active the client is: traffic keeps the idle timer
# fresh, not the lifetime. At the lifetime the next request meets the
# challenge, forwarding stops, an open forwarded connection is cut, and
# the session is gone from the kernel set and the store.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf "session_lifetime = 10s
session_idle_timeout = 6s"
setup_daemon
add_user lena 'pw'
start_daemon || exit 1

assert_eq 303 "$(portal_login lena pw)" "login"
start=$(date +%s)
# a forwarded connection held open across the lifetime
in_client timeout 40 python3 - "$DIR" <<'PY' &
import os, socket, sys, time
d = sys.argv[1]
s = socket.create_connection(("10.202.0.2", 8080), timeout=5)
s.sendall(b"GET /1k HTTP/1.1\r\nHost: o\r\n\r\n"); s.recv(4096)
open(os.path.join(d, "open"), "w").close()
while not os.path.exists(os.path.join(d, "ended")):
    time.sleep(0.1)
time.sleep(1)
try:
    s.settimeout(3)
    s.sendall(b"GET /1k HTTP/1.1\r\nHost: o\r\n\r\n")
    res = "open" if s.recv(4096) else "closed"
except OSError:
    res = "closed"
open(os.path.join(d, "result"), "w").write(res)
PY
helper=$!
wait_files "$DIR/open" || fail "forwarded connection opened"

# busy until shortly before the lifetime: HTTP through the daemon, other
# ports through the kernel, every second
while [ $(( $(date +%s) - start )) -lt 7 ]; do
	assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "HTTP passes within the lifetime"
	assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding passes within the lifetime"
	sleep 1
done
# still busy: the session ends at 10 s all the same
ended=""
challenged_now() { [ "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" = 302 ]; }
wait_until $(( 14 - ($(date +%s) - start) )) challenged_now && ended=$(( $(date +%s) - start ))
touch "$DIR/ended"
[ -n "$ended" ] && ok || fail "an active session outlived its lifetime of 10 s"
[ -n "$ended" ] && [ "$ended" -ge 9 ] && ok || fail "session ended early, after ${ended:-?} s"
wait_for "! \"$CLI\" -d \"$DB\" session list | grep -q 10.201.0.2" 20 \
	&& ok || fail "session removed from the store at its lifetime"
wait_for "! in_gw nft list set inet portcullis sess4 | grep -q 10.201.0.2" 20 \
	&& ok || fail "kernel element removed at the lifetime"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding refused after the lifetime"
wait "$helper"
assert_eq closed "$(cat "$DIR/result" 2>/dev/null)" "open forwarded connection cut at the lifetime"
assert_contains "$(cat "$DLOG")" "user=\"lena\" reason=expired" "lifetime end logged"
assert_not_contains "$(cat "$DLOG")" "reason=idle" "not mistaken for an idle end"
# a new login starts a new lifetime
assert_eq 303 "$(portal_login lena pw)" "login again"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "HTTP passes after the new login"
