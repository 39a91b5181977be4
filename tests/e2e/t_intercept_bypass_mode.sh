#!/bin/bash
# Intercept mode with bypass = yes: after the portal login the
# client's HTTP and HTTPS go around the daemon entirely (the kernel passes
# them; the access log sees nothing), while before it they are challenged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf "bypass = yes"
setup_daemon
add_user erin 'pw'
start_daemon || exit 1
assert_eq 302 "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" "challenged before login"
assert_eq 303 "$(portal_login erin pw)" "login"
: > "$ACCESS"
body=$(ccurl "http://10.202.0.2/1k")
assert_eq "$(cat "$E2E_WWW/1k")" "$body" "HTTP reaches the origin"
out=$(in_client timeout 10 openssl s_client -connect 10.202.0.2:443 -servername origin.test </dev/null 2>&1)
assert_contains "$out" "CN = origin.test" "TLS reaches the origin"
# what the daemon never saw proves itself by its absence: wait a moment for
# a line it would have written at the end of the exchange
sleep 0.3
assert_not_contains "$(cat "$ACCESS")" "10.202.0.2" "the daemon is bypassed after login"
"$CLI" -d "$DB" session kick 10.201.0.2 >/dev/null
wait_for '[ "$(ccurl -o /dev/null -w %{http_code} http://10.202.0.2/1k)" = 302 ]' 30 \
	&& ok || fail "challenged again after kick"
