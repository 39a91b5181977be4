#!/bin/bash
# Intercept mode fails closed while the daemon runs: when another process
# deletes or changes the daemon's table (`flush ruleset`, what a reload of
# Debian's stock nftables.conf does; a rule slipped into its chain), the
# daemon puts it back at once, with its sessions and whitelist: a client
# that has not logged in is still refused, a logged-in one keeps passing
# without a new login, and each time is logged and counted in /metrics.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
add_user alice secret
start_daemon || exit 1
wait_until 3 table_running || fail "running table installed"
assert_eq 0 "$(metric portcullis_nft_table_restored_total)" "nothing restored yet"

# 1. flush ruleset before anyone logged in
t0=$(date +%s%N)
in_gw nft flush ruleset
wait_until 2 table_running && ok || fail "table put back within 2 s of the flush"
echo "  table seen back after $(( ($(date +%s%N) - t0) / 1000000 )) ms (polling included)"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "unauthenticated client: other ports still rejected"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "unauthenticated client: HTTP still sent to the portal"
wait_until 2 grep -q 'table inet portcullis was deleted by nft (pid [0-9]*); put back with 0 sessions' "$DLOG" \
	&& ok || fail "the log says who deleted it and that it was put back"
assert_eq 1 "$(metric portcullis_nft_table_restored_total)" "metric counts the restore"
# the daemon's own clock: the flush started at t0, the log line says when it
# was put back
back=$(sed -n 's/^\([0-9T:.-]*\) .*put back with 0 sessions.*/\1/p' "$DLOG" | head -n 1)
[ -n "$back" ] && echo "  put back $(( $(date -d "${back/T/ }" +%s%N) / 1000000 - t0 / 1000000 )) ms after the flush began (daemon's log)"

# 2. a logged-in client keeps passing through a flush
assert_eq 303 "$(portal_login alice secret)" "portal login"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "logged in: forwarded"
# the device's IPv6 address joins on its first request: two addresses, one MAC
assert_eq "$(cat "$E2E_WWW/1k")" "$(ccurl 'http://[fd00:202::2]/1k')" "the device's IPv6 address joins"
wait_until 3 sh -c "ip netns exec $NS_G nft list set $TABLE sess6 | grep -q fd00:201::2" \
	|| fail "the IPv6 address has its element"
in_gw nft flush ruleset
wait_until 2 table_running && ok || fail "table put back after the second flush"
wait_until 2 sh -c "ip netns exec $NS_G nft list set $TABLE sess4 | grep -q 10.201.0.2" \
	&& ok || fail "the session is back in the kernel set"
wait_until 2 sh -c "ip netns exec $NS_G nft list set $TABLE sess6 | grep -q fd00:201::2" \
	&& ok || fail "and the device's IPv6 address with it"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "logged in: still forwarded, no new login"
assert_eq "$(cat "$E2E_WWW/1k")" "$(ccurl http://10.202.0.2/1k)" "logged in: HTTP through the daemon"
wait_until 2 sh -c "[ \"\$(ip netns exec $NS_G timeout 5 curl -s http://127.0.0.1:8080/metrics | awk '\$1 == \"portcullis_nft_table_restored_total\" { print \$2 }')\" = 2 ]" \
	&& ok || fail "metric counts the second restore"

# 3. a rule slipped into the daemon's chain goes again
in_gw nft insert rule $TABLE forward accept
wait_until 2 sh -c "! ip netns exec $NS_G nft list chain $TABLE forward | grep -qx '[[:space:]]*accept'" \
	&& ok || fail "foreign rule in the forward chain removed"
wait_until 2 grep -q 'table inet portcullis was changed by nft' "$DLOG" && ok || fail "the change is logged"
assert_eq 3 "$(metric portcullis_nft_table_restored_total)" "metric counts the third restore"

# 4. the reload the deployment guide sets up: flush ruleset and the include
# of the closed table, while the daemon runs: the running table comes back
in_gw nft -f - <<NFT
flush ruleset
include "$DIR/nftables-closed*.nft"
NFT
wait_until 2 table_running && ok || fail "the running table replaces the include's closed one"
wait_until 2 sh -c "ip netns exec $NS_G nft list set $TABLE sess4 | grep -q 10.201.0.2" \
	&& ok || fail "with the session"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "logged in: still forwarded after the reload"
assert_not_contains "$(cat "$DLOG")" "stays blocked" "no false 'stays blocked' in the log"
