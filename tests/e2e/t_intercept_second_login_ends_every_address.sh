#!/bin/bash
# Intercept mode: a device with three addresses (IPv4, its IPv6 address,
# a second IPv6 address) logs in on the portal a second time while all
# three share its session. The second login takes every address over
# (none is forgotten), and each way a session ends ends all three: the
# user disabled, a kick of the login address, the lifetime. After each,
# traffic from every address is refused (through the daemon and through
# the kernel), no kernel element and no row is left, and the daemon
# credits none of them to the user any more.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf "session_lifetime = 25s"
setup_daemon
add_user nora 'pw'
CIF=$E2E_NS-cg
NEW6=fd00:201::7
mac=$(in_client cat /sys/class/net/"$CIF"/address)

# an IPv6 service the daemon does not intercept (only the forward chain
# decides), and the device's second IPv6 address (both removed at the end)
on_finish 'in_client ip -6 addr del "$NEW6/64" dev "$CIF" 2>/dev/null'
start_origin6_service || fail "IPv6 service on the origin started"
# deprecated at once: the device never picks it as a source by itself
in_client ip -6 addr add "$NEW6/64" dev "$CIF" nodad preferred_lft 0
start_daemon || exit 1

v4_fwd() { direct_status http://10.202.0.2:8080/1k; }
v6_fwd() { direct_status "$@" "http://[fd00:202::2]:8086/1k"; }
ALL="10.201.0.2 fd00:201::2 $NEW6"
# the user's addresses in `session list`, sorted, on one line
addresses_listed() {
	"$CLI" -d "$DB" session list --json | python3 -c '
import json, sys
print(" ".join(sorted(r["addr"] for r in json.load(sys.stdin) if r["username"] == "nora")))'
}

# A login from IPv4; the IPv6 address joins through the daemon (HTTP),
# the second IPv6 address through traffic the kernel forwards; then the
# second login, which must keep all three.
device_logs_in_twice() { # what
	assert_eq 303 "$(portal_login nora pw)" "$1: first login"
	assert_eq 200 "$(direct_status 'http://[fd00:202::2]/1k')" "$1: IPv6 HTTP joins the session"
	wait_for "[ \"\$(v6_fwd --interface $NEW6)\" = 200 ]" 50 \
		&& ok || fail "$1: the second IPv6 address joins through forwarded traffic"
	wait_for '[ "$(addresses_listed)" = "$ALL" ]' 50 && ok || fail "$1: three addresses listed"
	assert_eq 303 "$(portal_login nora pw)" "$1: second login"
	assert_eq "$ALL" "$(addresses_listed)" "$1: three addresses listed after the second login"
	assert_eq 200 "$(v4_fwd)" "$1: IPv4 forwarding passes after the second login"
	assert_eq 200 "$(v6_fwd)" "$1: IPv6 forwarding passes after the second login"
	assert_eq 200 "$(v6_fwd --interface $NEW6)" "$1: the second IPv6 address passes"
}

device_ended() { # what tenths-of-a-second-to-wait
	wait_for '[ "$(direct_status http://10.202.0.2/1k)" = 302 ]' "${2:-100}" \
		&& ok || fail "$1: the login address is challenged again"
	: > "$ACCESS"
	wait_for '[ -z "$(addresses_listed)" ]' 50 && ok || fail "$1: no address listed"
	assert_eq 302 "$(direct_status 'http://[fd00:202::2]/1k')" "$1: IPv6 HTTP challenged"
	assert_eq 000 "$(v4_fwd)" "$1: IPv4 forwarding refused"
	assert_eq 000 "$(v6_fwd)" "$1: IPv6 forwarding refused"
	assert_eq 000 "$(v6_fwd --interface $NEW6)" "$1: the second IPv6 address refused"
	for set in sess4 sessaddr4; do
		assert_not_contains "$(in_gw nft list set $TABLE $set)" "10.201.0.2" "$1: no element in $set"
	done
	for set in sess6 sessaddr6; do
		assert_not_contains "$(in_gw nft list set $TABLE $set)" "fd00:201::" "$1: no element in $set"
	done
	assert_not_contains "$(cat "$ACCESS")" " nora " "$1: nothing credited to the user"
}

device_logs_in_twice "disable"
"$CLI" -d "$DB" user disable nora >/dev/null
device_ended "disable"
"$CLI" -d "$DB" user enable nora >/dev/null

device_logs_in_twice "kick"
out=$("$CLI" -d "$DB" session kick 10.201.0.2)
assert_contains "$out" "ended" "kick of the login address"
device_ended "kick"

device_logs_in_twice "lifetime"
login_at=$(date +%s)
device_ended "lifetime" 350
[ $(( $(date +%s) - login_at )) -ge 20 ] && ok || fail "lifetime: ended at the lifetime, not before"
assert_contains "$(cat "$DLOG")" 'reason=expired' "lifetime: ended as expired"
