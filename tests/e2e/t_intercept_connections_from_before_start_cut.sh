#!/bin/bash
# Connections the LAN opened while the daemon was not running (no table:
# the firewall reloaded without the closed ruleset) are cut when it
# starts, unless their client may pass: 10.201.0.2 has a session restored
# from the database and keeps its connection; 10.201.0.3 (another host on
# the same link, a MAC of its own, no session) loses its own. (A second
# address on the client's own interface would be the same device, which a
# session adopts by its MAC.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/second_lan_host.sh"
intercept_conf
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
add_user bob secret
# the deployment guide's masquerade table: conntrack tracks the LAN's flows
in_gw nft -f - <<NFT
table ip lan_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "$E2E_NS-go" masquerade
  }
}
NFT
second_lan_host_up same-link || fail "the second host on the LAN"
mac=$(in_client ip -o link show | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p' | head -n 1)
[ -n "$mac" ] || fail "the client's MAC"
now=$(date +%s)
sqlite3 "$DB" "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, expires_at)
	VALUES ('10.201.0.2', '$mac', 'bob', $now, $now, 600, $((now + 3600)));"
cat > "$DIR/before.py" <<'PY'
import os, socket, sys, time
src = sys.argv[3]
conns = {src: socket.create_connection(("10.202.0.2", 8080), timeout=5,
                                       source_address=(src, 0))}
open(sys.argv[1], "w").close()
deadline = time.time() + 20
while not os.path.exists(sys.argv[2]) and time.time() < deadline:
    time.sleep(0.05)
for name, s in conns.items():
    s.settimeout(3)
    d = b""
    try:
        s.sendall(b"GET /1k HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n")
        while True:
            c = s.recv(65536)
            if not c:
                break
            d += c
    except OSError as e:
        pass
    print(name, d.split(b"\r\n")[0].decode(errors="replace") or "nothing", flush=True)
PY
in_client python3 "$DIR/before.py" "$DIR/connected" "$DIR/started" 10.201.0.2 > "$DIR/before.out" 2>&1 &
cp=$!
in_second python3 "$DIR/before.py" "$DIR/connected3" "$DIR/started" 10.201.0.3 > "$DIR/before3.out" 2>&1 &
cp3=$!
wait_until 5 test -e "$DIR/connected" -a -e "$DIR/connected3" && ok ||
	fail "both connections opened before the start ($(cat "$DIR/before.out" "$DIR/before3.out"))"
start_daemon || exit 1
wait_until 3 table_running || fail "running table installed"
wait_until 3 grep -q 'connections\? of LAN clients that may not pass cut' "$DLOG" \
	&& ok || fail "the cut is logged"
touch "$DIR/started"
wait $cp $cp3
assert_contains "$(cat "$DIR/before.out")" "10.201.0.2 HTTP/1.1 200" "the session's address keeps its connection"
assert_contains "$(cat "$DIR/before3.out")" "10.201.0.3 nothing" "the host without a session loses its own"
