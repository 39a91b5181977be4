#!/bin/bash
# Bad input to the TLS listener: a plaintext request and bytes that are no
# ClientHello are closed at once without an HTTP answer; a handshake that
# never completes is timed out (header_timeout) and frees its slot of the
# per-client connection limit; the listener serves the next client.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlsproxy.sh"
PROXY_EXTRA="$PROXY_EXTRA
header_timeout = 2s
max_connections_per_client = 4"
setup_daemon; add_user alice secret; start_daemon || exit 1

# what a raw client gets back: the first bytes, and whether (and how fast)
# the gateway closed the connection
raw() { in_client timeout 10 python3 -c '
import socket, sys, time
s = socket.create_connection(("10.201.0.1", 3443), timeout=8)
t = time.monotonic()
s.sendall(sys.argv[1].encode("latin-1").decode("unicode_escape").encode("latin-1"))
data = b""
try:
    while True:
        d = s.recv(4096)
        if not d: break
        data += d
    end = "CLOSED"
except socket.timeout:
    end = "OPEN"
except ConnectionResetError:
    end = "CLOSED"
print("HTTP" if data.startswith(b"HTTP/") else "no-HTTP", end, "fast" if time.monotonic() - t < 1.5 else "slow")
' "$1"; }
assert_eq "no-HTTP CLOSED fast" "$(raw 'GET http://10.202.0.2/ HTTP/1.1\r\nHost: 10.202.0.2\r\n\r\n')" "plaintext request to the TLS port"
assert_eq "no-HTTP CLOSED fast" "$(raw '\x00\x01garbage garbage garbage\r\n\r\n')" "garbage instead of a ClientHello"
assert_eq "no-HTTP CLOSED fast" "$(raw '\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00')" "a malformed ClientHello"
wait_until 5 log_has "TLS handshake with 10.201.0.2 failed"
assert_contains "$(cat "$DLOG")" "TLS handshake with 10.201.0.2 failed" "the failure logged with the client"

# four connections (the per-client limit) that start a handshake and stop:
# the fifth is refused while they hold their slots; after header_timeout
# they are closed and a new client is served
out=$(in_client timeout 30 python3 -c '
import socket, ssl, time
held = []
for i in range(4):
    s = socket.create_connection(("10.201.0.1", 3443), timeout=10)
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")   # a ClientHello cut short
    held.append(s)
time.sleep(0.3)
s = socket.create_connection(("10.201.0.1", 3443), timeout=5)
try:
    fifth = "refused" if s.recv(100).startswith(b"HTTP/1.1 503") else "served"
except Exception:
    fifth = "closed"
t = time.monotonic()
closed = 0
for h in held:
    try:
        if h.recv(100) == b"": closed += 1
    except ConnectionResetError:
        closed += 1
    except socket.timeout:
        pass
took = time.monotonic() - t
ctx = ssl.create_default_context(cafile="'"$DIR"'/proxy-tls.crt")
with socket.create_connection(("10.201.0.1", 3443), timeout=5) as raw:
    with ctx.wrap_socket(raw, server_hostname="10.201.0.1") as c:
        c.sendall(b"GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\n\r\n")
        after = c.recv(100).split(b"\r\n")[0].decode()
print(fifth, closed, "in-time" if took < 5 else "late %.1f" % took, "|", after)
' 2>&1)
assert_eq "refused 4 in-time | HTTP/1.1 407 Proxy Authentication Required" "$out" "unfinished handshakes timed out, their slots freed"
assert_contains "$(cat "$DLOG")" "no TLS handshake from 10.201.0.2 in time" "the timeout logged"
assert_eq 200 "$(tstatus_of -U alice:secret http://$ORIGIN/1k)" "the TLS listener still serves"
