#!/bin/bash
# Brute-force spray: a million failed Digest logins, each from its own IPv6
# address (the client namespace answers for a whole /64 through a local
# route) and with its own username. The lockout of a victim set up before
# holds through it (a right password from a fresh address still gets 429),
# the daemon's memory stays flat between the first and the second half of
# the spray, and the addresses, all in one /64, are one locked-out client
# whose attempts cost neither a check nor an audit row. Then a million more,
# each from a /64 of its own (fd01:0:X:Y::1, a host that takes a new
# prefix for every guess): each is a new client in every per-client table,
# so this is the spray that fills them; once they are full the daemon's
# memory stays flat over the second half, and the victim stays locked.
# Prints the figures. SPRAY_COUNT (1 000 000) sets the size of each spray;
# about 7 minutes.
. "$(dirname "$0")/../e2e/lib.sh"
SPRAY=fd00:201:0:1
WIDE=fd01    # fd01::/32: a /64 of its own for each attempt of the second spray
in_client ip -6 route add local "$SPRAY::/64" dev lo
in_client ip -6 route add local "$WIDE::/32" dev lo
in_client sysctl -qw net.ipv6.ip_nonlocal_bind=1
in_gw ip -6 route add "$SPRAY::/64" via fd00:201::2
in_gw ip -6 route add "$WIDE::/32" via fd00:201::2
on_finish 'in_client sysctl -qw net.ipv6.ip_nonlocal_bind=0
	in_client ip -6 route del local "$SPRAY::/64" dev lo 2>/dev/null
	in_client ip -6 route del local "$WIDE::/32" dev lo 2>/dev/null
	in_gw ip -6 route del "$SPRAY::/64" via fd00:201::2 2>/dev/null
	in_gw ip -6 route del "$WIDE::/32" via fd00:201::2 2>/dev/null'
AUTH_EXTRA=$'lockout_threshold = 5\nlockout_window = 1800s\nlockout_duration = 1800s'
# The audit queue is a ring of fixed records (912 bytes each) whose pages
# are first written as it goes round; new rows come at most a few thousand
# a minute under a spray (the per-source run table), so the default 10 000
# take minutes to go round once, a 5 MiB step somewhere in a three-minute
# spray. 1 000 go round within the first minute: the second half then
# measures what grows with clients, not a fixed ring being written first.
DB_EXTRA="audit_queue_size = 1000"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon; add_user alice secret; start_daemon || exit 1
rss() { awk '/^VmRSS/ { print $2 }' /proc/"$DPID"/status; }
from_addr() { # address user:password -> status
	in_client timeout 10 curl -s -o /dev/null -w '%{http_code}' --interface "$1" \
		-x 'http://[fd00:201::1]:3128' -U "$2" http://10.202.0.2/1k
}
# the victim: five wrong passwords from five addresses lock the username
for i in 1 2 3 4 5; do from_addr "$SPRAY::f:$i" alice:wrong$i >/dev/null; done
assert_eq 429 "$(from_addr "$SPRAY::f:100" alice:secret)" "victim locked before the spray"

spray() { # first count [wide]: from $SPRAY::/64, or each from a /64 of its own
	in_client timeout 900 python3 - "$SPRAY" "$1" "$2" "${3:-}" <<'PY'
import socket, sys, threading
prefix, first, count, wide = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
codes = {}
lock = threading.Lock()
def run(lo, hi):
    for i in range(lo, hi):
        user = ("wide%07d" if wide else "spray%06d") % i
        hdr = ('Digest username="%s", realm="Portcullis", nonce="AAAAAAAAAAAAAAAAAAAAAA", '
               'uri="http://10.202.0.2/1k", algorithm=SHA-256, qop=auth, nc=00000001, '
               'cnonce="c", response="%s"' % (user, "0" * 64))
        try:
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            if wide:
                s.bind(("%s:0:%x:%x::1" % (wide, i >> 16, i & 0xffff), 0))
            else:
                s.bind(("%s::%x:%x" % (prefix, i >> 16, i & 0xffff), 0))
            s.settimeout(10)
            s.connect(("fd00:201::1", 3128))
            s.sendall(("GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\n"
                       "Proxy-Authorization: %s\r\nConnection: close\r\n\r\n" % hdr).encode())
            data = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            s.close()
            code = data[9:12].decode() if data else "none"
        except OSError as e:
            code = type(e).__name__
        with lock:
            codes[code] = codes.get(code, 0) + 1
step = count // 4
ts = [threading.Thread(target=run, args=(first + k * step, first + (k + 1) * step)) for k in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(" ".join("%s:%d" % kv for kv in sorted(codes.items())))
PY
}
total=${SPRAY_COUNT:-1000000}
half=$((total / 2))
rss0=$(rss)
t0=$(date +%s)
first=$(spray 16 "$half")
rss1=$(rss)
second=$(spray $((16 + half)) "$half")
rss2=$(rss)
t1=$(date +%s)
echo "  spray: $((2 * half)) distinct addresses and usernames in $((t1 - t0)) s; answers: $first / $second"
echo "  daemon RSS: $rss0 KiB before, $rss1 KiB after $half, $rss2 KiB after $((2 * half))"
# the lockout counts an IPv6 client by its /64: the spray's /64 is one
# client, locked out by the victim's set-up already, so every attempt is
# refused without a password check
assert_eq "429:$half" "$first" "every spray attempt refused (first half)"
assert_eq "429:$half" "$second" "every spray attempt refused (second half)"
# the lockout table is fixed; what moves is malloc's arenas: 2 MiB slack
[ "$rss2" -le $((rss1 + 2048)) ] && ok || fail "RSS grew from $rss1 to $rss2 KiB in the second half"
assert_eq 429 "$(from_addr "$SPRAY::f:101" alice:secret)" "victim still locked after the spray"
# a locked-out client's further attempts are refused before any check:
# neither a failure row nor a fail2ban line each (the first locked_out
# was both), so a spray cannot fill the audit or the log
assert_eq 0 "$(sqlite3 "$DB" "SELECT count(*) FROM failures WHERE username LIKE 'spray%'")" "no audit row per locked-out attempt"
assert_eq 0 "$(grep -c 'user="spray' "$DLOG")" "no log line per locked-out attempt"

# Each attempt from a /64 of its own: a new client for the address
# lockout, the address+username table, the audit's per-source slots and
# the connection count, with a new username for the username table. Not
# locked out (one failure each), so each is a 407 after its check; the
# tables fill in the first half, and the second half must not grow them.
rss0=$(rss)
t0=$(date +%s)
first=$(spray 0 "$half" "$WIDE")
rss1=$(rss)
second=$(spray "$half" "$half" "$WIDE")
rss2=$(rss)
t1=$(date +%s)
echo "  wide spray: $((2 * half)) distinct /64s and usernames in $((t1 - t0)) s; answers: $first / $second"
echo "  daemon RSS: $rss0 KiB before, $rss1 KiB after $half, $rss2 KiB after $((2 * half))"
assert_eq "407:$half" "$first" "every attempt from its own /64 checked and refused (first half)"
assert_eq "407:$half" "$second" "every attempt from its own /64 checked and refused (second half)"
# every per-client table has a fixed capacity, full by now; SQLite's page
# caches and malloc's arenas move a little: 2 MiB slack
[ "$rss2" -le $((rss1 + 2048)) ] && ok || fail "RSS grew from $rss1 to $rss2 KiB in the second half of the wide spray"
assert_eq 429 "$(from_addr "$SPRAY::f:102" alice:secret)" "victim still locked after the wide spray"
