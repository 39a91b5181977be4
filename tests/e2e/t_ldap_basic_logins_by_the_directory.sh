#!/bin/bash
# [auth] sources = local,ldap against a real slapd over LDAPS: a directory
# user logs in with Basic, but not with Digest (the directory never gives
# the gateway a password to answer it with); a wrong password and an
# unknown name are refused (407) and audited as such; a local user still
# logs in; a disabled local account stays refused although the directory
# would accept its name and password (the local store's word is final).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ldap.sh"
ldap_up 1 || exit 1
AUTH_EXTRA="sources = local,ldap"
PROXY_EXTRA="connect_ports = 443, 8080"
setup_daemon
ldap_conf >> "$DIR/portcullis.conf"
add_user erin 'local-pw'
add_user alice 'local-alice'
"$CLI" -d "$DB" user disable alice >/dev/null || fail "disable alice"
start_daemon || exit 1

assert_eq 200 "$(status_of -U bob:bob-pw http://$ORIGIN/1k)" "a directory user with Basic"
assert_contains "$(cat "$ACCESS")" " GET http://$ORIGIN/1k bob " "access log names the directory user"
assert_eq 407 "$(status_of --proxy-digest -U bob:bob-pw http://$ORIGIN/1k)" "no Digest for a directory user"
assert_eq 200 "$(status_of -U erin:local-pw http://$ORIGIN/1k)" "a local user"
assert_eq 407 "$(status_of -U bob:wrong-pw http://$ORIGIN/1k)" "a directory user's wrong password"
assert_eq 407 "$(status_of -U nobody:whatever http://$ORIGIN/1k)" "a name neither source knows"
assert_eq 407 "$(status_of -U alice:alice-pw http://$ORIGIN/1k)" "a disabled local account with the directory's password"

rows=$(audit_json 4 | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["scheme"] == "basic":
        print(r["username"], r["reason"])' | sort)
assert_contains "$rows" "bob wrong_password" "audit: the directory user's wrong password"
assert_contains "$rows" "nobody unknown_user" "audit: the unknown name"
assert_contains "$rows" "alice " "audit: the disabled local account's refusal"
assert_not_contains "$(grep -F ' alice ' "$ACCESS")" "TCP_MISS/200" "the disabled local account never passed"
assert_not_contains "$rows" "erin" "no failure for the local user"

# a directory user's CONNECT tunnel is not taken for a deleted local
# account's: it carries a request, and another after the maintenance
# rounds that close the tunnels of accounts that went away (2.5 s is
# longer than a round: the wait is what is tested)
out=$(in_client timeout 20 python3 - <<'PY'
import base64, socket, time
REQ = b"GET /1k HTTP/1.1\r\nHost: 10.202.0.2\r\n\r\n"
def exchange(s):
    s.sendall(REQ)
    got = b""
    while b"\r\n\r\n" not in got or len(got) < 1024:
        chunk = s.recv(65536)
        if not chunk:
            return "closed"
        got += chunk
    return "200" if got.startswith(b"HTTP/1.1 200") else "other"
s = socket.create_connection(("10.201.0.1", 3128), timeout=5)
s.sendall(b"CONNECT 10.202.0.2:8080 HTTP/1.1\r\nHost: 10.202.0.2:8080\r\nProxy-Authorization: Basic "
          + base64.b64encode(b"bob:bob-pw") + b"\r\n\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode(), exchange(s), end=" ")
time.sleep(2.5)
try:
    print(exchange(s))
except OSError:
    print("closed")
PY
)
assert_eq "HTTP/1.1 200 Connection established 200 200" "$out" "a directory user's tunnel stays open past the maintenance rounds"
