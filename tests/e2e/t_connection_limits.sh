#!/bin/bash
# Per-client connection limit: connections past it get a 503 and close;
# the ones within it still work.
. "$(dirname "$0")/lib.sh"
PROXY_EXTRA="max_connections_per_client = 3"
setup_daemon; add_user alice secret; start_daemon || exit 1
out=$(in_client timeout 10 python3 -c '
import base64, socket
held = [socket.create_connection(("10.201.0.1", 3128), timeout=5) for _ in range(3)]
# each held connection is answered once (a 407) before the fourth is opened:
# with one listener per worker the kernel may hand the four to the workers
# in any order, and the limit applies to whichever is accepted last
for s in held:
    s.sendall(b"GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    head, _, body = buf.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 407"), head
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += s.recv(4096)
extra = socket.create_connection(("10.201.0.1", 3128), timeout=5)
print(extra.recv(4096).split(b"\r\n")[0].decode())
cred = base64.b64encode(b"alice:secret").decode()
held[0].sendall(("GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\nProxy-Authorization: Basic %s\r\n\r\n" % cred).encode())
print(held[0].recv(4096).split(b"\r\n")[0].decode())
')
assert_contains "$out" "HTTP/1.1 503 Service Unavailable" "fourth connection refused"
assert_contains "$(printf '%s' "$out" | sed -n 2p)" "HTTP/1.1 200 OK" "connections within the limit served"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "slots freed after the client closed"
