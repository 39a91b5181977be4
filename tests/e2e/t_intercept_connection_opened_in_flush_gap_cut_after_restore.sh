#!/bin/bash
# A connection an unauthenticated LAN client opens in the gap between a
# flush and the restore is cut when the table is back: the table's
# 'established, original direction' rule would pass it otherwise. The
# deployment guide's masquerade table is reloaded with the flush, so
# conntrack stays registered during the gap, as on a real gateway.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
intercept_conf
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
in_gw nft -f - <<NFT
table ip lan_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "$E2E_NS-go" masquerade
  }
}
NFT
start_daemon || exit 1
wait_until 3 table_running || fail "running table installed"
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "before: refused"
cat > "$DIR/gap.py" <<'PY'
import os, socket, time, sys
open(sys.argv[2], "w").close()
deadline = time.time() + 5
s = None
errs = {}
while time.time() < deadline:
    try:
        s = socket.create_connection(("10.202.0.2", 8080), timeout=0.05)
        break
    except OSError as e:
        s = None
        errs[type(e).__name__] = errs.get(type(e).__name__, 0) + 1
        time.sleep(0.002)
if not s:
    print("never connected", errs); sys.exit(1)
print("connected", flush=True)
open(sys.argv[1], "w").close()
# the shell says when the table is back (bounded)
deadline = time.time() + 15
while not os.path.exists(sys.argv[3]) and time.time() < deadline:
    time.sleep(0.05)
s.settimeout(3)
s.sendall(b"GET /1k HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n")
d = b""
try:
    while True:
        c = s.recv(65536)
        if not c: break
        d += c
except OSError as e:
    print("recv error", e)
print("answer:", d.split(b"\r\n")[0].decode(errors="replace"), len(d))
PY
in_client python3 "$DIR/gap.py" "$DIR/connected" "$DIR/trying" "$DIR/back" > "$DIR/gap.out" 2>&1 &
gp=$!
wait_until 5 test -e "$DIR/trying" || fail "the client started"
in_gw nft -f - <<NFT
flush ruleset
table ip lan_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "$E2E_NS-go" masquerade
  }
}
table inet filter {
  chain input {
    type filter hook input priority filter;
    ct state established,related accept
  }
}
NFT
wait_until 3 table_running && ok || fail "table back"
wait_until 5 test -e "$DIR/connected" && ok || fail "the client connected in the gap"
wait_until 3 grep -q 'connections\? of LAN clients that may not pass cut' "$DLOG" \
	&& ok || fail "the cut is logged"
touch "$DIR/back"
wait $gp
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "after: new connections refused"
assert_not_contains "$(cat "$DIR/gap.out")" "HTTP/1.1 200" "the gap's connection is not forwarded after the restore"
finish
