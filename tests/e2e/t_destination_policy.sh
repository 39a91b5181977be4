#!/bin/bash
# Destinations the proxy must not reach: 403 even with valid credentials;
# an unreachable origin: 502 with the reason. The gateway's own listeners
# are refused on every address it has, one added after the start too
# (DHCP on the uplink), when they listen on a wildcard address.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=0.0.0.0:8080
setup_daemon; add_user alice secret; start_daemon || exit 1
for url in http://127.0.0.1/ http://169.254.169.254/latest/meta-data/ 'http://[::1]/' http://10.201.0.1:3128/ http://0.0.0.0/; do
	assert_eq 403 "$(status_of -U alice:secret "$url")" "403 for $url"
done
body=$(pcurl -U alice:secret http://$ORIGIN:9/)
assert_contains "$body" "cannot connect to $ORIGIN port 9" "502 names the reason"
assert_eq 502 "$(status_of -U alice:secret http://$ORIGIN:9/)" "502 status"
assert_eq 403 "$(status_of -U alice:secret http://10.202.0.1:8080/)" "403 for the admin panel on the uplink address"
in_gw ip addr add 10.202.0.50/24 dev "$E2E_NS-go"
sleep 3   # the workers re-read the host's addresses every 2 s
body=$(pcurl -U alice:secret http://10.202.0.50:8080/api/me)
in_gw ip addr del 10.202.0.50/24 dev "$E2E_NS-go"
assert_contains "$body" "10.202.0.50:8080 is the admin panel" "403 for the admin panel on an address added after the start"
