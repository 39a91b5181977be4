#!/bin/bash
# The daemon under valgrind (memcheck) through one scenario of ordinary
# traffic: Basic and Digest, a wrong password (audited), a CONNECT tunnel,
# a bad request, an admin login; then SIGTERM. valgrind must report no
# memory errors and no definite or indirect leak. The plain build is used
# (valgrind cannot run an AddressSanitizer build), so the sanitizer rerun
# of the e2e suite skips this scenario.
. "$(dirname "$0")/lib.sh"
if [ "$BUILD_DIR" != "$REPO/build" ]; then
	skip "valgrind runs the plain build, in the first e2e run"
fi
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon; add_user alice secret
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon_memcheck
assert_contains "$(cat "$DLOG")" "portcullisd started" "daemon started under valgrind"

assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "Basic"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "Basic, cached"
assert_eq 200 "$(status_of --proxy-digest -U alice:secret http://$ORIGIN/1k)" "Digest"
assert_eq 407 "$(status_of -U alice:wrong http://$ORIGIN/1k)" "wrong password"
assert_eq 200 "$(status_of -U alice:secret -X POST --data-binary @"$E2E_WWW/1k" http://10.202.0.2:8081/post)" "POST body"
assert_eq 200 "$(status_of -k -U alice:secret https://$ORIGIN/1k)" "CONNECT tunnel"
assert_contains "$(in_client timeout 10 python3 -c '
import socket
s = socket.create_connection(("10.201.0.1", 3128), timeout=8)
s.sendall(b"GET http://10.202.0.2/ HTTP/1.1\r\nHost : a\r\n\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode())')" "400" "bad request"
assert_eq 200 "$(in_gw timeout 20 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"username":"root","password":"admin-pw"}' http://127.0.0.1:8080/api/login)" "admin login"
audit_json 1 >/dev/null

kill -TERM "$DPID"
wait_until 30 gone "$DPID"
wait "$DPID"; rc=$?
DPID=""
assert_eq 0 "$rc" "valgrind exit status (99: errors or leaks)"
assert_memcheck_clean
