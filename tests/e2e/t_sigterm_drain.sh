#!/bin/bash
# SIGTERM (systemctl stop): the listeners close at once, so new connections
# are refused; an idle keep-alive connection is closed; a download in
# flight finishes whole; then the daemon exits 0 (within the drain bound).
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret; start_daemon || exit 1

# an idle keep-alive connection, held open by a client that waits for EOF
in_client timeout 20 python3 -c '
import base64, socket, sys, time
s = socket.create_connection(("10.201.0.1", 3128), timeout=15)
cred = base64.b64encode(b"alice:secret").decode()
s.sendall(("GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\n"
           "Proxy-Authorization: Basic %s\r\n\r\n" % cred).encode())
got = b""
while len(got) < 1024 or b"\r\n\r\n" not in got:
    got += s.recv(65536)
open(sys.argv[1], "w").close()
while s.recv(65536):
    pass
print("idle closed at %d" % (time.time() * 1000))
' "$DIR/idle.started" > "$DIR/idle.out" 2>&1 &
IDLE=$!
# about 4 s at 16 KiB per 60 ms
in_client timeout 40 python3 "$REPO/tests/e2e/slow_client.py" 10.201.0.1 3128 \
	http://$ORIGIN/1m alice:secret "$DIR/dl" 16384 0.06 "$DIR/dl.started" > "$DIR/dl.out" 2>&1 &
DL=$!
wait_files "$DIR/idle.started" "$DIR/dl.started" && ok || fail "both clients connected before SIGTERM"
t0=$(date +%s%N)
kill -TERM "$DPID"
listener_closed() { ! listening in_gw 10.201.0.1:3128; }
wait_until 10 listener_closed
in_client timeout 2 bash -c 'exec 3<>/dev/tcp/10.201.0.1/3128' 2>/dev/null &&
	fail "a new connection was accepted while draining" || ok
kill -0 "$DPID" 2>/dev/null && ok || fail "the daemon waits for the download in flight"
wait "$DL"
assert_eq "200 1048576" "$(cat "$DIR/dl.out")" "the download in flight finished whole"
cmp -s "$DIR/dl" "$E2E_WWW/1m" && ok || fail "downloaded bytes are the origin's"
wait "$IDLE"
assert_contains "$(cat "$DIR/idle.out")" "idle closed at" "idle keep-alive connection closed"
closed=$(sed -n 's/idle closed at \([0-9]*\)/\1/p' "$DIR/idle.out")
ms=$(( ${closed:-0} - t0 / 1000000 ))
echo "  idle connection closed $ms ms after SIGTERM"
[ "$ms" -ge 0 ] && [ "$ms" -le 250 ] && ok || fail "idle connection closed $ms ms after SIGTERM, not at once"
rc=""
wait_until 12 gone "$DPID"
if kill -0 "$DPID" 2>/dev/null; then
	fail "daemon still running 12 s after SIGTERM"
else
	wait "$DPID"; rc=$?
	assert_eq 0 "$rc" "exit status after a drain"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$ms" -le 11000 ] && ok || fail "drain took ${ms} ms, the bound is 10 s"
fi
DPID=""
assert_contains "$(cat "$DLOG")" "draining connections" "drain logged"
assert_contains "$(cat "$DLOG")" "portcullisd stopped" "stop logged"
assert_contains "$(cat "$ACCESS")" "TCP_MISS/200 1048" "the drained download is in the access log"
