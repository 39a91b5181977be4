#!/bin/bash
# A client that half-closes its connection after sending a request (as
# `nc -N` does) still gets the whole answer, reading it slowly through a
# small window; then the proxy closes. The proxy watches a client for input
# while the origin answers, so it meets that end of input mid-exchange.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice 'alice-pw'; start_daemon || exit 1
got=$(in_client timeout 20 python3 - "$(printf 'alice:alice-pw' | base64)" <<'PY'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # a small window: the proxy must wait
s.settimeout(10)
s.connect(("10.201.0.1", 3128))
s.sendall(b"GET http://10.202.0.2/1m HTTP/1.1\r\nHost: 10.202.0.2\r\n"
          b"Proxy-Authorization: Basic " + sys.argv[1].encode() + b"\r\n\r\n")
s.shutdown(socket.SHUT_WR)
data = b""
paused = False
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
    if not paused and len(data) > 1048576 - 96 * 1024:
        # stop reading near the end, while the proxy still holds bytes for us
        paused = True
        time.sleep(1)
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode(), len(body))
PY
)
assert_eq "HTTP/1.1 200 OK 1048576" "$got" "status and body length read after a half-close"
