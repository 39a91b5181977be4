#!/usr/bin/env python3
"""An attacker answering Access-Requests in a RADIUS server's place, for
the scenarios that prove such answers are refused. Not a server: every
request gets an Access-Accept, forged as the User-Name says:

  nomac-*    the right Response Authenticator (as if MD5 had been forged,
             the BlastRADIUS attack) but no Message-Authenticator
  badmac-*   the right Response Authenticator and a wrong
             Message-Authenticator
  anything   a random Response Authenticator (no secret known)

Usage: radius_rogue.py ADDRESS PORT SECRET_FILE LOG
Each answer sent is logged as one line "KIND USER"."""
import hashlib
import os
import socket
import struct
import sys

addr, port, secret_file, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(secret_file, "rb") as f:
    secret = f.readline().rstrip(b"\r\n")


def user_name(pkt):
    pos = 20
    while pos + 2 <= len(pkt):
        t, n = pkt[pos], pkt[pos + 1]
        if n < 2:
            break
        if t == 1:
            return pkt[pos + 2:pos + n].decode("utf-8", "replace")
        pos += n
    return ""


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
while True:
    req, peer = s.recvfrom(4096)
    if len(req) < 20 or req[0] != 1:
        continue
    ident, req_auth, user = req[1], req[4:20], user_name(req)
    attrs = bytes([27, 6]) + struct.pack(">I", 3600)
    if user.startswith("badmac-"):
        kind = "badmac"
        attrs = bytes([80, 18]) + os.urandom(16) + attrs
    elif user.startswith("nomac-"):
        kind = "nomac"
    else:
        kind = "badauth"
    head = bytes([2, ident]) + struct.pack(">H", 20 + len(attrs))
    if kind == "badauth":
        auth = os.urandom(16)
    else:
        auth = hashlib.md5(head + req_auth + attrs + secret).digest()
    s.sendto(head + auth + attrs, peer)
    with open(log, "a") as f:
        f.write("%s %s\n" % (kind, user))
