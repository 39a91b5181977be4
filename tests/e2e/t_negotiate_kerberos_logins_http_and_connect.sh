#!/bin/bash
# Negotiate (RFC 4559) against a real MIT KDC: with no ticket the 407 offers
# Negotiate first; with alice's ticket curl --proxy-negotiate gets 200 for
# HTTP and through a CONNECT tunnel, the origin never sees the
# Proxy-Authorization, the access log names alice (realm stripped); the
# connection stays authenticated (one token for several requests); Basic
# still works beside it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kdc.sh"
kdc_up || exit 1
AUTH_EXTRA="schemes = negotiate,basic"
CONF_EXTRA=$(kdc_conf)
setup_daemon
add_user erin erin-pw
start_daemon || exit 1

out=$(ncurl -s -o /dev/null -D - http://$ORIGIN/1k)
assert_contains "$out" "HTTP/1.1 407" "no ticket: 407"
first=$(printf '%s\n' "$out" | grep -i '^Proxy-Authenticate:' | head -n 1 | tr -d '\r')
assert_eq "Proxy-Authenticate: Negotiate" "$first" "Negotiate offered first"
assert_contains "$out" 'Proxy-Authenticate: Basic realm=' "Basic offered after it"

kinit_as alice || { fail "kinit alice"; cat "$KRB_DIR/kinit.log"; }
assert_eq 200 "$(ncurl -o /dev/null -w '%{http_code}' http://$ORIGIN:8081/negotiated)" "HTTP with alice's ticket"
rec=$(record_last)
assert_contains "$rec" '"path": "/negotiated"' "the request reached the origin"
assert_not_contains "$rec" 'proxy-authorization' "the origin sees no Proxy-Authorization"
assert_contains "$(cat "$ACCESS")" " GET http://$ORIGIN:8081/negotiated alice " "access log names alice"
assert_eq 200 "$(ncurl -k -o /dev/null -w '%{http_code}' https://$ORIGIN/1k)" "CONNECT with alice's ticket"
wait_until 10 lines_at_least 1 " CONNECT $ORIGIN:443 alice " "$ACCESS" && ok || fail "access log names alice's tunnel"
in_krb_client klist > "$DIR/klist.txt" 2>&1
assert_contains "$(cat "$DIR/klist.txt")" "HTTP/$KRB_GW_NAME@$KRB_REALM" "the client holds a ticket for the gateway's principal"

# several requests on one connection: one token, then the connection's user
ncurl -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
	http://$ORIGIN/1k http://$ORIGIN/1k > "$DIR/two.txt" 2>&1
assert_eq "200 1
200 0" "$(cat "$DIR/two.txt")" "two requests on one connection"
assert_eq 2 "$(grep -c " GET http://$ORIGIN/1k alice " "$ACCESS")" "both logged as alice"

assert_eq 200 "$(status_of -U erin:erin-pw http://$ORIGIN/1k)" "Basic beside Negotiate"
