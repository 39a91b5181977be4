#!/bin/bash
# A flush under 1000 logged-in devices: the daemon puts the table back with
# every device's elements in it, and counts the restore. (Each element once
# asked for an ack; the acks overflowed the socket, the restore was reported
# refused though applied, and from ~170 sessions on only the first chunk
# arrived: logged-in users were blocked.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
intercept_conf
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
add_user bob secret
now=$(date +%s)
{
	echo "BEGIN;"
	for i in $(seq 1 1000); do
		printf "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, expires_at) VALUES ('fd00:201::1:%x','02:00:00:00:%02x:%02x','bob',%d,%d,3600,%d);\n" \
			"$i" $((i / 256)) $((i % 256)) "$now" "$now" $((now + 3600))
	done
	echo "COMMIT;"
} | sqlite3 "$DB"
start_daemon || exit 1
wait_until 5 table_running || fail "running table installed"
count6() { in_gw nft list set $TABLE sess6 | grep -o 'fd00:201::1:[0-9a-f]*' | sort -u | wc -l; }
all_in() { [ "$(count6)" = 1000 ]; }
restored() { [ "$(metric portcullis_nft_table_restored_total)" = 1 ]; }
wait_until 10 all_in || fail "all 1000 sessions in sess6 at start ($(count6))"
in_gw nft flush ruleset
wait_until 10 restored && ok || fail "the restore is counted (restored_total=$(metric portcullis_nft_table_restored_total))"
wait_until 10 all_in && ok || fail "every session's element is back ($(count6) of 1000)"
assert_eq 1000 "$(in_gw nft list set $TABLE sessaddr6 | grep -o 'fd00:201::1:[0-9a-f]*' | sort -u | wc -l)" \
	"every address is back in sessaddr6"
assert_eq 0 "$(grep -c 'cannot be put back' "$DLOG")" "no restore reported refused"
finish
