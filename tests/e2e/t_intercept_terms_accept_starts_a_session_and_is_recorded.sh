#!/bin/bash
# Intercept mode with click-through terms alone ([portal] terms = alone):
# the terms an admin saved (with markup in them) are shown as text; the
# Accept form is refused without the page's CSRF token and for a version
# that is no longer current; accepting starts the device's session
# (terms:ADDRESS, for terms_lifetime), and the acceptance is recorded
# with time, address, MAC and version, listed for an admin and a front desk.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
ADMIN_LISTEN=127.0.0.1:8080
PORTAL_EXTRA="terms = alone
terms_lifetime = 120s"
intercept_conf
setup_daemon
printf 'root-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
printf 'desk-pw\n' | "$CLI" -d "$DB" admin add desk --role frontdesk >/dev/null
start_daemon || exit 1

admin_api_login root root-pw
[ -n "$CSRF" ] && ok || fail "admin login"
assert_contains "$(acurl -b "$ADMIN_JAR" "$A/api/terms")" '"mode":"alone","version":0' "no terms yet"
assert_eq 400 "$(admin_api_post /api/terms '{"text":"a\u0000b"}')" "terms with a NUL refused"
assert_eq 400 "$(admin_api_post /api/terms '{"text":"bell\u0007"}')" "terms with a control character refused"
assert_eq 400 "$(admin_api_post /api/terms '{"txt":"x"}')" "unknown field refused"
assert_eq 201 "$(admin_api_post /api/terms '{"text":"First version."}')" "terms saved"
assert_eq 201 "$(admin_api_post /api/terms '{"text":"Be kind.\nNo <script>alert(1)</script> here & there."}')" "terms saved again"
terms=$(acurl -b "$ADMIN_JAR" "$A/api/terms")
assert_contains "$terms" '"version":2' "every save is a new version"
assert_contains "$(acurl -b "$ADMIN_JAR" "$A/api/actions")" '"action":"terms.set","target":"","detail":"version 2"' "the save is in the admin log"

# not accepted yet: the client is sent to the portal
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "challenged before accepting"
jar=$DIR/portal-jar
page=$(ccurl -c "$jar" "$PORTAL/")
assert_contains "$page" "Be kind." "the portal shows the terms"
assert_contains "$page" "No &lt;script&gt;alert(1)&lt;/script&gt; here &amp; there." "markup in the terms shown as text"
assert_not_contains "$page" "<script>" "no markup from the terms"
assert_contains "$page" 'name="version" value="2"' "the page names the version shown"
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
accept() { # extra curl args...
	ccurl -o /dev/null -w '%{http_code}' "$@" "$PORTAL/accept"
}
assert_eq 403 "$(accept -b "$jar" --data-urlencode "csrf=x$csrf" -d version=2)" "accept with a forged token refused"
assert_eq 403 "$(accept --data-urlencode "csrf=$csrf" -d version=2)" "accept without the cookie refused"
assert_eq 409 "$(accept -b "$jar" --data-urlencode "csrf=$csrf" -d version=1)" "accepting an old version refused"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "still challenged after refused accepts"
hdrs=$(ccurl -D - -o /dev/null -b "$jar" --data-urlencode "csrf=$csrf" -d version=2 \
	--data-urlencode "url=http://10.202.0.2/1k" "$PORTAL/accept")
assert_contains "$hdrs" "HTTP/1.1 303" "accepted"
assert_contains "$hdrs" "Location: /status" "sent to the status page"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the client passes after accepting"
assert_eq 200 "$(direct_status http://10.202.0.2:8080/1k)" "forwarding passes after accepting"
assert_contains "$(ccurl "$PORTAL/status")" "signed in as terms:10.201.0.2" "the status page names the session"

# the session: named after the device, lasting terms_lifetime
row=$(sqlite3 "$DB" "SELECT username, expires_at - created_at FROM sessions WHERE addr = '10.201.0.2'")
assert_eq "terms:10.201.0.2|120" "$row" "session terms:ADDRESS with the terms' lifetime"

# the acceptance, recorded and listed
mac=$(in_client cat "/sys/class/net/$E2E_NS-cg/address")
list=$(acurl -b "$ADMIN_JAR" "$A/api/terms/acceptances")
assert_contains "$list" "\"client_addr\":\"10.201.0.2\",\"mac\":\"$mac\",\"version\":2" "acceptance recorded with address, MAC and version"
assert_eq 1 "$(sqlite3 "$DB" 'SELECT count(*) FROM terms_acceptances')" "one acceptance, the refused ones none"
now_ms=$(date +%s%3N)
t=$(sqlite3 "$DB" 'SELECT time_ms FROM terms_acceptances')
[ $((now_ms - t)) -ge 0 ] && [ $((now_ms - t)) -lt 120000 ] && ok || fail "acceptance time $t, now $now_ms"
# a front desk sees the guest's acceptance and session
admin_api_login desk desk-pw
assert_contains "$(acurl -b "$ADMIN_JAR" "$A/api/terms/acceptances")" '"client_addr":"10.201.0.2"' "front desk lists the acceptances"
assert_contains "$(acurl -b "$ADMIN_JAR" "$A/api/sessions")" '"username":"terms:10.201.0.2"' "front desk sees the terms session"
assert_eq 403 "$(admin_api_post /api/terms '{"text":"x"}')" "front desk cannot change the terms"
finish
