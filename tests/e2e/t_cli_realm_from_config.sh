#!/bin/bash
# With [auth] realm set, a user made by the CLI before the daemon's first
# start logs in by Digest: the CLI reads the realm from the daemon's
# configuration. `user list` says Digest "yes" only for secrets of the
# daemon's realm; after a realm change it says so, Basic still works, and
# a new password brings Digest back.
. "$(dirname "$0")/lib.sh"
AUTH_EXTRA="realm = Office Net" setup_daemon
unset PORTCULLIS_CONF     # the CLI is told the configuration with -c
CONF=$DIR/portcullis.conf
printf 'Circle of Life\n' | "$CLI" -d "$DB" -c "$CONF" user add alice >/dev/null
assert_eq "Office Net" "$(sqlite3 "$DB" "SELECT ha1_realm FROM users WHERE name = 'alice'")" \
	"the secrets are made for the configured realm"
list=$("$CLI" -d "$DB" -c "$CONF" user list)
assert_eq "yes" "$(printf '%s\n' "$list" | awk '$1 == "alice" { print $(NF) }')" "user list: Digest yes"
assert_eq true "$("$CLI" -d "$DB" -c "$CONF" user list --json | python3 -c 'import json,sys; print(str(json.load(sys.stdin)[0]["digest"]).lower())')" \
	"user list --json: digest true"
# a -c that names no file is an error, not a silent default realm
out=$(printf 'x\n' | "$CLI" -d "$DB" -c "$DIR/missing.conf" user add bob 2>&1)
assert_eq 1 "$?" "user add with a missing -c file fails"
assert_contains "$out" "missing.conf" "the error names the file"

start_daemon || exit 1
pcurl -o /dev/null -D "$DIR/h" http://$ORIGIN/1k 2>/dev/null
assert_contains "$(cat "$DIR/h")" 'realm="Office Net"' "the daemon's challenge names the realm"
assert_eq 200 "$(status_of --proxy-digest -U 'alice:Circle of Life' http://$ORIGIN/1k)" \
	"Digest login of a user made before the first start"

# the realm changes: the old secrets cannot answer the new challenge
sed -i 's/^realm = .*/realm = Lab/' "$CONF"
list=$("$CLI" -d "$DB" -c "$CONF" user list)
assert_contains "$(printf '%s\n' "$list" | grep '^alice')" "other realm" "user list: secrets of another realm"
show=$("$CLI" -d "$DB" -c "$CONF" user show alice)
assert_contains "$show" 'the secrets are for realm "Office Net", the daemon'"'"'s is "Lab"' "user show says why"
kill -HUP "$DPID"
wait_until 10 grep -q 'configuration reloaded from' "$DLOG" && ok || fail "reload"
assert_contains "$(cat "$DLOG")" 'the realm changed from "Office Net" to "Lab"' "the daemon logs the realm change"
assert_eq 407 "$(status_of --proxy-digest -U 'alice:Circle of Life' http://$ORIGIN/1k)" "Digest with the old realm's secrets"
assert_eq 200 "$(status_of -U 'alice:Circle of Life' http://$ORIGIN/1k)" "Basic is unaffected"
printf 'Circle of Life\n' | "$CLI" -d "$DB" -c "$CONF" user passwd alice >/dev/null
assert_eq "yes" "$("$CLI" -d "$DB" -c "$CONF" user list | awk '$1 == "alice" { print $(NF) }')" \
	"user list: Digest yes after the new password"
wait_until 5 eval '[ "$(status_of --proxy-digest -U "alice:Circle of Life" http://$ORIGIN/1k)" = 200 ]' && ok ||
	fail "Digest login after the password was set in the new realm"
