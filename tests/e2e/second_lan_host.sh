#!/bin/bash
# A second LAN host (sourced after lib.sh): its own namespace, joined to
# the gateway by its own veth pair on 10.203.0.0/24, so the gateway sees
# its traffic from another address (10.203.0.2) than the client's. It is
# removed when the scenario exits.
NS_A=$E2E_NS-a
A_ADDR=10.203.0.2
in_second() { ip netns exec "$NS_A" "$@"; }

second_lan_host_up() {
	ip netns add "$NS_A" || return 1
	ip -n "$NS_A" link set lo up
	ip link add "$E2E_NS-ag" netns "$NS_A" type veth peer name "$E2E_NS-ga" netns "$NS_G"
	ip -n "$NS_A" addr add "$A_ADDR/24" dev "$E2E_NS-ag"
	ip -n "$NS_G" addr add 10.203.0.1/24 dev "$E2E_NS-ga"
	ip -n "$NS_A" link set "$E2E_NS-ag" up
	ip -n "$NS_G" link set "$E2E_NS-ga" up
	ip -n "$NS_A" route add default via 10.203.0.1
}

second_lan_host_down() {
	ip netns del "$NS_A" 2>/dev/null   # takes the veth pair with it
}
