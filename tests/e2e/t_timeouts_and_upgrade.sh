#!/bin/bash
# A slow request head is answered 408 and closed at the header timeout; a
# WebSocket upgrade becomes a tunnel that carries bytes both ways.
. "$(dirname "$0")/lib.sh"
PROXY_EXTRA="header_timeout = 2s"
setup_daemon; add_user alice secret; start_daemon || exit 1
out=$(in_client timeout 10 python3 -c '
import socket, time
s = socket.create_connection(("10.201.0.1", 3128), timeout=8)
s.sendall(b"GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\n")
t = time.time()
data = b""
while True:
    d = s.recv(4096)
    if not d: break
    data += d
print(data.split(b"\r\n")[0].decode(), "closed after %.0fs" % (time.time() - t))
')
assert_contains "$out" "HTTP/1.1 408 Request Timeout closed after" "slow head timed out"
secs=$(printf '%s' "$out" | sed -n 's/.*closed after \([0-9]*\)s/\1/p')
[ "${secs:-99}" -le 4 ] && ok || fail "closed after ${secs}s, header_timeout is 2s"

out=$(in_client timeout 10 python3 -c '
import base64, socket
s = socket.create_connection(("10.201.0.1", 3128), timeout=8)
cred = base64.b64encode(b"alice:secret").decode()
s.sendall(("GET http://10.202.0.2:8081/ws HTTP/1.1\r\nHost: 10.202.0.2:8081\r\n"
           "Proxy-Authorization: Basic %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" % cred).encode())
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
s.sendall(b"ping-through-tunnel")
echo = b""
while len(echo) < 19:
    echo += s.recv(64)
print(head.split(b"\r\n")[0].decode(), echo.decode())
')
assert_contains "$out" "HTTP/1.1 101" "upgrade answered 101"
assert_contains "$out" "ping-through-tunnel" "bytes echoed through the upgraded connection"
assert_contains "$(grep '"upgrade": true' "$RECORD" | tail -1)" '["Upgrade", "websocket"]' "origin got the Upgrade header"
assert_not_contains "$(grep '"upgrade": true' "$RECORD" | tail -1)" 'proxy-authorization' "no credentials upstream"
