#!/bin/bash
# A second host on the LAN (sourced after lib.sh): a namespace of its own,
# $NS_A, removed again however the scenario ends. in_second runs a command
# in it; $A_IF is its interface and $A_ADDR its address. It is attached in
# one of two ways:
#
#   second_lan_host_up            a veth pair of its own to the gateway on
#                                 10.203.0.0/24: the gateway sees it as
#                                 another client address, 10.203.0.2
#   second_lan_host_up same-link  a macvlan on the client's own link, so its
#                                 frames reach the gateway's LAN interface
#                                 from 10.201.0.3 with a MAC of its own (an
#                                 attacker beside the victim, for ARP forgery)
NS_A=$E2E_NS-a
A_IF=""
A_ADDR=""
in_second() { ip netns exec "$NS_A" "$@"; }

second_lan_host_up() { # [same-link]
	ip netns add "$NS_A" || return 1
	on_finish second_lan_host_down
	ip -n "$NS_A" link set lo up
	if [ "${1:-}" = same-link ]; then
		A_IF=$E2E_NS-ca
		A_ADDR=10.201.0.3
		in_client ip link add link "$E2E_NS-cg" name "$A_IF" type macvlan mode bridge || return 1
		in_client ip link set "$A_IF" netns "$NS_A" || return 1
		ip -n "$NS_A" addr add "$A_ADDR/24" dev "$A_IF"
		ip -n "$NS_A" link set "$A_IF" up
		ip -n "$NS_A" route add default via 10.201.0.1
	else
		A_IF=$E2E_NS-ag
		A_ADDR=10.203.0.2
		ip link add "$A_IF" netns "$NS_A" type veth peer name "$E2E_NS-ga" netns "$NS_G" || return 1
		ip -n "$NS_A" addr add "$A_ADDR/24" dev "$A_IF"
		ip -n "$NS_G" addr add 10.203.0.1/24 dev "$E2E_NS-ga"
		ip -n "$NS_A" link set "$A_IF" up
		ip -n "$NS_G" link set "$E2E_NS-ga" up
		ip -n "$NS_A" route add default via 10.203.0.1
	fi
}

second_lan_host_down() {
	ip netns del "$NS_A" 2>/dev/null   # takes its veth pair or macvlan with it
}

# A third host beside the client (after second_lan_host_up same-link, for a
# scenario that needs three devices on the intercepted LAN): $NS_B, a
# macvlan of its own on the client's link, 10.201.0.4; in_third runs a
# command in it.
NS_B=$E2E_NS-b
in_third() { ip netns exec "$NS_B" "$@"; }

third_lan_host_up() {
	ip netns add "$NS_B" || return 1
	on_finish "ip netns del '$NS_B' 2>/dev/null"
	ip -n "$NS_B" link set lo up
	in_client ip link add link "$E2E_NS-cg" name "$E2E_NS-cb" type macvlan mode bridge || return 1
	in_client ip link set "$E2E_NS-cb" netns "$NS_B" || return 1
	ip -n "$NS_B" addr add 10.201.0.4/24 dev "$E2E_NS-cb"
	ip -n "$NS_B" link set "$E2E_NS-cb" up
	ip -n "$NS_B" route add default via 10.201.0.1
}
