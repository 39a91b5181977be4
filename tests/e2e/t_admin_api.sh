#!/bin/bash
# The admin JSON API with curl: 401 before login, login sets a hardened
# cookie and returns a CSRF token, every state change needs it, a body
# field a route does not take is refused by name, every answer (errors
# too) carries the security headers, failures of admin logins are audited,
# audit paging is keyset-based, a deleted admin or a new admin password
# ends the admin's sessions.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon; add_user alice secret
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
jar=$DIR/cookies
# every answer, errors included, carries the security headers
sec_headers() { # response-headers what
	assert_contains "$1" "Content-Security-Policy: default-src 'self'; script-src 'self'" "$2: CSP"
	assert_contains "$1" "frame-ancestors 'none'" "$2: CSP frame-ancestors"
	assert_contains "$1" "X-Content-Type-Options: nosniff" "$2: nosniff"
	assert_contains "$1" "Referrer-Policy: no-referrer" "$2: Referrer-Policy"
}

assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' $A/api/users)" "users without login"
for r in audit audit.csv me stats whitelist sessions actions groups; do
	assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' $A/api/$r)" "GET /api/$r without login"
done
for r in users users/update users/delete whitelist whitelist/delete sessions/kick policies policies/delete logout; do
	assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' $A/api/$r)" "POST /api/$r without login"
done
assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"username":"root","password":"nope"}' $A/api/login)" "wrong admin password"
assert_eq 400 "$(acurl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d 'not json' $A/api/login)" "malformed login"
# a login body that cannot be checked names the field at fault (and is
# not a failed login: nothing was tried)
login_answer() { acurl -H 'Content-Type: application/json' -d "$1" $A/api/login; }
assert_contains "$(login_answer '{"username":"root"}')" "field 'password': required" "login without a password"
assert_contains "$(login_answer '{"password":"admin-pw"}')" "field 'username': required" "login without a username"
assert_contains "$(login_answer '{"username":["root"],"password":"admin-pw"}')" "field 'username'" "login with a username not a string"
assert_contains "$(login_answer '{"username":"root","password":"admin-pw","remember":true}')" "field 'remember': unknown" "login with an unknown field"
hdrs=$(acurl -D - -o /dev/null -H 'Content-Type: application/json' -d '{"username":"root","password":"admin-pw","remember":true}' $A/api/login)
assert_contains "$hdrs" "HTTP/1.1 400" "unknown login field is 400"
assert_not_contains "$hdrs" "Set-Cookie" "no session from a refused login body"
sec_headers "$hdrs" "400 of the login"
hdrs=$(acurl -D - -o /dev/null $A/api/users)
assert_contains "$hdrs" "HTTP/1.1 401" "401 answer"
sec_headers "$hdrs" "401"
hdrs=$(acurl -D - -o /dev/null -H 'Content-Type: text/plain' -d '{}' $A/api/login)
assert_contains "$hdrs" "HTTP/1.1 415" "415 answer"
sec_headers "$hdrs" "415"
# what a form on another site can send (text/plain that parses as JSON) is refused
assert_eq 415 "$(acurl -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' -d '{"username":"root","password":"admin-pw"}' $A/api/login)" "login only as application/json"
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
wrong=${csrf%?}$([ "${csrf: -1}" = 0 ] && echo 1 || echo 0)
assert_eq 403 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" -H "X-CSRF-Token: $wrong" -X POST $A/api/logout)" "logout with a wrong CSRF token"

# CSRF on every route that changes something: without the
# session's token, with a wrong one, or with the token of another session
# of the same admin, each answers 403 and changes nothing
add_user carol carol-pw
"$CLI" -d "$DB" whitelist add 192.0.2.0/24 fixture >/dev/null
now=$(date +%s)
sqlite3 "$DB" "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, expires_at)
	VALUES ('10.201.0.8', '02:00:00:00:00:08', 'carol', $now, $now, 600, $((now + 600)));"
other_csrf=$(acurl -c "$DIR/jar-csrf" -H 'Content-Type: application/json' -d '{"username":"root","password":"admin-pw"}' $A/api/login |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
[ "$other_csrf" != "$csrf" ] && [ ${#other_csrf} = 64 ] && ok || fail "a second session has a token of its own"
hdrs=$(acurl -D - -o /dev/null -b "$jar" -H 'Content-Type: application/json' -d '{"name":"carol","enabled":false}' $A/api/users/update)
assert_contains "$hdrs" "HTTP/1.1 403" "403 answer"
sec_headers "$hdrs" "403"
while read -r route body; do
	for tok in "" "$wrong" "$other_csrf" "x"; do
		assert_eq 403 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" ${tok:+-H "X-CSRF-Token: $tok"} \
			-H 'Content-Type: application/json' -d "$body" "$A/api/$route")" \
			"POST /api/$route with token '${tok:0:8}'"
	done
done <<'ROUTES'
users {"name":"mallory","password":"pw"}
users/update {"name":"carol","enabled":false,"password":"taken over"}
users/delete {"name":"carol"}
whitelist {"cidr":"198.51.100.0/24","comment":"csrf"}
whitelist/delete {"cidr":"192.0.2.0/24"}
sessions/kick {"addr":"10.201.0.8"}
policies {"group":"csrf","denied":true}
policies/delete {"group":"csrf"}
logout {}
ROUTES
assert_contains "$(acurl -b "$jar" "$A/api/users?search=carol")" '"name":"carol","enabled":true' "refused update: carol still enabled"
assert_not_contains "$(acurl -b "$jar" "$A/api/users?search=mallory")" '"name":"mallory"' "refused create: no mallory"
wl=$(acurl -b "$jar" $A/api/whitelist)
assert_contains "$wl" '"cidr":"192.0.2.0/24"' "refused delete: whitelist entry still there"
assert_not_contains "$wl" '198.51.100.0/24' "refused add: nothing added to the whitelist"
assert_contains "$(acurl -b "$jar" $A/api/sessions)" '"addr":"10.201.0.8"' "refused kick: session still there"
assert_eq 200 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" $A/api/me)" "refused logout: still logged in"
assert_eq "" "$(acurl -b "$jar" "$A/api/actions?limit=1000" | python3 -c '
import json,sys
print(" ".join(a["action"] for a in json.load(sys.stdin)["actions"] if a["admin"] == "root" and a["action"] not in ("admin.login", "admin.login_failed")))')" "nothing refused reached the admin log"
# a refusal proves itself by what did not happen: wait past the daemon's
# half-second look at the database, where a change would have shown
sleep 0.6
assert_eq 200 "$(status_of -U 'carol:carol-pw' http://$ORIGIN/1k)" "refused password change: carol's password unchanged"
# the same changes with the right token go through (and clear the fixtures)
ch() { acurl -o /dev/null -w '%{http_code}' -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -d "$2" "$A$1"; }
assert_eq 200 "$(ch /api/users/update '{"name":"carol","enabled":false}')" "update with the token"
assert_eq 200 "$(ch /api/users/delete '{"name":"carol"}')" "delete with the token"
assert_eq 200 "$(ch /api/whitelist/delete '{"cidr":"192.0.2.0/24"}')" "whitelist delete with the token"
assert_eq 200 "$(ch /api/sessions/kick '{"addr":"10.201.0.8"}')" "kick with the token"
acurl -o /dev/null -b "$DIR/jar-csrf" -H "X-CSRF-Token: $other_csrf" -X POST $A/api/logout

# a hostile username in the audit comes back as JSON text, never markup
status_of -U '<script>alert(1)</script>:x' http://$ORIGIN/1k >/dev/null
for i in 1 2 3 4 5; do status_of -U "u$i:x" http://$ORIGIN/1k >/dev/null; done
wait_until 10 audit_has 7
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
assert_metric "$(in_gw timeout 5 curl -s http://127.0.0.1:8080/metrics)" portcullis_connections_open 0 "no connection left open"

# CSV export of what is filtered, quoted, formulas defused
status_of -U '=HYPERLINK("x"),evil:pw' http://$ORIGIN/1k >/dev/null; wait_until 10 audit_has 8
csv=$(acurl -b "$jar" "$A/api/audit.csv?mode=explicit")
assert_eq "time,client_addr,client_port,mode,scheme,username,reason,host,user_agent,count" "$(printf '%s' "$csv" | head -1 | tr -d '\r')" "CSV header"
assert_eq 7 "$(printf '%s\n' "$csv" | tail -n +2 | grep -c explicit)" "CSV has the filtered rows"
assert_contains "$csv" $'"\'=HYPERLINK(""x""),evil"' "formula cell quoted and defused"
assert_not_contains "$csv" '"root"' "admin-mode rows filtered out"

# changes through the API take effect on the proxy
post() { acurl -o /dev/null -w '%{http_code}' -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -d "$2" "$A$1"; }
assert_eq 403 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" -d '{"name":"dave","password":"pw"}' $A/api/users)" "create without CSRF token"
log_mark
assert_eq 201 "$(post /api/users '{"name":"dave","password":"d4ve pw","comment":"via API"}')" "create user"
assert_eq 409 "$(post /api/users '{"name":"dave","password":"x"}')" "duplicate user"
assert_eq 400 "$(post /api/users '{"name":"bad:name","password":"x"}')" "invalid name"
assert_contains "$(acurl -b "$jar" -H "X-CSRF-Token: $csrf" -d '{"name":"x","password":5}' $A/api/users)" "field 'password'" "error names the field"
assert_eq 400 "$(post /api/users '{"name":')" "malformed JSON"
# a field the route does not take is refused by name and changes nothing
# (a misspelt "enable" used to answer 200 and leave the user enabled)
answer() { acurl -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -d "$2" "$A$1"; }
assert_eq 400 "$(post /api/users/update '{"name":"dave","enable":false}')" "misspelt field refused"
assert_contains "$(answer /api/users/update '{"name":"dave","enable":false}')" "field 'enable': unknown" "error names the unknown field"
assert_contains "$(acurl -b "$jar" "$A/api/users?search=dave")" '"name":"dave","enabled":true' "refused body changed nothing"
assert_contains "$(answer /api/users '{"name":"erin","password":"pw","expires":0}')" "field 'expires': unknown" "unknown field on create"
assert_not_contains "$(acurl -b "$jar" "$A/api/users?search=erin")" '"name":"erin"' "refused create made no user"
assert_contains "$(answer /api/users/delete '{"name":"dave","enabled":false}')" "field 'enabled': unknown" "delete takes only name and comment"
assert_contains "$(answer /api/whitelist '{"cidr":"192.0.2.0/24","coment":"x"}')" "field 'coment': unknown" "unknown whitelist field"
assert_not_contains "$(acurl -b "$jar" $A/api/whitelist)" '192.0.2.0/24' "refused whitelist body added nothing"
assert_contains "$(answer /api/whitelist/delete '{"cidr":"192.0.2.0/24","why":"x"}')" "field 'why': unknown" "unknown whitelist delete field"
assert_contains "$(answer /api/sessions/kick '{"address":"10.201.0.9"}')" "field 'address': unknown" "unknown kick field"
# a key of any length and bytes comes back cut, as valid JSON text
long_key=$(python3 -c 'print("\u00e9" * 100 + "<b>")')
assert_eq "400 True True" "$(acurl -o "$DIR/long.json" -w '%{http_code}' -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	-d "{\"name\":\"dave\",\"$long_key\":1}" $A/api/users/update) $(python3 -c '
import json,sys
e=json.load(open(sys.argv[1]))["error"]
print(e.startswith("field \x27" + "\u00e9" * 32 + "...\x27: unknown"), "<b>" not in e)' "$DIR/long.json")" "long unknown key cut on a character"
hdrs=$(acurl -D - -o /dev/null -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -d '{"name":"dave","enable":false}' $A/api/users/update)
sec_headers "$hdrs" "400"
hdrs=$(acurl -D - -o /dev/null -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -d '{"name":"dave","password":"x"}' $A/api/users)
assert_contains "$hdrs" "HTTP/1.1 409" "409 answer"
sec_headers "$hdrs" "409"
head -c 70000 /dev/zero | tr '\0' ' ' > "$DIR/big.json"
hdrs=$(acurl -D - -o /dev/null -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' --data-binary @"$DIR/big.json" $A/api/users)
assert_contains "$hdrs" "HTTP/1.1 413" "413 for a body over 64 KiB"
sec_headers "$hdrs" "413"
wait_until 5 logged_since_mark 'users changed'
assert_eq 200 "$(status_of -U 'dave:d4ve pw' http://$ORIGIN/1k)" "API-created user can use the proxy"
log_mark
assert_eq 200 "$(post /api/users/update '{"name":"dave","enabled":false}')" "disable user"
wait_until 5 logged_since_mark 'users changed'
assert_eq 407 "$(status_of -U 'dave:d4ve pw' http://$ORIGIN/1k)" "disabled user refused"
assert_eq 200 "$(post /api/users/delete '{"name":"dave"}')" "delete user"
assert_eq 404 "$(post /api/users/delete '{"name":"dave"}')" "delete again"
log_mark
assert_eq 201 "$(post /api/whitelist '{"cidr":"10.201.0.2","comment":"test"}')" "whitelist add"
assert_eq 400 "$(post /api/whitelist '{"cidr":"10.201.0.2/8"}')" "whitelist bad cidr"
assert_contains "$(acurl -b "$jar" $A/api/whitelist)" '"cidr":"10.201.0.2/32"' "whitelist listed"
wait_until 5 logged_since_mark 'whitelist reloaded'
assert_eq 200 "$(status_of http://$ORIGIN/1k)" "whitelisted through the API"
assert_eq 200 "$(post /api/whitelist/delete '{"cidr":"10.201.0.2/32"}')" "whitelist delete"
actions=$(acurl -b "$jar" $A/api/actions)
assert_contains "$actions" '"admin":"root","action":"user.create","target":"dave"' "admin action logged with the actor"
assert_contains "$actions" '"action":"admin.login_failed"' "failed admin login in the action log"

# the dashboard: counters, failures per hour, worst offenders
stats=$(acurl -b "$jar" $A/api/stats)
assert_eq "24 True True" "$(printf '%s' "$stats" | python3 -c '
import json,sys
s=json.load(sys.stdin); h=s["hourly"]["counts"]
print(len(h), h[-1] >= 8, s["counters"]["failures"] >= 7)')" "stats: 24 hourly buckets, this hour counts the failures"
assert_contains "$stats" '{"value":"10.201.0.2","count":' "stats: top failing address"
assert_contains "$stats" '{"value":"<script>alert(1)</script>","count":1}' "stats: top usernames as JSON text"
assert_contains "$stats" '"sessions_active":0' "stats: active sessions"
assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' $A/api/stats)" "stats without login"

# sessions: listed and counted (a fixture row: intercept mode is another branch's)
now=$(date +%s)
sqlite3 "$DB" "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, expires_at)
	VALUES ('10.201.0.9', '02:00:00:00:00:09', 'erin', $now, $now, 600, $((now + 600)));"
assert_contains "$(acurl -b "$jar" $A/api/sessions)" '"addr":"10.201.0.9","mac":"02:00:00:00:00:09","username":"erin"' "session listed"
assert_contains "$(acurl -b "$jar" $A/api/stats)" '"sessions_active":1' "stats count the session"
assert_metric "$(in_gw timeout 5 curl -s http://127.0.0.1:8080/metrics)" portcullis_sessions_active 1 "metrics count the session"
assert_eq 400 "$(post /api/sessions/kick '{"addr":"not an address"}')" "kick: bad address"
assert_eq 200 "$(post /api/sessions/kick '{"addr":"10.201.0.9"}')" "kick"
assert_eq 404 "$(post /api/sessions/kick '{"addr":"10.201.0.9"}')" "kick again"
assert_eq "" "$("$CLI" -d "$DB" session list | grep 10.201.0.9)" "kicked session gone from the store"

# user pages: keyset cursor by name, every user once
for n in u01 u02 u03 u04 u05; do post /api/users "{\"name\":\"$n\",\"password\":\"pw\",\"expires_at\":4102444800}" >/dev/null; done
p1=$(acurl -b "$jar" "$A/api/users?limit=3")
n1=$(printf '%s' "$p1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next"])')
p2=$(acurl -b "$jar" "$A/api/users?limit=3&after=$n1")
n2=$(printf '%s' "$p2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next"])')
p3=$(acurl -b "$jar" "$A/api/users?limit=3&after=$n2")
assert_eq "alice u01 u02 | u03 u04 u05 | " "$(python3 -c '
import json,sys
print(" | ".join(" ".join(u["name"] for u in json.loads(p)["users"]) for p in sys.argv[1:]))' "$p1" "$p2" "$p3")" "user pages in name order"
assert_contains "$p1" '"expires_at":4102444800' "expiry set at creation"
assert_eq 200 "$(post /api/users/update '{"name":"u01","expires_at":null,"password":"new pw","comment":"reset"}')" "reset password, clear expiry"
assert_contains "$(acurl -b "$jar" "$A/api/users?search=u01")" '"name":"u01","enabled":true,"expires_at":0,"comment":"reset"' "update visible"
assert_eq 400 "$(post /api/users/update '{"name":"u01","expires_at":"tomorrow"}')" "bad expiry"
assert_eq 400 "$(post /api/users/update '{"name":"u01","enabled":"yes"}')" "bad enabled"
assert_eq 404 "$(post /api/users/update '{"name":"nobody","enabled":false}')" "update unknown user"
assert_eq 400 "$(post /api/users '["name"]')" "body not an object"

# query parameters are checked, and the error names them
bad() { acurl -b "$jar" "$A$1"; }
assert_contains "$(bad '/api/audit?limit=0')" "parameter 'limit'" "audit limit 0"
assert_contains "$(bad '/api/audit?limit=12abc')" "parameter 'limit'" "audit limit not a number"
assert_contains "$(bad '/api/audit?since_ms=-5')" "parameter 'since_ms'" "negative time"
assert_contains "$(bad '/api/audit?reason=%3Cscript%3E')" "parameter 'reason'" "unknown reason"
assert_contains "$(bad '/api/audit?mode=transparent')" "parameter 'mode'" "unknown mode"
assert_contains "$(bad '/api/audit?before_id=x')" "parameter 'before_id'" "bad cursor"
assert_contains "$(bad '/api/audit.csv?until_ms=soon')" "parameter 'until_ms'" "CSV checks its filters too"
assert_contains "$(bad '/api/users?limit=5000')" "parameter 'limit'" "users limit"
assert_contains "$(bad '/api/actions?before_time_ms=x')" "parameter 'before_time_ms'" "actions cursor"
assert_eq 400 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" "$A/api/audit?mode=nope")" "bad parameter is 400"
t1=$(acurl -b "$jar" "$A/api/audit?limit=1")
t_ms=$(printf '%s' "$t1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"][0]["time_ms"])')
assert_eq 0 "$(acurl -b "$jar" "$A/api/audit?until_ms=$t_ms&since_ms=$((t_ms - 1))" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rows"]))')" "time range excludes its end"
assert_contains "$(acurl -b "$jar" "$A/api/audit?since_ms=$t_ms&until_ms=$((t_ms + 1))")" "\"time_ms\":$t_ms" "time range includes its start"

# the admin log pages too
a1=$(acurl -b "$jar" "$A/api/actions?limit=2")
an=$(printf '%s' "$a1" | python3 -c 'import json,sys; n=json.load(sys.stdin)["next"]; print("before_time_ms=%d&before_id=%d" % (n["before_time_ms"], n["before_id"]))')
a2=$(acurl -b "$jar" "$A/api/actions?limit=2&$an")
assert_eq "2 2 4" "$(python3 -c '
import json,sys
a=json.loads(sys.argv[1])["actions"]; b=json.loads(sys.argv[2])["actions"]
print(len(a), len(b), len(set(x["id"] for x in a+b)))' "$a1" "$a2")" "admin log pages"
assert_contains "$(acurl -b "$jar" $A/api/actions)" '"action":"session.kick","target":"10.201.0.9"' "kick in the admin log"
assert_contains "$(acurl -b "$jar" $A/api/actions)" '"action":"user.update","target":"u01","detail":"password changed; never expires; comment: reset"' "admin log says what an update changed"
assert_not_contains "$(acurl -b "$jar" $A/api/actions)" 'new pw' "never the password"

# the panel's own files, with the security headers; nothing else
page=$(acurl -D - $A/)
assert_contains "$page" "Content-Type: text/html; charset=utf-8" "index served"
assert_contains "$page" "script-src 'self'" "index has the CSP"
assert_contains "$page" '<script src="app.js" defer></script>' "index is the panel"
assert_not_contains "$(acurl $A/index.html)" "<script>" "no inline script in the page"
assert_contains "$(acurl -D - -o /dev/null $A/app.js)" "Content-Type: text/javascript" "script type"
assert_contains "$(acurl -D - -o /dev/null $A/style.css)" "X-Content-Type-Options: nosniff" "style served with nosniff"
assert_eq 404 "$(acurl -o /dev/null -w '%{http_code}' --path-as-is $A/../../etc/passwd)" "no path traversal"
assert_eq 404 "$(acurl -o /dev/null -w '%{http_code}' --path-as-is $A/%2e%2e/%2e%2e/etc/passwd)" "no encoded traversal"
assert_eq 404 "$(acurl -o /dev/null -w '%{http_code}' $A/.hidden.html)" "no hidden files"
assert_eq 404 "$(acurl -o /dev/null -w '%{http_code}' $A/nothere.html)" "missing page"
assert_eq 405 "$(acurl -o /dev/null -w '%{http_code}' -X PUT $A/)" "unsupported method"
assert_eq 405 "$(acurl -o /dev/null -w '%{http_code}' -X POST -d x $A/index.html)" "POST to a page"
hdrs=$(acurl -D - -o /dev/null $A/nothere.html)
assert_contains "$hdrs" "HTTP/1.1 404" "404 of a page"
sec_headers "$hdrs" "404 of a page"
hdrs=$(acurl -D - -o /dev/null -b "$jar" $A/api/nothere)
assert_contains "$hdrs" "HTTP/1.1 404" "404 of the API"
sec_headers "$hdrs" "404 of the API"
hdrs=$(acurl -D - -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{}' $A/api/users)
assert_contains "$hdrs" "HTTP/1.1 405" "405 answer"
assert_contains "$hdrs" "Allow: GET, HEAD, POST" "405 says what is allowed (RFC 9110 §15.5.6)"
sec_headers "$hdrs" "405"
hdrs=$(acurl -D - -o /dev/null -X POST -d x $A/metrics)
assert_contains "$hdrs" "Allow: GET, HEAD" "405 of /metrics says GET and HEAD"
sec_headers "$hdrs" "405 of /metrics"

assert_eq 200 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" -H "X-CSRF-Token: $csrf" -X POST $A/api/logout)" "logout"
assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' -b "$jar" $A/api/users)" "session gone after logout"

# deleting an admin (with the CLI) ends that admin's sessions at once
printf 'other-pw\n' | "$CLI" -d "$DB" admin add other >/dev/null
acurl -o /dev/null -c "$DIR/jar2" -H 'Content-Type: application/json' -d '{"username":"other","password":"other-pw"}' $A/api/login
assert_eq 200 "$(acurl -o /dev/null -w '%{http_code}' -b "$DIR/jar2" $A/api/me)" "second admin logged in"
"$CLI" -d "$DB" admin del other >/dev/null
assert_eq 401 "$(acurl -o /dev/null -w '%{http_code}' -b "$DIR/jar2" $A/api/me)" "deleted admin's session ended"

# so does a new password (with the CLI): every session opened before it
# ends, other admins' sessions stay
alogin() { acurl -o /dev/null -w '%{http_code}' -c "$1" -H 'Content-Type: application/json' -d "{\"username\":\"$2\",\"password\":\"$3\"}" $A/api/login; }
me() { acurl -o /dev/null -w '%{http_code}' -b "$1" $A/api/me; }
printf 'third-pw\n' | "$CLI" -d "$DB" admin add third >/dev/null
assert_eq "200 200 200" "$(alogin "$DIR/jar3" third third-pw) $(alogin "$DIR/jar4" third third-pw) $(alogin "$DIR/jar5" root admin-pw)" "two sessions of one admin and one of another"
assert_eq "200 200" "$(me "$DIR/jar3") $(me "$DIR/jar4")" "both sessions work"
printf 'third-new\n' | "$CLI" -d "$DB" admin passwd third >/dev/null
assert_eq "401 401" "$(me "$DIR/jar3") $(me "$DIR/jar4")" "new password ended both sessions"
assert_eq 200 "$(me "$DIR/jar5")" "another admin's session stays"
assert_eq 401 "$(alogin "$DIR/jar3" third third-pw)" "old password refused"
assert_eq 200 "$(alogin "$DIR/jar3" third third-new)" "new password logs in"
assert_eq 200 "$(me "$DIR/jar3")" "a session opened after the change works"
# the same password set again is a new hash (new salt): sessions end too
printf 'third-new\n' | "$CLI" -d "$DB" admin passwd third >/dev/null
assert_eq 401 "$(me "$DIR/jar3")" "password set again ended the session"

# failed admin logins are rate-limited: past the lockout threshold even the
# right password gets 429 (the lockout is per address and per name)
codes=""
for i in $(seq 1 12); do
	codes="$codes $(acurl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"username":"root","password":"guess'$i'"}' $A/api/login)"
done
assert_contains "$codes" "429" "repeated failed admin logins locked out ($codes)"
locked=$(acurl -D - -o /dev/null -H 'Content-Type: application/json' -d '{"username":"root","password":"admin-pw"}' $A/api/login)
assert_contains "$locked" "HTTP/1.1 429" "locked out even with the right password"
assert_contains "$locked" "Retry-After: " "lockout says when to come back"
sec_headers "$locked" "429"
