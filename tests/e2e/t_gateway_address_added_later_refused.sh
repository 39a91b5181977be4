#!/bin/bash
# An address the gateway gains while the daemon runs (DHCP on the uplink,
# an address added by hand in a new subnet, any IPv6 one) is refused at
# once, not only after the daemon next re-reads its addresses: plain HTTP
# through the proxy to a listener of the gateway's on an address added
# right before the request, IPv4 and IPv6, gets 403 naming the reason, and
# the listener never gets the request (the connection is closed as soon as
# it is seen to reach the gateway). A port listed in gateway_ports stays
# open on such an address.
. "$(dirname "$0")/lib.sh"
# the gateway's "other service": records every connection it accepts and
# what came on it
in_gw timeout 60 python3 - "$E2E_RECORD.gw" <<'PY' &
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
PY
GW=$!
GO=$E2E_NS-go
trap 'rc=$?; kill $GW 2>/dev/null; rm -f "$E2E_RECORD.gw"; in_gw ip addr del 10.203.0.77/24 dev "$GO" 2>/dev/null; in_gw ip addr del fd00:202::77/64 dev "$GO" 2>/dev/null; in_gw ip addr del 10.202.0.78/24 dev "$GO" 2>/dev/null; finish; r=$?; [ "$rc" -ne 0 ] && exit 1; exit $r' EXIT
for _ in $(seq 1 50); do in_gw timeout 1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2222' 2>/dev/null && break; sleep 0.1; done
setup_daemon; add_user alice secret; start_daemon || exit 1
: > "$E2E_RECORD.gw"     # forget the readiness probe

# added right before the request: the daemon's list of its addresses,
# re-read every 2 s, does not have it yet. (An IPv4 address added in a
# subnet the interface already has is not caught this way: the kernel
# gives the subnet's first address as the source; that gap stays until the
# re-read.)
for a in 10.203.0.77/24 fd00:202::77/64; do
	case $a in *:*) url="http://[${a%/*}]:2222/"; nodad=nodad ;; *) url="http://${a%/*}:2222/"; nodad="" ;; esac
	in_gw ip addr add "$a" dev "$GO" $nodad
	out=$(pcurl -U alice:secret -w ' %{http_code}' "$url" 2>/dev/null)
	assert_eq 403 "${out##* }" "403 for $url, added a moment before"
	assert_contains "$out" "is an address of this gateway" "the 403 for $url names the reason"
	assert_not_contains "$out" "gateway secret" "nothing of the service behind $url"
done
assert_not_contains "$(cat "$E2E_RECORD.gw")" "GET" "the gateway's service never got a request"
assert_contains "$(cat "$DLOG")" "is an address of this gateway (found at connect)" "the daemon log says where it was found"

# gateway_ports still opens a port there (a restart with the key added)
stop_daemon
sed -i '/^\[proxy\]$/a gateway_ports = 2222' "$DIR/portcullis.conf"
start_daemon || exit 1
in_gw ip addr add 10.202.0.78/24 dev "$GO"
assert_eq "gateway secret" "$(pcurl -U alice:secret http://10.202.0.78:2222/ 2>/dev/null)" \
	"a port listed in gateway_ports is reachable on an address added later"
