#!/bin/bash
# A server that sends a Disconnect-Request again (its answer was lost: the
# same identifier and authenticators) gets the first answer again, a
# Disconnect-ACK, not the NAK a second execution would give (RFC 5176
# §2.3). Prints the time from the request to its ACK, which the gateway
# sends once the session's traffic is cut.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
gina	Cleartext-Password := "gina-pw"
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
{ radius_conf; radius_dae_conf; } >> "$DIR/portcullis.conf"
start_daemon || exit 1

assert_eq 303 "$(portal_login gina gina-pw)" "portal login accepted by RADIUS"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "the session passes traffic"
out=$(in_radius python3 "$(dirname "$0")/dae_sent_twice.py" "$RADIUS1" 10.204.0.1 3799 \
	"$RDIR/secret" gina)
first=$(printf '%s\n' "$out" | sed -n 1p)
second=$(printf '%s\n' "$out" | sed -n 2p)
assert_eq "41 0" "${first% *}" "the first Disconnect-Request gets Disconnect-ACK"
assert_eq "41 0" "${second% *}" "the same request sent again gets the same Disconnect-ACK"
echo "  figure: Disconnect-Request to its Disconnect-ACK (traffic cut): ${first##* } ms"
assert_eq 1 "$(grep -c 'radius dae: Disconnect-Request from 10.204.0.2 .*user="gina": 1 session' "$DLOG")" \
	"the request was acted on once"
assert_contains "$(cat "$DLOG")" "sent again: the first answer repeated" "the repeat is logged"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "the client is back at the portal"
finish
