#!/bin/bash
# RADIUS accounting (RFC 2866) of portal sessions, as FreeRADIUS records
# it in its detail file: a Start at the login with the session's
# Acct-Session-Id, user, Class from the Access-Accept, NAS-Identifier,
# Framed-IP-Address and the client's MAC as Calling-Station-Id; an
# Interim-Update at the Acct-Interim-Interval the server gave; a Stop at
# the end whose Acct-Terminate-Cause is the real reason (Admin-Reset for a
# kick, Session-Timeout for a lifetime the server set), all three of one
# session under one Acct-Session-Id. The octets are the kernel's: the
# Interim-Update and the Stop count at least the 3 MiB the client
# downloaded, and at most 6 % more plus 64 KiB (IP and TCP headers, about
# 3.5 % at a 1448-byte MSS, the HTTP headers and the portal's pages).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
gina	Cleartext-Password := "gina-pw"
	Acct-Interim-Interval = 10,
	Class = "e2e-class-gina"
tom	Cleartext-Password := "tom-pw"
	Session-Timeout = 8
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
radius_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"
mac=$(in_client cat /sys/class/net/"$E2E_NS-cg"/address | tr 'a-f:' 'A-F-')

records() { radius_detail_values 1 Acct-Status-Type | grep -c "^$1$"; }
at_least() { [ "$(records "$1")" -ge "$2" ]; }
assert_eq 303 "$(portal_login gina gina-pw)" "portal login accepted by RADIUS"
wait_until 15 at_least Start 1
start_rec=$(radius_detail 1)
assert_eq 1 "$(records Start)" "one Start record"
assert_contains "$start_rec" 'User-Name = "gina"' "Start: the user"
assert_contains "$start_rec" 'NAS-Identifier = "e2e-gateway"' "Start: the NAS-Identifier"
assert_contains "$start_rec" 'Framed-IP-Address = 10.201.0.2' "Start: the client's address"
assert_contains "$start_rec" "Calling-Station-Id = \"$mac\"" "Start: the client's MAC"
assert_contains "$start_rec" "Class = 0x$(printf 'e2e-class-gina' | od -An -tx1 | tr -d ' \n')" \
	"Start: the Class of the Access-Accept, echoed"
assert_contains "$start_rec" 'Acct-Authentic = RADIUS' "Start: authenticated by RADIUS"
sid=$(radius_detail_values 1 Acct-Session-Id | head -n 1)
assert_contains "$sid" "e2e-gateway-" "the Acct-Session-Id names the gateway"

for i in 1 2 3; do
	assert_eq 200 "$(direct_status http://10.202.0.2/1m)" "download $i of 1 MiB through the session"
done
payload=$((3 * 1048576))
in_margin() { [ "${1:-0}" -ge "$payload" ] && [ "${1:-0}" -le $((payload * 106 / 100 + 65536)) ]; }
wait_until 30 at_least Interim-Update 1
at_least Interim-Update 1 && ok || fail "an Interim-Update at the server's Acct-Interim-Interval"
interim_out=$(radius_detail 1 | awk '/Interim-Update/ { f = 1 } f && /Acct-Output-Octets/ { print $3; exit }')
in_margin "$interim_out" && ok || fail "the Interim-Update's Acct-Output-Octets ($interim_out) is the download ($payload) and its headers"

"$CLI" -d "$DB" session kick 10.201.0.2 >/dev/null
wait_until 15 at_least Stop 1
assert_eq 1 "$(records Stop)" "a Stop after the kick"
assert_eq Admin-Reset "$(radius_detail_values 1 Acct-Terminate-Cause | head -n 1)" \
	"the kick's Stop says Admin-Reset"
assert_eq 1 "$(radius_detail_values 1 Acct-Session-Id | sort -u | wc -l)" \
	"Start, Interim-Update and Stop under one Acct-Session-Id"
stop_out=$(radius_detail 1 | awk '/Acct-Status-Type = Stop/ { f = 1 } f && /Acct-Output-Octets/ { print $3; exit }')
stop_in=$(radius_detail 1 | awk '/Acct-Status-Type = Stop/ { f = 1 } f && /Acct-Input-Octets/ { print $3; exit }')
in_margin "$stop_out" && ok || fail "the Stop's Acct-Output-Octets ($stop_out) is the download ($payload) and its headers"
[ "${stop_in:-0}" -gt 0 ] && [ "${stop_in:-0}" -lt 262144 ] && ok \
	|| fail "the Stop's Acct-Input-Octets ($stop_in): the client's requests and ACKs"
echo "  figure: 3 MiB downloaded, Acct-Output-Octets $stop_out ($(( (stop_out - payload) * 1000 / payload )) per mille more), Acct-Input-Octets $stop_in"
stop_time=$(radius_detail_values 1 Acct-Session-Time | tail -n 1)
[ "${stop_time:-0}" -ge 10 ] && ok || fail "the Stop's Acct-Session-Time ($stop_time) covers the session"

# a lifetime the server set: the Stop says Session-Timeout
assert_eq 303 "$(portal_login tom tom-pw)" "a second login accepted"
wait_until 30 at_least Stop 2
assert_eq 2 "$(records Stop)" "a Stop when the Session-Timeout ran out"
assert_eq Session-Timeout "$(radius_detail_values 1 Acct-Terminate-Cause | sed -n 2p)" \
	"the lifetime's Stop says Session-Timeout"
assert_eq 2 "$(radius_detail_values 1 Acct-Session-Id | sort -u | wc -l)" \
	"the second session has its own Acct-Session-Id"
finish
