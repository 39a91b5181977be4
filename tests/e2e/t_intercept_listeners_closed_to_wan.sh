#!/bin/bash
# Intercept mode: the intercept listeners (3129, 3130) and the login portal
# take only what arrived through the LAN interface. A host on the WAN side
# (the origin namespace plays it) gets nothing from them, neither at the
# gateway's WAN address nor at its LAN address routed through the gateway,
# IPv4 or IPv6; the LAN's clients still get the portal and are intercepted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user alice secret
start_daemon || exit 1
wait_until 3 table_running || fail "running table installed"

# the origin routes to the gateway (its default route) and can reach both
# of its addresses (control: the explicit proxy port, which is not bound to
# an interface, answers it; the input firewall of docs/deploy.md closes it)
wan_status() { in_origin timeout 10 curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" 2>/dev/null; }
assert_eq 407 "$(wan_status -x http://10.201.0.1:3128 http://10.202.0.2/1k)" "control: the WAN side reaches the gateway's LAN address"
for target in 10.202.0.1:3129 10.201.0.1:3129 '[fd00:202::1]:3129' '[fd00:201::1]:3129' \
	      10.202.0.1:8082 10.201.0.1:8082; do
	assert_eq 000 "$(wan_status "http://$target/")" "WAN side gets nothing from $target"
done
out=$(in_origin timeout 10 openssl s_client -connect 10.202.0.1:3130 -servername x </dev/null 2>&1)
assert_not_contains "$out" "CONNECTED" "WAN side cannot connect to the TLS listener"
out=$(in_origin timeout 10 openssl s_client -connect 10.201.0.1:3130 -servername x </dev/null 2>&1)
assert_not_contains "$out" "CONNECTED" "WAN side cannot connect to the TLS listener at the LAN address"

# the LAN side is served as before
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "LAN client intercepted"
assert_eq 302 "$(direct_status 'http://[fd00:202::2]/1k')" "LAN client intercepted over IPv6"
assert_eq 200 "$(ccurl -o /dev/null -w '%{http_code}' "$PORTAL/")" "LAN client gets the portal"
assert_eq 303 "$(portal_login alice secret)" "portal login from the LAN"
assert_eq "$(cat "$E2E_WWW/1k")" "$(ccurl http://10.202.0.2/1k)" "logged in: HTTP through the intercept listener"
assert_eq 000 "$(wan_status "http://10.201.0.1:8082/status")" "still nothing for the WAN side after a login"
