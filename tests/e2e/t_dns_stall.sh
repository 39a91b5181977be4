#!/bin/bash
# A nameserver that never answers (a UDP listener of the test's own that
# reads and stays silent): a request for a name gets a 504 that says the
# name could not be resolved, at the connect timeout (3 s here), while
# requests to addresses are served all along; nothing is left behind.
. "$(dirname "$0")/lib.sh"
NETNS_DIR_MADE=""; [ -d /etc/netns ] || NETNS_DIR_MADE=1
mkdir -p /etc/netns/"$NS_G"
printf 'nameserver 10.202.0.2\noptions timeout:5 attempts:1\n' > /etc/netns/"$NS_G"/resolv.conf
ip netns exec "$NS_O" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.202.0.2", 53))
end = time.time() + 120
while time.time() < end:
    s.settimeout(1)
    try:
        s.recv(4096)
    except socket.timeout:
        pass' > /dev/null 2>&1 &
SILENT=$!
trap 'rc=$?; kill $SILENT 2>/dev/null; rm -rf /etc/netns/"$NS_G"; [ -n "$NETNS_DIR_MADE" ] && rmdir /etc/netns 2>/dev/null; finish; r=$?; [ "$rc" -ne 0 ] && exit 1; exit $r' EXIT
setup_daemon; add_user alice secret; start_daemon || exit 1
sockets() { ls -l /proc/"$DPID"/fd | grep -c 'socket:'; }
before=$(sockets)

pcurl -U alice:secret -o "$DIR/body" -w '%{http_code} %{time_total}' http://stalled-name.portcullis-e2e.test/ \
	> "$DIR/stalled.out" 2>/dev/null &
STALLED=$!
sleep 0.5
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "an address is served during the stalled lookup"
wait "$STALLED"
out=$(cat "$DIR/stalled.out")
assert_eq 504 "${out%% *}" "504 for a name whose lookup stalls"
secs=${out#* }
[ "${secs%%.*}" -ge 2 ] && [ "${secs%%.*}" -le 5 ] && ok || fail "answered after ${secs}s, connect_timeout is 3 s"
assert_contains "$(cat "$DIR/body")" "could not be resolved in time" "the 504 says why"
for _ in $(seq 1 50); do [ "$(sockets)" -le "$before" ] && break; sleep 0.1; done
assert_eq "$before" "$(sockets)" "sockets held afterwards"
