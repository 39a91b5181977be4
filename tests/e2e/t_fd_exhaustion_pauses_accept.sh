#!/bin/bash
# File descriptors run out (the daemon is started with a limit of 64): the
# daemon pauses accepting instead of spinning on a listener that stays
# readable, the connections past the limit wait in the backlog, and once
# descriptors are free again it resumes by itself and serves them.
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice secret
(ulimit -Sn 64; ulimit -Hn 64; exec ip netns exec "$NS_G" "$DAEMON" -c "$DIR/portcullis.conf") > "$DLOG" 2>&1 &
DPID=$!
wait_until 10 log_has "portcullisd started"
assert_contains "$(cat "$DLOG")" "64 descriptors" "daemon started with 64 descriptors"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "serves before"
cpu() { awk '{ print $14 + $15 }' /proc/"$DPID"/stat; }

in_client timeout 60 python3 - > "$DIR/clients.out" 2>&1 <<'PY' &
import socket, time
# 100 connections, each sends a request at once: about 40 fit in the
# daemon's descriptors, the rest wait in the listen backlog
socks = []
for i in range(100):
    s = socket.create_connection(("10.201.0.1", 3128), timeout=30)
    s.sendall(b"GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\n\r\n")
    socks.append(s)
print("opened", len(socks), flush=True)
time.sleep(4)                     # the daemon is out of descriptors meanwhile
# free descriptors: the first 60 go away
for s in socks[:60]:
    s.close()
answered = 0
for s in socks[60:]:
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(4096)
        if not d:
            break
        data += d
    if data.startswith(b"HTTP/1.1 407"):
        answered += 1
print("answered after the pause", answered, flush=True)
PY
CLIENTS=$!
wait_until 10 log_has opened "$DIR/clients.out"
wait_until 10 log_has "accepting paused"
# the CPU the daemon uses in 2 s while out of descriptors is what is measured
c0=$(cpu); sleep 2; c1=$(cpu)
assert_contains "$(cat "$DLOG")" "accepting paused" "the daemon says it pauses accepting"
# 2 s at 100 ticks/s: a spinning accept loop would burn close to 200
[ $((c1 - c0)) -le 40 ] && ok || fail "daemon used $((c1 - c0)) ticks of CPU in 2 s while out of descriptors"
wait "$CLIENTS"
assert_contains "$(cat "$DIR/clients.out")" "answered after the pause 40" "the waiting connections were served"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "serves after"
