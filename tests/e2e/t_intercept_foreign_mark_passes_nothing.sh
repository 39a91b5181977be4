#!/bin/bash
# Intercept mode: no packet passes the gate on its firewall mark. Another
# table of the gateway (policy routing, accounting) marks the LAN's packets
# with the very value of [intercept] mark before the daemon's chains see
# them: an unauthenticated client still gets its HTTP sent to the portal and
# its other ports rejected, and still passes once it has logged in. (The
# table used to skip packets carrying that mark, meant for the daemon's own
# connections, which never pass those chains.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user alice secret
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"
mark=$(printf '0x%08x' 1885536256)      # the default [intercept] mark
in_gw nft -f - <<NFT
table inet sitemark {
	chain mark_pre { type filter hook prerouting priority mangle; iifname "$LAN_IF" meta mark set $mark counter; }
	chain mark_fwd { type filter hook forward priority -10; iifname "$LAN_IF" meta mark set $mark counter; }
}
NFT
assert_contains "$(in_gw nft list table inet sitemark)" "meta mark set $mark" "foreign table marks the LAN's packets"

assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "marked, unauthenticated: other ports rejected"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "marked, unauthenticated: HTTP still goes to the portal"
assert_eq 302 "$(direct_status 'http://[fd00:202::2]/1k')" "marked, unauthenticated IPv6: to the portal too"
assert_contains "$(in_gw nft list table inet sitemark)" "packets" "the foreign rules did see the packets"
[ "$(in_gw nft list table inet sitemark | grep -c 'packets 0 ')" -lt 2 ] && ok || fail "foreign mark rules matched packets"

assert_eq 303 "$(portal_login alice secret)" "portal login"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "logged in: forwarded"
assert_eq "$(cat "$E2E_WWW/1k")" "$(ccurl http://10.202.0.2/1k)" "logged in: HTTP through the daemon"
in_gw nft delete table inet sitemark
