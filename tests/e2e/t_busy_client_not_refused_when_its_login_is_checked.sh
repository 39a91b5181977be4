#!/bin/bash
# A busy client (a browser opening many connections at once, or an office
# behind one NAT address) sends the same right credentials on 60
# connections at the same moment: at the first request after a start, and
# again each time the verified answer has left the cache (its TTL is 1 s
# here, 300 s by default). Every request gets its 200: identical checks in
# flight are made once and answer everyone waiting for them, instead of the
# requests beyond the per-client bound on checks in flight getting 429.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA='cache_ttl = 1s' setup_daemon; add_user alice 'secret'; add_user bob 'right'; start_daemon || exit 1

burst() { # rounds user:password
	in_client timeout 60 python3 - "$1" "$2" <<'PY'
import base64, socket, sys, threading, time
N = 60
auth = base64.b64encode(sys.argv[2].encode()).decode()
req = ("GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\n"
       "Proxy-Authorization: Basic %s\r\nConnection: close\r\n\r\n" % auth).encode()
for rnd in range(int(sys.argv[1])):
    if rnd:
        time.sleep(1.5)   # past the cache's TTL: this wait is what is tested
    socks = [socket.create_connection(("10.201.0.1", 3128), timeout=20) for _ in range(N)]
    statuses = [None] * N
    gate = threading.Barrier(N)
    def one(i):
        gate.wait()
        socks[i].sendall(req)
        f = socks[i].makefile("rb")
        line = f.readline().split()
        statuses[i] = line[1].decode() if len(line) > 1 else "none"
        socks[i].close()
    ts = [threading.Thread(target=one, args=(i,)) for i in range(N)]
    for t in ts: t.start()
    for t in ts: t.join()
    counts = {}
    for s in statuses: counts[s] = counts.get(s, 0) + 1
    print(" ".join("%s:%d" % kv for kv in sorted(counts.items())))
PY
}
out=$(burst 3 alice:secret)
echo "$out" | sed 's/^/    right password: /'
assert_eq "200:60
200:60
200:60" "$out" "60 simultaneous requests with the right password, cold and twice after the cache expired"
assert_eq 0 "$(grep -c ' TCP_DENIED/429 ' "$ACCESS")" "no 429 in the access log"

# the same wrong password on 60 connections at once: nobody is let in, and
# every attempt counts towards the lockout as before (waiting for another
# attempt's check is no way around it)
out=$(burst 1 bob:wrong)
echo "    wrong password: $out"
assert_not_contains "$out" "200:" "no wrong password let through"
assert_eq 429 "$(status_of -U bob:right http://$ORIGIN/1k)" "the client is locked out for bob afterwards"
