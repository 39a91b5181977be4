#!/bin/bash
# Per-group policy in intercept mode: the portal refuses a group that may
# not go online, and one outside its time window, with a 403 page saying
# why (and when access opens); a group's session lifetime ends
# its portal session (the configuration's is an hour); destination rules
# apply to the intercepted request's Host, to its original destination and
# to the server name of intercepted TLS, each refusal TCP_DENIED/403 with
# the user in the access log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"

intercept_conf "session_lifetime = 1h"
setup_daemon
add_user gus pw; add_user tina pw; add_user dana pw; add_user nina pw
pc() { "$CLI" -d "$DB" "$@"; }
for g in guests short dest night; do pc group add $g >/dev/null; done
pc group member add guests gus >/dev/null
pc group member add short tina >/dev/null
pc group member add dest dana >/dev/null
pc group member add night nina >/dev/null
pc policy set guests --deny >/dev/null
pc policy set short --lifetime 8 >/dev/null
# a window that excludes now: the whole of the day after tomorrow
days=(Sun Mon Tue Wed Thu Fri Sat)
later=${days[$(( ($(date +%w) + 2) % 7 ))]}
pc policy set night --windows "${later,,} 00:00-24:00" >/dev/null
pc policy set dest --deny-dest "blocked.example 10.202.0.99/32" >/dev/null
start_daemon || exit 1

# the portal's answer to a denied group: 403, and the page says why
jar=$(mktemp /tmp/portcullis-e2e-jar.XXXXXX)
on_finish "rm -f $jar"
page=$(ccurl -c "$jar" "$PORTAL/")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
out=$(ccurl -b "$jar" -w ' %{http_code}' --data-urlencode "csrf=$csrf" \
	--data-urlencode "username=gus" --data-urlencode "password=pw" "$PORTAL/login")
assert_eq 403 "${out##* }" "portal login of a denied group: 403"
assert_contains "$out" "This account may not go online (the policy of group guests)" "the page says why"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "and no session started"
out=$(ccurl -b "$jar" -w ' %{http_code}' --data-urlencode "csrf=$csrf" \
	--data-urlencode "username=nina" --data-urlencode "password=pw" "$PORTAL/login")
assert_eq 403 "${out##* }" "portal login outside the group's time window: 403"
assert_contains "$out" "access opens $later 00:00 (gateway local time; the policy of group night)" \
	"the page says when access opens"

# dana: destination rules on what intercept mode sees
assert_eq 303 "$(portal_login dana pw)" "dana signs in"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "an allowed destination"
out=$(ccurl -w ' %{http_code}' -H 'Host: blocked.example' http://10.202.0.2/1k 2>/dev/null)
assert_eq 403 "${out##* }" "a denied Host: 403"
assert_contains "$out" "blocked.example is refused by the policy of group dest (rule blocked.example)" \
	"naming the rule"
out=$(ccurl -w ' %{http_code}' http://10.202.0.99/ 2>/dev/null)
assert_eq 403 "${out##* }" "a denied original destination: 403"
assert_contains "$out" "refused by the policy of group dest (rule 10.202.0.99/32)" "naming the range"
ccurl -k -o /dev/null --resolve blocked.example:443:10.202.0.2 https://blocked.example/ 2>/dev/null
tls_logged() { grep -q 'TCP_DENIED/403 .* CONNECT blocked.example:443 dana ' "$ACCESS"; }
wait_until 5 tls_logged
tls_logged && ok || fail "intercepted TLS to a denied server name logged TCP_DENIED/403 with the user"
wait_until 5 grep -q 'GET http://blocked.example/1k dana ' "$ACCESS"
assert_contains "$(grep 'blocked.example/1k' "$ACCESS")" "TCP_DENIED/403" "the Host refusal in the access log"

# tina, from the same client (her login replaces dana's session): the
# group's lifetime, not the configuration's hour
assert_eq 303 "$(portal_login tina pw)" "tina signs in"
start=$(date +%s)
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "passes within the group's lifetime"
challenged_now() { [ "$(direct_status http://10.202.0.2/1k)" = 302 ]; }
ended=""
wait_until 15 challenged_now && ended=$(( $(date +%s) - start ))
[ -n "$ended" ] && [ "$ended" -ge 6 ] && ok || fail "session ended by the group's 8 s lifetime (after ${ended:-more than 15} s)"
finish
