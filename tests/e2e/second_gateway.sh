#!/bin/bash
# A second gateway (sourced after lib.sh, intercept.sh and radius.sh, after
# radius_up): a site of its own, with its own daemon in intercept mode, its
# own LAN and client, and the same RADIUS servers, removed again however
# the scenario ends:
#
#   client2 10.211.0.2 --veth-- 10.211.0.1 gateway2 (its LAN, intercepted)
#   gateway2 10.205.0.1 --veth-- 10.205.0.2 RADIUS servers' namespace
#                                (10.204.0.0/24, the servers, routed there)
#   gateway2 10.212.0.1 --veth-- 10.212.0.2 origin (10.202.0.2 routed there)
#
# gateway2_up builds it; gateway2_start writes its configuration (what
# radius_conf gives, NAS-Identifier e2e-gateway-2, dae_listen
# $GW2_DAE, dae_clients the first server) and starts its daemon, logging to
# $DLOG2; in_gw2 and in_client2 run a command in its namespaces, and
# portal_login2 logs in on its portal as portal_login does on the first.
NS_G2=$E2E_NS-g2
NS_C2=$E2E_NS-c2
GW2_LAN_IF=$E2E_NS-g2c
GW2_DAE=10.205.0.1:3799
DIR2=""
DLOG2=""
DPID2=""
in_gw2() { ip netns exec "$NS_G2" "$@"; }
in_client2() { ip netns exec "$NS_C2" "$@"; }

gateway2_up() {
	on_finish gateway2_down
	ip netns add "$NS_G2" || return 1
	ip netns add "$NS_C2" || return 1
	ip -n "$NS_G2" link set lo up
	ip -n "$NS_C2" link set lo up
	ip link add "$E2E_NS-c2g" netns "$NS_C2" type veth peer name "$GW2_LAN_IF" netns "$NS_G2"
	ip link add "$E2E_NS-g2r" netns "$NS_G2" type veth peer name "$E2E_NS-rg2" netns "$NS_R"
	ip link add "$E2E_NS-g2o" netns "$NS_G2" type veth peer name "$E2E_NS-og2" netns "$NS_O"
	ip -n "$NS_C2" addr add 10.211.0.2/24 dev "$E2E_NS-c2g"
	ip -n "$NS_G2" addr add 10.211.0.1/24 dev "$GW2_LAN_IF"
	ip -n "$NS_G2" addr add 10.205.0.1/24 dev "$E2E_NS-g2r"
	ip -n "$NS_R" addr add 10.205.0.2/24 dev "$E2E_NS-rg2"
	ip -n "$NS_G2" addr add 10.212.0.1/24 dev "$E2E_NS-g2o"
	ip -n "$NS_O" addr add 10.212.0.2/24 dev "$E2E_NS-og2"
	ip -n "$NS_C2" link set "$E2E_NS-c2g" up
	ip -n "$NS_G2" link set "$GW2_LAN_IF" up
	ip -n "$NS_G2" link set "$E2E_NS-g2r" up
	ip -n "$NS_R" link set "$E2E_NS-rg2" up
	ip -n "$NS_G2" link set "$E2E_NS-g2o" up
	ip -n "$NS_O" link set "$E2E_NS-og2" up
	ip -n "$NS_C2" route add default via 10.211.0.1
	ip -n "$NS_G2" route add 10.204.0.0/24 via 10.205.0.2
	ip -n "$NS_G2" route add 10.202.0.0/24 via 10.212.0.2
	in_gw2 sysctl -qw net.ipv4.ip_forward=1
}

gateway2_down() {
	if [ -n "$DPID2" ] && kill -0 "$DPID2" 2>/dev/null; then
		kill -TERM "$DPID2"
		wait_until 10 gone "$DPID2"
		kill -KILL "$DPID2" 2>/dev/null
		wait "$DPID2" 2>/dev/null
	fi
	if [ "${FAILS:-0}" -ne 0 ] && [ -s "$DLOG2" ]; then
		echo "  second gateway's daemon log:"; tail -n 30 "$DLOG2" | sed 's/^/    /'
	fi
	# the origin's end lives in a namespace that outlives the scenario
	ip -n "$NS_O" link del "$E2E_NS-og2" 2>/dev/null
	ip netns del "$NS_C2" 2>/dev/null
	ip netns del "$NS_G2" 2>/dev/null
	[ -n "$DIR2" ] && rm -rf "$DIR2"
}

gateway2_start() {
	DIR2=$(mktemp -d /tmp/portcullis-e2e-gw2.XXXXXX)
	DLOG2=$DIR2/daemon.log
	{
		printf '[proxy]\nlisten = 10.211.0.1:3128\n[auth]\nsources = radius\n'
		printf '[db]\npath = %s\n[admin]\nlisten =\nweb_root = %s/web\n[log]\nlevel = info\n' \
			"$DIR2/portcullis.db" "$REPO"
		printf '[intercept]\ninterface = %s\n[portal]\nlisten = 10.211.0.1:8082\n' "$GW2_LAN_IF"
		radius_conf | sed 's/^nas_identifier = .*/nas_identifier = e2e-gateway-2/'
		radius_dae_conf "$GW2_DAE"
	} > "$DIR2/portcullis.conf"
	"$CLI" -d "$DIR2/portcullis.db" migrate >/dev/null
	ip netns exec "$NS_G2" "$DAEMON" -c "$DIR2/portcullis.conf" > "$DLOG2" 2>&1 &
	DPID2=$!
	wait_until 30 sh -c "grep -q 'portcullisd started' '$DLOG2' || ! kill -0 $DPID2 2>/dev/null"
	grep -q 'portcullisd started' "$DLOG2" && return 0
	echo "  second daemon did not start:"; sed 's/^/    /' "$DLOG2"
	fail "second daemon start"
	return 1
}

# portal_login on the second site: the same form, its client and portal.
portal_login2() { # user password
	(NS_C=$NS_C2 PORTAL=http://10.211.0.1:8082 portal_login "$@")
}
