#!/bin/bash
# Through the proxy, plain HTTP never reaches the gateway's own services:
# a listener in the gateway's namespace (an SSH or a mail relay, say) on
# its uplink address, its LAN address or its IPv6 address, on any port,
# gets 403 naming the reason, and receives not even a connection. A port
# listed in gateway_ports is the one way to open it, and the proxy's own
# listener stays refused even when listed.
. "$(dirname "$0")/lib.sh"
# the gateway's "other service": records every connection it accepts
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
trap 'rc=$?; kill $GW 2>/dev/null; rm -f "$E2E_RECORD.gw"; finish; r=$?; [ "$rc" -ne 0 ] && exit 1; exit $r' EXIT
for _ in $(seq 1 50); do in_gw timeout 1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2222' 2>/dev/null && break; sleep 0.1; done
setup_daemon; add_user alice secret; start_daemon || exit 1
: > "$E2E_RECORD.gw"     # forget the readiness probe

for url in http://10.202.0.1:2222/ http://10.201.0.1:2222/ 'http://[fd00:202::1]:2222/' 'http://[fd00:201::1]:2222/'; do
	out=$(pcurl -U alice:secret -w ' %{http_code}' "$url" 2>/dev/null)
	assert_eq 403 "${out##* }" "403 for $url"
	assert_contains "$out" "is an address of this gateway" "the 403 for $url names the reason"
	assert_not_contains "$out" "gateway secret" "nothing of the service behind $url"
done
assert_eq "" "$(cat "$E2E_RECORD.gw")" "the gateway's service was not even connected to"
assert_contains "$(cat "$ACCESS")" "TCP_DENIED/403" "the refusals are in the access log"

# opened on purpose: gateway_ports lists it (a restart with the key added)
stop_daemon
sed -i '/^\[proxy\]$/a gateway_ports = 2222, 3128' "$DIR/portcullis.conf"
start_daemon || exit 1
assert_eq "gateway secret" "$(pcurl -U alice:secret http://10.202.0.1:2222/ 2>/dev/null)" \
	"a port listed in gateway_ports is reachable"
assert_contains "$(cat "$E2E_RECORD.gw")" "GET / HTTP/1.1" "and the service got the request"
out=$(pcurl -U alice:secret -w ' %{http_code}' http://10.201.0.1:3128/ 2>/dev/null)
assert_eq 403 "${out##* }" "the proxy itself stays refused although listed"
assert_contains "$out" "is the proxy itself" "and the 403 says so"
