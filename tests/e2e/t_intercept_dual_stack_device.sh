#!/bin/bash
# Intercept mode: a session is the device's, not only the one address the
# portal saw. The client logs in over IPv4; its IPv6 addresses on the same
# interface (same MAC) are logged in too, without a second login: IPv6
# HTTP and TLS through the daemon at once (before the gateway has even
# heard from the IPv6 address), kernel-forwarded IPv6 right after, and an
# address that appears later (a new privacy address) once the gateway
# sees it. Each address is a session of its own in the kernel sets and in
# `session list` (link-local excluded: it is never forwarded), all come
# back after a restart, and a kick of one address ends the whole device.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user nora 'pw'
CIF=$E2E_NS-cg
NEW6=fd00:201::3
mac=$(in_client cat /sys/class/net/"$CIF"/address)

# an IPv6 service on a port the daemon does not intercept, so only the
# forward chain decides; and a second IPv6 address on the client's
# interface, added later in the scenario (both removed at the end)
on_finish 'in_client ip -6 addr del "$NEW6/64" dev "$CIF" 2>/dev/null'
start_origin6_service || fail "IPv6 service on the origin started"
start_daemon || exit 1

v6_status() { direct_status "$@" "http://[fd00:202::2]:8086/1k"; }
listed() { "$CLI" -d "$DB" session list; }

# before login: both families captive
assert_eq 302 "$(direct_status 'http://[fd00:202::2]/1k')" "IPv6 HTTP challenged before login"
assert_eq 000 "$(v6_status)" "IPv6 forwarding refused before login"
# the gateway forgets the client's IPv6 neighbour entry: at the login it
# knows only the IPv4 address, the IPv6 one shows up afterwards
in_gw ip -6 neigh flush dev "$LAN_IF"

assert_eq 303 "$(portal_login nora pw)" "login over IPv4"
body=$(ccurl 'http://[fd00:202::2]/1k')
assert_eq "$(cat "$E2E_WWW/1k")" "$body" "IPv6 HTTP passes at once, without a second login"
body=$(ccurl -k 'https://[fd00:202::2]/1k')
assert_eq "$(cat "$E2E_WWW/1k")" "$body" "IPv6 TLS is spliced, not reset"
wait_for "in_gw nft list set $TABLE sess6 | grep -q 'fd00:201::2 . $mac'" 30 \
	&& ok || fail "the IPv6 address joins the session in the kernel set (address . MAC)"
assert_contains "$(in_gw nft list set $TABLE sessaddr6)" "fd00:201::2" "and in sessaddr6"
assert_eq 200 "$(v6_status)" "kernel-forwarded IPv6 passes"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "kernel-forwarded IPv4 passes"
wait_for "listed | grep -q 'fd00:201::2'" 30 && ok || fail "the IPv6 address listed as a session"
list=$(listed)
assert_contains "$(echo "$list" | grep 'fd00:201::2')" "nora" "listed with the user"
assert_contains "$(echo "$list" | grep 'fd00:201::2')" "$mac" "and the device's MAC"
assert_not_contains "$list" "fe80:" "link-local addresses are not sessions"
wait_until 10 log_has "GET http://\[fd00:202::2\]/1k nora" "$ACCESS"
assert_contains "$(cat "$ACCESS")" "GET http://[fd00:202::2]/1k nora" "IPv6 HTTP attributed to the user"

# an address that appears later and only sends traffic the kernel forwards
in_client ip -6 addr add "$NEW6/64" dev "$CIF" nodad
wait_for "[ \"\$(v6_status --interface $NEW6)\" = 200 ]" 50 \
	&& ok || fail "a new IPv6 address of the device passes without a login once the gateway sees it"
assert_contains "$(in_gw nft list set $TABLE sess6)" "$NEW6 . $mac" "its kernel element"
wait_for "listed | grep -q '$NEW6'" 30 && ok || fail "the new address listed"
assert_contains "$(cat "$DLOG")" "address $NEW6" "its joining logged"

# restart: every address of the device comes back
stop_daemon
start_daemon || exit 1
assert_contains "$(cat "$DLOG")" "3 sessions restored" "the three addresses restored"
assert_eq 200 "$(v6_status)" "IPv6 forwarding passes after the restart"
assert_eq 200 "$(direct_status 'http://[fd00:202::2]/1k')" "IPv6 HTTP passes after the restart"

# a kick of one address is a kick of the device
out=$("$CLI" -d "$DB" session kick fd00:201::2)
assert_contains "$out" "ended" "kick of the IPv6 address"
wait_for "[ \"\$(direct_status http://10.202.0.2/1k)\" = 302 ]" 30 \
	&& ok || fail "the IPv4 address is challenged again after the kick of the IPv6 one"
assert_eq 302 "$(direct_status 'http://[fd00:202::2]/1k')" "IPv6 HTTP challenged again"
assert_eq 000 "$(v6_status)" "IPv6 forwarding refused after the kick"
assert_eq 000 "$(v6_status --interface $NEW6)" "the later address refused too"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "IPv4 forwarding refused after the kick"
wait_for "! listed | grep -q nora" 30 && ok || fail "no address of the device listed after the kick"
assert_not_contains "$(in_gw nft list set $TABLE sess4)" "10.201.0.2" "no IPv4 element left"
assert_not_contains "$(in_gw nft list set $TABLE sess6)" "fd00:201::" "no IPv6 element left"
assert_contains "$(cat "$DLOG")" 'session ended: client=10.201.0.2 user="nora" reason=kicked' "the IPv4 address ended as kicked"
