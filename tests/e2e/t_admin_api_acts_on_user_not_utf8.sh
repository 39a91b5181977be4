#!/bin/bash
# The panel's actions (disable, new password, expiry, delete) on a user
# whose name is not UTF-8 reach that user: the panel sends back the name as
# /api/users showed it (j\xfcrgen) and the API takes it as those bytes. A
# user whose name really is the ASCII text "j\xfcrgen" is listed with its
# backslash escaped (j\x5cxfcrgen) and is addressed apart: an action on one
# never touches the other.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
add_user $'j\xfcrgen' secret
add_user 'j\xfcrgen' ascii-pw
printf 'admin-pw\n' | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1
admin_api_login root admin-pw
enabled_of() { # stored name
	sqlite3 "$DB" "SELECT enabled FROM users WHERE name = CAST(X'$(printf '%s' "$1" | xxd -p | tr -d '\n')' AS TEXT)"
}
listed=$(acurl -b "$ADMIN_JAR" "$A/api/users" | python3 -c '
import json, sys
for u in json.load(sys.stdin)["users"]: print(u["name"])')
assert_eq 'j\x5cxfcrgen j\xfcrgen' "$(printf '%s\n' "$listed" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"/api/users lists both names, each escaped its own way"

# what the panel sends: the name as listed, in JSON (a backslash is \\ there)
assert_eq 200 "$(admin_api_post /api/users/update '{"name":"j\\xfcrgen","enabled":false}')" \
	"disable the user listed as j\\xfcrgen"
assert_eq 0 "$(enabled_of $'j\xfcrgen')" "the user whose name has the byte 0xfc is disabled"
assert_eq 1 "$(enabled_of 'j\xfcrgen')" "the ASCII-named user is not"
assert_eq 407 "$(status_of -U $'j\xfcrgen:secret' http://$ORIGIN/1k)" "the disabled user cannot log in"
assert_eq 200 "$(status_of -U 'j\xfcrgen:ascii-pw' http://$ORIGIN/1k)" "the other one still can"

assert_eq 200 "$(admin_api_post /api/users/update '{"name":"j\\x5cxfcrgen","password":"new-pw"}')" \
	"new password for the user listed as j\\x5cxfcrgen"
logs_in() { [ "$(status_of -U "$1" http://$ORIGIN/1k)" = 200 ]; }
wait_until 5 logs_in 'j\xfcrgen:new-pw' && ok || fail "the ASCII-named user logs in with the new password"

acts=$(acurl -b "$ADMIN_JAR" "$A/api/actions" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["actions"]: print(a["action"], a["target"])')
assert_contains "$acts" 'user.update j\xfcrgen' "the admin log names the user as it is listed"

assert_eq 200 "$(admin_api_post /api/users/delete '{"name":"j\\xfcrgen"}')" "delete the user listed as j\\xfcrgen"
assert_eq "" "$(enabled_of $'j\xfcrgen')" "it is gone"
assert_eq 1 "$(enabled_of 'j\xfcrgen')" "the ASCII-named user is still there"
assert_eq 404 "$(admin_api_post /api/users/delete '{"name":"j\\xfcrgen"}')" "a second delete finds no such user"
assert_eq 404 "$(admin_api_post /api/users/update '{"name":"j\\x00rgen","enabled":true}')" \
	"an escaped NUL names no user"
finish
