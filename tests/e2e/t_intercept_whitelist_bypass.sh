#!/bin/bash
# Intercept mode, point 5: a whitelisted address passes without any
# challenge and bypasses the daemon in the kernel (nothing in the access
# log); the whitelist follows CLI changes while the daemon runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
"$CLI" -d "$DB" whitelist add 10.201.0.0/28 "lab printers" >/dev/null
"$CLI" -d "$DB" whitelist add fd00:201::/64 "v6 lab" >/dev/null
start_daemon || exit 1
set=$(in_gw nft list set inet portcullis wl4)
assert_contains "$set" "10.201.0.0/28" "whitelist range in the kernel set"
assert_contains "$(in_gw nft list set inet portcullis wl6)" "fd00:201::/64" "IPv6 whitelist range in the kernel set"
body=$(ccurl "http://10.202.0.2/1k")
assert_eq "$(cat "$E2E_WWW/1k")" "$body" "whitelisted client reaches the origin without login"
assert_eq 200 "$(direct_status http://[fd00:202::2]/1k)" "whitelisted IPv6 client passes"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "other ports forwarded for a whitelisted client"
out=$(in_client timeout 10 openssl s_client -connect 10.202.0.2:443 -servername origin.test </dev/null 2>&1)
assert_contains "$out" "CN = origin.test" "TLS passes for a whitelisted client"
# what the daemon never saw proves itself by its absence: wait a moment for
# a line it would have written at the end of the exchange
sleep 0.3
assert_not_contains "$(cat "$ACCESS")" "10.202.0.2" "the daemon never saw the whitelisted traffic"

# removed while running: challenged again within a second or so
"$CLI" -d "$DB" whitelist del 10.201.0.0/28 >/dev/null
wait_for '[ "$(ccurl -o /dev/null -w %{http_code} http://10.202.0.2/1k)" = 302 ]' 30 \
	&& ok || fail "client challenged after its whitelist entry was removed"
assert_not_contains "$(in_gw nft list set inet portcullis wl4)" "10.201.0.0" "range removed from the kernel set"
"$CLI" -d "$DB" whitelist add 10.201.0.2 >/dev/null
wait_for '[ "$(ccurl -o /dev/null -w %{http_code} http://10.202.0.2/1k)" = 200 ]' 30 \
	&& ok || fail "client passes after a whitelist entry was added"
