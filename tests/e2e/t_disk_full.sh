#!/bin/bash
# The database on a full filesystem (a small tmpfs made here): the daemon
# keeps answering authenticated requests from memory, says so in its log,
# keeps the audit records queued and writes them once there is room again;
# what does not fit in the queue (16 records here) is counted and reported.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA=$'lockout_threshold = 0'
setup_daemon
sed -i 's|^\[db\]$|[db]\naudit_queue_size = 16|' "$DIR/portcullis.conf"
db_on_small_disk || { fail "tmpfs mount"; exit 1; }
add_user alice secret; start_daemon || exit 1
count() { sqlite3 "$DB" 'SELECT coalesce(sum(count), 0) FROM failures'; }   # failures recorded
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "before the disk fills"
# its last-login time is written before the disk fills
login_written() { [ -n "$(sqlite3 "$DB" "SELECT last_login_at FROM users WHERE name = 'alice'")" ]; }
wait_until 10 login_written
before=$(count)
# an empty WAL, so the next write must take new space; then fill the disk
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
assert_eq 0 "$(df --output=avail "$MNT" | tail -1 | tr -d ' ')" "the filesystem is full"

codes=""
for i in 1 2 3 4; do
	codes="$codes $(status_of -U alice:secret http://$ORIGIN/1k)"
	codes="$codes $(status_of -U alice:wrong$i http://$ORIGIN/1k)"
done
assert_eq " 200 407 200 407 200 407 200 407" "$codes" "answers while the disk is full"
wait_until 10 log_has "cannot write to the database \(disk full\)"
assert_contains "$(cat "$DLOG")" "cannot write to the database (disk full)" "the daemon says the disk is full"
assert_contains "$(cat "$DLOG")" "authenticated traffic continues" "and that traffic continues"
assert_eq "$before" "$(count)" "nothing written while full"
# 19 more failures, each under a name of its own (identical ones would
# share alice's queued row), and each address opens at most 10 rows a
# minute: 9 more from the IPv4 address, 10 from the IPv6 one. 15 fit in the
# queue beside alice's row, 4 are lost, counted and reported. Digest with
# unknown names: no password hash to wait for.
for i in $(seq 1 9); do status_of --proxy-digest -U "more$i:x" http://$ORIGIN/1k >/dev/null; done
for i in $(seq 1 10); do
	pcurl -o /dev/null -x 'http://[fd00:201::1]:3128' --proxy-digest -U "six$i:x" http://$ORIGIN/1k 2>/dev/null
done
wait_until 10 log_has "records lost, 4 in all"
assert_contains "$(cat "$DLOG")" "audit: queue full (16 records): " "the loss is reported"
assert_contains "$(cat "$DLOG")" "failure records lost, 4 in all" "and counted"

rm -f "$MNT/filler"
all_written() { [ "$(count)" -ge $((before + 19)) ]; }
wait_until 10 all_written
assert_eq $((before + 19)) "$(count)" "the queued failures written once there is room (alice's 4 in one row)"
assert_contains "$(cat "$DLOG")" "database writable again" "the daemon says the database is back"
assert_eq ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')" "database intact"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "still serving"
