#!/bin/bash
# Intercept mode, points 1-3 of the issue: an unconfigured LAN client that
# has not logged in gets a 302 to the portal with its original URL (probes
# too: never 204, empty 200 or 407), 511 where it cannot follow a redirect,
# its TLS refused at once and other ports rejected by the forward chain.
# After a portal login its HTTP reaches the original destination through
# the daemon, its TLS is spliced untouched, other ports pass, the explicit
# proxy port still asks it for credentials (407), and the access log names
# the user for HTTP and TLS (with the server name).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf
setup_daemon
add_user alice 'pa:ss w@rd'
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

# 1. the challenge
hdr=$(ccurl -D - -o /dev/null "http://10.202.0.2/1k?a=b&c=d")
assert_contains "$hdr" "HTTP/1.1 302" "unauthenticated GET redirected"
assert_contains "$hdr" "Location: $PORTAL/?url=http%3A%2F%2F10.202.0.2%2F1k%3Fa%3Db%26c%3Dd" "Location carries the original URL"
assert_contains "$hdr" "Cache-Control: no-store" "redirect not cached"
for probe in "connectivitycheck.gstatic.com/generate_204" "captive.apple.com/hotspot-detect.html" \
	     "www.msftconnecttest.com/connecttest.txt" "detectportal.firefox.com/success.txt"; do
	host=${probe%%/*}
	st=$(ccurl -o /dev/null -w '%{http_code}' -H "Host: $host" "http://10.202.0.2/${probe#*/}")
	assert_eq 302 "$st" "captive probe $host gets a redirect"
done
st=$(ccurl -o /dev/null -w '%{http_code}' -X POST -d 'x=1' "http://10.202.0.2/1k")
assert_eq 511 "$st" "POST that cannot follow a redirect gets 511"
body=$(ccurl -X POST -d 'x=1' "http://10.202.0.2/1k")
assert_contains "$body" "href=\"$PORTAL/?url=" "511 carries a link to the portal"
# IPv6 clients are intercepted the same way
st=$(ccurl -o /dev/null -w '%{http_code}' "http://[fd00:202::2]/1k")
assert_eq 302 "$st" "IPv6 client redirected too"

# 2. TLS refused quickly, other ports rejected
start=$(date +%s%N)
out=$(in_client timeout 10 openssl s_client -connect 10.202.0.2:443 -servername origin.test </dev/null 2>&1)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_not_contains "$out" "BEGIN CERTIFICATE" "no TLS handshake without a session"
[ "$ms" -lt 3000 ] && ok || fail "TLS refusal took ${ms} ms"
st=$(direct_status "http://10.202.0.2:8080/1k")
assert_eq 000 "$st" "port 8080 refused before login"
start=$(date +%s%N)
err=$(ccurl "http://10.202.0.2:8080/1k" 2>&1)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_contains "$err" "Couldn't connect to server" "port 8080 rejected with a reset, not dropped"
[ "$ms" -lt 2000 ] && ok || fail "port 8080 refusal took ${ms} ms"
# UDP to another host: ICMP administratively prohibited comes back at once
out=$(in_client timeout 5 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(("10.202.0.2", 5353)); s.send(b"x")
try:
    s.recv(10); print("answered")
except socket.timeout: print("timeout")
except OSError as e: print("error", e)
' 2>&1)
assert_contains "$out" "error" "UDP from an unauthenticated client rejected with ICMP"
assert_not_contains "$out" "timeout" "UDP rejected, not silently dropped"
# the portal itself is reachable, and so is DNS on the gateway
st=$(direct_status "$PORTAL/")
assert_eq 200 "$st" "portal reachable before login"
in_gw timeout 20 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.201.0.1", 53)); s.settimeout(15)
d, a = s.recvfrom(512); s.sendto(b"answer:" + d, a)
' &
dns=$!
wait_until 30 listening_udp in_gw 10.201.0.1:53
out=$(in_client timeout 15 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(10)
s.sendto(b"query", ("10.201.0.1", 53)); print(s.recv(64).decode())
' 2>&1)
wait "$dns"
assert_eq "answer:query" "$out" "DNS to the gateway answered before login"

# 3. login
st=$(portal_login alice 'wrong')
assert_eq 401 "$st" "wrong password refused"
st=$(portal_login alice 'pa:ss w@rd')
assert_eq 303 "$st" "login accepted"
body=$(ccurl "http://10.202.0.2/1k")
assert_eq "$(cat "$E2E_WWW/1k")" "$body" "HTTP reaches the origin after login"
# the destination is the original one, whatever Host says (nothing
# answers at 10.202.0.99 or at the name)
body=$(ccurl -H "Host: 10.202.0.99" "http://10.202.0.2/1k")
assert_eq "$(cat "$E2E_WWW/1k")" "$body" "a forged literal Host still goes to the original destination"
body=$(ccurl -H "Host: elsewhere.invalid" "http://10.202.0.2/1k")
assert_eq "$(cat "$E2E_WWW/1k")" "$body" "a Host name is not resolved: the original destination is used"
out=$(in_client timeout 10 openssl s_client -connect 10.202.0.2:443 -servername origin.test </dev/null 2>&1)
assert_contains "$out" "CN = origin.test" "TLS spliced to the origin (its own certificate)"
body=$(ccurl -k "https://10.202.0.2/1k")
assert_eq "$(cat "$E2E_WWW/1k")" "$body" "HTTPS works through the splice"
st=$(direct_status "http://10.202.0.2:8080/1k")
assert_eq 200 "$st" "other ports forwarded after login"
# the explicit port is no way around the gate: a portal session
# counts for nothing there, credentials still do
hdr=$(in_client timeout 20 curl -sS --max-time 10 -D - -o /dev/null -x "$PROXY" "http://10.202.0.2/1k")
assert_contains "$hdr" "HTTP/1.1 407" "logged-in client without credentials on the explicit port gets 407"
assert_contains "$hdr" "Proxy-Authenticate: Basic" "with a challenge"
st=$(in_client timeout 20 curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -x "$PROXY" \
	-U 'alice:wrong' "http://10.202.0.2/1k")
assert_eq 407 "$st" "logged-in client with a wrong password on the explicit port gets 407"
st=$(in_client timeout 20 curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -x "$PROXY" \
	-U 'alice:pa:ss w@rd' "http://10.202.0.2/1k")
assert_eq 200 "$st" "and 200 with its credentials"
both_logged() { log_has "GET http://10.202.0.2/1k alice" "$ACCESS" && log_has "CONNECT origin.test:443 alice" "$ACCESS"; }
wait_until 10 both_logged
log=$(cat "$ACCESS")
assert_contains "$log" "GET http://10.202.0.2/1k alice" "access log names the user for HTTP"
assert_contains "$log" "CONNECT origin.test:443 alice" "access log names the user and server name for TLS"
assert_contains "$log" "TCP_DENIED/302" "the challenge is logged"
audit=$(audit_json 1)
assert_contains "$audit" '"mode": "portal"' "failed portal login audited with mode portal"
assert_contains "$(cat "$DLOG")" "does not match the destination" "forged Host logged"
