#!/bin/bash
# Intercept mode: a second LAN host cannot borrow a logged-in device's
# session with forged ARP. The victim (the client namespace) is logged in;
# the attacker (10.201.0.3, its own MAC, on the same segment) completes a
# TCP handshake to port 80 and to port 443 while the gateway's neighbour
# table holds the victim's MAC for the attacker's address (one forged ARP
# request, sent between its side of the handshake and the gateway's), then
# puts its own MAC back to read the answer. The daemon judges the
# connection by the MAC of its first frame, as the kernel saw it: the
# attacker gets the portal redirect and a refused TLS connection, nothing
# reaches the origin in the victim's name, the access log credits nothing
# to the victim's user, and no session of the attacker's address appears.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/second_lan_host.sh"

intercept_conf
setup_daemon
add_user alice 'pw'
second_lan_host_up same-link || { fail "attacker namespace"; exit 1; }
start_daemon || exit 1
VICTIM_MAC=$(in_client cat /sys/class/net/"$E2E_NS"-cg/address)
ATTACKER_MAC=$(in_second cat /sys/class/net/"$A_IF"/address)
[ "$VICTIM_MAC" != "$ATTACKER_MAC" ] && ok || fail "the attacker has a MAC of its own"

assert_eq 303 "$(portal_login alice pw)" "the victim logs in"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the victim's HTTP passes"
assert_eq 302 "$(in_second curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://10.202.0.2/1k)" \
	"the attacker, honest, is sent to the portal"

# One race per kind: the attacker's connection is judged once its request
# has reached the daemon (an access log line for its address); then it
# restores its neighbour entry and reads the answer.
race() { # kind port
	rm -f "$DIR/judged" "$DIR/race"
	: > "$ACCESS"
	in_second timeout 60 python3 "$REPO/tests/e2e/forge_arp.py" race "$A_IF" "$VICTIM_MAC" \
		10.201.0.1 10.202.0.2 "$2" "$1" "$DIR/judged" "$DIR/race" &
	local racer=$!
	wait_for "grep -q '10.201.0.3' '$ACCESS'" 150 || fail "$1: the daemon judged the attacker's connection"
	# the neighbour entry the daemon would have read at accept()
	assert_contains "$(in_gw ip neigh show 10.201.0.3 dev "$LAN_IF")" "$VICTIM_MAC" \
		"$1: the gateway's neighbour table held the victim's MAC for the attacker"
	touch "$DIR/judged"
	wait "$racer"
}

race http 80
assert_eq "http:302" "$(cat "$DIR/race" 2>/dev/null)" "HTTP race: the attacker gets the portal redirect"
assert_not_contains "$(grep '10.201.0.3' "$ACCESS")" " alice " "HTTP race: nothing credited to the victim's user"
assert_not_contains "$(grep '10.201.0.3' "$ACCESS")" "TCP_MISS" "HTTP race: nothing forwarded"

race tls 443
assert_eq "tls:refused" "$(cat "$DIR/race" 2>/dev/null)" "TLS race: the attacker's TLS is refused"
assert_not_contains "$(grep '10.201.0.3' "$ACCESS")" " alice " "TLS race: nothing credited to the victim's user"
assert_not_contains "$(grep '10.201.0.3' "$ACCESS")" "TCP_TUNNEL" "TLS race: nothing spliced"

assert_not_contains "$("$CLI" -d "$DB" session list)" "10.201.0.3" "no session for the attacker's address"
assert_not_contains "$(in_gw nft list set $TABLE sess4)" "10.201.0.3" "no kernel element for it"
assert_not_contains "$(in_gw nft list set $TABLE sessaddr4)" "10.201.0.3" "nor in sessaddr4"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the victim still passes"
