#!/bin/bash
# An explicit CONNECT tunnel lives no longer than what let it through:
# `user disable`, `user del`, a new password (`user passwd`: the tunnel was
# opened with the old one) and the removal of the whitelist entry that
# passed a client without credentials each close the tunnels they
# authorised within a maintenance round (not after 600 s of idleness),
# while another user's tunnel carries on.
. "$(dirname "$0")/lib.sh"
PROXY_EXTRA="connect_ports = 443, 8080"
setup_daemon
add_user alice pw-a; add_user bob pw-b; add_user carol pw-c; add_user dave pw-d
"$CLI" -d "$DB" whitelist add 10.201.0.3 "kiosk" >/dev/null
# the whitelisted client: another address of the client namespace
in_client ip addr add 10.201.0.3/24 dev "$E2E_NS-cg"
on_finish 'in_client ip addr del 10.201.0.3/24 dev "$E2E_NS-cg" 2>/dev/null'
start_daemon || exit 1

# Each tunnel (name:source:credentials) goes to the origin's port 8080 and
# carries one request; once $DIR/ended exists, and 2.5 s later, each
# carries another, and $DIR/result gets "name:open" or "name:closed".
in_client timeout 40 python3 - "$DIR" alice:10.201.0.2:alice:pw-a bob:10.201.0.2:bob:pw-b \
	carol:10.201.0.2:carol:pw-c dave:10.201.0.2:dave:pw-d kiosk:10.201.0.3: <<'PY' &
import base64, socket, sys, time
d, specs = sys.argv[1], sys.argv[2:]
REQ = b"GET /1k HTTP/1.1\r\nHost: 10.202.0.2\r\n\r\n"
def exchange(s):
    s.sendall(REQ)
    got = b""
    while b"\r\n\r\n" not in got or len(got) < 1024:
        chunk = s.recv(65536)
        if not chunk:
            return False
        got += chunk
    return got.startswith(b"HTTP/1.1 200")
held = []
for spec in specs:
    name, src, cred = spec.split(":", 2)
    s = socket.create_connection(("10.201.0.1", 3128), timeout=5, source_address=(src, 0))
    head = "CONNECT 10.202.0.2:8080 HTTP/1.1\r\nHost: 10.202.0.2:8080\r\n"
    if cred:
        head += "Proxy-Authorization: Basic %s\r\n" % base64.b64encode(cred.encode()).decode()
    s.sendall((head + "\r\n").encode())
    answer = s.recv(4096)
    if not answer.startswith(b"HTTP/1.1 200") or not exchange(s):
        print("tunnel %s not open: %r" % (name, answer[:60]))
        sys.exit(1)
    held.append((name, s))
open(d + "/open", "w").close()
for _ in range(200):
    try:
        open(d + "/ended").close()
        break
    except OSError:
        time.sleep(0.1)
time.sleep(2.5)
res = []
for name, s in held:
    try:
        res.append(name + (":open" if exchange(s) else ":closed"))
    except OSError:
        res.append(name + ":closed")
open(d + "/result", "w").write(" ".join(res))
PY
HELD=$!
wait_files "$DIR/open" && ok || fail "five tunnels open"
"$CLI" -d "$DB" user disable alice >/dev/null
"$CLI" -d "$DB" user del bob >/dev/null
printf 'pw-d2\n' | "$CLI" -d "$DB" user passwd dave >/dev/null
"$CLI" -d "$DB" whitelist del 10.201.0.3 >/dev/null
touch "$DIR/ended"
wait "$HELD"
assert_eq "alice:closed bob:closed carol:open dave:closed kiosk:closed" "$(cat "$DIR/result" 2>/dev/null)" \
	"tunnels closed with their authorisation, within a maintenance round"
assert_contains "$(cat "$ACCESS")" "TCP_TUNNEL/200" "the closed tunnels are logged"
assert_eq 407 "$(status_of -U alice:pw-a http://$ORIGIN/1k)" "the disabled user is refused"
assert_eq 200 "$(status_of -U dave:pw-d2 http://$ORIGIN/1k)" "the new password works"
