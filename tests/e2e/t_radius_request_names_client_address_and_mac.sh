#!/bin/bash
# An Access-Request tells the RADIUS server who asks: the portal's form
# login carries the client's address (Framed-IP-Address) and its MAC
# (Calling-Station-Id, AA-BB-CC-DD-EE-FF), explicit Basic the address
# only (a proxy's client may be routers away: no MAC). FreeRADIUS's users
# file accepts each user only when those match the real client, so a
# request without them, or with others, is an Access-Reject.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

lan_if=$(in_client ip -o -4 addr show | awk '$4 == "10.201.0.2/24" { print $2 }')
mac=$(in_client ip -o link show dev "$lan_if" | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p')
[ -n "$mac" ] || fail "the client's MAC"
station=$(printf '%s' "$mac" | tr 'a-f:' 'A-F-')

radius_up <<USERS
alice	Cleartext-Password := "alice-pw", Calling-Station-Id == "$station", Framed-IP-Address == 10.201.0.2
bob	Cleartext-Password := "bob-pw", Framed-IP-Address == 10.201.0.2
carl	Cleartext-Password := "carl-pw", Framed-IP-Address == 10.201.0.9
dora	Cleartext-Password := "dora-pw", Calling-Station-Id == "02-00-00-00-00-01", Framed-IP-Address == 10.201.0.2
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = radius"
intercept_conf
setup_daemon
radius_conf >> "$DIR/portcullis.conf"
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

# explicit Basic: the client's address, no MAC
assert_eq 200 "$(status_of -U 'bob:bob-pw' http://10.202.0.2/1k)" \
	"Basic: accepted where Framed-IP-Address is the client's"
assert_eq 407 "$(status_of -U 'carl:carl-pw' http://10.202.0.2/1k)" \
	"Basic: refused where the server expects another address"
assert_eq 407 "$(status_of -U 'alice:alice-pw' http://10.202.0.2/1k)" \
	"Basic: no Calling-Station-Id (the proxy knows no MAC)"

# the portal: address and MAC
assert_eq 401 "$(portal_login dora dora-pw)" "portal: refused where the server expects another MAC"
assert_eq 303 "$(portal_login alice alice-pw)" \
	"portal: accepted where Calling-Station-Id and Framed-IP-Address are the client's"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the session lets the client through"
log=$(cat "$RDIR/s1/log/radius.log")
assert_contains "$log" "Login OK: [alice" "FreeRADIUS let alice in"
assert_contains "$log" "Login OK: [bob" "FreeRADIUS let bob in"

# the session lists say where the login was checked: the server's address
out=$(in_gw "$CLI" -d "$DB" session list)
assert_contains "$(head -n 1 <<<"$out")" "SOURCE" "session list: a SOURCE column"
assert_contains "$(grep ' alice ' <<<"$out")" "radius $RADIUS1:1812" \
	"session list: alice's session checked by the first server"
json=$(in_gw "$CLI" -d "$DB" session list --json)
assert_contains "$json" "\"source\": \"radius $RADIUS1:1812\"" "session list --json: its source"
finish
