#!/usr/bin/env python3
"""A RADIUS server retransmitting a Disconnect-Request (RFC 5176) whose
answer it did not get: the same packet (identifier, Request Authenticator,
Message-Authenticator) sent twice, as RFC 5176 §2.3 lets a server do.
Signed here as radclient signs (RFC 5176 §2.3, §3.2); the attributes are
User-Name only.

Usage: dae_sent_twice.py SOURCE TARGET PORT SECRET_FILE USER
Prints one line per answer: "CODE ERROR-CAUSE MILLISECONDS" (ERROR-CAUSE 0
when none, MILLISECONDS from the packet's send to its answer), or
"none" when no answer came within 5 s."""
import hashlib
import hmac
import os
import socket
import struct
import sys
import time

source, target, port, secret_file, user = sys.argv[1:6]
with open(secret_file, "rb") as f:
    secret = f.readline().rstrip(b"\r\n")

attrs = bytes([80, 18]) + bytes(16) + bytes([1, 2 + len(user)]) + user.encode()
pkt = bytearray(bytes([40, os.urandom(1)[0]]) + struct.pack(">H", 20 + len(attrs)) + bytes(16) + attrs)
pkt[22:38] = hmac.new(secret, bytes(pkt), hashlib.md5).digest()
pkt[4:20] = hashlib.md5(bytes(pkt) + secret).digest()

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((source, 0))
s.settimeout(5)
for _ in range(2):
    t = time.time()
    s.sendto(bytes(pkt), (target, int(port)))
    try:
        a, _ = s.recvfrom(4096)
    except socket.timeout:
        print("none")
        continue
    ms = int((time.time() - t) * 1000)
    cause, pos = 0, 20
    while pos + 2 <= len(a) and a[pos + 1] >= 2:
        if a[pos] == 101 and a[pos + 1] == 6:
            cause = struct.unpack(">I", a[pos + 2:pos + 6])[0]
        pos += a[pos + 1]
    print(a[0], cause, ms)
