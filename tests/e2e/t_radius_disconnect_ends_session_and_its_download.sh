#!/bin/bash
# A RADIUS server ends a portal session with a Disconnect-Request (RFC
# 5176), sent with FreeRADIUS's radclient: the session ends like a kick
# (its download in progress stops, the client is back at the portal) and
# the server gets Disconnect-ACK. Before that, the same request from an
# address outside dae_clients, and one signed with another secret, change
# nothing and are logged; a request for a user without a session gets
# Disconnect-NAK with Error-Cause 503. Prints how long the Disconnect took
# to cut the client's traffic.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
gina	Cleartext-Password := "gina-pw"
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
{ radius_conf; radius_dae_conf; } >> "$DIR/portcullis.conf"
start_daemon || exit 1
wait_until 10 log_has "radius dae: Disconnect and CoA requests on $RADIUS_DAE" \
	|| fail "the Disconnect/CoA listener started"

assert_eq 303 "$(portal_login gina gina-pw)" "portal login accepted by RADIUS"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "the session passes traffic"

# a download in progress, read slowly through a small receive buffer so
# that the kernel cannot hold the whole file before the cut: $DIR/download
# grows with what arrived, $DIR/download.end says how it ended
in_client python3 - "$DIR/download" <<'PY' &
import socket, sys, time
out = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(3)
s.connect(("10.202.0.2", 8080))
s.sendall(b"GET /1m HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n")
got, end, how = 0, time.time() + 60, "complete"
with open(out, "wb") as f:
    while time.time() < end:
        try:
            b = s.recv(4096)
        except OSError as e:
            how = "cut: " + type(e).__name__
            break
        if not b:
            break
        got += len(b)
        f.write(b)
        f.flush()
        time.sleep(0.05)
    else:
        how = "still running after 60 s"
if how == "complete" and got < 1048576:
    how = "closed early"
open(out + ".end", "w").write("%s %d" % (how, got))
PY
DL=$!
on_finish "kill $DL 2>/dev/null"
size() { stat -c %s "$DIR/download" 2>/dev/null || echo 0; }
wait_until 10 sh -c "[ \$(stat -c %s '$DIR/download' 2>/dev/null || echo 0) -gt 20000 ]" \
	|| fail "the download started"

# not from dae_clients: dropped, logged, nothing changes
out=$(printf 'User-Name = "gina"\n' | radius_dae disconnect "" "$RADIUS2")
assert_not_contains "$out" "Disconnect-ACK" "a request from another address gets no answer"
wait_until 5 log_has "request from $RADIUS2 dropped: not an address of \[radius\] dae_clients" \
	&& ok || fail "the request from another address is logged"
# the wrong secret: dropped, logged, nothing changes
out=$(printf 'User-Name = "gina"\n' | radius_dae disconnect "not-the-secret")
assert_not_contains "$out" "Disconnect-ACK" "a request signed with another secret gets no answer"
wait_until 5 log_has "request from $RADIUS1 dropped: wrong Request Authenticator" \
	&& ok || fail "the request with the wrong secret is logged"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "the session still passes traffic"
before=$(size)
wait_until 5 sh -c "[ \$(stat -c %s '$DIR/download') -gt $before ]" \
	&& ok || fail "the download still runs"

# a user without a session: NAK with Session-Context-Not-Found
out=$(printf 'User-Name = "nobody"\n' | radius_dae disconnect)
assert_contains "$out" "Disconnect-NAK" "a Disconnect for a user without a session is refused"
assert_contains "$out" "Error-Cause = Session-Context-Not-Found" "with Error-Cause 503"

# the client's traffic, watched every 20 ms from now: when does it stop?
in_client python3 - "$DIR/cut_at" "$DIR/watching" <<'PY' &
import socket, sys, time
end = time.time() + 20
while time.time() < end:
    t = time.time()
    try:
        socket.create_connection(("10.202.0.2", 8080), timeout=0.2).close()
        open(sys.argv[2], "w").close()
    except OSError:
        open(sys.argv[1], "w").write("%.3f" % t)
        break
    time.sleep(0.02)
PY
WATCH=$!
wait_until 5 files_exist "$DIR/watching" || fail "the watcher's connections pass"
sent=$(date +%s.%N)
out=$(printf 'User-Name = "gina"\n' | radius_dae disconnect)
assert_contains "$out" "Disconnect-ACK" "the Disconnect for gina is acknowledged"
wait "$WATCH"
if [ -s "$DIR/cut_at" ]; then
	ms=$(awk -v a="$sent" -v b="$(cat "$DIR/cut_at")" 'BEGIN { printf "%d", (b - a) * 1000 }')
	echo "  figure: Disconnect-Request sent to the client's first refused connection: ${ms} ms"
	[ "$ms" -lt 3000 ] && ok || fail "traffic cut ${ms} ms after the Disconnect, not within 3 s"
else
	fail "the client's traffic was never refused after the Disconnect"
fi
wait_until 10 files_exist "$DIR/download.end" || fail "the download ended"
assert_contains "$(cat "$DIR/download.end" 2>/dev/null)" "cut" "the download in progress was cut"
assert_contains "$(cat "$DLOG")" 'session ended: client=10.201.0.2 user="gina" reason=kicked' \
	"the session ended as a kick does"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "the client is back at the portal"
wait_for "! in_gw nft list set inet portcullis sess4 | grep -q 10.201.0.2" 30 \
	&& ok || fail "the kernel element is gone"
out=$(printf 'User-Name = "gina"\n' | radius_dae disconnect)
assert_contains "$out" "Disconnect-NAK" "a second Disconnect finds no session"
finish
