#!/bin/bash
# Intercept mode fails closed while the daemon is not running: a stop
# (SIGTERM) leaves the closed table, a kill -9 leaves the running one, and a
# reload of the firewall (`flush ruleset` and the include the daemon writes
# next to its database, as the deployment guide has nftables.conf do) while
# it is dead puts the closed one in. In every case a client that has not
# logged in gets nothing forwarded, not even port 80, while a whitelisted
# address still passes; the next start replaces the closed table.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user alice secret
# the client's IPv6 address is whitelisted, its IPv4 one is not
"$CLI" -d "$DB" whitelist add fd00:201::2/128 "stays open" >/dev/null
CLOSED=$DIR/nftables-closed.nft
start_daemon || exit 1
wait_until 3 table_running || fail "running table installed"
wait_until 3 test -s "$CLOSED" && ok || fail "closed ruleset written next to the database"
assert_contains "$(cat "$CLOSED" 2>/dev/null)" "fd00:201::2-fd00:201::2" "closed ruleset carries the whitelist"
assert_eq 200 "$(direct_status 'http://[fd00:202::2]/1k')" "whitelisted IPv6 passes while running"

nothing_forwarded() { # what
	assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "$1: port 8080 not forwarded"
	assert_eq 000 "$(direct_status http://10.202.0.2/1k)" "$1: port 80 not forwarded"
	assert_eq 200 "$(direct_status 'http://[fd00:202::2]/1k')" "$1: whitelisted address passes"
}

# 1. SIGTERM
stop_daemon
table_closed && ok || fail "SIGTERM leaves the closed table"
assert_contains "$(cat "$DLOG")" "left closed: forwarding from $LAN_IF is refused" "the stop says so"
nothing_forwarded "after SIGTERM"

# 2. the next start replaces it, kill -9 leaves the running table
start_daemon || exit 1
wait_until 3 table_running && ok || fail "start replaces the closed table"
assert_eq 1 "$(in_gw nft list tables | grep -c "table $TABLE\$")" "one table after the start"
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
table_running && ok || fail "kill -9 leaves the running table"
nothing_forwarded "after kill -9"

# 3. the firewall reloaded while the daemon is dead, as nftables.conf does
in_gw nft -f - <<NFT
flush ruleset
include "$DIR/nftables-closed*.nft"
NFT
table_closed && ok || fail "the include installs the closed table"
nothing_forwarded "after flush ruleset and the include"
# without the include the flush would have opened the LAN
in_gw nft flush ruleset
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "control: with no table at all the gateway routes everyone"
in_gw nft -f "$CLOSED"
table_closed && ok || fail "the file applies alone too"

# 4. a start after that replaces it again; a login then works as ever
start_daemon || exit 1
wait_until 3 table_running && ok || fail "start replaces the include's table"
assert_eq 1 "$(in_gw nft list tables | grep -c "table $TABLE\$")" "one table after the start"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "unauthenticated: the portal again"
assert_eq 303 "$(portal_login alice secret)" "portal login"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "logged in: forwarded"
