#!/bin/bash
# Secrets: no password (right or wrong, Basic, Digest or an admin login)
# reaches the daemon's log at debug level, the access log, the database or
# its WAL; the running daemon cannot leave a core file (core limit 0, not
# dumpable), nor can the CLI while it reads a password; the users'
# passwords are stored as scrypt hashes.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=127.0.0.1:8080
setup_daemon
sed -i 's/^level = info/level = debug/' "$DIR/portcullis.conf"
GOOD="Good-pw:$$-$RANDOM"
WRONG="Wrong-pw-$$-$RANDOM"
ADMIN_PW="Admin-pw-$$-$RANDOM"
ADMIN_WRONG="Admin-wrong-$$-$RANDOM"
add_user alice "$GOOD"
printf '%s\n' "$ADMIN_PW" | "$CLI" -d "$DB" admin add root >/dev/null
start_daemon || exit 1

assert_eq 200 "$(status_of -U "alice:$GOOD" http://$ORIGIN/1k)" "Basic, right password"
assert_eq 407 "$(status_of -U "alice:$WRONG" http://$ORIGIN/1k)" "Basic, wrong password"
assert_eq 200 "$(status_of --proxy-digest -U "alice:$GOOD" http://$ORIGIN/1k)" "Digest, right password"
assert_eq 407 "$(status_of --proxy-digest -U "alice:$WRONG" http://$ORIGIN/1k)" "Digest, wrong password"
admin_login() { in_gw timeout 10 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d "{\"username\":\"root\",\"password\":\"$1\"}" http://127.0.0.1:8080/api/login; }
assert_eq 200 "$(admin_login "$ADMIN_PW")" "admin login"
assert_eq 401 "$(admin_login "$ADMIN_WRONG")" "admin login, wrong password"
audit_json 3 >/dev/null

limits=$(cat /proc/"$DPID"/limits)
assert_contains "$(printf '%s\n' "$limits" | grep 'Max core file size')" "0                    0" "core size limit 0"
assert_contains "$(cat "$DLOG")" "no core dumps" "the daemon says it disables core dumps"
# the CLI reads passwords too: while it waits for one (on a FIFO the test
# writes only after the check), it cannot dump core
mkfifo "$DIR/pw"
exec 7<>"$DIR/pw"
"$CLI" -d "$DB" user add carol < "$DIR/pw" > /dev/null 7>&- &
CLIPID=$!
cli_core_limit_zero() { grep 'Max core file size' /proc/"$CLIPID"/limits | grep -qF '0                    0'; }
wait_until 10 cli_core_limit_zero
assert_contains "$(grep 'Max core file size' /proc/"$CLIPID"/limits)" "0                    0" "the CLI's core size limit is 0"
printf 'Carol-pw-%s\n' "$$" >&7
exec 7>&-
wait "$CLIPID"
# SIGTERM: the audit queue is flushed and the WAL is still there to search
stop_daemon
files="$DLOG $ACCESS $DB $(ls "$DB"-wal "$DB"-shm 2>/dev/null)"
for secret in "$GOOD" "$WRONG" "$ADMIN_PW" "$ADMIN_WRONG" "Carol-pw-$$" \
	"$(printf '%s' "alice:$GOOD" | base64 -w0)" "$(printf '%s' "alice:$WRONG" | base64 -w0)"; do
	# shellcheck disable=SC2086
	hits=$(grep -alF -- "$secret" $files)
	assert_eq "" "$hits" "a password found in these files"
done
# and the audit did record the failures (so the search had something to miss)
assert_contains "$("$CLI" -d "$DB" audit --json)" '"reason": "wrong_password"' "failures audited"
assert_contains "$(sqlite3 "$DB" 'SELECT phc FROM users')" '$scrypt$' "user password stored as scrypt"
