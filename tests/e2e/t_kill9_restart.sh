#!/bin/bash
# kill -9 in the middle of traffic, then a restart: every audit record the
# daemon had written is still there, byte for byte, the sessions in the
# database are still there, the database is intact, and the restarted
# daemon serves and records again.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA=$'lockout_threshold = 0'
setup_daemon; add_user alice secret
now=$(date +%s)
sqlite3 "$DB" "INSERT INTO sessions(addr, mac, username, created_at, last_seen_at, idle_timeout, expires_at)
	VALUES ('10.201.0.77', '02:00:00:00:00:77', 'alice', $now, $now, 600, $((now + 3600))),
	       ('fd00:201::77', '', 'alice', $now, $now, 600, $((now + 3600)))"
start_daemon || exit 1
snapshot() { sqlite3 "$DB" "SELECT id, time_ms, client_addr, username, reason FROM failures WHERE id <= $1 ORDER BY id"; }

# traffic: a bounded loop of right and wrong passwords on several connections
in_client timeout 60 python3 - > "$DIR/traffic.out" 2>&1 <<'PY' &
import base64, socket, sys, threading
def worker(n):
    done = 0
    for i in range(150):
        try:
            s = socket.create_connection(("10.201.0.1", 3128), timeout=3)
            # the failures under names of their own: identical ones
            # would share one audit row
            cred = base64.b64encode(b"alice:secret" if i % 2 else b"user-%d-%d:x" % (n, i)).decode()
            s.sendall(("GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\n"
                       "Proxy-Authorization: Basic %s\r\nConnection: close\r\n\r\n" % cred).encode())
            while s.recv(65536):
                pass
            s.close()
            done += 1
        except OSError:
            pass
    # one write under a lock: print() from four threads at once wrote
    # "workerworker 2 ..." (its parts are separate writes)
    with out_lock:
        sys.stdout.write("worker %d completed %d\n" % (n, done))
        sys.stdout.flush()
out_lock = threading.Lock()
ts = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
for t in ts: t.start()
for t in ts: t.join()
PY
TRAFFIC=$!
# once some records are written, note them and kill the daemon mid-traffic
some_written() { [ "$(sqlite3 "$DB" 'SELECT count(*) FROM failures' 2>/dev/null || echo 0)" -ge 8 ]; }
wait_until 60 some_written
maxid=$(sqlite3 "$DB" 'SELECT max(id) FROM failures')
written=$(snapshot "$maxid")
[ "$(printf '%s\n' "$written" | wc -l)" -ge 8 ] && ok || fail "only $(printf '%s\n' "$written" | wc -l) records before the kill"
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
wait "$TRAFFIC"
assert_contains "$(cat "$DIR/traffic.out")" "worker 3 completed" "the traffic ran through the kill"

start_daemon || exit 1
assert_eq ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')" "database intact after kill -9"
assert_eq "$written" "$(snapshot "$maxid")" "every record written before the kill is still there"
sessions=$("$CLI" -d "$DB" session list)
assert_contains "$sessions" "10.201.0.77" "IPv4 session survived"
assert_contains "$sessions" "fd00:201::77" "IPv6 session survived"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "restarted daemon serves"
assert_eq 407 "$(status_of -U alice:after-restart http://$ORIGIN/1k)" "and refuses"
new_written() { [ "$(sqlite3 "$DB" "SELECT count(*) FROM failures WHERE id > $maxid AND username = 'alice'")" -ge 1 ]; }
wait_until 10 new_written
assert_contains "$("$CLI" -d "$DB" audit --json | head -c 2000)" '"reason": "wrong_password"' "new failures recorded"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM failures WHERE id > $maxid")" -ge 1 ] && ok || fail "no record after the restart"
