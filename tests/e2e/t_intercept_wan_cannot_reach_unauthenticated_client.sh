#!/bin/bash
# Intercept mode: the gate holds in both directions. A connection opened
# from the WAN side (the origin namespace) to a LAN client that has not
# logged in is refused at once (TCP reset, ICMP for UDP), and the client
# never sees it: its answers would otherwise count as "established" and an
# unauthenticated host could talk through the gateway as a server. Once
# the client has logged in, connections towards its addresses pass (its
# traffic is forwarded both ways, like any logged-in client's), but only
# for the device's addresses; a kick cuts the one opened towards it
# and refuses the next. A whitelisted LAN address is reachable as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user kim 'pw'
start_daemon || exit 1

# a TCP service (v4 and v6) and a UDP one in the client namespace; it says
# hello, answers "pong" to anything, and notes every peer it saw
timeout 150 ip netns exec "$NS_C" python3 - "$DIR" <<'PY' &
import os, socket, sys, threading, time
d = sys.argv[1]
def note(name, peer):
    with open(os.path.join(d, name), "a") as f:
        f.write(peer + "\n")
def serve(c):
    try:
        c.sendall(b"hello\n")
        while c.recv(100):
            c.sendall(b"pong\n")
    except OSError:
        pass
def tcp(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 9000)); s.listen(8)
    while True:
        c, a = s.accept()
        note("accepted", a[0])
        threading.Thread(target=serve, args=(c,), daemon=True).start()
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.201.0.2", 9001))
    while True:
        _, a = s.recvfrom(100)
        note("udp", a[0]); s.sendto(b"pong", a)
for t in ((tcp, (socket.AF_INET, "10.201.0.2")), (tcp, (socket.AF_INET6, "fd00:201::2")), (udp, ())):
    threading.Thread(target=t[0], args=t[1], daemon=True).start()
open(os.path.join(d, "listening"), "w").close()
while not os.path.exists(os.path.join(d, "stop")):
    time.sleep(0.1)
PY
listener=$!
wait_files "$DIR/listening" || fail "client's listener started"
# its threads have bound their sockets
client_bound() {
	listening in_client 10.201.0.2:9000 && listening in_client '[fd00:201::2]:9000' &&
		listening_udp in_client 10.201.0.2:9001
}
wait_until 10 client_bound || fail "the client's sockets are bound"

# from the origin: "connected:<greeting>", "refused", "timeout" or
# "error:<errno>", then the milliseconds it took
wan_connect() { # address
	in_origin timeout 10 python3 - "$1" <<'PY'
import socket, sys, time
t = time.time()
try:
    s = socket.create_connection((sys.argv[1], 9000), timeout=5)
    s.settimeout(5)
    print("connected:" + s.recv(100).decode().strip())
except ConnectionRefusedError: print("refused")
except socket.timeout: print("timeout")
except OSError as e: print("error:%d" % e.errno)
print(int((time.time() - t) * 1000))
PY
}
wan_udp() {
	in_origin timeout 10 python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(("10.201.0.2", 9001)); s.send(b"x")
try:
    print("answered:" + s.recv(10).decode())
except socket.timeout: print("timeout")
except OSError as e: print("error:%d" % e.errno)
PY
}

# 1. not logged in: refused quickly, never delivered
out=$(wan_connect 10.201.0.2)
assert_eq refused "$(echo "$out" | sed -n 1p)" "WAN-side TCP connect to an unauthenticated client refused"
ms=$(echo "$out" | tail -1)
[ "${ms:-9999}" -lt 2000 ] && ok || fail "refusal took ${ms} ms (a reset, not a drop, expected)"
assert_eq refused "$(wan_connect fd00:201::2 | sed -n 1p)" "same over IPv6"
out=$(wan_udp)
assert_contains "$out" "error" "WAN-side UDP to an unauthenticated client rejected with ICMP"
[ -s "$DIR/accepted" ] && fail "the client saw a WAN-side connection: $(cat "$DIR/accepted")" || ok
[ -s "$DIR/udp" ] && fail "the client received WAN-side UDP" || ok
# and the client itself is still refused outwards
assert_eq 000 "$(direct_status http://10.202.0.2:8080/1k)" "client's own forwarding refused before login"

# 2. logged in: connections towards its addresses pass, for those only: the
# one it logged in from, and the device's others once the gateway has
# seen them in use (the neighbour table; it forgets the IPv6 one here)
in_gw ip -6 neigh flush dev "$LAN_IF"
assert_eq 303 "$(portal_login kim pw)" "client logs in"
assert_eq "connected:hello" "$(wan_connect 10.201.0.2 | sed -n 1p)" "WAN-side connect to the logged-in address passes"
assert_contains "$(wan_udp)" "answered:pong" "WAN-side UDP to the logged-in address answered"
assert_eq refused "$(wan_connect fd00:201::2 | sed -n 1p)" "its IPv6 address, unknown to the gateway, still refused"
in_client timeout 2 bash -c 'exec 3<>/dev/tcp/fd00:201::1/3128' 2>/dev/null   # the explicit port
wait_for "in_gw nft list set $TABLE sessaddr6 | grep -q fd00:201::2" 30 \
	&& ok || fail "the device's IPv6 address joins its session once the gateway sees it"
assert_eq "connected:hello" "$(wan_connect fd00:201::2 | sed -n 1p)" "WAN-side connect to the device's IPv6 address passes then"

# 3. kick: the connection opened towards the client is cut, the next refused
in_origin timeout 30 python3 - "$DIR" <<'PY' &
import os, socket, sys, time
d = sys.argv[1]
s = socket.create_connection(("10.201.0.2", 9000), timeout=5); s.settimeout(3)
s.recv(100); s.sendall(b"ping\n"); s.recv(100)
open(os.path.join(d, "wan_open"), "w").close()
while not os.path.exists(os.path.join(d, "kicked")):
    time.sleep(0.1)
time.sleep(1.5)
try:
    s.sendall(b"ping\n")
    res = "open" if s.recv(100) else "closed"
except socket.timeout: res = "timeout"
except OSError: res = "closed"
open(os.path.join(d, "wan_result"), "w").write(res)
PY
helper=$!
wait_files "$DIR/wan_open" || fail "WAN-side connection opened while logged in"
"$CLI" -d "$DB" session kick 10.201.0.2 >/dev/null
touch "$DIR/kicked"
wait "$helper"
assert_eq closed "$(cat "$DIR/wan_result" 2>/dev/null)" "kick cuts the connection opened towards the client"
out=$(wan_connect 10.201.0.2)
assert_eq refused "$(echo "$out" | sed -n 1p)" "WAN-side connect refused again after the kick"
wait_for '[ "$(wan_connect fd00:201::2 | sed -n 1p)" = refused ]' 30 \
	&& ok || fail "the device's IPv6 address refused again after the kick of its IPv4 one"

# 4. a whitelisted LAN address (a printer, a server) is reachable as before
"$CLI" -d "$DB" whitelist add 10.201.0.2 "lab server" >/dev/null
wait_for '[ "$(wan_connect 10.201.0.2 | sed -n 1p)" = connected:hello ]' 30 \
	&& ok || fail "WAN-side connect to a whitelisted address passes"
"$CLI" -d "$DB" whitelist del 10.201.0.2 >/dev/null
wait_for '[ "$(wan_connect 10.201.0.2 | sed -n 1p)" = refused ]' 30 \
	&& ok || fail "refused again once the whitelist entry is gone"

touch "$DIR/stop"
wait "$listener" 2>/dev/null
