#!/bin/bash
# [auth] sources = local,radius against the real FreeRADIUS: a RADIUS user
# logs in by Basic through the proxy and on the portal, a wrong password is
# refused by both, a local user keeps working, Digest is not offered (a
# RADIUS server cannot check it), and with no server answering a RADIUS
# user gets 503 on the proxy and a clear message on the portal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
. "$(dirname "$0")/radius.sh"

radius_up <<'USERS'
alice	Cleartext-Password := "alice pw:1"
	Reply-Message = "Welcome, alice"
dave	Cleartext-Password := "dave-pw"
erin	Cleartext-Password := "erin-pw"
USERS
radius_start 1 || exit 1
AUTH_EXTRA="sources = local,radius"
intercept_conf
setup_daemon
radius_conf >> "$DIR/portcullis.conf"
add_user carol 'carol-pw'
start_daemon || exit 1
wait_for table_present 30 || fail "table inet portcullis installed"

# the proxy: Basic only
hdr=$(pcurl -D - -o /dev/null http://10.202.0.2/1k)
assert_contains "$hdr" "407" "no credentials: 407"
assert_contains "$hdr" 'Proxy-Authenticate: Basic' "Basic offered"
assert_not_contains "$hdr" "Digest" "Digest not offered with RADIUS as a source"
assert_eq 200 "$(status_of -U 'alice:alice pw:1' http://10.202.0.2/1k)" "RADIUS user by Basic: 200"
assert_eq 407 "$(status_of -U 'dave:wrong' http://10.202.0.2/1k)" "RADIUS user, wrong password: 407"
assert_eq 200 "$(status_of -U 'carol:carol-pw' http://10.202.0.2/1k)" "local user by Basic: 200"
assert_contains "$(tail -n 5 "$ACCESS")" " alice " "the access log names the RADIUS user"
rows=$(audit_json 1)
assert_contains "$rows" '"username": "dave"' "the wrong password audited"
assert_contains "$(cat "$RDIR/s1/log/radius.log")" "Login OK: [alice" "FreeRADIUS saw alice's login"

# the portal
assert_eq 401 "$(portal_login dave wrong)" "portal, wrong password: 401"
assert_eq 303 "$(portal_login dave dave-pw)" "portal, RADIUS user: signed in"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the session lets the client through"

# no server answers: a RADIUS user the cache does not know cannot be checked
radius_stop 1
assert_eq 503 "$(status_of -U 'erin:erin-pw' http://10.202.0.2/1k)" "no server: 503 on the proxy"
in_gw "$CLI" -d "$DB" session kick 10.201.0.2 >/dev/null
out=$(portal_login erin erin-pw)
assert_eq 503 "$out" "no server: 503 on the portal"
jar=$(mktemp /tmp/portcullis-e2e-jar.XXXXXX)
page=$(ccurl -c "$jar" "$PORTAL/")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
page=$(ccurl -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "username=erin" \
	--data-urlencode "password=erin-pw" "$PORTAL/login")
rm -f "$jar"
assert_contains "$page" "authentication server does not answer" "the portal says why"
# the local user still logs in
assert_eq 200 "$(status_of -U 'carol:carol-pw' http://10.202.0.2/1k)" "no server: the local user still passes"
finish
