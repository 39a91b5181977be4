#!/bin/bash
# Malformed requests get 400 and a closed connection; the daemon carries on.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1
raw() { in_client timeout 5 python3 -c '
import socket, sys
s = socket.create_connection(("10.201.0.1", 3128), timeout=4)
s.sendall(sys.argv[1].encode("latin-1").decode("unicode_escape").encode("latin-1"))
data = b""
while True:
    try:
        d = s.recv(65536)
    except socket.timeout:
        print("TIMEOUT"); break
    if not d: break
    data += d
print(data.split(b"\r\n")[0].decode("latin-1"), "CLOSED" if not d else "")
' "$1"; }
assert_contains "$(raw 'GET http://10.202.0.2/ HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab')" "400 Bad Request CLOSED" "conflicting Content-Length"
assert_contains "$(raw 'POST http://10.202.0.2/ HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')" "400 Bad Request CLOSED" "CL and TE"
assert_contains "$(raw 'GET http://10.202.0.2/ HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n')" "400 Bad Request CLOSED" "obs-fold"
assert_contains "$(raw '\x16\x03\x01\x02\x00garbage\r\n\r\n')" "400 Bad Request CLOSED" "garbage"
assert_contains "$(raw 'GET http://10.202.0.2/ HTTP/1.1\r\nHost : a\r\n\r\n')" "400 Bad Request CLOSED" "space before colon"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "daemon still serves"
