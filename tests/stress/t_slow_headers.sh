#!/bin/bash
# A slow-header attack (2 000 connections from 20 addresses, each sending
# its request head one byte a second): every one is answered 408 and
# closed at the header timeout (3 s here; the deadline runs from the first
# byte and trickling does not extend it), and a normal client is served
# all the while.
. "$(dirname "$0")/../e2e/lib.sh"
ulimit -Hn 65536 2>/dev/null || true
ulimit -Sn "$(ulimit -Hn)"
ADDRS=20
for i in $(seq 1 $ADDRS); do ip -n "$NS_C" addr add "fd00:201::2:$i/64" dev "$NS_C"g nodad; done
trap 'rc=$?; for i in $(seq 1 $ADDRS); do ip -n "$NS_C" addr del "fd00:201::2:$i/64" dev "$NS_C"g 2>/dev/null; done; finish; r=$?; [ "$rc" -ne 0 ] && exit 1; exit $r' EXIT
PROXY_EXTRA="header_timeout = 3s"
setup_daemon; add_user alice secret; start_daemon || exit 1

in_client timeout 60 python3 - "$ADDRS" > "$DIR/slow.out" 2>&1 <<'PY' &
import select, socket, sys, time
addrs, N = int(sys.argv[1]), 2000
head = b"GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\nX-Slow: " + b"x" * 100
socks, t0 = [], time.time()
for i in range(N):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind(("fd00:201::2:%d" % (i % addrs + 1), 0))
    s.connect(("fd00:201::1", 3128))
    s.setblocking(False)
    socks.append(s)
closed_at, answers, pos = {}, {}, 0
while len(closed_at) < N and time.time() - t0 < 20:
    for s in socks:
        if s not in closed_at and pos < len(head):
            try:
                s.send(head[pos:pos + 1])
            except OSError:
                pass
    pos += 1
    end = time.time() + 1
    while time.time() < end and len(closed_at) < N:
        p = select.poll()
        for s in socks:
            if s not in closed_at:
                p.register(s, select.POLLIN)
        for fd, _ in p.poll(200):
            s = next(x for x in socks if x.fileno() == fd)
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if d:
                answers[s] = answers.get(s, b"") + d
            else:
                closed_at[s] = time.time() - t0
print("closed %d of %d, the last after %.1f s" % (len(closed_at), N, max(closed_at.values() or [0])))
print("answered 408: %d" % sum(1 for v in answers.values() if v.startswith(b"HTTP/1.1 408")))
PY
SLOW=$!
sleep 1
good=""
for i in 1 2 3; do good="$good $(status_of -U alice:secret http://$ORIGIN/1k)"; sleep 0.5; done
assert_eq " 200 200 200" "$good" "a normal client is served during the attack"
wait "$SLOW"
out=$(cat "$DIR/slow.out")
echo "$out" | sed 's/^/  /'
assert_contains "$out" "closed 2000 of 2000" "every slow connection closed"
assert_contains "$out" "answered 408: 2000" "each with a 408"
last=$(printf '%s\n' "$out" | sed -n 's/.*the last after \([0-9]*\)\..*/\1/p')
[ "${last:-99}" -le 8 ] && ok || fail "the last slow connection was closed after ${last}s (header timeout 3 s)"
