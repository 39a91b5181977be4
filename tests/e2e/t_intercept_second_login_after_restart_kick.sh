#!/bin/bash
# Intercept mode: a device logged in with two addresses (IPv4 and IPv6),
# the daemon restarts (the session comes back from the database), the
# device logs in again from IPv4, and a kick of that login address ends
# the whole device: both addresses challenged and refused, no kernel
# element and no row left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user nora 'pw'
start_origin6_service || fail "IPv6 service on the origin started"
start_daemon || exit 1

v6_fwd() { direct_status "http://[fd00:202::2]:8086/1k"; }
# the user's addresses in `session list`, sorted, on one line
addresses_listed() {
	"$CLI" -d "$DB" session list --json | python3 -c '
import json, sys
print(" ".join(sorted(r["addr"] for r in json.load(sys.stdin) if r["username"] == "nora")))'
}

assert_eq 303 "$(portal_login nora pw)" "first login"
assert_eq 200 "$(direct_status 'http://[fd00:202::2]/1k')" "IPv6 HTTP joins the session"
wait_for '[ "$(addresses_listed)" = "10.201.0.2 fd00:201::2" ]' 50 && ok || fail "two addresses listed"

stop_daemon
start_daemon || exit 1
assert_contains "$(cat "$DLOG")" "2 sessions restored" "both addresses restored"
assert_eq 200 "$(v6_fwd)" "IPv6 forwarding passes after the restart"

assert_eq 303 "$(portal_login nora pw)" "second login after the restart"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "IPv4 forwarding passes"
assert_eq 200 "$(v6_fwd)" "IPv6 forwarding passes"

out=$("$CLI" -d "$DB" session kick 10.201.0.2)
assert_contains "$out" "ended" "kick of the login address"
wait_for '[ "$(direct_status http://10.202.0.2/1k)" = 302 ]' 50 \
	&& ok || fail "the login address is challenged after the kick"
: > "$ACCESS"
wait_for '[ -z "$(addresses_listed)" ]' 50 && ok || fail "no address listed after the kick"
assert_eq 302 "$(direct_status 'http://[fd00:202::2]/1k')" "IPv6 HTTP challenged after the kick"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "IPv4 forwarding refused after the kick"
assert_eq 000 "$(v6_fwd)" "IPv6 forwarding refused after the kick"
assert_not_contains "$(in_gw nft list set $TABLE sess4)" "10.201.0.2" "no IPv4 element left"
assert_not_contains "$(in_gw nft list set $TABLE sess6)" "fd00:201::" "no IPv6 element left"
assert_not_contains "$(in_gw nft list set $TABLE sessaddr6)" "fd00:201::" "no IPv6 address element left"
assert_not_contains "$(cat "$ACCESS")" " nora " "nothing credited to the user after the kick"
