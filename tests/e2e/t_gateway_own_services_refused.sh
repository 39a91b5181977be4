#!/bin/bash
# Through the proxy, plain HTTP never reaches the gateway's own services:
# a listener in the gateway's namespace (an SSH or a mail relay, say) on
# its uplink address, its LAN address or its IPv6 address, on any port,
# gets 403 naming the reason, and receives not even a connection. A port
# listed in gateway_ports is the one way to open it, and the proxy's own
# listener stays refused even when listed.
. "$(dirname "$0")/lib.sh"
# the gateway's "other service": records every connection it accepts
start_gateway_service || fail "the gateway's service did not start"
setup_daemon; add_user alice secret; start_daemon || exit 1

for url in http://10.202.0.1:2222/ http://10.201.0.1:2222/ 'http://[fd00:202::1]:2222/' 'http://[fd00:201::1]:2222/'; do
	out=$(pcurl -U alice:secret -w ' %{http_code}' "$url" 2>/dev/null)
	assert_eq 403 "${out##* }" "403 for $url"
	assert_contains "$out" "is an address of this gateway" "the 403 for $url names the reason"
	assert_not_contains "$out" "gateway secret" "nothing of the service behind $url"
done
assert_eq "" "$(cat "$E2E_RECORD.gw")" "the gateway's service was not even connected to"
assert_contains "$(cat "$ACCESS")" "TCP_DENIED/403" "the refusals are in the access log"

# opened on purpose: gateway_ports lists it (a restart with the key added)
stop_daemon
sed -i '/^\[proxy\]$/a gateway_ports = 2222, 3128' "$DIR/portcullis.conf"
start_daemon || exit 1
assert_eq "gateway secret" "$(pcurl -U alice:secret http://10.202.0.1:2222/ 2>/dev/null)" \
	"a port listed in gateway_ports is reachable"
assert_contains "$(cat "$E2E_RECORD.gw")" "GET / HTTP/1.1" "and the service got the request"
out=$(pcurl -U alice:secret -w ' %{http_code}' http://10.201.0.1:3128/ 2>/dev/null)
assert_eq 403 "${out##* }" "the proxy itself stays refused although listed"
assert_contains "$out" "is the proxy itself" "and the 403 says so"
