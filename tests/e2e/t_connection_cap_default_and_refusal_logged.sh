#!/bin/bash
# The per-client connection cap: by default one address (a NAT'd office, a
# terminal server) may hold 300 connections at once, past the old default
# of 256; a refusal by a cap that is set low is logged with the address
# and counted in /metrics, so an administrator sees it.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080

# Hold N connections from the client, each answered once (a 407); then one
# more; print the status line of each answer, and count them.
hold() { # n
	in_client timeout 60 python3 -c '
import socket, sys, collections
n = int(sys.argv[1])
held, seen = [], collections.Counter()
def ask(s):
    s.sendall(b"GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\n\r\n")
    buf = b""
    while b"\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return buf.split(b"\r\n")[0].decode() or "closed"
for _ in range(n):
    s = socket.create_connection(("10.201.0.1", 3128), timeout=10)
    held.append(s)
    seen[ask(s)] += 1
for k, v in sorted(seen.items()):
    print(v, k)
' "$1"
}

setup_daemon; add_user alice secret; start_daemon || exit 1
out=$(hold 300)
echo "$out" | sed 's/^/    default cap: /'
assert_eq "300 HTTP/1.1 407 Proxy Authentication Required" "$out" "300 connections from one address, all served"
assert_metric "$(acurl $A/metrics)" portcullis_connections_refused_per_client_total 0 "none refused"

stop_daemon; rm -rf "$DIR"
PROXY_EXTRA="max_connections_per_client = 3"
setup_daemon; add_user alice secret; start_daemon || exit 1
out=$(hold 5)
echo "$out" | sed 's/^/    cap 3: /'
assert_contains "$out" "3 HTTP/1.1 407 Proxy Authentication Required" "three within the cap served"
assert_contains "$out" "2 HTTP/1.1 503 Service Unavailable" "two past the cap refused"
m=$(acurl $A/metrics)
assert_metric "$m" portcullis_connections_refused_per_client_total 2 "refusals counted"
assert_metric "$m" portcullis_connections_refused_total 2 "and among all refusals"
logged() { grep -q 'connection from 10.201.0.2 refused: 3 open from that address, max_connections_per_client = 3' "$DLOG"; }
wait_until 5 logged && ok || fail "refusal logged with the address and the cap"
