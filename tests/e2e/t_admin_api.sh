#!/bin/bash
# The admin JSON API with curl: 401 before login, login sets a hardened
# cookie and returns a CSRF token, state changes need it, failures of
# admin logins are audited, audit paging is keyset-based.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon; add_user alice secret
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
A=http://127.0.0.1:8080
acurl() { in_gw timeout 10 curl -s "$@"; }
jar=$DIR/cookies

assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' $A/api/users)" "users without login"
assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' $A/api/audit)" "audit without login"
assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"username":"root","password":"nope"}' $A/api/login)" "wrong admin password"
assert_eq 400 "$(acurl -o /dev/null -w '%{http_code}' -d 'not json' $A/api/login)" "malformed login"
hdrs=$(acurl -D - -o "$DIR/login.json" -c "$jar" -H 'Content-Type: application/json' \
	-d '{"username":"root","password":"admin-pw"}' $A/api/login)
assert_contains "$hdrs" "HTTP/1.1 200" "login"
assert_contains "$hdrs" "HttpOnly; SameSite=Strict" "cookie flags"
assert_contains "$hdrs" "Content-Security-Policy: default-src 'self'; script-src 'self'" "CSP"
assert_contains "$hdrs" "frame-ancestors 'none'" "frame-ancestors"
csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$DIR/login.json")

users=$(acurl -b "$jar" $A/api/users)
assert_contains "$users" '"name":"alice"' "users listed"
assert_eq 403 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" -X POST $A/api/logout)" "logout without CSRF token"

# a hostile username in the audit comes back as JSON text, never markup
status_of -U '<script>alert(1)</script>:x' http://$ORIGIN/1k >/dev/null
for i in 1 2 3 4 5; do status_of -U "u$i:x" http://$ORIGIN/1k >/dev/null; done
sleep 0.6
page1=$(acurl -b "$jar" "$A/api/audit?limit=4")
next=$(printf '%s' "$page1" | python3 -c 'import json,sys; n=json.load(sys.stdin)["next"]; print("before_time_ms=%d&before_id=%d" % (n["before_time_ms"], n["before_id"]))')
page2=$(acurl -b "$jar" "$A/api/audit?limit=4&$next")
total=$(python3 -c 'import json,sys; a=json.loads(sys.argv[1])["rows"]; b=json.loads(sys.argv[2])["rows"]; ids=[r["id"] for r in a+b]; print(len(ids), len(set(ids)))' "$page1" "$page2")
# 6 proxy failures + 1 failed admin login
assert_eq "7 7" "$total" "two pages give every row once"
# a hostile username is data in a JSON string, served as JSON, never as a page
assert_contains "$page2" '"username":"<script>alert(1)</script>"' "hostile username kept as text"
assert_contains "$(acurl -D - -o /dev/null -b "$jar" "$A/api/audit")" "Content-Type: application/json" "API answers JSON"
assert_contains "$(acurl -b "$jar" "$A/api/audit?mode=admin")" '"mode":"admin","scheme":"form","username":"root","reason":"wrong_password"' "failed admin login audited"
# every proxy connection of the test has ended: none is left hanging
assert_contains "$(in_gw timeout 5 curl -s http://127.0.0.1:8080/metrics)" "portcullis_connections_open 0" "no connection left open"

# CSV export of what is filtered, quoted, formulas defused
status_of -U '=HYPERLINK("x"),evil:pw' http://$ORIGIN/1k >/dev/null; sleep 0.6
csv=$(acurl -b "$jar" "$A/api/audit.csv?mode=explicit")
assert_eq "time,client_addr,client_port,mode,scheme,username,reason,host,user_agent" "$(printf '%s' "$csv" | head -1 | tr -d '\r')" "CSV header"
assert_eq 7 "$(printf '%s\n' "$csv" | tail -n +2 | grep -c explicit)" "CSV has the filtered rows"
assert_contains "$csv" $'"\'=HYPERLINK(""x""),evil"' "formula cell quoted and defused"
assert_not_contains "$csv" '"root"' "admin-mode rows filtered out"

# changes through the API take effect on the proxy
post() { acurl -o /dev/null -w '%{http_code}' -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -d "$2" "$A$1"; }
assert_eq 403 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" -d '{"name":"dave","password":"pw"}' $A/api/users)" "create without CSRF token"
assert_eq 201 "$(post /api/users '{"name":"dave","password":"d4ve pw","comment":"via API"}')" "create user"
assert_eq 409 "$(post /api/users '{"name":"dave","password":"x"}')" "duplicate user"
assert_eq 400 "$(post /api/users '{"name":"bad:name","password":"x"}')" "invalid name"
assert_contains "$(acurl -b "$jar" -H "X-CSRF-Token: $csrf" -d '{"name":"x","password":5}' $A/api/users)" "field 'password'" "error names the field"
assert_eq 400 "$(post /api/users '{"name":')" "malformed JSON"
sleep 0.6
assert_eq 200 "$(status_of -U 'dave:d4ve pw' http://$ORIGIN/1k)" "API-created user can use the proxy"
assert_eq 200 "$(post /api/users/update '{"name":"dave","enabled":false}')" "disable user"
sleep 0.6
assert_eq 407 "$(status_of -U 'dave:d4ve pw' http://$ORIGIN/1k)" "disabled user refused"
assert_eq 200 "$(post /api/users/delete '{"name":"dave"}')" "delete user"
assert_eq 404 "$(post /api/users/delete '{"name":"dave"}')" "delete again"
assert_eq 201 "$(post /api/whitelist '{"cidr":"10.201.0.2","comment":"test"}')" "whitelist add"
assert_eq 400 "$(post /api/whitelist '{"cidr":"10.201.0.2/8"}')" "whitelist bad cidr"
assert_contains "$(acurl -b "$jar" $A/api/whitelist)" '"cidr":"10.201.0.2/32"' "whitelist listed"
sleep 0.6
assert_eq 200 "$(status_of http://$ORIGIN/1k)" "whitelisted through the API"
assert_eq 200 "$(post /api/whitelist/delete '{"cidr":"10.201.0.2/32"}')" "whitelist delete"
actions=$(acurl -b "$jar" $A/api/actions)
assert_contains "$actions" '"admin":"root","action":"user.create","target":"dave"' "admin action logged with the actor"
assert_contains "$actions" '"action":"admin.login_failed"' "failed admin login in the action log"

assert_eq 200 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" -H "X-CSRF-Token: $csrf" -X POST $A/api/logout)" "logout"
assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" $A/api/users)" "session gone after logout"
