"""A service of the gateway's own (an SSH or a mail relay, say) on port 2222
of every address, IPv4 and IPv6: it appends each connection it accepts, and
the first bytes that came on it, to the file named by argv[1], and answers
anything it gets with a response whose body is "gateway secret"."""
import select, socket, sys
out = sys.argv[1]
socks = []
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 2222)); s.listen(16); socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        c, peer = s.accept()
        c.settimeout(2)
        try:
            data = c.recv(4096)
        except OSError:
            data = b""
        with open(out, "a") as f:
            f.write("%s %r\n" % (peer[0], data[:40]))
        if data:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\nConnection: close\r\n\r\ngateway secret")
        c.close()
