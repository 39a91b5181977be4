#!/bin/bash
# Intercept mode: forged ARP cannot add addresses to a logged-in device.
# The victim is logged in; the attacker (its own MAC, same segment) sends
# ARP requests in the name of 24 addresses at the victim's MAC, more than
# the 16 a device may have, one of them an address it holds itself. The
# gateway's neighbour table believes them, the daemon does not: none of
# them becomes a session (memory, kernel sets, rows), sessaddr4 opens none
# of them to the WAN, and the victim's own new address still joins its
# session once its frames show it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/second_lan_host.sh"

intercept_conf
setup_daemon
add_user alice 'pw'
CIF=$E2E_NS-cg
on_finish 'in_client ip addr del 10.201.0.50/24 dev "$CIF" 2>/dev/null'
second_lan_host_up same-link || { fail "attacker namespace"; exit 1; }
# an address the attacker holds, with a service the WAN side will try
in_second ip addr add 10.201.0.100/24 dev "$A_IF"
timeout 120 ip netns exec "$NS_A" python3 -m http.server --bind 10.201.0.100 --directory "$E2E_WWW" \
	8099 >/dev/null 2>&1 &
start_daemon || exit 1
VICTIM_MAC=$(in_client cat /sys/class/net/"$CIF"/address)

assert_eq 303 "$(portal_login alice pw)" "the victim logs in"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "the victim's forwarded traffic passes"

forged=$(seq 100 123 | sed 's/^/10.201.0./')
in_second python3 "$REPO/tests/e2e/forge_arp.py" claim "$A_IF" "$VICTIM_MAC" 10.201.0.1 $forged
wait_for "[ \$(in_gw ip neigh show dev $LAN_IF | grep -c '$VICTIM_MAC') -ge 25 ]" 50 \
	&& ok || fail "the gateway's neighbour table holds the forged entries"

# the victim's own new address: its frames, its MAC
in_client ip addr add 10.201.0.50/24 dev "$CIF"
wait_for '[ "$(direct_status --interface 10.201.0.50 http://10.202.0.2:8080/1k)" = 200 ]' 50 \
	&& ok || fail "the victim's new address joins its session (its slots are free)"
wait_for "\"$CLI\" -d \"$DB\" session list | grep -q '10.201.0.50 '" 30 \
	&& ok || fail "the victim's new address listed"

sessions=$("$CLI" -d "$DB" session list)
sess4=$(in_gw nft list set $TABLE sess4)
sessaddr4=$(in_gw nft list set $TABLE sessaddr4)
for a in $forged; do
	assert_not_contains "$sessions" "$a " "$a (forged) is no session"
	assert_not_contains "$sess4" "$a " "$a (forged) has no element in sess4"
	assert_not_contains "$sessaddr4" "$a," "$a (forged) is not in sessaddr4"
	assert_not_contains "$sessaddr4" "$a }" "$a (forged) is not in sessaddr4"
done
assert_not_contains "$(cat "$DLOG")" "address 10.201.0.1" "no forged address joined (log)"

# the attacker puts its own MAC back for the address it holds: the WAN
# still cannot open a connection to it
in_second python3 "$REPO/tests/e2e/forge_arp.py" claim "$A_IF" \
	"$(in_second cat /sys/class/net/"$A_IF"/address)" 10.201.0.1 10.201.0.100
assert_eq 000 "$(in_origin timeout 10 curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	http://10.201.0.100:8099/1k)" "the WAN cannot reach the attacker's address"
