#!/bin/bash
# Intercept mode with terms before the login ([portal] terms =
# before_login): the portal shows the terms first; a login without an
# acceptance of the current version is refused with the terms shown again;
# accepting leads to the login page and starts no session by itself; the
# login then starts the user's own session. A new version of the terms must
# be accepted again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
ADMIN_LISTEN=127.0.0.1:8080
PORTAL_EXTRA="terms = before_login"
intercept_conf
setup_daemon
add_user lena 'lena-pw'
printf 'root-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
admin_api_login root root-pw
assert_eq 201 "$(admin_api_post /api/terms '{"text":"House rules: be kind."}')" "terms saved"

page=$(ccurl "$PORTAL/")
assert_contains "$page" "House rules: be kind." "the portal shows the terms first"
assert_contains "$page" 'action="/accept"' "with the accept form"
# a login that skipped the terms
jar=$DIR/jar
page=$(ccurl -c "$jar" "$PORTAL/login")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
login() { ccurl -o "$DIR/answer" -w '%{http_code}' -b "$jar" --data-urlencode "csrf=$csrf" \
	-d username=lena -d password=lena-pw "$PORTAL/login"; }
assert_eq 403 "$(login)" "login without accepting the terms refused"
assert_contains "$(cat "$DIR/answer")" "Please accept the terms of use before signing in." "the refusal says why"
assert_contains "$(cat "$DIR/answer")" "House rules: be kind." "and shows the terms"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "no session yet"

# accept: on to the login page, no session by the acceptance alone
hdrs=$(ccurl -D - -o /dev/null -b "$jar" --data-urlencode "csrf=$csrf" -d version=1 "$PORTAL/accept")
assert_contains "$hdrs" "HTTP/1.1 303" "accepted"
assert_contains "$hdrs" "Location: /login" "on to the login page"
assert_eq 302 "$(direct_status http://10.202.0.2/1k)" "accepting alone starts no session"
assert_contains "$(ccurl "$PORTAL/")" 'action="/login"' "after accepting, the portal shows the login form"
assert_eq 303 "$(login)" "login after accepting"
assert_eq 200 "$(direct_status http://10.202.0.2/1k)" "the user's session passes"
assert_eq lena "$(sqlite3 "$DB" "SELECT username FROM sessions WHERE addr = '10.201.0.2'")" "the session is the user's"
assert_eq 1 "$(sqlite3 "$DB" 'SELECT count(*) FROM terms_acceptances WHERE version = 1')" "the acceptance recorded"

# a new version must be accepted again before the next login
assert_eq 201 "$(admin_api_post /api/terms '{"text":"House rules, second edition."}')" "new terms saved"
assert_contains "$(ccurl "$PORTAL/")" "House rules, second edition." "the new version is shown again"
assert_eq 403 "$(login)" "login refused until the new version is accepted"
finish
