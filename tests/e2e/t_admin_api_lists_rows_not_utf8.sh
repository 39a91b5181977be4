#!/bin/bash
# A username that is not UTF-8 (ISO-8859-1 "m\xfcller" in a Basic login, a
# user "j\xfcrgen" made with the CLI) is listed by the admin API like any
# other, its bytes shown escaped as \xHH, the same as `portcullis --json`:
# in /api/audit, in the dashboard's top usernames, in /api/users (across
# pages too). An attacker cannot hide failed logins from the panel by
# their bytes, and markup a client sends is JSON text, not markup.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
add_user alice secret
add_user $'j\xfcrgen' secret
add_user zoe secret
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
admin_api_login root admin-pw
api() { acurl -b "$ADMIN_JAR" "$A$1"; }
# the value of field $2 of every element of the JSON array at path $1
# (python: each key in turn), one a line; what a reader of the JSON sees
values() { python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    if k: v = v[k]
for row in v: print(row[sys.argv[2]])' "$1" "$2"; }

# from the client's two addresses: two rows (identical failures from one
# address within a minute would share a row)
assert_eq 407 "$(status_of -U $'m\xfcller:guess' http://$ORIGIN/1k)" "a failed Basic login as m\\xfcller"
assert_eq 407 "$(pcurl -o /dev/null -w '%{http_code}' -x 'http://[fd00:201::1]:3128' -U $'m\xfcller:guess' http://$ORIGIN/1k)" \
	"the same from the client's IPv6 address"
assert_eq 407 "$(status_of -U '<img src=x onerror=alert(1)>:guess' http://$ORIGIN/1k)" "a failed login with markup"
audit_json 3 >/dev/null
assert_eq 2 "$("$CLI" -d "$DB" audit --json | values "" username | grep -cxF 'm\xfcller')" \
	"portcullis audit --json lists both, escaped"
assert_eq 2 "$("$CLI" -d "$DB" audit --user 'm\xfcller' | grep -cF 'm\xfcller')" \
	"portcullis audit --user takes the name as the table shows it"

assert_eq 2 "$(api /api/audit | values rows username | grep -cxF 'm\xfcller')" "/api/audit lists both failures"
assert_eq 1 "$(api /api/audit | values rows username | grep -cxF '<img src=x onerror=alert(1)>')" \
	"/api/audit lists the markup as text"
stats=$(api /api/stats)
assert_eq "m\\xfcller 2" "$(printf '%s' "$stats" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["top_users"]: print(r["value"], r["count"])' | grep -F 'm\xfcller')" \
	"the dashboard's top usernames count m\\xfcller twice"
# the panel filters the audit by the name it was shown
assert_eq 2 "$(api '/api/audit?user=m%5Cxfcller' | values rows username | grep -cxF 'm\xfcller')" \
	"/api/audit?user= with the escaped name finds the rows"
assert_eq "" "$(api '/api/audit?user=m%5Cx5cxfcller' | values rows username)" \
	"the escaped backslash names another user"

users=$(api /api/users | values users name | tr '\n' ' ')
assert_eq 'alice j\xfcrgen zoe ' "$users" "/api/users lists j\\xfcrgen"
assert_eq 'j\xfcrgen' "$("$CLI" -d "$DB" user list --json | values "" name | sed -n 2p)" \
	"portcullis user list --json shows the same text"
# one name a page: the cursor after the escaped name goes on to the next
page2=$(api '/api/users?limit=1&after=alice')
assert_eq 'j\xfcrgen' "$(printf '%s' "$page2" | values users name)" "page 2"
next=$(printf '%s' "$page2" | python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["next"]))')
assert_eq zoe "$(api "/api/users?limit=1&after=$next" | values users name)" "page 3 after the escaped cursor"
hdrs=$(acurl -D - -o /dev/null -b "$ADMIN_JAR" "$A/api/audit")
assert_contains "$hdrs" "Content-Type: application/json" "the API answers JSON, never markup"
