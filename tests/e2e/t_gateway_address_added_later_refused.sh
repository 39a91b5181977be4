#!/bin/bash
# An address the gateway gains while the daemon runs (DHCP on the uplink,
# an address added by hand in a new subnet, any IPv6 one) is refused at
# once, not only after the daemon next re-reads its addresses: plain HTTP
# through the proxy to a listener of the gateway's on an address added
# right before the request, IPv4 and IPv6, gets 403 naming the reason, and
# the listener never gets the request (the connection is closed as soon as
# it is seen to reach the gateway). A port listed in gateway_ports stays
# open on such an address.
. "$(dirname "$0")/lib.sh"
# the gateway's "other service": records every connection it accepts and
# what came on it
start_gateway_service || fail "the gateway's service did not start"
GO=$E2E_NS-go
on_finish 'in_gw ip addr del 10.203.0.77/24 dev "$GO" 2>/dev/null; in_gw ip addr del fd00:202::77/64 dev "$GO" 2>/dev/null; in_gw ip addr del 10.202.0.78/24 dev "$GO" 2>/dev/null'
setup_daemon; add_user alice secret; start_daemon || exit 1

# added right before the request: the daemon's list of its addresses,
# re-read every 2 s, does not have it yet. (An IPv4 address added in a
# subnet the interface already has is not caught this way: the kernel
# gives the subnet's first address as the source; that gap stays until the
# re-read.)
for a in 10.203.0.77/24 fd00:202::77/64; do
	case $a in *:*) url="http://[${a%/*}]:2222/"; nodad=nodad ;; *) url="http://${a%/*}:2222/"; nodad="" ;; esac
	in_gw ip addr add "$a" dev "$GO" $nodad
	out=$(pcurl -U alice:secret -w ' %{http_code}' "$url" 2>/dev/null)
	assert_eq 403 "${out##* }" "403 for $url, added a moment before"
	assert_contains "$out" "is an address of this gateway" "the 403 for $url names the reason"
	assert_not_contains "$out" "gateway secret" "nothing of the service behind $url"
done
assert_not_contains "$(cat "$E2E_RECORD.gw")" "GET" "the gateway's service never got a request"
assert_contains "$(cat "$DLOG")" "is an address of this gateway (found at connect)" "the daemon log says where it was found"

# gateway_ports still opens a port there (a restart with the key added)
stop_daemon
sed -i '/^\[proxy\]$/a gateway_ports = 2222' "$DIR/portcullis.conf"
start_daemon || exit 1
in_gw ip addr add 10.202.0.78/24 dev "$GO"
assert_eq "gateway secret" "$(pcurl -U alice:secret http://10.202.0.78:2222/ 2>/dev/null)" \
	"a port listed in gateway_ports is reachable on an address added later"
