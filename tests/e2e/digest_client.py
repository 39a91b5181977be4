#!/usr/bin/env python3
"""A Digest client for the proxy (RFC 7616, qop=auth), written out by hand
so that a test can do what curl never does on purpose: keep a nonce past
its lifetime, or send the same nonce count twice.

    digest_client.py PROXY_HOST PROXY_PORT URL USER PASSWORD STEP...

It keeps one connection. Each STEP is one request, printed as one line
"STEP STATUS stale=... algorithms=...":
  challenge    no credentials: learn the nonce (SHA-256's) from the 407
  ok           credentials with the next nonce count
  replay       credentials with the previous nonce count again
  sleep:N      wait N seconds (no request)
  renew        take the nonce of the last 407 (after a stale answer)
  user:NAME    send NAME as the username from now on
"""
import hashlib
import socket
import sys
import time


def h(data):
    return hashlib.sha256(data.encode()).hexdigest()


def parse_challenges(head):
    out = []
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "proxy-authenticate" and value.strip().startswith("Digest "):
            params = {}
            for part in value.strip()[7:].split(","):
                k, _, v = part.strip().partition("=")
                params[k] = v.strip('"')
            out.append(params)
    return out


class Conn:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, int(port)), timeout=5)
        self.buf = b""

    def exchange(self, req):
        self.s.sendall(req.encode())
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        head = head.decode("latin-1")
        n = 0
        for line in head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k.lower() == "content-length":
                n = int(v)
        while len(rest) < n:
            d = self.s.recv(65536)
            if not d:
                break
            rest += d
        self.buf = rest[n:]
        return head


def main():
    host, port, url, user, password = sys.argv[1:6]
    target_host = url.split("/")[2]
    c = Conn(host, port)
    nonce = realm = opaque = None
    nc = 0
    last = []
    for step in sys.argv[6:]:
        if step.startswith("sleep:"):
            time.sleep(float(step[6:]))
            continue
        if step == "renew":
            nonce = last[0]["nonce"]
            nc = 0
            continue
        if step.startswith("user:"):
            user = step[5:]
            continue
        req = "GET %s HTTP/1.1\r\nHost: %s\r\n" % (url, target_host)
        if step in ("ok", "replay"):
            if step == "ok":
                nc += 1
            cnonce = "c%08d" % nc
            ha1 = h("%s:%s:%s" % (user, realm, password))
            ha2 = h("GET:%s" % url)
            resp = h("%s:%s:%08x:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
            req += ('Proxy-Authorization: Digest username="%s", realm="%s", nonce="%s", '
                    'uri="%s", algorithm=SHA-256, qop=auth, nc=%08x, cnonce="%s", '
                    'response="%s"%s\r\n') % (user, realm, nonce, url, nc, cnonce, resp,
                                              ', opaque="%s"' % opaque if opaque else "")
        head = c.exchange(req + "\r\n")
        status = head.split(" ")[1]
        chal = parse_challenges(head)
        if chal:
            last = [p for p in chal if p.get("algorithm") == "SHA-256"] + chal
            if nonce is None:
                nonce, realm, opaque = last[0]["nonce"], last[0]["realm"], last[0].get("opaque")
        stale = ",".join(p.get("stale", "-") for p in chal) or "-"
        algs = ",".join(p.get("algorithm", "?") for p in chal) or "-"
        print("%s %s stale=%s algorithms=%s" % (step, status, stale, algs), flush=True)


main()
