#!/bin/bash
# Intercept mode: a device limit set on a group's policy (policy set GROUP
# --devices 1) holds for its members who have no limit of their own. bob,
# in the group, signed in on the client, signs in on a second LAN host and
# is offered to sign out the oldest device; choosing it moves him over.
# carol, in no group with a policy, has no limit: two devices at once
# without a choice. bob's own limit (user devices bob 2) wins over the
# group's: a second device signs in without the choice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/second_lan_host.sh"
. "$(dirname "$0")/voucher.sh"

intercept_conf "session_lifetime = 1h"
setup_daemon
add_user bob 'bob pw'
add_user carol 'carol pw'
pc() { "$CLI" -d "$DB" "$@"; }
pc group add lobby >/dev/null
pc group member add lobby bob >/dev/null
out=$(pc policy set lobby --devices 0 2>&1)
assert_contains "$out" "--devices: want 1 to 64" "a device limit of 0 is refused with a clear error"
# set before the daemon starts: it reads the policies when they change,
# within half a second, and a login just after would race it
assert_contains "$(pc policy set lobby --devices 1)" "set" "the group's device limit set"
assert_contains "$(pc policy show lobby)" "devices: 1 at once" "policy show says the limit"
assert_eq 1 "$(pc policy list --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["max_devices"])')" \
	"policy list --json has the limit"
second_lan_host_up same-link || fail "second LAN host"
start_daemon || exit 1

# bob, limited by his group: the choice on the second device
assert_eq 303 "$(portal_login bob 'bob pw')" "bob signs in on the client"
wait_until 5 host_in in_client && ok || fail "the client passes"
jar=$DIR/jar.in_second
page=$(in_second timeout 20 curl -sS --max-time 10 -c "$jar" "$PORTAL/")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
assert_eq 409 "$(in_second timeout 20 curl -sS --max-time 10 -b "$jar" -o "$DIR/page" -w '%{http_code}' \
	--data-urlencode "csrf=$csrf" --data-urlencode "username=bob" --data-urlencode "password=bob pw" \
	"$PORTAL/login")" "bob's second device at his group's limit gets the choice"
assert_contains "$(page)" "1 at once is the limit" "the page says the limit"
assert_contains "$(page)" "end-oldest" "the page offers to sign out the oldest device"
host_out in_second && ok || fail "the second device does not pass before choosing"
assert_eq 303 "$(choose_end_oldest in_second)" "choosing signs the second device in"
wait_until 5 host_in in_second && ok || fail "bob's second device passes"
wait_until 5 host_out in_client && ok || fail "bob's oldest device is signed out"

# carol, in no group with a policy: no limit
pc session kick "$A_ADDR" >/dev/null
wait_until 5 host_out in_second && ok || fail "bob's session kicked"
assert_eq 303 "$(portal_login carol 'carol pw')" "carol signs in on the client"
assert_eq 303 "$(portal_login_via in_second carol 'carol pw')" "carol signs in on a second device without a choice"
wait_until 5 host_in in_client && wait_until 5 host_in in_second && ok || fail "both of carol's devices pass"

# bob's own limit wins over his group's
pc session kick 10.201.0.2 >/dev/null
pc session kick "$A_ADDR" >/dev/null
# a login made while the daemon is still cutting that address's
# connections gets 503 "try again" (the MAC of its connection is gone with
# them): wait until both devices are out, as a person would
wait_until 5 host_out in_client && wait_until 5 host_out in_second && ok || fail "carol's devices kicked"
assert_contains "$(pc user devices bob 2)" "bob" "bob's own limit set"
assert_eq 303 "$(portal_login bob 'bob pw')" "bob signs in on the client"
assert_eq 303 "$(portal_login_via in_second bob 'bob pw')" "his second device fits his own limit of 2"
wait_until 5 host_in in_client && wait_until 5 host_in in_second && ok || fail "both of bob's devices pass"
finish
