#!/bin/bash
# Intercept mode: the database on a full filesystem (a small tmpfs
# made here) does not stop a portal login. The password is checked (the
# store can still be read), the session starts in memory and the kernel,
# the daemon says it is held in memory only until the database is back,
# and the row is written once there is room again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
db_on_small_disk || { fail "tmpfs mount"; exit 1; }
add_user alice 'pw-a'
start_daemon || exit 1
listed() { "$CLI" -d "$DB" session list | grep -q "10.201.0.2 .* alice"; }

# an empty WAL, so the next write must take new space; then fill the disk
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
assert_eq 0 "$(df --output=avail "$MNT" | tail -1 | tr -d ' ')" "the filesystem is full"

assert_eq 303 "$(portal_login alice pw-a)" "login on a full disk"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "HTTP passes (session in memory)"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding passes (session in the kernel)"
assert_contains "$(cat "$DLOG")" "disk full" "the daemon names the cause"
assert_contains "$(cat "$DLOG")" "held in memory only until the database is back" "and says where the session is"
# a kick that does not happen proves itself by its absence: wait past two
# of the daemon's half-second rounds over the sessions
sleep 1
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the session is not taken for a kick (it has no row)"
listed && fail "a row was written on a full disk?" || ok

rm -f "$MNT/filler"
wait_for listed 100 && ok || fail "the session row written once there is room"
assert_contains "$(cat "$DLOG")" "session 10.201.0.2: written to the database" "the daemon says so"
assert_eq ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')" "database intact"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "still forwarded"
