#!/bin/bash
# Two sites, one RADIUS server: two gateways (two daemons, two LANs)
# authenticate against the same FreeRADIUS. The same user logs in at
# both; a Disconnect-Request sent to one gateway ends that gateway's
# session only, and the other site's client keeps browsing. Then the
# other gateway, asked by Framed-IP-Address, ends its own. The
# accounting of both lands in the server's one detail file: each gateway's
# Start, and each Disconnect's Stop with Acct-Terminate-Cause Admin-Reset
# from the gateway it was sent to.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"
. "$(dirname "$0")/second_gateway.sh"

radius_up <<'USERS'
gina	Cleartext-Password := "gina-pw"
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
{ radius_conf; radius_dae_conf; } >> "$DIR/portcullis.conf"
start_daemon || exit 1
gateway2_up || fail "the second site is built"
gateway2_start || exit 1

assert_eq 303 "$(portal_login gina gina-pw)" "gina logs in at the first site"
assert_eq 303 "$(portal_login2 gina gina-pw)" "gina logs in at the second site"
status2() { in_client2 timeout 20 curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$@" 2>/dev/null; }
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the first site's client browses"
assert_eq 200 "$(status2 http://10.202.0.2/1k)" "the second site's client browses"
log=$(cat "$RDIR/s1/log/radius.log")
assert_contains "$log" "Login OK: [gina] (from client gateway " "the server saw the first gateway's login"
assert_contains "$log" "Login OK: [gina] (from client gateway2 " "the server saw the second gateway's login"

# the server's detail file: one record per paragraph
records() { # NAS-IDENTIFIER STATUS [CAUSE]
	radius_detail 1 | awk -v nas="NAS-Identifier = \"$1\"" -v st="Acct-Status-Type = $2" \
		-v cause="${3:-}" 'BEGIN { RS = "" } index($0, nas) && index($0, st) &&
		(cause == "" || index($0, "Acct-Terminate-Cause = " cause)) { n++ } END { print n + 0 }'
}
started() { [ "$(records "$1" Start)" = 1 ]; }
wait_until 10 started e2e-gateway
assert_eq 1 "$(records e2e-gateway Start)" "the first gateway's Start is in the server's detail file"
wait_until 10 started e2e-gateway-2
assert_eq 1 "$(records e2e-gateway-2 Start)" "the second gateway's Start is in the same file"

# the Disconnect goes to the second gateway
out=$(printf 'User-Name = "gina"\n' | radius_dae disconnect "" "" "$GW2_DAE")
assert_contains "$out" "Disconnect-ACK" "the second gateway acknowledges the Disconnect"
assert_contains "$(cat "$DLOG2")" 'session ended: client=10.211.0.2 user="gina" reason=kicked' \
	"the second site's session ended"
assert_eq 302 "$(status2 http://10.202.0.2/1k)" "the second site's client is back at the portal"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the first site's client still browses"
assert_not_contains "$(cat "$DLOG")" "session ended" "the first site's session did not end"
assert_contains "$("$CLI" -d "$DB" session list)" "10.201.0.2" "the first site still lists its session"

stop2() { [ "$(records e2e-gateway-2 Stop Admin-Reset)" = 1 ]; }
wait_until 10 stop2 && ok || fail "the second gateway's Stop (Admin-Reset) is in the detail file"
assert_eq 0 "$(records e2e-gateway Stop)" "no Stop from the first gateway"

# and the first gateway, asked by the client's address
out=$(printf 'Framed-IP-Address = 10.201.0.2\n' | radius_dae disconnect)
assert_contains "$out" "Disconnect-ACK" "the first gateway acknowledges its Disconnect"
assert_contains "$(cat "$DLOG")" 'session ended: client=10.201.0.2 user="gina" reason=kicked' \
	"the first site's session ended"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "the first site's client is back at the portal"
stop1() { [ "$(records e2e-gateway Stop Admin-Reset)" = 1 ]; }
wait_until 10 stop1 && ok || fail "the first gateway's Stop (Admin-Reset) is in the detail file"
finish
