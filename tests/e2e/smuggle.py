#!/usr/bin/env python3
"""Send each hostile request of the smuggling corpus over its own raw TCP
connection to the proxy and print, one line per case, the name, the status
line of the answer and whether the proxy closed the connection.

    smuggle.py PROXY_HOST PROXY_PORT CORPUS_DIR USER:PASSWORD ORIGIN_HOSTPORT

A case file is the message as text: the file's own line breaks are ignored
and the escapes \\r \\n \\t \\\\ and \\xNN give the bytes, so bare CR, bare LF,
NUL and other control bytes are written visibly. {AUTH} becomes the Basic
credentials, {ORIGIN} the recording origin's host:port."""
import base64
import os
import re
import socket
import sys

ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}


def decode(text, auth, origin):
    text = "".join(text.splitlines())
    text = text.replace("{AUTH}", auth).replace("{ORIGIN}", origin)
    out = bytearray()
    for m in re.finditer(r"\\x([0-9a-fA-F]{2})|\\(.)|([^\\]+)", text, re.S):
        if m.group(1):
            out += bytes([int(m.group(1), 16)])
        elif m.group(2):
            if m.group(2) not in ESCAPES:
                raise ValueError("unknown escape \\" + m.group(2))
            out += ESCAPES[m.group(2)]
        else:
            out += m.group(3).encode("latin-1")
    return bytes(out)


def send_case(host, port, message):
    s = socket.create_connection((host, port), timeout=4)
    data = b""
    closed = False
    try:
        s.sendall(message)
        while True:
            d = s.recv(65536)
            if not d:
                closed = True
                break
            data += d
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    finally:
        s.close()
    status = data.split(b"\r\n", 1)[0].decode("latin-1") if data else "(no answer)"
    return status, closed


def main():
    host, port, corpus, cred, origin = sys.argv[1:6]
    auth = base64.b64encode(cred.encode()).decode()
    for name in sorted(os.listdir(corpus)):
        if not name.endswith(".http"):
            continue
        with open(os.path.join(corpus, name), encoding="latin-1") as f:
            message = decode(f.read(), auth, origin)
        status, closed = send_case(host, int(port), message)
        print("%s: %s %s" % (name[:-5], status, "CLOSED" if closed else "OPEN"), flush=True)


main()
