#!/bin/bash
# Intercept mode: a database that cannot be read or written does
# not stop a portal login.
# 1. The database cannot be opened (its path taken by a directory, as if
#    removed): a user whose credentials the daemon verified before (here
#    through the explicit proxy) is checked against the in-memory cache and
#    logged in, in memory and the kernel; a user never seen before cannot
#    be checked and gets 503 with a clear message.
# 2. Another writer holds the write lock: the password is checked against
#    the store (reads still work), the session starts in memory and the
#    kernel without waiting out the lock, the daemon says it is held in
#    memory only, and the row is written once the lock is gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user alice 'pw-a'
add_user bob 'pw-b'
start_daemon || exit 1
on_finish '[ -d "$DB" ] && rmdir "$DB" && mv "$DB.away" "$DB"'
challenged() { [ "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" = 302 ]; }
listed() { "$CLI" -d "$DB" session list | grep -q "10.201.0.2 .* $1"; }

# alice has used the proxy before: her credentials are in the daemon's cache
assert_eq 200 "$(status_of -U alice:pw-a http://$ORIGIN/1k)" "alice through the explicit proxy"

# 1. the database cannot be opened by the portal (its connections are
# opened at the first login; the daemon's others keep theirs)
mv "$DB" "$DB.away"
mkdir "$DB"
page=$(ccurl -c "$DIR/jar" "$PORTAL/")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
out=$(ccurl -b "$DIR/jar" -w '\n%{http_code}' --data-urlencode "csrf=$csrf" -d username=bob \
	-d password=pw-b "$PORTAL/login")
assert_eq 503 "$(echo "$out" | tail -1)" "a user never seen before cannot be checked: 503"
assert_contains "$out" "cannot be read" "with a clear message"
challenged && ok || fail "and is not logged in"
assert_eq 503 "$(portal_login alice wrong)" "a password the cache does not know cannot be checked either: 503"
assert_eq 303 "$(portal_login alice pw-a)" "a user seen before logs in from the credential cache"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "HTTP passes"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding passes"
assert_contains "$(cat "$DLOG")" "credentials checked against the memory cache" "the daemon says how it checked them"
assert_contains "$(cat "$DLOG")" "held in memory only until the database is back" "and where the session is"
rmdir "$DB"
mv "$DB.away" "$DB"
wait_for "listed alice" 100 && ok || fail "the session row written once the database is back"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "still forwarded"
"$CLI" -d "$DB" session kick 10.201.0.2 >/dev/null
wait_for challenged 30 && ok || fail "kicked before the next part"

# another writer holds the write lock for $1 seconds
lock() {
	rm -f "$DIR/locker.out"
	python3 - "$DB" "$1" > "$DIR/locker.out" 2>&1 <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO meta(key, value) VALUES ('e2e_lock', 'held') "
           "ON CONFLICT(key) DO UPDATE SET value = 'held'")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
print("released", flush=True)
PY
	LOCKER=$!
	wait_for "grep -qx locked $DIR/locker.out" 50 || fail "the other writer took the lock"
}

# 2. write-locked
lock 12
t0=$(date +%s)
assert_eq 303 "$(portal_login alice pw-a)" "login while another writer holds the lock"
[ $(( $(date +%s) - t0 )) -le 4 ] && ok || fail "the login waited $(( $(date +%s) - t0 )) s for the database"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "HTTP passes (session in memory)"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding passes (session in the kernel)"
assert_eq 2 "$(grep -c 'held in memory only until the database is back' "$DLOG")" "the daemon says so"
listed alice && fail "the session row was written while the database was locked?" || ok
wait "$LOCKER"
assert_contains "$(cat "$DIR/locker.out")" "released" "lock released"
wait_for "listed alice" 150 && ok || fail "the session row written once the lock is gone"
assert_eq 2 "$(grep -c 'session 10.201.0.2: written to the database' "$DLOG")" "the daemon says that too"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "still logged in"

