#!/bin/bash
# `portcullis backup FILE` while the daemon writes audit records: every
# copy is a consistent database (integrity check, the schema, the users),
# copies taken later hold at least as many records, and a copy taken once
# the writes are done holds them all.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA='lockout_threshold = 0'
setup_daemon; add_user alice secret; start_daemon || exit 1
N=600
# malformed credentials: each one is audited, and needs no password hash,
# so the daemon writes records as fast as the client asks
in_client timeout 30 python3 -c '
import socket, sys, time
n = int(sys.argv[1])
s = socket.create_connection(("10.201.0.1", 3128), timeout=10)
deadline = time.time() + 25
buf = b""
for i in range(n):
    if time.time() > deadline: break
    s.sendall(b"GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\n"
              b"User-Agent: writer/%d\r\nProxy-Authorization: Basic !!!%d\r\n\r\n" % (i, i))
    while buf.count(b"\r\n\r\n") == 0 or len(buf) < buf.index(b"\r\n\r\n") + 4 + int(buf.split(b"Content-Length: ")[1].split(b"\r\n")[0]):
        buf += s.recv(65536)
    end = buf.index(b"\r\n\r\n") + 4 + int(buf.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    buf = buf[end:]
    time.sleep(0.005)    # about 3 s of writing, for the backups to overlap
print("sent", i + 1)
' "$N" > "$DIR/writer.out" 2>&1 &
WRITER=$!

# failures recorded: identical ones share a row and its count
count() { sqlite3 "$1" 'SELECT coalesce(sum(count), 0) FROM failures' 2>/dev/null || echo error; }
prev=0; taken=0
# each backup once the daemon has written more than the one before held
more_than() { [ "$(count "$DB")" -gt "$1" ] 2>/dev/null; }
for k in 1 2 3 4 5; do
	wait_until 5 more_than "$prev"
	if "$CLI" -d "$DB" backup "$DIR/backup$k.db" >/dev/null 2>"$DIR/backup$k.err"; then
		taken=$((taken + 1))
	else
		fail "backup $k while writing: $(cat "$DIR/backup$k.err")"; continue
	fi
	assert_eq ok "$(sqlite3 "$DIR/backup$k.db" 'PRAGMA integrity_check')" "backup $k integrity"
	assert_contains "$("$CLI" -d "$DIR/backup$k.db" user list)" alice "backup $k has the users"
	c=$(count "$DIR/backup$k.db")
	[ "$c" != error ] && [ "$c" -ge "$prev" ] && ok || fail "backup $k: $c records after $prev in the one before"
	prev=$c
done
assert_eq 5 "$taken" "five backups taken while writing"
kill -0 "$WRITER" 2>/dev/null && ok || fail "the daemon was still writing when the last backup was taken"
wait "$WRITER"
assert_eq "sent $N" "$(cat "$DIR/writer.out")" "writer finished"
[ "$prev" -gt 0 ] && [ "$prev" -lt "$N" ] && ok || fail "backups caught the writes in progress (last had $prev of $N)"
all_written() { [ "$(count "$DB")" = "$N" ]; }
wait_until 10 all_written   # the writer thread flushes in batches
"$CLI" -d "$DB" backup "$DIR/final.db" >/dev/null
assert_eq "$N" "$(count "$DIR/final.db")" "a backup after the writes holds every record"
assert_eq "$N" "$("$CLI" -d "$DIR/final.db" audit --json --limit 100000 | python3 -c 'import json,sys; print(sum(r["count"] for r in json.load(sys.stdin)))')" \
	"the CLI reads the backup"
