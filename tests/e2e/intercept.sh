#!/bin/bash
# Helpers for the intercept-mode scenarios (sourced after lib.sh). The
# gateway's interface towards the client ($E2E_NS-gc) is the intercepted
# LAN; the portal listens on the gateway's LAN address.
LAN_IF=$E2E_NS-gc
PORTAL=http://10.201.0.1:8082
TABLE="inet portcullis"

# Config for intercept mode; extra lines for [intercept] in $1 (lib.sh
# already points [admin] web_root, where the portal's pages are, at web/).
intercept_conf() {
	CONF_EXTRA="[intercept]
interface = $LAN_IF
${1:-}
[portal]
listen = 10.201.0.1:8082
${PORTAL_EXTRA:-}"
	export CONF_EXTRA
}

# curl from the client with no proxy: what an unconfigured LAN client does.
ccurl() { in_client timeout 20 curl -sS --max-time 10 "$@"; }

# Log in on the portal as $1 with password $2; prints the HTTP status of
# the form post. The page gives the CSRF token and sets its cookie.
portal_login() { portal_login_via in_client "$@"; }
# The same from another LAN host: $1 runs a command there (in_second).
portal_login_via() { # runner user password
	local run=$1 jar page csrf
	shift
	jar=$(mktemp /tmp/portcullis-e2e-jar.XXXXXX)
	page=$("$run" timeout 20 curl -sS --max-time 10 -c "$jar" "$PORTAL/?url=http%3A%2F%2F10.202.0.2%2F1k")
	csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
	"$run" timeout 20 curl -sS --max-time 10 -b "$jar" -o /dev/null -w '%{http_code}' \
		--data-urlencode "csrf=$csrf" --data-urlencode "username=$1" \
		--data-urlencode "password=$2" --data-urlencode "url=http://10.202.0.2/1k" \
		"$PORTAL/login"
	rm -f "$jar"
}

# 0 if the daemon's table exists in the gateway.
table_present() { in_gw nft list table $TABLE >/dev/null 2>&1; }
# 0 if it is the running table (the redirect to the daemon is in it), or the
# closed one a stop leaves (forward chain only, no session sets).
table_running() { in_gw nft list chain $TABLE prerouting 2>/dev/null | grep -q redirect; }
table_closed() {
	local t
	t=$(in_gw nft list table $TABLE 2>/dev/null) || return 1
	printf '%s' "$t" | grep -q 'hook forward' && ! printf '%s' "$t" | grep -qE 'prerouting|sess4|redirect'
}
# The value of metric $1 on the admin listener (ADMIN_LISTEN=127.0.0.1:8080).
metric() { in_gw timeout 5 curl -s http://127.0.0.1:8080/metrics | awk -v n="$1" '$1 == n { print $2 }'; }

# An IPv6 web server on the origin, [fd00:202::2]:8086, a port the daemon
# does not intercept, so only the forward chain decides; stopped when the
# scenario ends. Returns once it listens.
start_origin6_service() {
	timeout 170 ip netns exec "$NS_O" python3 -m http.server --bind fd00:202::2 --directory "$E2E_WWW" \
		8086 >/dev/null 2>&1 &
	on_finish "kill $! 2>/dev/null"
	wait_until 30 listening in_origin '[fd00:202::2]:8086'
}

# The status of an HTTP GET from the client straight at the origin.
direct_status() { ccurl -o /dev/null -w '%{http_code}' "$@" 2>/dev/null; }

# wait_until with a command string and tenths of a second (5 s by default),
# as the older intercept scenarios call it.
wait_for() { # command-string tenths
	wait_until "$(awk -v t="${2:-50}" 'BEGIN { print t / 10 }')" eval "$1"
}

# Hold connections from the client open while something ends its session.
# Each kind (forwarded: port 8080, past the daemon; tls: 443, spliced by
# it) is opened and used once; once $DIR/$1 exists, and $2 s later, each is
# used again, and $DIR/result gets "kind:open" or "kind:closed" for each.
# Returns when they are open (1 if they did not open); $HELD is the pid to
# wait for.
hold_connections() { # signal-file settle-seconds kind...
	local sig=$1 settle=$2
	shift 2
	rm -f "$DIR/open" "$DIR/result" "$DIR/$sig"
	in_client python3 - "$DIR" "$sig" "$settle" "$@" <<'PY' &
import socket, ssl, sys, time
d, sig, settle, kinds = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
REQ = b"GET /1k HTTP/1.1\r\nHost: o\r\n\r\n"
def connect(kind):
    if kind == "tls":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("10.202.0.2", 443), timeout=5)
        return ctx.wrap_socket(raw, server_hostname="origin.test")
    return socket.create_connection(("10.202.0.2", 8080), timeout=5)
held = []
for kind in kinds:
    s = connect(kind)
    s.sendall(REQ)
    s.recv(4096)
    held.append((kind, s))
open(d + "/open", "w").write("ok")
for _ in range(100):
    try:
        open(d + "/" + sig).close()
        break
    except OSError:
        time.sleep(0.1)
time.sleep(settle)
res = []
for kind, s in held:
    try:
        s.sendall(REQ)
        res.append(kind + (":open" if s.recv(4096) else ":closed"))
    except (OSError, ssl.SSLError):
        res.append(kind + ":closed")
open(d + "/result", "w").write(" ".join(res))
PY
	HELD=$!
	wait_until 10 files_exist "$DIR/open"
}
