#!/bin/bash
# 10 000 concurrent client connections with the default limits: they come
# from 50 IPv6 addresses of the client namespace, each in a /64 of its own
# (the per-client cap counts an IPv6 client by its /64; 200 each, far under
# the default 4096), every one is accepted and answered (a 407 from
# the proxy, then an authenticated 200 through to the origin on every 50th),
# all stay open together, and the daemon's memory with 10 000 idle
# connections stays bounded. Prints the figures.
. "$(dirname "$0")/../e2e/lib.sh"
# 10 000 client sockets here and as many in the daemon, plus its upstreams
ulimit -Hn 65536 2>/dev/null || true
ulimit -Sn "$(ulimit -Hn)"
[ "$(ulimit -Hn)" -ge 10400 ] && ok || fail "descriptor limit $(ulimit -Hn) is too low for this test"
ADDRS=50
for i in $(seq 1 $ADDRS); do ip -n "$NS_C" addr add "fd00:201:1:$i::2/64" dev "$NS_C"g nodad; done
# the gateway reaches those /64s on its LAN link
ip -n "$NS_G" -6 route add fd00:201:1::/48 dev "$E2E_NS-gc"
trap 'rc=$?; for i in $(seq 1 $ADDRS); do ip -n "$NS_C" addr del "fd00:201:1:$i::2/64" dev "$NS_C"g 2>/dev/null; done; ip -n "$NS_G" -6 route del fd00:201:1::/48 dev "$E2E_NS-gc" 2>/dev/null; finish; r=$?; [ "$rc" -ne 0 ] && exit 1; exit $r' EXIT
setup_daemon; add_user alice secret; start_daemon || exit 1
rss() { awk '/^VmRSS/ { print $2 }' /proc/"$DPID"/status; }
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "warm-up"
rss0=$(rss)

in_client timeout 240 python3 - "$ADDRS" "$DIR/held" > "$DIR/clients.out" 2>&1 <<'PY' &
import base64, select, socket, sys, time
addrs, flag = int(sys.argv[1]), sys.argv[2]
N = 10000
t0 = time.time()
socks = []
for i in range(N):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind(("fd00:201:1:%d::2" % (i % addrs + 1), 0))
    s.settimeout(30)
    s.connect(("fd00:201::1", 3128))
    socks.append(s)
print("connected %d in %.1f s" % (len(socks), time.time() - t0), flush=True)

def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(65536)
        if not d:
            return None
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(body) < n:
        d = s.recv(65536)
        if not d:
            return None
        body += d
    return head.split(b"\r\n")[0]

req = b"GET http://[fd00:202::2]/1k HTTP/1.1\r\nHost: [fd00:202::2]\r\n\r\n"
for s in socks:
    s.sendall(req)
challenged = sum(1 for s in socks if (read_response(s) or b"").startswith(b"HTTP/1.1 407"))
print("challenged %d" % challenged, flush=True)
cred = base64.b64encode(b"alice:secret").decode()
areq = ("GET http://[fd00:202::2]/1k HTTP/1.1\r\nHost: [fd00:202::2]\r\n"
        "Proxy-Authorization: Basic %s\r\n\r\n" % cred).encode()
served = 0
for s in socks[::50]:
    s.sendall(areq)
    served += (read_response(s) or b"").startswith(b"HTTP/1.1 200")
print("served %d of %d" % (served, len(socks[::50])), flush=True)
open(flag, "w").close()
time.sleep(3)                          # the test measures the daemon now
# every connection is still open: nothing to read, no EOF
poll = select.poll()
for s in socks:
    poll.register(s, select.POLLIN)
open_now = N - len(poll.poll(0))
print("still open %d" % open_now, flush=True)
for s in socks:
    s.close()
PY
CLIENTS=$!
for _ in $(seq 1 2000); do [ -e "$DIR/held" ] && break; kill -0 "$CLIENTS" 2>/dev/null || break; sleep 0.1; done
rss1=$(rss)
held=$(ls -l /proc/"$DPID"/fd | grep -c 'socket:')
wait "$CLIENTS"
out=$(cat "$DIR/clients.out")
echo "$out" | sed 's/^/  /'
assert_contains "$out" "connected 10000" "10 000 connections accepted"
assert_contains "$out" "challenged 10000" "every connection answered"
assert_contains "$out" "served 200 of 200" "authenticated requests served through them"
assert_contains "$out" "still open 10000" "all held open together"
[ "$held" -ge 10000 ] && ok || fail "the daemon held $held sockets"
per=$(( (rss1 - rss0) * 1024 / 10000 ))
echo "  daemon sockets held: $held; RSS $rss0 KiB before, $rss1 KiB with 10 000 idle connections ($per bytes each)"
# an idle connection keeps no buffers: well under 4 KiB each
[ "$per" -le 4096 ] && ok || fail "an idle connection costs $per bytes"
for _ in $(seq 1 100); do [ "$(ls -l /proc/"$DPID"/fd | grep -c 'socket:')" -le 10 ] && break; sleep 0.1; done
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "serves after"
