#!/usr/bin/env python3
"""A nameserver for the scenarios (UDP only, one question a message).

    dns_server.py ADDRESS LOG SECONDS [NAME=IPV4[/TTL] ...]

Answers NAME's A query with IPV4 (TTL 60 unless given) and its AAAA query
with no records (NOERROR); stays silent for any name that starts with
"stall" (a lookup that never completes); answers NXDOMAIN for the rest.
Every query received is appended to LOG as "NAME TYPE" and flushed, so a
scenario counts what reached the nameserver. Exits after SECONDS.
"""
import socket
import struct
import sys
import time

addr, log_path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
names = {}
for arg in sys.argv[4:]:
    name, _, value = arg.partition("=")
    ip, _, ttl = value.partition("/")
    names[name.lower().rstrip(".")] = (socket.inet_aton(ip), int(ttl or 60))


def parse_question(msg):
    labels, i = [], 12
    while msg[i]:
        n = msg[i]
        labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    qtype, qclass = struct.unpack("!HH", msg[i + 1:i + 5])
    return ".".join(labels).lower(), qtype, msg[12:i + 5]


sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((addr, 53))
end = time.time() + seconds
with open(log_path, "a") as log:
    while time.time() < end:
        sock.settimeout(max(0.1, min(1.0, end - time.time())))
        try:
            msg, peer = sock.recvfrom(4096)
        except socket.timeout:
            continue
        if len(msg) < 17:
            continue
        try:
            name, qtype, question = parse_question(msg)
        except (IndexError, struct.error):
            continue
        log.write("%s %d\n" % (name, qtype))
        log.flush()
        if name.startswith("stall"):
            continue
        qid = msg[:2]
        if name in names:
            ip, ttl = names[name]
            answers = b""
            if qtype == 1:
                answers = (b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, ttl, 4) + ip)
            flags, ancount = 0x8180, 1 if answers else 0
        else:
            flags, ancount, answers = 0x8183, 0, b""
        head = qid + struct.pack("!HHHHH", flags, 1, ancount, 0, 0)
        sock.sendto(head + question + answers, peer)
