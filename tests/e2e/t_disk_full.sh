#!/bin/bash
# The database on a full filesystem (a small tmpfs made here): the daemon
# keeps answering authenticated requests from memory, says so in its log,
# keeps the audit records queued and writes them once there is room again.
. "$(dirname "$0")/lib.sh"
setup_daemon
MNT=$DIR/full
mkdir -p "$MNT"
mount -t tmpfs -o size=4m,mode=0700 portcullis-e2e "$MNT" || { fail "tmpfs mount"; exit 1; }
trap 'rc=$?; stop_daemon; umount "$MNT" 2>/dev/null; finish; r=$?; [ "$rc" -ne 0 ] && exit 1; exit $r' EXIT
DB=$MNT/portcullis.db
sed -i "s|^path = .*|path = $DB|" "$DIR/portcullis.conf"
"$CLI" -d "$DB" migrate >/dev/null
add_user alice secret; start_daemon || exit 1
count() { sqlite3 "$DB" 'SELECT count(*) FROM failures'; }
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "before the disk fills"
sleep 0.5
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
for _ in $(seq 1 50); do grep -q "cannot write to the database (disk full)" "$DLOG" && break; sleep 0.1; done
assert_contains "$(cat "$DLOG")" "cannot write to the database (disk full)" "the daemon says the disk is full"
assert_contains "$(cat "$DLOG")" "authenticated traffic continues" "and that traffic continues"
assert_eq "$before" "$(count)" "nothing written while full"

rm -f "$MNT/filler"
for _ in $(seq 1 50); do [ "$(count)" -ge $((before + 4)) ] && break; sleep 0.1; done
assert_eq $((before + 4)) "$(count)" "the queued failures written once there is room"
assert_contains "$(cat "$DLOG")" "database writable again" "the daemon says the database is back"
assert_eq ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')" "database intact"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "still serving"
