#!/bin/bash
# The portal applies the admin panel's Host rules: it answers for its
# address literals, localhost and the name in [portal] url, and refuses any
# other name (421) so that a page on another site whose name is made to
# resolve to the portal (DNS rebinding) cannot read "signed in as ..." or
# drive a login; a request with no Host or two is 400. The proxy
# auto-config answers for any name (WPAD asks for it as wpad.<domain>).
# Browsers find the portal's icon at /favicon.ico.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

PORTAL_EXTRA="url = http://portal.test:8082/"
intercept_conf
setup_daemon
add_user alice 'pw-a'
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"
assert_eq 303 "$(portal_login alice pw-a)" "login"

status() { ccurl -o /dev/null -w '%{http_code}' "$@"; }
assert_contains "$(ccurl "$PORTAL/status")" "signed in as alice" "the status page by address"
assert_contains "$(ccurl -H 'Host: portal.test:8082' "$PORTAL/status")" "signed in as alice" "by the portal's name"
assert_contains "$(ccurl -H 'Host: PORTAL.test.' "$PORTAL/status")" "signed in as alice" "by the name in capitals with a dot"
body=$(ccurl -H 'Host: evil.example' "$PORTAL/status")
assert_not_contains "$body" "alice" "another name learns nothing of the session"
assert_eq 421 "$(status -H 'Host: evil.example' "$PORTAL/status")" "another name: 421"
assert_eq 421 "$(status -H 'Host: evil.example:8082' "$PORTAL/")" "the login page too"
assert_eq 421 "$(status -H 'Host: evil.example' -d x=1 "$PORTAL/login")" "and the login form"
assert_eq 400 "$(status -H 'Host:' "$PORTAL/status")" "no Host: 400"
# curl sends one Host whatever it is given: two go by hand
two=$(in_client python3 -c '
import socket
s = socket.create_connection(("10.201.0.1", 8082), timeout=5)
s.sendall(b"GET /status HTTP/1.1\r\nHost: 10.201.0.1\r\nHost: evil.example\r\n\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode())')
assert_eq "HTTP/1.1 400 Bad Request" "$two" "two Hosts: 400"
assert_eq 400 "$(status -H 'Host: a b' "$PORTAL/status")" "a malformed Host: 400"
assert_eq 200 "$(status -H 'Host: localhost:8082' "$PORTAL/status")" "localhost"
assert_eq 200 "$(status -H 'Host: [fd00:201::1]:8082' "$PORTAL/status")" "an address literal"
pac=$(ccurl -H 'Host: wpad.lan' "$PORTAL/wpad.dat")
assert_contains "$pac" "FindProxyForURL" "WPAD answers for any name"

hdr=$(ccurl -D - -o "$DIR/icon" "$PORTAL/favicon.ico")
assert_contains "$hdr" "HTTP/1.1 200" "/favicon.ico is there"
assert_contains "$hdr" "Content-Type: image/svg+xml" "as an SVG image"
assert_contains "$hdr" "Content-Security-Policy: default-src 'none'" "with the portal's headers"
cmp -s "$DIR/icon" "$REPO/web/favicon.svg" && ok || fail "the icon is web/favicon.svg"
