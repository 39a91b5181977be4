#!/bin/bash
# Another writer holds the database's write lock for 10 seconds: the daemon
# keeps answering authenticated requests (and refusing wrong passwords)
# from memory, keeps the audit records queued, says so in its log, and
# writes every queued record once the lock is gone.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
count() { sqlite3 "$DB" 'SELECT coalesce(sum(count), 0) FROM failures'; }   # failures recorded
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "before the lock"
before=$(count)

python3 - "$DB" > "$DIR/locker.out" 2>&1 <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO meta(key, value) VALUES ('e2e_lock', 'held') "
           "ON CONFLICT(key) DO UPDATE SET value = 'held'")
print("locked", flush=True)
time.sleep(10)
db.execute("ROLLBACK")
print("released", flush=True)
PY
LOCKER=$!
wait_until 10 log_has locked "$DIR/locker.out"
assert_contains "$(cat "$DIR/locker.out")" "locked" "the other writer holds the lock"

# the answers come from memory: no request waits out the store's 5 s busy
# timeout (each one is timed; a slow check on a loaded machine takes a
# second or two, a request stuck on the lock would take five)
codes=""
slowest=0
for i in 1 2 3 4 5; do
	for cred in alice:secret alice:wrong$i; do
		r=$(pcurl -U "$cred" -o /dev/null -w '%{http_code} %{time_total}' http://$ORIGIN/1k 2>/dev/null)
		codes="$codes ${r% *}"
		slowest=$(awk -v a="$slowest" -v b="${r#* }" 'BEGIN { print (b > a) ? b : a }')
	done
done
assert_eq " 200 407 200 407 200 407 200 407 200 407" "$codes" "answers while the database is locked"
awk -v s="$slowest" 'BEGIN { exit !(s < 4) }' && ok || fail "a request waited on the lock: the slowest of ten took $slowest s"
# the writer waits out the store's busy timeout (5 s) before it gives up
wait_until 10 log_has "cannot write to the database"
assert_eq "$before" "$(count)" "nothing written while locked"
assert_contains "$(cat "$DLOG")" "cannot write to the database (database locked)" "the daemon says so"
assert_contains "$(cat "$DLOG")" "authenticated traffic continues" "and that traffic continues"

wait "$LOCKER"
assert_contains "$(cat "$DIR/locker.out")" "released" "lock released"
all_written() { [ "$(count)" -ge $((before + 5)) ]; }
wait_until 10 all_written
assert_eq $((before + 5)) "$(count)" "the queued failures written after the lock"
assert_contains "$(cat "$DLOG")" "database writable again" "the daemon says the database is back"
assert_contains "$(sqlite3 "$DB" "SELECT group_concat(username) FROM failures")" "alice" "the records are the failures"
