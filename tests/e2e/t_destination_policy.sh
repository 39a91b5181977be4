#!/bin/bash
# Destinations the proxy must not reach: 403 even with valid credentials,
# whose text names the one reason that applied; an unreachable origin: 502
# with the reason. The gateway's own listeners
# are refused on every address it has, one added after the start too
# (DHCP on the uplink), when they listen on a wildcard address.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=0.0.0.0:8080
PROXY_EXTRA="deny_ranges = 10.202.0.96/29"
setup_daemon; add_user alice secret; start_daemon || exit 1
# each 403 names the one reason that applied
while read -r url reason; do
	out=$(pcurl -U alice:secret -w ' %{http_code}' "$url" 2>/dev/null)
	assert_eq 403 "${out##* }" "403 for $url"
	assert_contains "$out" "$reason." "the 403 for $url says why"
done <<'URLS'
http://127.0.0.1/ is a loopback address
http://169.254.169.254/latest/meta-data/ is a link-local address
http://[::1]/ is a loopback address
http://[fe80::1]/ is a link-local address
http://224.0.0.1/ is a multicast address
http://0.0.0.0/ is an unspecified address
http://10.201.0.1:3128/ is the proxy itself
http://10.202.0.1:22/ is an address of this gateway
http://10.202.0.99/ is in a range this gateway denies (deny_ranges)
URLS
out=$(pcurl -U alice:secret -p -w ' %{http_code}' http://$ORIGIN:22/ 2>&1)
assert_contains "$out" "403" "CONNECT to a port not allowed: 403"
out=$(in_client curl -s -x "$PROXY" -U alice:secret -X CONNECT --request-target "$ORIGIN:22" \
	http://$ORIGIN:22/ 2>/dev/null)
assert_contains "$out" "CONNECT to port 22 is not allowed" "and its text says why"
body=$(pcurl -U alice:secret http://$ORIGIN:9/)
assert_contains "$body" "cannot connect to $ORIGIN port 9" "502 names the reason"
assert_eq 502 "$(status_of -U alice:secret http://$ORIGIN:9/)" "502 status"
assert_eq 403 "$(status_of -U alice:secret http://10.202.0.1:8080/)" "403 for the admin panel on the uplink address"
in_gw ip addr add 10.202.0.50/24 dev "$E2E_NS-go"
# the workers re-read the host's addresses every 2 s
refused_as_admin() {
	body=$(pcurl -U alice:secret http://10.202.0.50:8080/api/me)
	printf '%s' "$body" | grep -qF "10.202.0.50:8080 is the admin panel"
}
wait_until 5 refused_as_admin
in_gw ip addr del 10.202.0.50/24 dev "$E2E_NS-go"
assert_contains "$body" "10.202.0.50:8080 is the admin panel" "403 for the admin panel on an address added after the start"
