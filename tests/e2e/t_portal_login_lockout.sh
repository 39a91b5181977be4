#!/bin/bash
# Portal logins are rate-limited like proxy logins: past the threshold the
# portal answers 429 with Retry-After without checking the password (the
# right one included), and the failures and the lockout are audited with
# mode portal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

AUTH_EXTRA="lockout_threshold = 3
lockout_window = 60s
lockout_duration = 60s"
intercept_conf
setup_daemon
add_user gina 'right'
start_daemon || exit 1
for i in 1 2 3; do
	assert_eq 401 "$(portal_login gina "wrong$i")" "wrong password $i"
done
assert_eq 429 "$(portal_login gina right)" "locked out: even the right password is refused"
jar=$(mktemp /tmp/portcullis-e2e-jar.XXXXXX)
page=$(ccurl -c "$jar" "$PORTAL/")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
hdr=$(ccurl -b "$jar" -D - -o /dev/null --data-urlencode "csrf=$csrf" -d username=gina -d password=right "$PORTAL/login")
rm -f "$jar"
assert_contains "$hdr" "Retry-After:" "429 carries Retry-After"
audit=$(audit_json 2)
assert_contains "$audit" '"reason": "locked_out"' "lockout audited"
n=$(printf '%s' "$audit" | python3 -c 'import json,sys; print(sum(r["count"] for r in json.load(sys.stdin) if r["mode"] == "portal"))')
[ "$n" -ge 4 ] && ok || fail "portal failures audited with mode portal: $n"
assert_eq 302 "$(ccurl -o /dev/null -w '%{http_code}' http://10.202.0.2/1k)" "no session was started"
