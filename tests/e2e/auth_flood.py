#!/usr/bin/env python3
"""Flood the proxy with Basic logins that each need a password check
(every password different, so none is answered from the cache).

    auth_flood.py PROXY_HOST PROXY_PORT URL USER CONNECTIONS SECONDS MAX_REQUESTS

CONNECTIONS connections at once, each sending one request, reading the
answer and starting again, until SECONDS have passed or MAX_REQUESTS were
sent. Prints "STATUS COUNT" lines, then "sent N".
"""
import base64
import selectors
import socket
import sys
import time

host, port, url, user = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
conns, seconds, max_requests = int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
sel = selectors.DefaultSelector()
counts = {}
sent = 0
deadline = time.monotonic() + seconds


def start():
    global sent
    if sent >= max_requests or time.monotonic() >= deadline:
        return
    cred = base64.b64encode(("%s:flood%d" % (user, sent)).encode()).decode()
    req = "GET %s HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic %s\r\nConnection: close\r\n\r\n" % (url, cred)
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((host, port))
    sent += 1
    sel.register(s, selectors.EVENT_WRITE, [req.encode(), b""])


for _ in range(conns):
    start()
while sel.get_map() and time.monotonic() < deadline + 20:
    for key, ev in sel.select(timeout=1):
        s, st = key.fileobj, key.data
        try:
            if ev & selectors.EVENT_WRITE:
                s.send(st[0])
                sel.modify(s, selectors.EVENT_READ, st)
                continue
            d = s.recv(65536)
        except OSError:
            d = b""
        if d:
            st[1] += d
            continue
        sel.unregister(s)
        s.close()
        line = st[1].split(b"\r\n", 1)[0].split()
        status = line[1].decode() if len(line) > 1 else "none"
        counts[status] = counts.get(status, 0) + 1
        start()
for k in sorted(counts):
    print(k, counts[k])
print("sent", sent)
