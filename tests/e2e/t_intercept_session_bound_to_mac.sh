#!/bin/bash
# Intercept mode: a session belongs to the address AND the MAC it logged in
# from. Another device that takes over the address (a new MAC) is not
# logged in, neither for the HTTP the daemon handles nor for the traffic the
# kernel forwards, and the portal tells it so (the RFC 8908 API says
# captive, the status page not signed in); the original device still is.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user frank 'pw'
start_daemon || exit 1
CIF=$E2E_NS-cg
orig=$(in_client cat /sys/class/net/"$CIF"/address)
# the client namespace outlives the scenario: its MAC is put back whatever happens
on_finish 'in_client ip link set dev "$CIF" address "$orig"'
assert_eq 303 "$(portal_login frank pw)" "login"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "HTTP passes from the logged-in device"
assert_contains "$(ccurl "$PORTAL/api/captive")" '"captive":false' "the captive API says the device is not captive"
assert_contains "$(ccurl "$PORTAL/status")" "signed in as frank" "the status page names the user"

set_mac() {
	in_client ip link set dev "$CIF" address "$1"
	in_gw ip neigh flush dev "$E2E_NS-gc"
}
set_mac 02:00:00:00:be:ef
assert_eq 302 "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" "same address, other MAC: challenged"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "same address, other MAC: forwarding refused"
json=$(ccurl "$PORTAL/api/captive")
assert_contains "$json" '"captive":true' "same address, other MAC: the captive API says captive"
assert_not_contains "$json" "seconds-remaining" "with no session time left"
assert_contains "$(ccurl "$PORTAL/status")" "You are not signed in" "same address, other MAC: the status page says not signed in"
set_mac "$orig"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the original device is still logged in"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "and still forwarded"
assert_contains "$(ccurl "$PORTAL/api/captive")" '"captive":false' "and not captive"
