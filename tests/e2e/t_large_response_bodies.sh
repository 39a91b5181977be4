#!/bin/bash
# Response bodies that need no parsing (Content-Length, or until the origin
# closes) are relayed with splice once the head has gone: they arrive
# intact, a kept-alive connection carries the next exchange after one, and
# the access log counts their bytes (what the client was sent: the head and
# the body, as for any response); a body the origin cuts short is cut short
# for the client, and logged as aborted (TCP_MISS_ABORTED).
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
# two 1 MiB bodies on one client connection (curl reuses it)
pcurl -U alice:secret -o "$DIR/a" http://$ORIGIN/1m -o "$DIR/b" http://$ORIGIN/1m
assert_eq "" "$(cmp "$DIR/a" "$E2E_WWW/1m" 2>&1)" "first 1 MiB body intact"
assert_eq "" "$(cmp "$DIR/b" "$E2E_WWW/1m" 2>&1)" "second 1 MiB body on the same connection intact"
# an HTTP/1.0 origin that delimits its body by closing (readiness probes
# send nothing and are simply closed)
in_origin timeout 20 python3 - "$E2E_WWW/1m" <<'PY' &
import socket, sys
body = open(sys.argv[1], "rb").read()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("10.202.0.2", 8082))
srv.listen(4)
served = 0
while served < 2:
    conn, _ = srv.accept()
    request = conn.recv(65536)
    if b"/short" in request:
        # promises 2 MiB, sends 1 MiB and closes
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\n" + body)
        served += 1
    elif request:
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n" + body)
        served += 1
    conn.close()
PY
opid=$!
wait_until 30 listening in_origin 10.202.0.2:8082
pcurl -U alice:secret -o "$DIR/c" http://$ORIGIN:8082/close-delimited
assert_eq "" "$(cmp "$DIR/c" "$E2E_WWW/1m" 2>&1)" "close-delimited 1 MiB body intact"
# an origin that closes short of its Content-Length: the client's
# connection is closed too, so it sees the body is incomplete (curl: 18)
pcurl -U alice:secret -o "$DIR/d" http://$ORIGIN:8082/short 2>/dev/null
assert_eq 18 "$?" "a body cut short by the origin is cut short for the client"
assert_eq 1048576 "$(stat -c %s "$DIR/d")" "the bytes that came were passed on"
wait "$opid" 2>/dev/null
# a head of a few hundred bytes, then the body
big_lines() { awk '$4 == "TCP_MISS/200" && $5 > 1048576 && $5 < 1048576 + 1024 { n++ } END { print n + 0 }' "$ACCESS"; }
three_logged() { [ "$(big_lines)" -ge 3 ]; }
wait_until 10 three_logged
n=$(big_lines)
assert_eq 3 "$n" "three access log lines count the 1 MiB bodies and their heads"
n=$(awk '$4 == "TCP_MISS_ABORTED/200" && $5 > 1048576 && $5 < 1048576 + 1024 { n++ } END { print n + 0 }' "$ACCESS")
assert_eq 1 "$n" "the cut one is counted too, and logged as aborted"
