#!/bin/bash
# DNS rebinding: the admin listener answers only for its own names. A page
# on evil.example whose name is made to resolve to the panel's address
# (what curl --resolve does here) gets 421 before any authentication, with
# the security headers; IP literals, localhost and the names in
# [admin] hostnames are served.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
ADMIN_EXTRA='hostnames = panel.gw.test, Admin.Example.'
setup_daemon
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
code() { acurl -o /dev/null -w '%{http_code}' "$@"; }
as() { # name port: curl as a browser would for http://name:port/, reaching 127.0.0.1
	echo "--resolve $1:$2:127.0.0.1 http://$1:$2"
}

# another site's name, as a rebinding page would send it: refused on every
# path, the login too, before the password is looked at
assert_eq 421 "$(code $(as evil.example 8080)/api/me)" "API for evil.example"
assert_eq 421 "$(code $(as evil.example 8080)/)" "panel page for evil.example"
assert_eq 421 "$(code $(as evil.example 8080)/metrics)" "metrics for evil.example"
hdrs=$(acurl -D - -o "$DIR/evil.json" $(as evil.example 8080)/api/login -H 'Content-Type: application/json' \
	-d '{"username":"root","password":"admin-pw"}')
assert_contains "$hdrs" "HTTP/1.1 421" "login for evil.example refused"
assert_not_contains "$hdrs" "Set-Cookie" "no session for evil.example"
assert_contains "$hdrs" "Content-Security-Policy: default-src 'self'; script-src 'self'" "421 has the CSP"
assert_contains "$hdrs" "frame-ancestors 'none'" "421 has frame-ancestors"
assert_contains "$hdrs" "X-Content-Type-Options: nosniff" "421 has nosniff"
assert_contains "$hdrs" "Referrer-Policy: no-referrer" "421 has Referrer-Policy"
assert_contains "$(cat "$DIR/evil.json")" '"error":"this panel does not answer for that host name' "421 says why"
assert_eq "" "$(sqlite3 "$DB" "SELECT action FROM admin_actions WHERE action LIKE 'admin.login%'")" "refused login never reached the check"
assert_eq 421 "$(code -H 'Host: evil.example' http://127.0.0.1:8080/api/me)" "Host header of another site"
assert_eq 421 "$(code -H 'Host: panel.gw.test.evil.example' http://127.0.0.1:8080/api/me)" "a configured name as a prefix"
assert_eq 421 "$(code -H 'Host: gw.test' http://127.0.0.1:8080/api/me)" "a suffix of a configured name"
assert_eq 421 "$(code -H 'Host: 127.0.0.1.nip.example' http://127.0.0.1:8080/api/me)" "an address inside a name"

# its own names: IP literals, localhost and the configured ones, any case,
# any port, a trailing dot
assert_eq 200 "$(code http://127.0.0.1:8080/)" "IPv4 literal"
assert_eq 401 "$(code http://127.0.0.1:8080/api/me)" "IPv4 literal reaches the API (401 before login)"
assert_eq 401 "$(code -H 'Host: [::1]:8080' http://127.0.0.1:8080/api/me)" "IPv6 literal"
assert_eq 401 "$(code -H 'Host: 10.201.0.1' http://127.0.0.1:8080/api/me)" "another address literal, no port"
assert_eq 401 "$(code $(as localhost 8080)/api/me)" "localhost"
assert_eq 401 "$(code $(as panel.gw.test 8080)/api/me)" "configured name"
assert_eq 401 "$(code -H 'Host: PANEL.gw.test:8080' http://127.0.0.1:8080/api/me)" "configured name in capitals"
assert_eq 401 "$(code -H 'Host: admin.example.' http://127.0.0.1:8080/api/me)" "second configured name, trailing dot"
# the whole panel works under a configured name
jar=$DIR/jar
body=$(acurl -c "$jar" $(as panel.gw.test 8080)/api/login -H 'Content-Type: application/json' \
	-d '{"username":"root","password":"admin-pw"}')
assert_contains "$body" '"admin":"root"' "login under the configured name"
assert_eq 200 "$(code -b "$jar" $(as panel.gw.test 8080)/api/users)" "API under the configured name"
# the cookie is the panel's; sent with another site's name it opens nothing
assert_eq 421 "$(code -b "$jar" -H 'Host: evil.example' http://127.0.0.1:8080/api/users)" "session cookie with a foreign Host"

# not host[:port] at all, none, or two: 400 (RFC 9112 §3.2), decorated too
hdrs=$(acurl -D - -o /dev/null -H 'Host:' http://127.0.0.1:8080/api/me)
assert_contains "$hdrs" "HTTP/1.1 400" "no Host header"
assert_contains "$hdrs" "X-Content-Type-Options: nosniff" "400 for no Host has the headers"
assert_eq 400 "$(code -H 'Host: localhost:http' http://127.0.0.1:8080/api/me)" "port not a number"
assert_eq 400 "$(code -H 'Host: user@localhost' http://127.0.0.1:8080/api/me)" "userinfo in Host"
raw() {
	in_gw python3 - "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", 8080), timeout=5)
s.sendall(sys.argv[1].encode().decode("unicode_escape").encode("latin1"))
print(s.recv(4096).split(b"\r\n")[0].decode())
PY
}
assert_eq "HTTP/1.1 400 Bad Request" "$(raw 'GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n')" "two Host headers"
assert_eq "HTTP/1.1 400 Bad Request" "$(raw 'GET /api/me HTTP/1.0\r\n\r\n')" "HTTP/1.0 without Host"
assert_eq "HTTP/1.1 401 Unauthorized" "$(raw 'GET /api/me HTTP/1.0\r\nHost: localhost\r\n\r\n')" "HTTP/1.0 with Host"

# a name that is not a DNS name is refused at configuration time
printf '[admin]\nhostnames = panel.gw.test, bad_name\n' > "$DIR/bad.conf"
out=$("$DAEMON" -t -c "$DIR/bad.conf" 2>&1)
assert_contains "$out" "admin.hostnames: expected host names" "portcullisd -t refuses a bad name"
printf '[admin]\nhostnames = panel.gw.test, x.example.\n' > "$DIR/good.conf"
assert_contains "$("$DAEMON" -t -c "$DIR/good.conf" 2>&1)" "configuration OK" "portcullisd -t takes good names"
