#!/bin/bash
# Admin roles over HTTP, with real logins: every API route of the route
# table (admin/admin_routes.c, read here so that a route added there and
# not here fails) answers 403 to a front desk and an auditor outside their
# role and something else inside it; an auditor changes nothing; a front
# desk sees, kicks and audits guests (voucher:..., terms:...) only; a role
# changed with the CLI applies to an open session at once.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon; add_user alice secret
printf 'root-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
printf 'desk-pw\n' | "$CLI" -d "$DB" admin add desk --role frontdesk >/dev/null
printf 'audit-pw\n' | "$CLI" -d "$DB" admin add audit --role auditor >/dev/null
"$CLI" -d "$DB" admin list | grep -Eq '^desk +frontdesk ' && ok || fail "the CLI lists the role"
start_daemon || exit 1

# fixtures: a guest's session and an employee's (intercept mode is not what
# is tested here), a guest's failed login and an employee's
now=$(date +%s)
sqlite3 "$DB" "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, expires_at) VALUES
	('10.201.0.8', '02:00:00:00:00:08', 'voucher:ab12', $now, $now, 600, $((now + 600))),
	('10.201.0.9', '02:00:00:00:00:09', 'alice', $now, $now, 600, $((now + 600)));
	INSERT INTO failures (time_ms, client_addr, client_port, mode, scheme, username, reason, host, user_agent)
	VALUES (${now}000, '10.201.0.8', 40000, 'portal', 'form', 'voucher:zz99', 'unknown_user', '', 'test');"
status_of -U 'alice:wrong' "http://$ORIGIN/1k" >/dev/null
wait_until 10 audit_has 2 || fail "the employee's failure reached the audit"

login() { # jar name password; prints the login answer
	acurl -c "$1" -H 'Content-Type: application/json' \
		-d "{\"username\":\"$2\",\"password\":\"$3\"}" "$A/api/login"
}
field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }
declare -A JAR TOKEN
for who in root:root-pw:admin desk:desk-pw:frontdesk audit:audit-pw:auditor; do
	IFS=: read -r name pw role <<<"$who"
	JAR[$name]=$DIR/jar-$name
	answer=$(login "${JAR[$name]}" "$name" "$pw")
	assert_eq "$role" "$(printf '%s' "$answer" | field role)" "$name's login answer names its role"
	TOKEN[$name]=$(printf '%s' "$answer" | field csrf)
	assert_eq "$role" "$(acurl -b "${JAR[$name]}" "$A/api/me" | field role)" "$name's /api/me names its role"
done

call() { # name method path; prints the status
	if [ "$2" = GET ]; then
		acurl -o /dev/null -w '%{http_code}' -b "${JAR[$1]}" "$A$3"
	else
		acurl -o /dev/null -w '%{http_code}' -b "${JAR[$1]}" -H "X-CSRF-Token: ${TOKEN[$1]}" \
			-H 'Content-Type: application/json' -X "$2" -d '{}' "$A$3"
	fi
}

# What each role may use (A admin, F frontdesk, U auditor). A POST here
# sends {}, which no route takes as a change: inside the role it is a 400
# (or the API's 404), never a 403; /api/logout is tried last, on its own.
expected=$(cat <<'ROUTES'
POST /api/login AFU
POST /api/logout AFU
GET /api/me AFU
GET /api/stats AU
GET /api/users AU
POST /api/users A
POST /api/users/update A
POST /api/users/delete A
GET /api/users/explain AU
GET /api/audit AFU
GET /api/audit.csv AFU
GET /api/whitelist AU
POST /api/whitelist A
POST /api/whitelist/delete A
GET /api/sessions AFU
POST /api/sessions/kick AF
GET /api/actions AU
GET /api/groups AU
POST /api/policies A
POST /api/policies/delete A
GET /api/vouchers AFU
POST /api/vouchers AF
POST /api/vouchers/revoke AF
GET /api/terms AU
POST /api/terms A
GET /api/terms/acceptances AFU
GET /api/portal AU
POST /api/portal A
POST /api/portal/logo A
POST /api/portal/logo/delete A
ROUTES
)
# every API route of the table has a line here
routes=$(sed -n 's/^[[:space:]]*{ "\([A-Z]*\)",[[:space:]]*"\(\/api\/[^"]*\)".*/\1 \2/p' "$REPO/admin/admin_routes.c")
[ "$(printf '%s\n' "$routes" | wc -l)" -ge 16 ] && ok || fail "read the API routes of admin_routes.c: $routes"
while read -r method path; do
	printf '%s\n' "$expected" | grep -q "^$method $path " && ok ||
		fail "$method $path (admin_routes.c) has no line in this scenario: say which roles may use it"
done <<<"$routes"

while read -r method path who; do
	[ "$path" = /api/logout ] && continue
	for name in root desk audit; do
		case $name in root) letter=A ;; desk) letter=F ;; audit) letter=U ;; esac
		code=$(call "$name" "$method" "$path")
		if [ "${who#*$letter}" != "$who" ]; then
			[ "$code" != 403 ] && [ "$code" != 401 ] && ok || fail "$method $path as $name: $code, expected inside its role"
		else
			assert_eq 403 "$code" "$method $path as $name (outside its role)"
		fi
	done
done <<<"$expected"
# the refusal says why, as JSON
assert_contains "$(acurl -b "${JAR[desk]}" "$A/api/users")" '"error":"this account'"'"'s role does not allow that"' "the 403's reason"

# an auditor reads everything and changes nothing, even with a real change
assert_contains "$(acurl -b "${JAR[audit]}" "$A/api/users")" '"name":"alice"' "auditor reads the users"
ch() { # name path json
	acurl -o /dev/null -w '%{http_code}' -b "${JAR[$1]}" -H "X-CSRF-Token: ${TOKEN[$1]}" \
		-H 'Content-Type: application/json' -d "$3" "$A$2"
}
assert_eq 403 "$(ch audit /api/users/delete '{"name":"alice"}')" "auditor cannot delete a user"
assert_eq 403 "$(ch audit /api/sessions/kick '{"addr":"10.201.0.8"}')" "auditor cannot kick"
assert_eq 403 "$(ch audit /api/whitelist '{"cidr":"192.0.2.0/24","comment":"x"}')" "auditor cannot add to the whitelist"
assert_contains "$("$CLI" -d "$DB" user list)" "alice" "alice is still there"
assert_eq "" "$("$CLI" -d "$DB" whitelist list | grep 192.0.2.0)" "the whitelist is unchanged"

# a front desk sees the guests only, and kicks only them
sessions=$(acurl -b "${JAR[desk]}" "$A/api/sessions")
assert_contains "$sessions" '"username":"voucher:ab12"' "front desk sees the guest's session"
assert_not_contains "$sessions" '"alice"' "front desk does not see the employee's session"
assert_contains "$(acurl -b "${JAR[root]}" "$A/api/sessions")" '"username":"alice"' "an admin sees every session"
audit=$(acurl -b "${JAR[desk]}" "$A/api/audit")
assert_contains "$audit" '"username":"voucher:zz99"' "front desk audit: the guest's failure"
assert_not_contains "$audit" 'alice' "front desk audit: no employee's failure"
assert_not_contains "$(acurl -b "${JAR[desk]}" "$A/api/audit.csv")" 'alice' "front desk CSV: no employee's failure"
assert_contains "$(acurl -b "${JAR[audit]}" "$A/api/audit")" '"username":"alice"' "auditor audit: every failure"
assert_eq 404 "$(ch desk /api/sessions/kick '{"addr":"10.201.0.9"}')" "front desk cannot kick the employee"
assert_contains "$("$CLI" -d "$DB" session list)" "10.201.0.9" "the employee's session stays"
assert_eq 200 "$(ch desk /api/sessions/kick '{"addr":"10.201.0.8"}')" "front desk kicks the guest"
assert_eq "" "$("$CLI" -d "$DB" session list | grep 10.201.0.8)" "the guest's session is gone"
assert_contains "$(acurl -b "${JAR[root]}" "$A/api/actions")" '"admin":"desk","action":"session.kick","target":"10.201.0.8"' "the kick is in the admin log"

# a role changed with the CLI applies to the open session at once
assert_contains "$("$CLI" -d "$DB" admin set desk --role auditor)" "set with role auditor" "admin set"
assert_eq 403 "$(call desk POST /api/sessions/kick)" "desk, now an auditor, cannot kick"
assert_eq 200 "$(call desk GET /api/users)" "desk, now an auditor, reads the users"
assert_eq auditor "$(acurl -b "${JAR[desk]}" "$A/api/me" | field role)" "/api/me says the new role"
"$CLI" -d "$DB" admin set audit --role admin >/dev/null
assert_eq 400 "$(call audit POST /api/users)" "audit, now an admin, may add users (400: {} is no user)"
assert_contains "$("$CLI" -d "$DB" actions)" "role auditor" "the role change is in the admin log"

# every role logs out
for name in root desk audit; do
	assert_eq 200 "$(call "$name" POST /api/logout)" "$name logs out"
done
finish
