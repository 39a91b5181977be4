#!/usr/bin/env python3
"""A client that reads slowly, for scenarios that need a download still in
flight (reload, drain): GET URL through the proxy with Basic credentials,
read CHUNK bytes every PAUSE seconds, write the body to OUT, print
"STATUS BODYLEN". With a STARTED path, creates that file once the first
bytes of the response have come, so a scenario knows the exchange is in
flight. Bounded: gives up after 30 s."""
import base64
import socket
import sys
import time

proxy_host, proxy_port, url, cred, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
chunk, pause = int(sys.argv[6]), float(sys.argv[7])
started = sys.argv[8] if len(sys.argv) > 8 else None
host = url.split("/")[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# a small receive buffer keeps most of the body on the gateway's side, so
# the exchange really is in flight while the client reads
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s.settimeout(10)
s.connect((proxy_host, proxy_port))
auth = base64.b64encode(cred.encode()).decode()
s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n"
           "Connection: close\r\n\r\n" % (url, host, auth)).encode())
data = b""
deadline = time.time() + 30
while time.time() < deadline:
    d = s.recv(chunk)
    if not d:
        break
    if started and not data:
        open(started, "w").close()
    data += d
    time.sleep(pause)
head, _, body = data.partition(b"\r\n\r\n")
status = head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "none"
with open(out, "wb") as f:
    f.write(body)
print(status, len(body))
