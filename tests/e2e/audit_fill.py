"""Audit fill: from N_ADDRS local addresses (PREFIX % (0x1000 + i), or the
default source when empty), PER Digest requests each on one connection,
each under a new username and answered 407 (a malformed failure: the uri
names no request).

    audit_fill.py PROXY N_ADDRS PER PREFIX ORIGIN
"""
import socket, sys
proxy, n_addrs, per, prefix, origin = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
fam = socket.AF_INET6 if ':' in proxy else socket.AF_INET
sent = 0
for a in range(n_addrs):
    s = socket.socket(fam)
    if prefix:
        s.bind((prefix % (0x1000 + a) if "%x" in prefix else prefix % 77, 0))
    s.connect((proxy, 3128))
    f = s.makefile('rb')
    for i in range(per):
        hdr = ('Digest username="a%du%d", realm="Portcullis", nonce="abc", uri="/nomatch", '
               'response="%s", qop=auth, nc=00000001, cnonce="x", algorithm=SHA-256') % (a, i, '0' * 64)
        s.sendall(('GET http://%s/1k HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: %s\r\n\r\n' % (origin, origin, hdr)).encode())
        line = f.readline()
        clen = 0
        while True:
            h = f.readline()
            if h in (b'\r\n', b''):
                break
            if h.lower().startswith(b'content-length:'):
                clen = int(h.split(b':')[1])
        f.read(clen)
        sent += 1
        if b'407' not in line:
            print('unexpected', line); break
    s.close()
print('sent', sent)
